/**
 * A broken rule on a certification path: which certificate (the link), which rule (RFC 5280
 * section or CA/Browser Forum Baseline Requirements clause), which clients refuse the chain for
 * it, and the fix. Severity says how widely it is refused:
 * - major: the clients in general use refuse it (browsers, Go, OpenSSL, Java, rustls, or most of them);
 * - minor: some widely deployed clients refuse it, others accept it (both are named);
 * - warning: it breaks a MUST of RFC 5280 or the Baseline Requirements that strict validators
 *   (pyca/cryptography, the x509-limbo suite) enforce, while the common clients still accept it.
 */
import type { Severity } from "../../contracts";
import type { ParsedCertificate } from "../certificate";

export interface Violation {
  /** Stable name of the rule, e.g. `issuer-not-ca`; the finding's `details.reason`. */
  reason: string;
  /** Position in the path of the certificate the rule is about; 0 is the checked certificate. */
  linkIndex: number;
  subject: string;
  source: string;
  severity: Severity;
  /** The rule, e.g. "RFC 5280 §4.2.1.9". */
  clause: string;
  /** Who refuses the chain for it, e.g. "OpenSSL, Go and browsers". */
  rejectedBy: string;
  /** What is wrong, as a clause of a sentence. */
  text: string;
  /** What to do about it, as a sentence. */
  fix: string;
}

export interface Rule {
  reason: string;
  severity: Severity;
  clause: string;
  rejectedBy: string;
  fix: string;
}

export function violation(rule: Rule, cert: ParsedCertificate, linkIndex: number, text: string): Violation {
  return { ...rule, linkIndex, subject: cert.subject, source: cert.source, text };
}

const RANK: Record<Severity, number> = { warning: 1, minor: 2, major: 3, critical: 4 };

export function severityRank(severity: Severity): number {
  return RANK[severity];
}

/** The worst severity among violations; undefined for none. */
export function worstSeverity(violations: readonly Violation[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const v of violations) if (!worst || RANK[v.severity] > RANK[worst]) worst = v.severity;
  return worst;
}

/** Orders candidate paths: fewer and milder violations first. Negative when `a` is better. */
export function compareViolations(a: readonly Violation[], b: readonly Violation[]): number {
  const worst = (list: readonly Violation[]) => {
    const severity = worstSeverity(list);
    return severity ? RANK[severity] : 0;
  };
  return worst(a) - worst(b) || a.length - b.length;
}

/** Violations worst first, then nearest the checked certificate first. */
export function sortViolations(violations: readonly Violation[]): Violation[] {
  return [...violations].sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.linkIndex - b.linkIndex);
}
