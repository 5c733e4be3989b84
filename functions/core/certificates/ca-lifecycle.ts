/**
 * CA certificates expire like any other, and take every certificate that chains through them down
 * with them. Two things follow:
 * - In a file, a CA certificate's `expiring`/`expired` finding counts the certificates of the file
 *   whose path goes through it and that would outlive it. One that no certificate of the file uses
 *   (a stale copy of a renewed intermediate, say) is reported for what it is: expired, but needed
 *   by nothing (`minor`), or expiring without consequence (`warning`), with the advice to remove it.
 * - The trust bundle's own certificates are judged for expiry wherever the bundle lives (also
 *   outside the source's prefix), once per run of the source or peer group that trusts them,
 *   counting the certificates judged in that run that chain to them.
 * Severity is at least what the certificates it breaks would get for expiring on the same day:
 * the thresholds are the run's, so a root expiring in 3 days is `major`, as a leaf would be, not
 * the `warning` its leaves' chain-expires-early advisories carry.
 */
import type { Finding } from "../contracts";
import { checkValidity, type ValidityThresholds } from "./checks/validity";
import type { CertificateFacts } from "./facts";

/** Per CA (SHA-256), the certificates judged in a run that chain through it. */
export type DependentTally = Map<string, { count: number; examples: string[]; soonest?: Date }>;

const LISTED = 3;

/** Adds the certificates among `facts` that chain through some CA, by that CA. */
export function tallyDependents(into: DependentTally, facts: readonly CertificateFacts[]): void {
  for (const cert of facts) {
    for (const issuer of cert.chainedThrough ?? []) {
      const entry = into.get(issuer) ?? { count: 0, examples: [] };
      entry.count += 1;
      if (entry.examples.length < LISTED) entry.examples.push(cert.source);
      if (!entry.soonest || cert.notAfter < entry.soonest) entry.soonest = cert.notAfter;
      into.set(issuer, entry);
    }
  }
}

/**
 * The findings of one file's CA certificates, told what depends on them (see the module comment).
 * `findings` are the file's validity findings; others pass through untouched.
 */
export function annotateCaFindings(findings: Finding[], facts: readonly CertificateFacts[]): Finding[] {
  const chained = facts.some((cert) => cert.chainedThrough !== undefined);
  if (!chained) return findings;
  const dependents: DependentTally = new Map();
  tallyDependents(dependents, facts);
  const bySource = new Map(facts.map((cert) => [cert.source, cert]));
  return findings.map((finding) => {
    if (finding.check !== "expired" && finding.check !== "expiring") return finding;
    const ca = bySource.get(finding.source);
    if (!ca?.isCA || ca.chainedThrough !== undefined) return finding;
    const depending = dependents.get(ca.sha256);
    if (!depending) return unused(finding);
    return counted(finding, depending);
  });
}

function unused(finding: Finding): Finding {
  return {
    ...finding,
    severity: finding.check === "expired" ? "minor" : "warning",
    message: `${finding.message} No certificate in this file chains through it (their paths to the trusted CA go another way), so nothing breaks with it: remove it from the file rather than renew it.`,
    details: { ...finding.details, dependents: 0 },
  };
}

function counted(finding: Finding, depending: { count: number; examples: string[] }): Finding {
  const more = depending.count - depending.examples.length;
  const list = `${depending.examples.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
  const verb = finding.check === "expired" ? "stopped working with it" : "stop working with it";
  return {
    ...finding,
    message: `${finding.message} ${depending.count} certificate${depending.count === 1 ? "" : "s"} chain${depending.count === 1 ? "s" : ""} through it and ${verb}: ${list}.`,
    details: { ...finding.details, dependents: depending.count, dependentExamples: depending.examples },
  };
}

/**
 * The trust bundle's certificates judged for expiry (and not-yet-valid) like leaves, each message
 * counting the certificates of this run that chain to it.
 */
export function judgeTrustBundle(
  anchors: readonly CertificateFacts[],
  dependents: DependentTally,
  thresholds: ValidityThresholds,
): Finding[] {
  return anchors.flatMap((anchor) =>
    checkValidity(anchor, thresholds).map((finding) => {
      const depending = dependents.get(anchor.sha256);
      const trusted = { ...finding, message: `Trusted CA: ${finding.message}` };
      return depending ? counted(trusted, depending) : trusted;
    }),
  );
}

/** At most one finding per source and check, the first kept (the trust bundle's come first). */
export function oneFindingPerSourceAndCheck(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.source}\u0000${finding.check}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
