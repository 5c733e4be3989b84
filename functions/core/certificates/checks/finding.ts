/**
 * Shared vocabulary of the certificate checks: how a finding is assembled and how instants and
 * durations are written in messages read by an operator at 3 a.m.
 */
import { alarmIdFor, DEFAULT_SEVERITY } from "../../alarm-ids";
import type { CheckName, Finding, Severity } from "../../contracts";
import { quoted } from "../formats/read-error";

export function makeFinding(
  check: CheckName,
  source: string,
  message: string,
  details: Record<string, unknown>,
  severity: Severity = DEFAULT_SEVERITY[check],
): Finding {
  return { check, alarmId: alarmIdFor(check), severity, source, message, details };
}

/** ISO-8601 to the second: certificate times have no fractions, so ".000" would only be noise. */
export function formatInstant(instant: Date): string {
  return instant.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const UNITS: [string, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
];

/** "29 days 23 hours", "6 minutes 40 seconds": the two largest non-zero units, rounded down. */
export function formatDuration(milliseconds: number): string {
  let rest = Math.abs(milliseconds);
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
    if (parts.length === 2) break;
  }
  const text = parts.filter((part) => !part.startsWith("0 ")).join(" ");
  return text === "" ? "less than a second" : text;
}

/**
 * How a certificate is named in messages: its subject, or its place in the file when it has none;
 * from a keystore, also the alias of its entry, which is what `keytool -list` shows a person
 * (`cacerts#101` says nothing to one).
 */
export function describeCertificate(cert: {
  subject: string;
  source: string;
  entry?: { alias?: string | undefined };
}): string {
  const name = cert.subject === "" ? `certificate ${cert.source}` : `"${cert.subject}"`;
  const alias = cert.entry?.alias;
  return alias === undefined ? name : `${name} (keystore alias "${quoted(alias, 80)}")`;
}

/** Sorts by source (numeric certificate index after '#'), then check, then message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareSources(a.source, b.source) || compareText(a.check, b.check) || compareText(a.message, b.message)
  );
}

function compareSources(a: string, b: string): number {
  const [fileA, indexA] = splitSource(a);
  const [fileB, indexB] = splitSource(b);
  return compareText(fileA, fileB) || indexA - indexB;
}

function splitSource(source: string): [string, number] {
  const match = /^(.*)#(\d+)$/.exec(source);
  // A whole-file source sorts before the certificates inside that file.
  return match ? [match[1]!, Number(match[2])] : [source, -1];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
