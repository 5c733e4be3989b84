/**
 * Served vs stored: the leaf a live service presents against the copy kept in the store, by the
 * SHA-256 of their DER. The most common outage after a renewal is a service that was never
 * reloaded, so when they differ the finding says which one is newer and what to do:
 *
 * - the stored one expires later: renewed on disk, the service still serves the old one — reload
 *   or restart it (major: the service will fail first, on the older certificate's notAfter);
 * - the served one expires later: the service serves a certificate the store does not have —
 *   update the stored copy (minor: nothing fails now, but a redeploy from the store rolls back);
 * - the same validity, different certificates (a re-key, another issuer): minor, look at both;
 * - another subject altogether: not a renewal at all — the service serves another service's
 *   certificate, or the stored copy is not this service's (major: one of them is wrong, and which
 *   one newer says nothing about it).
 *
 * The finding disappears, and the alarm clears, when a later probe sees them match again.
 */
import type { ParsedCertificate } from "../certificates/certificate";
import { formatInstant, makeFinding } from "../certificates/checks/finding";
import type { Finding, Severity } from "../contracts";

export interface ServedAndStored {
  /** Where the finding goes: the served leaf, e.g. `tls://host:port#0`. */
  source: string;
  /** "the service at api:6443", "peer node1 of group etcd". */
  service: string;
  served: ParsedCertificate;
  stored: ParsedCertificate;
  /** Where the stored copy lives, e.g. `s3://bucket/key`. */
  storedAt: string;
}

export function compareServedWithStored(input: ServedAndStored): Finding | undefined {
  const { served, stored } = input;
  if (served.sha256 === stored.sha256) return undefined;
  const newer = compareAge(served, stored);
  const describe = (c: ParsedCertificate) =>
    `"${c.subject}" (serial ${c.serialNumber}, valid ${formatInstant(c.notBefore)} to ${formatInstant(c.notAfter)})`;
  const both = `It serves ${describe(served)}; ${input.storedAt} holds ${describe(stored)}.`;
  const [severity, direction, message]: [Severity, string, string] =
    served.subject !== stored.subject
      ? [
          "major",
          "other-subject",
          `${capitalize(input.service)} serves a certificate for another subject than the stored copy: either it was given another service's certificate, or the stored copy is not this service's. Check which one names the service's host, then install that one and reload the service, or fix the stored copy. ${both}`,
        ]
      : newer === "stored"
        ? [
            "major",
            "stored-newer",
            `The certificate was renewed on disk but ${input.service} still serves the old one — reload or restart the service. ${both}`,
          ]
        : newer === "served"
          ? [
              "minor",
              "served-newer",
              `${capitalize(input.service)} serves a certificate the store does not have — update the stored copy at ${input.storedAt}. ${both}`,
            ]
          : [
              "minor",
              "different",
              `${capitalize(input.service)} serves a different certificate than the stored copy, with the same validity (re-keyed, or issued twice); decide which is right, then reload the service or update the stored copy. ${both}`,
            ];
  return makeFinding(
    "served-mismatch",
    input.source,
    message,
    {
      newer: direction,
      served: {
        sha256: served.sha256,
        subject: served.subject,
        notBefore: formatInstant(served.notBefore),
        notAfter: formatInstant(served.notAfter),
      },
      stored: {
        sha256: stored.sha256,
        subject: stored.subject,
        notBefore: formatInstant(stored.notBefore),
        notAfter: formatInstant(stored.notAfter),
        at: input.storedAt,
      },
    },
    severity,
  );
}

/** Which one is newer: the later notAfter, then the later notBefore. */
function compareAge(served: ParsedCertificate, stored: ParsedCertificate): "served" | "stored" | "neither" {
  const byEnd = served.notAfter.getTime() - stored.notAfter.getTime();
  const difference = byEnd !== 0 ? byEnd : served.notBefore.getTime() - stored.notBefore.getTime();
  return difference > 0 ? "served" : difference < 0 ? "stored" : "neither";
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
