/**
 * The CDK app: reads and validates the configuration once (`-c config=FILE`, default
 * watchpost.config.json), builds the stack, and runs cdk-nag's AWS Solutions checks on it.
 * A configuration that is missing, too large, not JSON or not valid stops the synth with one
 * line per problem naming the field; nothing is built from it.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ConfigError, LIMITS, parseConfigText, type WatchpostConfig } from "../functions/core/config";
import { WatchpostStack } from "../lib/watchpost-stack";

export const DEFAULT_CONFIG_PATH = "watchpost.config.json";

/**
 * The validated configuration in `path`. The size is checked before the file is read, so a
 * wrong path pointing at a huge file fails at once; every failure is a ConfigError naming the file.
 */
export function loadConfig(path: string): WatchpostConfig {
  let text: string;
  try {
    const stats = statSync(path);
    if (!stats.isFile())
      throw new ConfigError(path, ["(file): expected a JSON file, found a directory or device"]);
    if (stats.size > LIMITS.fileBytes) {
      throw new ConfigError(path, [
        `(file): expected a configuration of at most ${LIMITS.fileBytes} bytes (the file has ${stats.size})`,
      ]);
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ConfigError(path, [
      `(file): cannot be read (${reason}); pass another file with -c config=FILE`,
    ]);
  }
  return parseConfigText(text, path);
}

/** Builds the watchpost stack into `app` from the configuration its context names. */
export function buildApp(app: App = new App()): App {
  const configPath: string = app.node.tryGetContext("config") ?? DEFAULT_CONFIG_PATH;
  if (typeof configPath !== "string" || configPath === "") {
    throw new ConfigError("-c config", ["(context): expected the path of a JSON configuration file"]);
  }
  const config = loadConfig(configPath);
  new WatchpostStack(app, config.stackName, {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);

if (isMain) {
  try {
    buildApp();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
