/**
 * What a scan saw at each examined file and certificate, in the form a cleared alarm carries as
 * the new state ("CN=api, valid 2026-11-29T12:00:00Z to 2027-11-29T12:00:00Z (365 days left)"). Compact on purpose: a large scan keeps
 * at most `MAX_OBSERVATIONS` of them (about 300 bytes each); a clear beyond that says only that the
 * fault is gone.
 */
import type { SourceObservation } from "../alarms/lifecycle";
import { formatInstant } from "../certificates/checks/finding";
import type { CertificateFacts } from "../certificates/facts";

export const MAX_OBSERVATIONS = 5_000;

type Observed = Pick<CertificateFacts, "source" | "subject" | "notBefore" | "notAfter">;

const DAY_MS = 86_400_000;

function daysLeft(notAfter: Date, now: Date): string {
  const days = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  if (days < 0) return `expired ${-days} ${-days === 1 ? "day" : "days"} ago`;
  return `${days} ${days === 1 ? "day" : "days"} left`;
}

function certificateText(cert: Observed, now: Date): string {
  const name = cert.subject === "" ? "a certificate without subject" : cert.subject;
  return `${name}, valid ${formatInstant(cert.notBefore)} to ${formatInstant(cert.notAfter)} (${daysLeft(cert.notAfter, now)})`;
}

/** Adds what was read from `file` (its certificates, possibly none) while room is left. */
export function observeFile(
  into: Map<string, SourceObservation>,
  file: string,
  certificates: readonly Observed[],
  now: Date,
): void {
  if (into.size >= MAX_OBSERVATIONS) return;
  const soonest = [...certificates].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  into.set(file, {
    text:
      soonest === undefined
        ? "the file holds no certificate"
        : certificates.length === 1
          ? certificateText(soonest, now)
          : `${certificates.length} certificates; the first to expire: ${certificateText(soonest, now)}`,
  });
  for (const cert of certificates) {
    if (into.size >= MAX_OBSERVATIONS) return;
    into.set(cert.source, {
      text: certificateText(cert, now),
      subject: cert.subject,
      notBefore: formatInstant(cert.notBefore),
      notAfter: formatInstant(cert.notAfter),
    });
  }
}

/** An object the store no longer holds. */
export function observeDeleted(into: Map<string, SourceObservation>, file: string): void {
  into.set(file, { text: "the file was deleted from the store" });
}
