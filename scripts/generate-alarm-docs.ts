/**
 * Writes docs/alarms/<id>.md and docs/alarms/README.md from the alarm catalog.
 * Run: `npx tsx scripts/generate-alarm-docs.ts`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ALARM_CATALOG } from "../functions/core/alarms/catalog";
import { renderRunbook, renderRunbookIndex } from "../functions/core/alarms/runbook";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(join(root, "docs", "alarms"), { recursive: true });
for (const alarm of ALARM_CATALOG) writeFileSync(join(root, alarm.doc), alignTables(renderRunbook(alarm)));
writeFileSync(join(root, "docs", "alarms", "README.md"), alignTables(renderRunbookIndex(ALARM_CATALOG)));
console.log(`wrote ${ALARM_CATALOG.length} runbooks and docs/alarms/README.md`);

/**
 * Pads every Markdown table's columns to one width, as the committed pages have them (Biome used to
 * do this here; the version in the lock file no longer formats Markdown).
 */
function alignTables(markdown: string): string {
  const lines = markdown.split("\n");
  for (let start = 0; start < lines.length; start++) {
    if (!lines[start]!.startsWith("|")) continue;
    let end = start;
    while (end < lines.length && lines[end]!.startsWith("|")) end++;
    const rows = lines.slice(start, end).map((line) => splitRow(line));
    const widths = rows[0]!.map((_, i) =>
      Math.max(3, ...rows.filter((_, r) => r !== 1).map((row) => [...(row[i] ?? "")].length)),
    );
    rows.forEach((row, r) => {
      lines[start + r] =
        `| ${row.map((cell, i) => (r === 1 ? "-".repeat(widths[i]!) : cell + " ".repeat(widths[i]! - [...cell].length))).join(" | ")} |`;
    });
    start = end;
  }
  return lines.join("\n");
}

/** Cells of a table row; an escaped `\|` stays inside its cell. */
function splitRow(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}
