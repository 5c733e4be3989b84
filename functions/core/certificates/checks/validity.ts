/**
 * Time checks: `expired`, `expiring` and `not-yet-valid`. RFC 5280 validity is inclusive at
 * both ends, so a certificate is still valid at the very second of its notAfter.
 */
import type { Finding } from "../../contracts";
import { daysBetween } from "../certificate";
import type { CertificateFacts } from "../facts";
import { describeCertificate, formatDuration, formatInstant, makeFinding } from "./finding";

const DAY_MS = 86_400_000;

export interface ValidityThresholds {
  now: Date;
  /** Days left at or below which `expiring` is raised as minor. */
  warnDays: number;
  /** Days left at or below which `expiring` is raised as major. */
  majorDays: number;
  /** Tolerated clock difference before a future notBefore counts as not yet valid. */
  skewSeconds: number;
  /** The certificate was presented by a live service: the fix is reloading it, not replacing a file. */
  presentedChain?: boolean;
}

export function checkValidity(cert: CertificateFacts, thresholds: ValidityThresholds): Finding[] {
  // Certificate times have whole seconds; an instant is judged by the second it falls in, so a
  // certificate is still valid during its notAfter second (RFC 5280 §4.1.2.5, as the Web PKI reads it).
  const policy = { ...thresholds, now: new Date(Math.floor(thresholds.now.getTime() / 1000) * 1000) };
  const findings: Finding[] = [];
  const notYetValid = checkNotYetValid(cert, policy);
  if (notYetValid) findings.push(notYetValid);
  const expiry = checkExpiry(cert, policy);
  if (expiry) findings.push(expiry);
  return findings;
}

function checkExpiry(
  cert: CertificateFacts,
  { now, warnDays, majorDays, presentedChain }: ValidityThresholds,
) {
  const left = cert.notAfter.getTime() - now.getTime();
  const severity = left <= majorDays * DAY_MS ? "major" : left <= warnDays * DAY_MS ? "minor" : undefined;
  // Most certificates are neither expired nor expiring: nothing is written for them.
  if (left >= 0 && !severity) return undefined;
  const name = describeCertificate(cert);
  const notAfter = formatInstant(cert.notAfter);
  const details = { notAfter, daysLeft: daysBetween(now, cert.notAfter), subject: cert.subject };
  if (left < 0) {
    return makeFinding(
      "expired",
      cert.source,
      `Certificate ${name} expired on ${notAfter}, ${formatDuration(left)} ago; clients reject it. ` +
        (presentedChain
          ? "Issue a new certificate, install it on the service and reload or restart the service."
          : "Issue a new certificate and replace the file."),
      details,
    );
  }
  return makeFinding(
    "expiring",
    cert.source,
    `Certificate ${name} expires on ${notAfter}, in ${formatDuration(left)}. ` +
      (presentedChain
        ? "Renew it, install it on the service and reload the service before then."
        : "Renew it and replace the file before then."),
    { ...details, thresholdDays: severity === "major" ? majorDays : warnDays },
    severity,
  );
}

function checkNotYetValid(cert: CertificateFacts, { now, skewSeconds }: ValidityThresholds) {
  const ahead = cert.notBefore.getTime() - now.getTime();
  if (ahead <= skewSeconds * 1000) return undefined;
  const notBefore = formatInstant(cert.notBefore);
  return makeFinding(
    "not-yet-valid",
    cert.source,
    `Certificate ${describeCertificate(cert)} is not valid until ${notBefore}, ` +
      `${formatDuration(ahead)} from now, so clients reject it as "not yet valid". ` +
      "This usually means it was issued while the issuing host's clock ran ahead " +
      "(for example a VM whose hardware clock was wrong at boot, corrected later by NTP). " +
      "Check that the issuing host's clock is right, then re-issue the certificate.",
    {
      notBefore,
      secondsAhead: Math.floor(ahead / 1000),
      skewSeconds,
      subject: cert.subject,
    },
  );
}
