/**
 * What `npm start` prints: section headings, each alarm event as it reached the bus (with its
 * runbook link), and the findings as the alarm state table holds them. Colour only on a terminal
 * and never with NO_COLOR.
 */
import { styleText } from "node:util";
import type { AlarmState } from "../../functions/core/alarms/lifecycle";
import { compareSeverity, type Severity } from "../../functions/core/contracts";
import { locationLine } from "../../functions/core/notifications/alarm-view";
import { terminalSafeJson, visibleText } from "../../functions/core/visible-text";
import type { BusEvent } from "../local/event-bus";

export interface Output {
  line(text?: string): void;
  color: boolean;
  verbose: boolean;
}

const SEVERITY_STYLE: Record<Severity, Parameters<typeof styleText>[0]> = {
  critical: ["red", "bold"],
  major: "red",
  minor: "yellow",
  warning: "cyan",
};

const KIND_STYLE: Record<string, Parameters<typeof styleText>[0]> = {
  "Alarm Raised": "red",
  "Alarm Severity Changed": "yellow",
  "Alarm Reminder": "yellow",
  "Alarm Cleared": "green",
};

export function paint(out: Output, style: Parameters<typeof styleText>[0] | undefined, text: string): string {
  return out.color && style ? styleText(style, text) : text;
}

export function heading(out: Output, title: string): void {
  out.line();
  out.line(paint(out, "bold", `== ${title} ${"=".repeat(Math.max(3, 96 - title.length))}`));
}

/** Wraps prose at `width` columns, every line indented by `indent`. */
export function wrap(text: string, indent = "", width = 100): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current && indent.length + current.length + 1 + word.length > width) {
      lines.push(indent + current);
      current = word;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  if (current) lines.push(indent + current);
  return lines;
}

interface EventDetail {
  kind?: string;
  alarmId?: string;
  title?: string;
  severity?: Severity;
  previousSeverity?: Severity;
  check?: string;
  source?: string;
  message?: string;
  doc?: string;
  silenced?: boolean;
  parameters?: Record<string, string>;
}

/** One event as the bus received it: a header line an operator can scan, then message and runbook. */
export function printEvent(out: Output, event: BusEvent): void {
  const d = event.detail as EventDetail;
  const severity = d.severity
    ? `${paint(out, SEVERITY_STYLE[d.severity], d.severity)}${d.previousSeverity ? ` (was ${d.previousSeverity})` : ""}`
    : "?";
  out.line(
    `  event on bus "${event.eventBusName}": ${paint(out, KIND_STYLE[event.detailType], event.detailType)} | ${severity} | ${d.alarmId} ${d.check} | ${visibleText(d.source ?? "")}${d.silenced ? " | silenced" : ""}`,
  );
  // Sources and messages quote certificate names and file names: their controls are shown, not obeyed.
  for (const line of wrap(visibleText(d.message ?? ""), "      ")) out.line(line);
  const location = d.parameters ? locationLine(d.parameters) : undefined;
  if (location) out.line(`      where: ${visibleText(location)}`);
  out.line(`      runbook: ${d.doc}`);
  if (out.verbose) {
    const full = {
      source: event.source,
      "detail-type": event.detailType,
      time: event.time,
      detail: event.detail,
    };
    for (const line of terminalSafeJson(full).split("\n")) out.line(`      ${line}`);
  }
}

/** The live alarm items as a table, worst first; `tracking` rows are failures not yet raised. */
export function printFindings(
  out: Output,
  title: string,
  states: readonly AlarmState[],
  dampingOf: (state: AlarmState) => number,
): void {
  const rows = [...states]
    .filter((s) => s.status !== "cleared")
    .sort((a, b) => compareSeverity(a.severity, b.severity) || a.source.localeCompare(b.source));
  out.line();
  out.line(paint(out, "bold", `${title} (${rows.length})`));
  if (rows.length === 0) {
    out.line("none");
    return;
  }
  const cells = rows.map((s) => [
    s.severity,
    s.alarmId,
    s.check,
    s.status === "active" ? "raised" : `tracking ${s.consecutiveFailures}/${dampingOf(s)}`,
    visibleText(s.source),
    visibleText(s.message),
  ]);
  const header = ["SEVERITY", "ALARM", "CHECK", "STATUS", "SOURCE", "MESSAGE"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const format = (row: string[]) =>
    row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join("  ");
  out.line(format(header));
  rows.forEach((state, i) => {
    out.line(paint(out, SEVERITY_STYLE[state.severity], format(cells[i]!)));
  });
}
