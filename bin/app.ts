/**
 * The CDK app: reads and validates the configuration once (`-c config=FILE`, default
 * watchpost.config.json), builds the stack, and runs cdk-nag's AWS Solutions checks on it.
 */
import { readFileSync } from "node:fs";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ConfigError, parseConfigText } from "../functions/core/config";
import { WatchpostStack } from "../lib/watchpost-stack";

const app = new App();
const configPath: string = app.node.tryGetContext("config") ?? "watchpost.config.json";

try {
  const config = parseConfigText(readFileSync(configPath, "utf8"), configPath);
  new WatchpostStack(app, config.stackName, {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  if (!(error instanceof ConfigError) && (error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  console.error((error as Error).message);
  process.exit(1);
}
