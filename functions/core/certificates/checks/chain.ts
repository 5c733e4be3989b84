/**
 * `untrusted-chain`: can each end-entity certificate be traced, through the intermediates found
 * in the same input, to one of the trusted CA certificates (the anchors)?
 *
 * Path building is a depth-first search: a candidate issuer has the child's issuer name as its
 * subject (candidates whose subject key identifier equals the child's authority key identifier
 * are tried first, anchors before intermediates), its signature over the child must verify with
 * node:crypto, an intermediate must be a CA, and every issuer must be valid now. The first
 * complete path wins, so intermediates may come in any order and stale duplicates are skipped.
 * When no path exists, the failure that got furthest up the chain is reported, naming the link.
 * The checked certificate's own validity is not part of this check: `expired`/`not-yet-valid`
 * already report it, and one fault should raise one alarm.
 *
 * A chain whose CA certificates expire before the end-entity certificate is reported as an
 * `untrusted-chain` finding with severity `warning` (reason `issuer-expires-before-certificate`):
 * it is a property of the chain, not of the certificate's own lifetime, so `expiring` would send
 * operators to renew the wrong file, and nothing is broken yet. The CA certificate's own expiry
 * still raises `expiring`/`expired` on that certificate when it is part of the input. Differences
 * under a day are ignored: a CA and its first leaves are often minted in one run with the same
 * lifetime, and a chain that dies hours before the leaf is caught by the leaf's own (by then
 * major) `expiring` alarm.
 */
import type { Finding } from "../../contracts";
import type { ParsedCertificate } from "../certificate";
import { describeCertificate, formatInstant, makeFinding } from "./finding";

/** Longest path accepted, anchor included; real chains have three or four links. */
export const MAX_CHAIN_LENGTH = 10;
/** Signature verifications one search may spend, so crafted bundles cannot make it explode. */
const VERIFY_BUDGET = 500;
const EARLY_EXPIRY_TOLERANCE_MS = 86_400_000;

export type ChainFailureReason =
  | "no-issuer"
  | "self-signed-untrusted"
  | "bad-signature"
  | "issuer-not-ca"
  | "issuer-expired"
  | "issuer-not-yet-valid"
  | "chain-too-long";

export interface ChainFailure {
  reason: ChainFailureReason;
  /** Position in the path of the certificate the problem is about; 0 is the checked certificate. */
  linkIndex: number;
  linkSubject: string;
  linkSource: string;
  /** Subjects from the checked certificate up to the failing link. */
  path: string[];
  /** Sentence for the message. */
  text: string;
}

export type ChainOutcome =
  | { trusted: true; path: ParsedCertificate[] }
  | { trusted: false; failure: ChainFailure };

export interface ChainOptions {
  now: Date;
  skewSeconds: number;
}

export function checkChains(
  certs: readonly ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  options: ChainOptions,
): Finding[] {
  const anchorHashes = new Set(anchors.map((anchor) => anchor.sha256));
  const endEntities = certs.filter((cert) => !cert.isCA);
  // A CA bundle has no end-entity: then each CA that is not itself an anchor must chain to one.
  const targets =
    endEntities.length > 0 ? endEntities : certs.filter((cert) => !anchorHashes.has(cert.sha256));
  const findings: Finding[] = [];
  for (const target of targets) {
    const outcome = buildPath(target, certs, anchors, options);
    if (!outcome.trusted) {
      findings.push(untrustedFinding(target, outcome.failure, anchors.length));
      continue;
    }
    const early = earlyExpiringIssuers(outcome.path);
    if (early.length > 0) findings.push(earlyExpiryFinding(target, early));
  }
  return findings;
}

interface SearchContext extends ChainOptions {
  intermediates: ParsedCertificate[];
  anchors: readonly ParsedCertificate[];
  anchorHashes: Set<string>;
  verified: Map<string, boolean>;
  budget: number;
}

export function buildPath(
  target: ParsedCertificate,
  pool: readonly ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  options: ChainOptions,
): ChainOutcome {
  const anchorHashes = new Set(anchors.map((anchor) => anchor.sha256));
  const context: SearchContext = {
    ...options,
    anchors,
    anchorHashes,
    intermediates: dedupe(pool.filter((cert) => !anchorHashes.has(cert.sha256))),
    verified: new Map(),
    budget: VERIFY_BUDGET,
  };
  return extend([target], context);
}

