/**
 * Writes schemas/watchpost.config.schema.json from the zod definition of the configuration, so
 * editors complete and check watchpost.config.json (via its "$schema" key) exactly as the stack
 * validates it. A test fails when the committed file differs. Run:
 * `npx tsx scripts/generate-config-schema.ts`.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { configJsonSchema } from "../functions/core/config";

export const CONFIG_SCHEMA_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "schemas",
  "watchpost.config.schema.json",
);

export function renderConfigSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CONFIG_SCHEMA_PATH, renderConfigSchema());
  console.log("wrote schemas/watchpost.config.schema.json");
}
