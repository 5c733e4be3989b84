/**
 * Writes the JSON Schemas shipped in schemas/ from their zod definitions, so the files never drift
 * from the code (a test compares them). Run: `npx tsx scripts/generate-schemas.ts`.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { alarmEventJsonSchema } from "../functions/core/alarms/events";
import { webhookPayloadJsonSchema } from "../functions/core/notifications/webhook-payload";

export const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "schemas");

/** File name in schemas/ → schema. Add an entry here for every schema the project ships. */
export const GENERATED_SCHEMAS: Record<string, () => Record<string, unknown>> = {
  "alarm-event.schema.json": alarmEventJsonSchema,
  "webhook-payload.schema.json": webhookPayloadJsonSchema,
};

export function renderSchema(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [file, schema] of Object.entries(GENERATED_SCHEMAS)) {
    writeFileSync(join(SCHEMAS_DIR, file), renderSchema(schema()));
    console.log(`wrote schemas/${file}`);
  }
}
