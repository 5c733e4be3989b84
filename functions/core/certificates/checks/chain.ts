/**
 * `untrusted-chain`: will clients accept the path from each end-entity certificate, through the
 * intermediates found in the same input, to one of the trusted CA certificates (the anchors)? The
 * path search and the rules are in ../path/ (RFC 5280 §6 and the CA/Browser Forum profile TLS
 * clients apply); this check picks what to verify and turns the verdict into findings.
 *
 * What is checked: in a chain a TLS peer presented, its first certificate, whatever its flags (RFC
 * 8446 §4.4.2); in a file, every certificate that is not a CA, or, in a file of CA certificates
 * only (a CA bundle), every one that is not itself an anchor. A certificate the best path does not
 * use (a stale or expired extra intermediate) does not make the chain look broken; its own
 * validity is reported by `expired`/`not-yet-valid` on it. The checked certificate's own validity
 * is not part of this check either: one fault raises one alarm.
 *
 * One finding per checked certificate: the worst broken rule names the link, the rule (RFC 5280
 * section or Baseline Requirements clause), the clients that refuse it and the fix; the others
 * follow. Its severity is the worst rule's: major when the clients in general use refuse the
 * chain, minor when only some do, warning when only strict validators do (path/violation.ts).
 *
 * A good chain whose CA certificates expire before the end-entity certificate is reported as an
 * advisory `untrusted-chain` finding with severity `warning` (reason
 * `issuer-expires-before-certificate`): nothing is broken yet, and the CA certificate's own
 * `expiring` alarm, which counts the certificates it takes down, is the one to act on. Differences
 * under a day are ignored: a CA and its first leaves are often minted in one run with the same
 * lifetime.
 */
import type { Finding } from "../../contracts";
import type { ParsedCertificate } from "../certificate";
import type { Purpose } from "../path/rules";
import { PathContext, type PathResult, validatePath } from "../path/validate";
import { severityRank, type Violation, worstSeverity } from "../path/violation";
import { describeCertificate, formatInstant, makeFinding } from "./finding";

export { MAX_CHAIN_LENGTH } from "../path/validate";

const EARLY_EXPIRY_TOLERANCE_MS = 86_400_000;
/** Violations spelled out in one message besides the worst; the rest are counted. */
const LISTED_VIOLATIONS = 3;

export interface ChainOptions {
  now: Date;
  skewSeconds: number;
  /** What end-entity certificates are checked for; `any` skips the purpose rules. */
  purpose?: Purpose;
  /** The input is a chain a TLS peer presented: its first certificate is the one to check. */
  presentedChain?: boolean;
  /** Most intermediates allowed between a checked certificate and its anchor. */
  maxIntermediates?: number;
}

export interface ChainVerdict {
  target: ParsedCertificate;
  result: PathResult;
}

/** The certificates to verify in an input, and how (see the module comment). */
export function chainTargets(
  certs: readonly ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  presentedChain: boolean,
): { cert: ParsedCertificate; role: "leaf" | "ca" }[] {
  if (presentedChain) return certs.length > 0 ? [{ cert: certs[0]!, role: "leaf" }] : [];
  const endEntities = certs.filter((cert) => !cert.isCA);
  if (endEntities.length > 0) return endEntities.map((cert) => ({ cert, role: "leaf" }));
  const anchorHashes = new Set(anchors.map((anchor) => anchor.sha256));
  return certs.filter((cert) => !anchorHashes.has(cert.sha256)).map((cert) => ({ cert, role: "ca" }));
}

export function verifyChains(
  certs: readonly ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  options: ChainOptions,
): ChainVerdict[] {
  const context = new PathContext(certs, anchors);
  const pathOptions = {
    now: options.now,
    skewSeconds: options.skewSeconds,
    purpose: options.purpose ?? "any",
    ...(options.maxIntermediates !== undefined ? { maxIntermediates: options.maxIntermediates } : {}),
  };
  return chainTargets(certs, anchors, options.presentedChain ?? false).map(({ cert, role }) => ({
    target: cert,
    result: validatePath(cert, certs, anchors, pathOptions, role, context),
  }));
}

export function checkChains(
  certs: readonly ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  options: ChainOptions,
): Finding[] {
  return chainFindingsOf(verifyChains(certs, anchors, options), anchors.length, options);
}

