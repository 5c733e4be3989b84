import type { UnreadableReason } from "../../contracts";

/** Raised inside the format readers; `readCertificates` turns it into an `unreadable` result. */
export class ReadError extends Error {
  constructor(
    readonly reason: UnreadableReason,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "ReadError";
  }
}

/** A piece of a file that could not be read while the rest of the file could. */
export interface ReadProblem {
  reason: UnreadableReason;
  detail: string;
}

export function messageOf(error: unknown): string {
  if (error instanceof ReadError) return error.detail;
  const text = error instanceof Error ? error.message : String(error);
  // Library messages can be long or multi-line; a finding's detail stays one short line.
  return text.replace(/\s+/g, " ").trim().slice(0, 200) || "unknown error";
}

/**
 * Text taken from the file, as a message can quote it: control characters and line separators
 * escaped (\xNN), at most `max` characters. Crafted input must not put line breaks or megabytes
 * into a finding.
 */
export function quoted(text: string, max = 40): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const escaped = text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
