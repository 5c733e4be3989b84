/**
 * How `scan` and `probe` present a result: the JSON contract (validated before it is printed, so
 * a drift from the design brief fails loudly) or a table an operator reads at a glance. Table cells
 * come from certificates and file names, which anyone can fill with escape sequences: every control
 * character is shown as an escape (`\x1b`) instead of reaching the terminal. JSON stays exact.
 */
import { styleText } from "node:util";
import type { WalkSkipReason } from "../../functions/adapters/local-files";
import { type ParsedCertificate, summarize } from "../../functions/core/certificates/certificate";
import {
  compareSeverity,
  type Finding,
  type PeerGroupReport,
  ScanReport,
  SEVERITIES,
  type Severity,
} from "../../functions/core/contracts";
import { visibleText } from "../../functions/core/visible-text";
import { peerGroupLines } from "./peer-matrix-table";

export function buildScanReport(
  now: Date,
  certificates: readonly ParsedCertificate[],
  findings: readonly Finding[],
  peerGroups?: readonly PeerGroupReport[],
): ScanReport {
  return ScanReport.parse({
    scannedAt: now.toISOString(),
    certificates: certificates.map((c) => summarize(c, now)),
    findings: [...findings].sort(
      (a, b) => compareSeverity(a.severity, b.severity) || a.source.localeCompare(b.source),
    ),
    ...(peerGroups ? { peerGroups } : {}),
  });
}

const SEVERITY_STYLE: Record<Severity, Parameters<typeof styleText>[0]> = {
  critical: ["red", "bold"],
  major: "red",
  minor: "yellow",
  warning: "cyan",
};

const MAX_SUBJECT = 48;

/** Why a file met in a directory was not judged: no certificate in it, or not read at all. */
export type SkipReason = "not-certificate" | WalkSkipReason;

const SKIP_LABELS: Record<SkipReason, [one: string, many: string]> = {
  "not-certificate": ["not a certificate", "not certificates"],
  "not-regular-file": ["not a regular file", "not regular files"],
  "directory-already-walked": ["directory already walked", "directories already walked"],
};

/** What was looked at, so the summary accounts for every file named (or the endpoint probed). */
export type ScanScope =
  | { files: number; unreadable: number; skipped: Partial<Record<SkipReason, number>> }
  | { endpoint: string; reached: boolean };

export function renderTable(
  report: ScanReport,
  options: { color: boolean; title?: string | readonly string[]; scope: ScanScope },
): string {
  const paint = (severity: Severity | undefined, text: string) =>
    options.color && severity ? styleText(SEVERITY_STYLE[severity], text) : text;
  const worstBySource = worstSeverityBySource(report.findings);
  const lines: string[] = [];
  // Each title line is shown on its own line; what is inside one stays escaped.
  if (options.title) lines.push(...[options.title].flat().map(visibleText), "");

  const certificates = [...report.certificates].sort((a, b) => a.daysLeft - b.daysLeft);
  lines.push(`CERTIFICATES (${certificates.length}, soonest expiry first)`);
  if (certificates.length > 0) {
    const rows = certificates.map((c) => [
      c.daysLeft.toFixed(1),
      c.notAfter.slice(0, 16).replace("T", " "),
      truncate(visibleText(c.subject), MAX_SUBJECT),
      visibleText(c.source),
    ]);
    const header = ["DAYS LEFT", "NOT AFTER (UTC)", "SUBJECT", "SOURCE"];
    const widths = columnWidths([header, ...rows]);
    lines.push(formatRow(header, widths));
    certificates.forEach((c, i) => {
      lines.push(paint(worstBySource.get(c.source), formatRow(rows[i] as string[], widths)));
    });
  }

  lines.push("", `FINDINGS (${report.findings.length})`);
  if (report.findings.length === 0) {
    lines.push("none");
  } else {
    const header = ["SEVERITY", "ALARM", "CHECK", "SOURCE", "MESSAGE"];
    const rows = report.findings.map((f) => [
      f.severity,
      f.alarmId,
      f.check,
      visibleText(f.source),
      visibleText(f.message),
    ]);
    const widths = columnWidths([header, ...rows.map((r) => r.slice(0, 4))]);
    lines.push(formatRow(header, widths));
    report.findings.forEach((f, i) => {
      lines.push(paint(f.severity, formatRow(rows[i] as string[], widths)));
    });
  }

  for (const group of report.peerGroups ?? []) lines.push("", ...peerGroupLines(group));

  lines.push("", summaryLine(report, options.scope));
  return `${lines.join("\n")}\n`;
}

/** "1 certificate", "2 certificates". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * "3 certificates in 4 files (1 unreadable), 2 other files skipped (not certificates); 2 findings
 * (1 critical, 1 minor)": every file named or found is counted, the ones that could not be read
 * included, and so is every entry of a directory that was not read (a FIFO, a link loop).
 */
export function summaryLine(report: ScanReport, scope: ScanScope): string {
  const counts = SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const findings =
    counts.length > 0 ? `${count(report.findings.length, "finding")} (${counts.join(", ")})` : "no findings";
  const certificates = count(report.certificates.length, "certificate");
  if ("endpoint" in scope) {
    return `${certificates} from ${visibleText(scope.endpoint)}${scope.reached ? "" : " (not reached)"}; ${findings}`;
  }
  const unreadable = scope.unreadable > 0 ? ` (${scope.unreadable} unreadable)` : "";
  const reasons = (Object.keys(SKIP_LABELS) as SkipReason[])
    .map((reason) => [reason, scope.skipped[reason] ?? 0] as const)
    .filter(([, n]) => n > 0);
  const total = reasons.reduce((sum, [, n]) => sum + n, 0);
  const label = ([reason, n]: readonly [SkipReason, number]) => SKIP_LABELS[reason][n === 1 ? 0 : 1];
  const why =
    reasons.length === 1 ? label(reasons[0]!) : reasons.map((r) => `${r[1]} ${label(r)}`).join(", ");
  const skipped = total > 0 ? `, ${count(total, "other file")} skipped (${why})` : "";
  return `${certificates} in ${count(scope.files, "file")}${unreadable}${skipped}; ${findings}`;
}

function worstSeverityBySource(findings: readonly Finding[]): Map<string, Severity> {
  const worst = new Map<string, Severity>();
  for (const f of findings) {
    const current = worst.get(f.source);
    if (!current || compareSeverity(f.severity, current) < 0) worst.set(f.source, f.severity);
  }
  return worst;
}

function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return widths;
}

/** Pads every column but the last, which may be long free text. */
function formatRow(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i < cells.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ");
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
