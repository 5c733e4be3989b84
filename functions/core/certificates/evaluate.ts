/**
 * Judges the certificates of one file, bundle or presented chain and returns the findings, in a
 * deterministic order (source, then check, then message). Invariant relied on by the alarm
 * lifecycle: at most one finding per (source, check), so a fault maps to one alarm.
 */
import type { Finding, UnreadableReason } from "../contracts";
import { annotateCaFindings } from "./ca-lifecycle";
import type { ParsedCertificate } from "./certificate";
import { chainFindingsOf, verifyChains } from "./checks/chain";
import { endCertificates } from "./checks/end-certificates";
import { compareFindings, makeFinding } from "./checks/finding";
import { checkHostname } from "./checks/hostname";
import { checkValidity } from "./checks/validity";
import { checkWeakCrypto } from "./checks/weak-crypto";
import { type CertificateFacts, factsOf } from "./facts";
import type { Purpose } from "./path/rules";

export interface EvaluationPolicy {
  now: Date;
  /** Days left at or below which `expiring` is raised as minor (default 30). */
  warnDays: number;
  /** Days left at or below which `expiring` is raised as major (default 7). */
  majorDays: number;
  /** A notBefore later than now + skew is `not-yet-valid` (default 300 s). */
  skewSeconds: number;
  /** Names or IP addresses every end-entity certificate must cover. */
  expectedHosts?: string[];
  /** CA bundle to chain to; absent means no chain check. */
  trustAnchors?: ParsedCertificate[];
  /**
   * What end-entity certificates must be fit for: a TLS `server` (extendedKeyUsage serverAuth, a
   * subjectAltName), a TLS `client`, or `any` use. Default: `server` when names are expected.
   */
  purpose?: Purpose;
  /** The certificates are a chain a TLS peer presented: the first is the one to verify. */
  presentedChain?: boolean;
  /** Most intermediates allowed between a certificate and its trust anchor (default: 8). */
  maxIntermediates?: number;
}

/** The purpose certificates are checked for under a policy (see EvaluationPolicy.purpose). */
export function purposeOf(policy: Pick<EvaluationPolicy, "purpose" | "expectedHosts">): Purpose {
  return policy.purpose ?? ((policy.expectedHosts?.length ?? 0) > 0 ? "server" : "any");
}

export const DEFAULT_POLICY: Omit<EvaluationPolicy, "now"> = {
  warnDays: 30,
  majorDays: 7,
  skewSeconds: 300,
};

export function evaluateCertificates(certs: ParsedCertificate[], policy: EvaluationPolicy): Finding[] {
  return judgeCertificates(certs, policy).findings;
}

export interface Judgement {
  facts: CertificateFacts[];
  /** Every finding, sorted. */
  findings: Finding[];
  /**
   * The chain findings alone: they depend on the trust anchors and on signatures, not on the
   * facts, so an incremental scan keeps them (see inventory.ts) instead of re-verifying.
   */
  chainFindings: Finding[];
}

export function judgeCertificates(certs: ParsedCertificate[], policy: EvaluationPolicy): Judgement {
  const facts = certs.map(factsOf);
  let chainFindings: Finding[] = [];
  if (policy.trustAnchors) {
    const options = { ...policy, purpose: purposeOf(policy) };
    const verdicts = verifyChains(certs, policy.trustAnchors, options);
    chainFindings = chainFindingsOf(verdicts, policy.trustAnchors.length, options);
    // What each verified certificate's path goes through, for counting what a CA takes down.
    for (const { target, result } of verdicts) {
      const fact = facts[certs.indexOf(target)];
      const path = result.path ?? result.reached ?? [target];
      if (fact) fact.chainedThrough = path.slice(1).map((issuer) => issuer.sha256);
    }
  }
  chainFindings = noteCertificates(chainFindings, facts);
  return {
    facts,
    findings: [...judgeFacts(facts, policy), ...chainFindings].sort(compareFindings),
    chainFindings,
  };
}

/**
 * A finding about one certificate says which (its SHA-256: the same certificate in several files is
 * one fault, run-findings.ts) and, from a keystore, the entry's alias, which a person looks for.
 */
