/**
 * The problems a configuration is refused with, as `cdk synth` and the CLI list them: what the
 * config tests compare with the messages a user reads. None when the configuration is accepted,
 * so a table can hold accepted cases beside refused ones.
 */
import { ConfigError, parseConfig, parseConfigText } from "../../functions/core/config";

/** A configuration given as an object. */
export function problemsOf(raw: unknown): string[] {
  return problemsOfReading(() => parseConfig(raw, "test.json"));
}

/** A configuration given as JSON text, as the CDK app reads it (duplicate keys, prototype keys). */
export function problemsOfText(text: string): string[] {
  return problemsOfReading(() => parseConfigText(text, "hostile.json"));
}

function problemsOfReading(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