function extend(path: ParsedCertificate[], context: SearchContext): ChainOutcome {
  const index = path.length - 1;
  const cert = path[index]!;
  if (context.anchorHashes.has(cert.sha256)) return { trusted: true, path };

  const candidates = issuerCandidates(cert, path, context);
  if (candidates.length === 0) {
    return cert.selfIssued
      ? fail(
          "self-signed-untrusted",
          path,
          index,
          `${describeCertificate(cert)} is self-signed and is not one of the trusted CA certificates`,
        )
      : fail(
          "no-issuer",
          path,
          index,
          `no issuer found for ${describeCertificate(cert)}: no certificate named "${cert.issuer}" is among the intermediates in this input or the trusted CA certificates`,
        );
  }

  let best: ChainFailure | undefined;
  const keep = (failure: ChainFailure) => {
    if (!best || failure.linkIndex > best.linkIndex) best = failure;
  };
  for (const { issuer, isAnchor } of candidates) {
    if (context.budget <= 0) break;
    const role = isAnchor ? "trusted CA" : "intermediate";
    const next = [...path, issuer];
    if (!verifies(cert, issuer, context)) {
      keep(
        failure(
          "bad-signature",
          next,
          index,
          `the signature of ${describeCertificate(cert)} does not verify with the key of ${role} ${describeCertificate(issuer)} (${issuer.source}): it was signed by a different key that carries the same name`,
        ),
      );
      continue;
    }
    if (path.length + 1 > MAX_CHAIN_LENGTH) {
      keep(
        failure(
          "chain-too-long",
          next,
          index,
          `the chain is longer than ${MAX_CHAIN_LENGTH} certificates at ${describeCertificate(cert)}`,
        ),
      );
      continue;
    }
    if (!isAnchor && !issuer.isCA) {
      keep(
        failure(
          "issuer-not-ca",
          next,
          index + 1,
          `${describeCertificate(issuer)} (${issuer.source}) is not a CA certificate, so it cannot vouch for ${describeCertificate(cert)}`,
        ),
      );
      continue;
    }
    if (issuer.notAfter.getTime() < context.now.getTime()) {
      keep(
        failure(
          "issuer-expired",
          next,
          index + 1,
          `${role} ${describeCertificate(issuer)} (${issuer.source}) expired on ${formatInstant(issuer.notAfter)}`,
        ),
      );
      continue;
    }
    if (issuer.notBefore.getTime() > context.now.getTime() + context.skewSeconds * 1000) {
      keep(
        failure(
          "issuer-not-yet-valid",
          next,
          index + 1,
          `${role} ${describeCertificate(issuer)} (${issuer.source}) is not valid until ${formatInstant(issuer.notBefore)}`,
        ),
      );
      continue;
    }
    if (isAnchor) return { trusted: true, path: next };
    const outcome = extend(next, context);
    if (outcome.trusted) return outcome;
    keep(outcome.failure);
  }
  return {
    trusted: false,
    failure:
      best ??
      failure(
        "chain-too-long",
        path,
        index,
        `the search for an issuer of ${describeCertificate(cert)} gave up after ${VERIFY_BUDGET} signature checks`,
      ),
  };
}

function fail(
  reason: ChainFailureReason,
  path: ParsedCertificate[],
  linkIndex: number,
  text: string,
): ChainOutcome {
  return { trusted: false, failure: failure(reason, path, linkIndex, text) };
}

function failure(
  reason: ChainFailureReason,
  path: ParsedCertificate[],
  linkIndex: number,
  text: string,
): ChainFailure {
  const link = path[linkIndex]!;
  return {
    reason,
    linkIndex,
    linkSubject: link.subject,
    linkSource: link.source,
    path: path.map((cert) => cert.subject),
    text,
  };
}

