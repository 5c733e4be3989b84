/** Reading a configuration: errors that name the field, and the file's text checked before its content. */
import { duplicateKeys } from "./duplicate-keys";
import { LIMITS } from "./limits";
import { WatchpostConfig } from "./schema";

/** The configuration is not valid; `problems` lists one "path: what is expected" line per issue. */
export class ConfigError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: string[],
  ) {
    super(`${origin} is not a valid watchpost configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Problems listed in one error; a file with thousands of bad entries names the first few and counts the rest. */
const MAX_LISTED_PROBLEMS = 20;

export function parseConfig(raw: unknown, origin = "configuration"): WatchpostConfig {
  const result = WatchpostConfig.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  if (problems.length > listed.length)
    listed.push(`... and ${problems.length - listed.length} more problems`);
  throw new ConfigError(origin, listed);
}

/** Parses JSON text (a file's content); `origin` names the file in error messages. */
export function parseConfigText(text: string, origin: string): WatchpostConfig {
  if (text.length > LIMITS.fileBytes) {
    throw new ConfigError(origin, [
      `(file): expected a configuration of at most ${LIMITS.fileBytes} bytes (it has ${text.length} characters)`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(origin, [`(file): expected JSON (${(error as Error).message})`]);
  }
  const duplicates = duplicateKeys(text);
  if (duplicates.length > 0) {
    throw new ConfigError(
      origin,
      duplicates.map(
        ({ path, key }) => `${formatPath(path)}: key "${key}" appears twice; JSON keeps only the last one`,
      ),
    );
  }
  return parseConfig(raw, origin);
}

/** `certificates.sources[0].prefix` — the way the file's author would point at the field. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      const name = String(segment);
      return index === 0 ? name : `.${name}`;
    })
    .join("");
}
