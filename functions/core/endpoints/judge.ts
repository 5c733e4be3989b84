/**
 * The chain a live endpoint presented, judged with the same engine as stored certificates: the
 * first certificate is the endpoint's own (RFC 8446 §4.4.2), whatever its flags. Shared by
 * `watchpost probe` and the deployed endpoint scan.
 */
import { type ParsedCertificate, parseCertificate } from "../certificates/certificate";
import { type EvaluationPolicy, evaluateCertificates, unreadableFinding } from "../certificates/evaluate";
import type { Finding } from "../contracts";
import { describeCause } from "../errors";

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
