/**
 * The contracts other parts rely on (design brief, "Contracts"): check names, severities, the
 * finding shape and the `scan --format json` report. Defined once here and validated with zod
 * wherever they cross a boundary (CLI output, events, configuration).
 */
import * as z from "zod";

export const CERTIFICATE_CHECKS = [
  "expired",
  "expiring",
  "not-yet-valid",
  "hostname-mismatch",
  "untrusted-chain",
  "weak-crypto",
  "unreadable",
  // A live service presents a different leaf than the copy kept in the store.
  "served-mismatch",
  // A live endpoint's stapled OCSP response says its certificate is revoked.
  "revoked",
  // A live endpoint's stapled OCSP response cannot be used, or a must-staple certificate has none.
  "ocsp-staple",
  // A live endpoint sends an incomplete, disordered or padded chain.
  "served-chain",
  // A live endpoint speaks only an obsolete TLS version.
  "weak-protocol",
  // A peer of a group will refuse another peer's certificate (its trust store, the TLS role).
  "peer-refused",
  // An ACM-issued certificate ACM will not renew by itself (RenewalEligibility INELIGIBLE).
  "renewal-ineligible",
  // ACM's managed renewal waits for domain validation or has failed (RenewalSummary.RenewalStatus).
  "renewal-stuck",
  // A source's listing was refused (an AWS store's List call denied, a member account's reader role
  // that cannot be assumed): nothing there is watched until it can be listed.
  "source-access-denied",
] as const;

export const CREDENTIAL_CHECKS = [
  "credentials-unobtainable",
  "credentials-rejected",
  "storage-access-denied",
  "storage-unreachable",
  "bucket-missing",
] as const;

/** Hosts that run `watchpost push`, from the heartbeat each push leaves (core/hosts/). */
export const HOST_CHECKS = [
  // No push has reached the bucket for longer than the host's limit.
  "host-silent",
  // The host's clock, measured against S3's at its last push, is off by more than the tolerance.
  "host-clock-skew",
] as const;

export const CheckName = z.enum([...CERTIFICATE_CHECKS, ...CREDENTIAL_CHECKS, ...HOST_CHECKS]);
export type CheckName = z.infer<typeof CheckName>;

/** Ordered from worst to mildest; index comparisons rely on that order. */
export const SEVERITIES = ["critical", "major", "minor", "warning"] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** Negative when `a` is worse than `b`, so `sort(compareSeverity)` puts the worst first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b);
}

export function isAtLeast(severity: Severity, minimum: Severity): boolean {
  return compareSeverity(severity, minimum) <= 0;
}

/** Why a file yielded no certificate; reported as the `reason` of an `unreadable` finding. */
export const UNREADABLE_REASONS = [
  "empty",
  "bad-pem",
  "bad-der",
  "bad-password",
  // A JKS or JCEKS keystore whose structure is broken (truncated, unknown entry type).
  "bad-keystore",
  "unsupported-format",
  "too-large",
  "io-error",
  // Live endpoints (`watchpost probe`, endpoint sources): the certificate could not be fetched at all.
  "timeout",
  "unreachable",
  // The port answers, but not with TLS (or refused the STARTTLS upgrade).
  "not-tls",
  // It speaks TLS but ended the handshake with an alert before presenting a certificate.
  "handshake-failed",
] as const;

/** Reasons that say a live endpoint could not be fetched, as opposed to stored bytes that could not be read. */
export const ENDPOINT_FAILURES = ["timeout", "unreachable", "not-tls", "handshake-failed"] as const;
export type EndpointFailure = (typeof ENDPOINT_FAILURES)[number];
export const UnreadableReason = z.enum(UNREADABLE_REASONS);
export type UnreadableReason = z.infer<typeof UnreadableReason>;

export const Finding = z.object({
  check: CheckName,
  /** Stable numeric alarm ID from the alarm catalog, as a string. */
  alarmId: z.string(),
  severity: Severity,
  /** `<file>` for whole-file findings, `<file>#<index>` for one certificate. */
  source: z.string(),
  message: z.string(),
  /** Machine-readable detail (reason codes, failing link, expected names); never secrets. */
  details: z.record(z.string(), z.unknown()).optional(),
  /**
   * Where the file lives, as alarm parameters (HostName, ServiceName, Cluster, ...): declared by the
   * configuration or by the object's metadata (certificates/location.ts). Only in the deployed scan.
   */
  parameters: z.record(z.string(), z.string()).optional(),
});
export type Finding = z.infer<typeof Finding>;

export const CertificateSummary = z.object({
  source: z.string(),
  subject: z.string(),
  issuer: z.string(),
  serialNumber: z.string(),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  daysLeft: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type CertificateSummary = z.infer<typeof CertificateSummary>;

/** The TLS roles peers of a group play towards each other. */
export const PeerRole = z.enum(["server", "client"]);
export type PeerRole = z.infer<typeof PeerRole>;

/**
 * A peer group as its peers see each other (certificates/peer-group.ts): each peer's status line and
 * the verdict of every ordered pair — `presenter`'s certificate as `truster` judges it against its
 * own trust store, for `role` (`server`: the truster connects to the presenter; `client`: the
 * presenter connects to the truster and presents its certificate).
 */
export const PeerGroupReport = z.object({
  group: z.string(),
  /** `stored`: the certificates kept in files; `live`: the chains the peers' endpoints presented. */
  certificates: z.enum(["stored", "live"]),
  roles: z.array(PeerRole),
  peers: z.array(
    z.object({
      fqdn: z.string(),
      /** "Certificate: Valid" or "Certificate: Invalid (<first reason>)"; null without a certificate on this side. */
      status: z.string().nullable(),
      valid: z.boolean().nullable(),
      /** Where its trust store is (its own, or the group's CA bundle); null when it has none. */
      trustStore: z.string().nullable(),
    }),
  ),
  matrix: z.array(
    z.object({
      presenter: z.string(),
      truster: z.string(),
      role: PeerRole,
      /** `unknown`: the certificate or the trust store could not be read. */
      verdict: z.enum(["accepted", "refused", "unknown"]),
      /** The worst rule the pair breaks (a refusal), e.g. `no-issuer`, `extended-key-usage`. */
      reason: z.string().optional(),
      /** Why, in words, for a refusal. */
      because: z.string().optional(),
    }),
  ),
});
export type PeerGroupReport = z.infer<typeof PeerGroupReport>;

export const ScanReport = z.object({
  scannedAt: z.iso.datetime(),
  certificates: z.array(CertificateSummary),
  findings: z.array(Finding),
  /** With `scan --peer`: the group, its peers' status lines and who trusts whom. */
  peerGroups: z.array(PeerGroupReport).optional(),
});
export type ScanReport = z.infer<typeof ScanReport>;

/** Exit status contract: 0 no finding, 1 only minor/warning, 2 any major/critical, 3 usage error. */
export const EXIT = { ok: 0, minorOnly: 1, majorOrWorse: 2, usage: 3 } as const;

export function exitCodeFor(findings: readonly Pick<Finding, "severity">[]): number {
  if (findings.length === 0) return EXIT.ok;
  return findings.some((f) => isAtLeast(f.severity, "major")) ? EXIT.majorOrWorse : EXIT.minorOnly;
}
