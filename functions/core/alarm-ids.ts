import type { CheckName, Severity } from "./contracts";

/**
 * Stable numeric alarm IDs, one per check. Operators search runbooks and silence alarms by these
 * numbers, so an ID is never reused or renumbered: add new ones, retire old ones.
 */
export const ALARM_IDS = {
  expired: "1001",
  expiring: "1002",
  "not-yet-valid": "1003",
  "hostname-mismatch": "1004",
  "untrusted-chain": "1005",
  "weak-crypto": "1006",
  unreadable: "1007",
  "served-mismatch": "1008",
  // 1020+: hosts that run `watchpost push`, judged from the heartbeats they leave.
  "host-silent": "1020",
  "host-clock-skew": "1021",
  // 1030+: checks of what a live endpoint does in its handshake (1009-1029 are kept for others).
  revoked: "1030",
  "ocsp-staple": "1031",
  "served-chain": "1032",
  "weak-protocol": "1033",
  "peer-refused": "1040",
  // 1050+: what an AWS certificate store says about a certificate beyond its bytes (ACM's renewal).
  "renewal-ineligible": "1050",
  "renewal-stuck": "1051",
  // 1060+: a certificate source the scan may not read at all (its listing is refused).
  "source-access-denied": "1060",
  "credentials-unobtainable": "2001",
  "credentials-rejected": "2002",
  "storage-access-denied": "2003",
  "storage-unreachable": "2004",
  "bucket-missing": "2005",
} as const satisfies Record<CheckName, string>;

export function alarmIdFor(check: CheckName): string {
  return ALARM_IDS[check];
}

/**
 * Severity a check raises when nothing finer applies. `expiring` is the exception: its severity
 * follows the thresholds (minor inside warn-days, major inside major-days).
 */
export const DEFAULT_SEVERITY = {
  expired: "critical",
  expiring: "minor",
  // A certificate that is not valid yet fails every client today, exactly like an expired one.
  "not-yet-valid": "critical",
  "hostname-mismatch": "major",
  "untrusted-chain": "major",
  "weak-crypto": "minor",
  unreadable: "major",
  // Raised as major when the service serves the older certificate (it fails first), minor otherwise.
  "served-mismatch": "major",
  // Nothing on the host is watched any more: every certificate there may be expiring unseen.
  "host-silent": "major",
  // Certificates made on the host while its clock is off start in the future (or are judged wrongly there).
  "host-clock-skew": "major",
  revoked: "critical",
  // Major when clients refuse the connection over it (bad or foreign response, must-staple), minor when stale.
  "ocsp-staple": "major",
  // Major for a missing intermediate, minor for a wrong order, warning for extra certificates or a root sent.
  "served-chain": "major",
  "weak-protocol": "major",
  // A peer that refuses another's certificate breaks the cluster's traffic between them now.
  "peer-refused": "major",
  // Raised as major while something uses the certificate (InUseBy), minor otherwise: nothing breaks yet.
  "renewal-ineligible": "major",
  "renewal-stuck": "major",
  // Every certificate of the place goes unwatched: one that expires there raises nothing.
  "source-access-denied": "major",
  "credentials-unobtainable": "major",
  "credentials-rejected": "major",
  "storage-access-denied": "major",
  "storage-unreachable": "major",
  "bucket-missing": "major",
} as const satisfies Record<CheckName, Severity>;
