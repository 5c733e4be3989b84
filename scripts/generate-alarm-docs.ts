/**
 * Writes docs/alarms/<id>.md and docs/alarms/README.md from the alarm catalog.
 * Run: `npx tsx scripts/generate-alarm-docs.ts`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ALARM_CATALOG } from "../functions/core/alarms/catalog";
import { renderRunbook, renderRunbookIndex } from "../functions/core/alarms/runbook";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(join(root, "docs", "alarms"), { recursive: true });
for (const alarm of ALARM_CATALOG) writeFileSync(join(root, alarm.doc), renderRunbook(alarm));
writeFileSync(join(root, "docs", "alarms", "README.md"), renderRunbookIndex(ALARM_CATALOG));
// Biome formats Markdown too (aligned tables); format here so `npm run lint` stays clean.
execFileSync(join(root, "node_modules", ".bin", "biome"), ["format", "--write", "docs/alarms"], {
  cwd: root,
  stdio: "ignore",
});
console.log(`wrote ${ALARM_CATALOG.length} runbooks and docs/alarms/README.md`);
