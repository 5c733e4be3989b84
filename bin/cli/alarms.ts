/**
 * `watchpost alarms catalog`: the alarm catalog as operators search it — ID, title, check,
 * severity, auto clear and the runbook page.
 */
import { ALARM_CATALOG } from "../../functions/core/alarms/catalog";
import { severityLabel } from "../../functions/core/alarms/runbook";
import { EXIT, type Severity } from "../../functions/core/contracts";
import { type Command, UsageError } from "./io";
import { OutputFormat, parseCommandLine, validateOptions } from "./options";

export const ALARMS_USAGE = `usage: watchpost alarms catalog [--format table|json]

Lists every alarm watchpost can raise. JSON output is an array of
{ "id", "title", "check", "severity", "autoClear", "doc" }.

options:
  --format table|json   output format (default table)
`;

export interface CatalogRow {
  id: string;
  title: string;
  check: string;
  severity: Severity;
  autoClear: boolean;
  doc: string;
}

export function catalogRows(): CatalogRow[] {
  return ALARM_CATALOG.map(({ id, title, check, severity, autoClear, doc }) => ({
    id,
    title,
    check,
    severity,
    autoClear,
    doc,
  }));
}

function renderTable(rows: CatalogRow[]): string {
  const header = ["ID", "SEVERITY", "AUTO CLEAR", "CHECK", "TITLE", "RUNBOOK"];
  const cells = rows.map((r) => [
    r.id,
    severityLabel(r.severity),
    r.autoClear ? "yes" : "no",
    r.check,
    r.title,
    r.doc,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    `${row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd()}\n`;
  return [header, ...cells].map(line).join("");
}

export const alarmsCommand: Command = async (argv, io) => {
  const { values, positionals } = parseCommandLine(argv, {
    format: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(ALARMS_USAGE);
    return EXIT.ok;
  }
  const [subcommand, ...extra] = positionals;
  if (subcommand !== "catalog") {
    throw new UsageError(
      subcommand ? `unknown sub-command '${subcommand}' (expected 'catalog')` : "expected 'catalog'",
    );
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const format = validateOptions(OutputFormat.default("table"), values.format);
  const rows = catalogRows();
  io.stdout(format === "json" ? `${JSON.stringify(rows, null, 2)}\n` : renderTable(rows));
  return EXIT.ok;
};
