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