function issuerCandidates(
  cert: ParsedCertificate,
  path: readonly ParsedCertificate[],
  context: SearchContext,
) {
  const onPath = new Set(path.map((link) => link.sha256));
  const wanted = normaliseName(cert.issuer);
  const authorityKeyId = cert.authorityKeyId;
  const named = [
    ...context.anchors.map((issuer) => ({ issuer, isAnchor: true })),
    ...context.intermediates.map((issuer) => ({ issuer, isAnchor: false })),
  ].filter(({ issuer }) => !onPath.has(issuer.sha256) && normaliseName(issuer.subject) === wanted);
  const keyMatches = (issuer: ParsedCertificate) =>
    authorityKeyId !== undefined && issuer.subjectKeyId === authorityKeyId;
  // Stable sort: key identifier matches first, and anchors before intermediates within each group.
  return [...named.filter((c) => keyMatches(c.issuer)), ...named.filter((c) => !keyMatches(c.issuer))];
}

function verifies(child: ParsedCertificate, issuer: ParsedCertificate, context: SearchContext): boolean {
  const key = `${child.sha256}:${issuer.sha256}`;
  const known = context.verified.get(key);
  if (known !== undefined) return known;
  context.budget -= 1;
  let result: boolean;
  try {
    result = child.node.verify(issuer.node.publicKey);
  } catch {
    // OpenSSL refuses some keys or algorithms outright; for trust that is the same as a bad signature.
    result = false;
  }
  context.verified.set(key, result);
  return result;
}

/** RFC 5280 compares names case-insensitively after folding white space; this is that, roughly. */
function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\s+/g, " ").trim();
}

function dedupe(certs: readonly ParsedCertificate[]): ParsedCertificate[] {
  const seen = new Set<string>();
  return certs.filter((cert) => !seen.has(cert.sha256) && seen.add(cert.sha256));
}

function untrustedFinding(target: ParsedCertificate, failure: ChainFailure, anchorCount: number): Finding {
  const advice =
    anchorCount === 0
      ? "No trusted CA certificate was given, so nothing can be trusted; check the CA bundle configuration."
      : ADVICE[failure.reason];
  return makeFinding(
    "untrusted-chain",
    target.source,
    `Certificate ${describeCertificate(target)} does not chain to a trusted CA: ${failure.text} (chain link ${failure.linkIndex}). ${advice}`,
    { ...factsOf(failure), subject: target.subject, anchorCount },
  );
}

function factsOf({ text: _sentence, ...facts }: ChainFailure): Omit<ChainFailure, "text"> {
  return facts;
}

const ADVICE: Record<ChainFailureReason, string> = {
  "no-issuer":
    "Add the missing intermediate CA certificate after the certificate in the file, or check that it was issued by the trusted CA.",
  "self-signed-untrusted":
    "Replace it with a certificate issued by the trusted CA, or add this certificate to the trusted CA bundle if it is meant to be trusted.",
  "bad-signature":
    "The certificate was issued by another CA that reuses the name; re-issue it from the trusted CA.",
  "issuer-not-ca": "Re-issue the certificate from a proper CA certificate.",
  "issuer-expired":
    "Renew that CA certificate (or replace it with its renewed version) and put the new one in the chain.",
  "issuer-not-yet-valid":
    "That CA certificate was issued while a clock ran ahead; re-issue it once the clock is right.",
  "chain-too-long": "Remove unrelated or cross-signed CA certificates from the file.",
};

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

function earlyExpiryFinding(target: ParsedCertificate, early: EarlyIssuer[]): Finding {
  const first = early.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
  const list = early
    .map((e) => `"${e.subject}" (chain link ${e.linkIndex}) expires on ${e.notAfter}`)
    .join(", ");
  return makeFinding(
    "untrusted-chain",
    target.source,
    `The chain of certificate ${describeCertificate(target)} stops working on ${first.notAfter}, before the certificate itself ` +
      `(valid until ${formatInstant(target.notAfter)}): ${list}. Renew the CA certificate before then, or plan to re-issue this certificate from a CA that outlives it.`,
    {
      reason: "issuer-expires-before-certificate",
      notAfter: formatInstant(target.notAfter),
      chainStopsWorking: first.notAfter,
      issuers: early,
      subject: target.subject,
    },
    "warning",
  );
}
