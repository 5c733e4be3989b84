/**
 * The chain a live endpoint presented, judged with the same engine as stored certificates: the
 * first certificate is the endpoint's own (RFC 8446 §4.4.2), whatever its flags. Shared by
 * `watchpost probe` and the deployed endpoint scan. `judgeEndpoint` adds what only a live endpoint
 * shows: the chain as sent (served-chain.ts), its stapled OCSP response (stapled-ocsp.ts) and the
 * protocol version it speaks.
 */
import { type ParsedCertificate, parseCertificate } from "../certificates/certificate";
import { compareFindings, makeFinding } from "../certificates/checks/finding";
import { type EvaluationPolicy, evaluateCertificates, unreadableFinding } from "../certificates/evaluate";
import type { CheckName, Finding } from "../contracts";
import { describeCause } from "../errors";
import type { EndpointChain, TlsDetails } from "./probe";
import { analyseSentChain, type SentChain, servedChainFinding } from "./served-chain";
import { judgeStaple, type OcspReport } from "./stapled-ocsp";

export interface PresentedJudgement {
  certificates: ParsedCertificate[];
  findings: Finding[];
}

/** `name` is how certificates are named: `<name>#<index>`. */
export function judgePresentedChain(
  name: string,
  presented: readonly Uint8Array[],
  policy: Omit<EvaluationPolicy, "presentedChain">,
): PresentedJudgement {
  const certificates: ParsedCertificate[] = [];
  const findings: Finding[] = [];
  if (presented.length === 0) {
    findings.push(
      unreadableFinding(name, "empty", "the endpoint completed the handshake without a certificate"),
    );
    return { certificates, findings };
  }
  for (const [index, der] of presented.entries()) {
    try {
      certificates.push(parseCertificate(der, name, index));
    } catch (cause) {
      findings.push(
        unreadableFinding(
          `${name}#${index}`,
          "bad-der",
          `presented certificate ${index}: ${describeCause(cause)}`,
        ),
      );
    }
  }
  findings.push(...evaluateCertificates(certificates, { ...policy, presentedChain: true }));
  return { certificates, findings };
}

export interface EndpointJudgement extends PresentedJudgement {
  /** What the stapled OCSP response said (`tls.ocsp` in probe output). */
  ocsp: OcspReport;
  /** Checks that could not be made from what was seen: their alarms stand. */
  unexamined: CheckName[];
}

type Presented = Extract<EndpointChain, { ok: true }>;

/** TLS versions RFC 8996 deprecates, and SSL 3.0 (RFC 7568). */
const OBSOLETE_PROTOCOLS = new Set(["SSLv3", "TLSv1", "TLSv1.1"]);

/**
 * Everything a probe of an endpoint that answered says. `name` is the connection's source (the
 * served-chain and weak-protocol findings are about it); certificates are `<name>#<index>`.
 */
export function judgeEndpoint(
  name: string,
  presented: Presented,
  policy: Omit<EvaluationPolicy, "presentedChain">,
): EndpointJudgement {
  const judged = judgePresentedChain(name, presented.certificates, policy);
  const findings = [...judged.findings];
  const unexamined: CheckName[] = [];
  const anchors = policy.trustAnchors ?? [];
  const leaf = judged.certificates.find((cert) => cert.index === 0);

  const count = presented.certificates.length;
  const chain = analyseSentChain(judged.certificates, count, anchors);
  if (presented.tls?.sentChainUnread) unexamined.push("served-chain");
  else {
    const finding = servedChainFinding(name, judged.certificates, count, chain);
    if (finding) findings.push(finding);
  }

  let ocsp: OcspReport = { stapled: presented.ocspResponse !== undefined, mustStaple: false };
  if (leaf) {
    const staple = judgeStaple({
      leaf,
      issuer: issuerOf(judged.certificates, chain),
      response: presented.ocspResponse,
      now: policy.now,
      skewSeconds: policy.skewSeconds,
    });
    ocsp = staple.report;
    findings.push(...staple.findings);
    // Only a verified response says whether the certificate is revoked; without one, that stands.
    if (staple.report.signature !== "valid") unexamined.push("revoked");
  } else {
    unexamined.push("revoked", "ocsp-staple");
  }

  const weak = presented.tls ? weakProtocolFinding(name, presented.tls) : undefined;
  if (weak) findings.push(weak);
  if (!presented.tls?.protocol) unexamined.push("weak-protocol");

  return { certificates: judged.certificates, findings: findings.sort(compareFindings), ocsp, unexamined };
}

/** The leaf's issuer: the sent certificate that signed it, else the trust anchor that did. */
function issuerOf(sent: readonly ParsedCertificate[], chain: SentChain): ParsedCertificate | undefined {
  const next = chain.path[1];
  if (next !== undefined) return sent.find((cert) => cert.index === next);
  return chain.anchor;
}

function weakProtocolFinding(name: string, tls: TlsDetails): Finding | undefined {
  if (!tls.protocol || !OBSOLETE_PROTOCOLS.has(tls.protocol)) return undefined;
  const refused = tls.legacyOnly
    ? "it refused a handshake offering TLS 1.2 and 1.3, and answered only when TLS 1.0 and 1.1 were allowed"
    : `it chose ${tls.protocol}`;
  return makeFinding(
    "weak-protocol",
    name,
    `Endpoint ${name} speaks only ${tls.protocol}: ${refused} (RFC 8996 deprecates TLS 1.0 and 1.1). Current clients refuse it by default — browsers, OpenSSL 3 at its default security level, Java 16 and later, Node.js, Go. Allow TLS 1.2 and 1.3 in the service, or upgrade it, then reload it.`,
    { reason: "obsolete-protocol", protocol: tls.protocol, ...(tls.cipher ? { cipher: tls.cipher } : {}) },
  );
}