/** The findings of verified chains (see the module comment). */
export function chainFindingsOf(
  verdicts: readonly ChainVerdict[],
  anchorCount: number,
  options: Pick<ChainOptions, "purpose">,
): Finding[] {
  const findings: Finding[] = [];
  for (const { target, result } of verdicts) {
    const early = result.path ? earlyExpiringIssuers(result.path) : [];
    if (result.violations.length > 0) {
      findings.push(untrustedFinding(target, result, anchorCount, options.purpose ?? "any", early));
    } else if (early.length > 0) {
      findings.push(earlyExpiryFinding(target, early));
    }
  }
  return findings;
}

function untrustedFinding(
  target: ParsedCertificate,
  result: PathResult,
  anchorCount: number,
  purpose: Purpose,
  early: EarlyIssuer[],
): Finding {
  const [worst, ...others] = result.violations as [Violation, ...Violation[]];
  const severity = worstSeverity(result.violations) ?? "major";
  const name = describeCertificate(target);
  const headline =
    severityRank(severity) >= severityRank("major")
      ? `Certificate ${name} does not chain to a trusted CA`
      : severity === "minor"
        ? `Certificate ${name} is refused by some clients`
        : `Certificate ${name} breaks a rule strict validators enforce`;
  const advice =
    anchorCount === 0
      ? "No trusted CA certificate was given, so nothing can be trusted; check the CA bundle configuration."
      : worst.fix;
  const also = others
    .slice(0, LISTED_VIOLATIONS)
    .map((v) => `${v.text} (chain link ${v.linkIndex}; ${v.clause})`);
  const more = others.length - also.length;
  const alsoText = also.length > 0 ? ` Also: ${also.join("; ")}${more > 0 ? `; and ${more} more` : ""}.` : "";
  const stops = early.length > 0 ? ` ${earlyExpirySentence(target, early)}` : "";
  return makeFinding(
    "untrusted-chain",
    target.source,
    `${headline}: ${worst.text} (chain link ${worst.linkIndex}). ${advice} (${worst.clause}; refused by ${worst.rejectedBy}.)${alsoText}${stops}`,
    {
      reason: worst.reason,
      linkIndex: worst.linkIndex,
      linkSubject: worst.subject,
      linkSource: worst.source,
      rule: worst.clause,
      rejectedBy: worst.rejectedBy,
      path: (result.path ?? result.reached ?? [target]).map((cert) => cert.subject),
      violations: result.violations.map((v) => ({
        reason: v.reason,
        severity: v.severity,
        linkIndex: v.linkIndex,
        linkSubject: v.subject,
        linkSource: v.source,
        rule: v.clause,
      })),
      purpose,
      subject: target.subject,
      anchorCount,
    },
    severity,
  );
}

interface EarlyIssuer {
  linkIndex: number;
  subject: string;
  source: string;
  notAfter: string;
}

function earlyExpiringIssuers(path: readonly ParsedCertificate[]): EarlyIssuer[] {
  const [target, ...issuers] = path;
  if (!target) return [];
  const limit = target.notAfter.getTime() - EARLY_EXPIRY_TOLERANCE_MS;
  return issuers.flatMap((issuer, position) =>
    issuer.notAfter.getTime() < limit
      ? [
          {
            linkIndex: position + 1,
            subject: issuer.subject,
            source: issuer.source,
            notAfter: formatInstant(issuer.notAfter),
          },
        ]
      : [],
  );
}

function earlyExpirySentence(target: ParsedCertificate, early: EarlyIssuer[]): string {
  const first = early.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
  const list = early
    .map((e) => `"${e.subject}" (chain link ${e.linkIndex}) expires on ${e.notAfter}`)
    .join(", ");
  return `The chain of certificate ${describeCertificate(target)} stops working on ${first.notAfter}, before the certificate itself (valid until ${formatInstant(target.notAfter)}): ${list}.`;
}

function earlyExpiryFinding(target: ParsedCertificate, early: EarlyIssuer[]): Finding {
  const first = early.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
  return makeFinding(
    "untrusted-chain",
    target.source,
    `${earlyExpirySentence(target, early)} Renew the CA certificate before then, or plan to re-issue this certificate from a CA that outlives it (RFC 5280 §6.1.3 (a)(2): every certificate of the path must be valid when it is used).`,
    {
      reason: "issuer-expires-before-certificate",
      rule: "RFC 5280 §6.1.3 (a)(2)",
      advisory: true,
      notAfter: formatInstant(target.notAfter),
      chainStopsWorking: first.notAfter,
      issuers: early,
      subject: target.subject,
    },
    "warning",
  );
}