function noteCertificates(findings: Finding[], facts: readonly CertificateFacts[]): Finding[] {
  const bySource = new Map(facts.map((f) => [f.source, f]));
  return findings.map((finding) => {
    const cert = bySource.get(finding.source);
    if (!cert) return finding;
    const alias = cert.entry?.alias;
    return {
      ...finding,
      details: { ...finding.details, sha256: cert.sha256, ...(alias !== undefined ? { alias } : {}) },
    };
  });
}

/**
 * The checks that need only the facts: validity against `now`, the expected names of the end
 * certificates (checks/end-certificates.ts), weak crypto.
 */
export function judgeFacts(facts: readonly CertificateFacts[], policy: EvaluationPolicy): Finding[] {
  assertPolicy(policy);
  const validity: Finding[] = [];
  for (const cert of facts) validity.push(...checkValidity(cert, policy));
  // A CA certificate's expiry counts what chains through it, or says that nothing does.
  const findings: Finding[] = annotateCaFindings(validity, facts);
  for (const cert of endCertificates(facts, policy.presentedChain ?? false)) {
    const mismatch = checkHostname(cert, policy.expectedHosts ?? []);
    if (mismatch) findings.push(mismatch);
  }
  for (const cert of facts) {
    const weak = checkWeakCrypto(cert);
    if (weak) findings.push(weak);
  }
  return noteCertificates(findings, facts);
}

const UNREADABLE_TEXT: Record<UnreadableReason, (source: string) => string> = {
  empty: (source) => `Certificate file ${source} is empty, so there is no certificate to check`,
  "bad-pem": (source) => `Certificate file ${source} is not valid PEM`,
  "bad-der": (source) => `Certificate file ${source} does not hold a valid DER-encoded certificate`,
  "bad-password": (source) => `Certificate file ${source} cannot be opened with the configured password`,
  "bad-keystore": (source) => `Java keystore ${source} is damaged`,
  "unsupported-format": (source) => `Certificate file ${source} is in a format watchpost does not read`,
  "too-large": (source) => `Certificate file ${source} is too large to be a certificate file`,
  "io-error": (source) => `Certificate file ${source} could not be read`,
  timeout: (source) => `Endpoint ${source} did not present a certificate in time`,
  unreachable: (source) => `Endpoint ${source} cannot be reached, so its certificate cannot be checked`,
  "not-tls": (source) => `Endpoint ${source} answers, but is not speaking TLS`,
  "handshake-failed": (source) => `Endpoint ${source} speaks TLS but refused the handshake`,
};

const UNREADABLE_ADVICE = "Whatever uses it cannot load a certificate either; fix or replace it.";
const ENDPOINT_ADVICE: Partial<Record<UnreadableReason, string>> = {
  timeout:
    "Check that the service runs and that this network may reach it (routes, security groups, firewalls).",
  unreachable:
    "Check that the service runs and that this network may reach it (routes, security groups, firewalls).",
  "not-tls":
    "Check that the port and the STARTTLS setting are right, and that the service has TLS enabled; reload or restart it after changing its TLS configuration.",
  "handshake-failed":
    "Check the service's TLS configuration (protocol versions, ciphers, the SNI name it expects), then reload or restart it.",
};

export function unreadableFinding(source: string, reason: UnreadableReason, detail: string): Finding {
  const explanation = detail.trim() === "" ? "" : ` (${detail.trim()})`;
  return makeFinding(
    "unreadable",
    source,
    `${UNREADABLE_TEXT[reason](source)}${explanation}. ${ENDPOINT_ADVICE[reason] ?? UNREADABLE_ADVICE}`,
    { reason, detail },
  );
}

function assertPolicy(policy: EvaluationPolicy): void {
  const numbers = { warnDays: policy.warnDays, majorDays: policy.majorDays, skewSeconds: policy.skewSeconds };
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`evaluation policy: ${name} must be a number ≥ 0, got ${value}`);
  }
  if (Number.isNaN(policy.now.getTime())) throw new Error("evaluation policy: now is not a valid date");
}
