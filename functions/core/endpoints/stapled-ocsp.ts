/**
 * The OCSP response a server staples to its handshake (RFC 6066 §8), judged as a client that
 * checks staples does: parsed with the RFC 6960 schema (@peculiar/asn1-ocsp), the single response
 * for the served certificate found by its CertID (issuer name and key hashes, serial), the
 * signature verified with the issuer's key or with a delegated responder's certificate that the
 * issuer signed for id-kp-OCSPSigning (RFC 6960 §4.2.2.2), and thisUpdate/nextUpdate held against
 * the clock (RFC 6960 §4.2.2.1).
 *
 * `revoked`: a verified response says the certificate is revoked (critical: clients that check,
 * Firefox among them, refuse the connection). `ocsp-staple`: the response cannot be used (not
 * successful, not for this certificate, a bad signature, status unknown — major: Firefox refuses a
 * stapled response it cannot verify), is stale or not yet valid (minor), or a must-staple
 * certificate (TLS feature extension, RFC 7633) came without one (major: clients that honour the
 * extension refuse the connection).
 */
import { createHash, constants as cryptoConstants, type KeyObject, verify } from "node:crypto";
import {
  BasicOCSPResponse,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  OCSPResponse,
  OCSPResponseStatus,
  type SingleResponse,
} from "@peculiar/asn1-ocsp";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
import { Certificate, type CRLReason, CRLReasons } from "@peculiar/asn1-x509";
import { type ParsedCertificate, parseCertificate } from "../certificates/certificate";
import { describeCertificate, formatInstant, makeFinding } from "../certificates/checks/finding";
import { childrenOf, contentOf, decodeBer, tagOf } from "../certificates/formats/ber";
import { describeSignatureAlgorithm } from "../certificates/key-algorithms";
import type { Finding, Severity } from "../contracts";
import { describeCause } from "../errors";

/** `tls.ocsp` in probe output: what the staple said and whether it can be believed. */
export interface OcspReport {
  stapled: boolean;
  /** The certificate carries the TLS feature extension asking for a staple (RFC 7633). */
  mustStaple: boolean;
  /** What the response says about the served certificate, when it holds a status for it. */
  status?: "good" | "revoked" | "unknown";
  producedAt?: string;
  thisUpdate?: string;
  /** Absent when the responder gave none (RFC 6960 §2.4: newer information is always available). */
  nextUpdate?: string;
  revokedAt?: string;
  revocationReason?: string;
  /** Who signed it: the certificate's issuer, or a responder the issuer delegated to. */
  signedBy?: "issuer" | "delegated-responder";
  /** `unverified` when the issuer's certificate was neither sent nor among the trust anchors. */
  signature?: "valid" | "invalid" | "unverified";
  /** Why the response cannot be used, when it cannot. */
  problem?: string;
}

export interface StapleJudgement {
  report: OcspReport;
  findings: Finding[];
}

const TLS_FEATURE = "1.3.6.1.5.5.7.1.24";
/** status_request in the TLS feature extension: the certificate must come with a staple. */
const STATUS_REQUEST = 5;
const HASHES: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
/** Responder certificates looked at in one response; CAs send one. */
const MAX_RESPONDER_CERTIFICATES = 4;

export interface StapleInput {
  /** Where findings go: the endpoint's served certificate (`…#0`). */
  leaf: ParsedCertificate;
  /** The certificate that issued the leaf, from what was sent or the trust anchors. */
  issuer: ParsedCertificate | undefined;
  response: Uint8Array | undefined;
  now: Date;
  skewSeconds: number;
}

export function judgeStaple(input: StapleInput): StapleJudgement {
  const mustStaple = isMustStaple(input.leaf);
  if (!input.response) {
    const report: OcspReport = { stapled: false, mustStaple };
    if (!mustStaple) return { report, findings: [] };
    return {
      report: { ...report, problem: "no OCSP response stapled to a must-staple certificate" },
      findings: [
        stapleFinding(
          input.leaf,
          `Certificate ${describeCertificate(input.leaf)} requires a stapled OCSP response (TLS feature "status_request", RFC 7633) and the server sent none: clients that honour the extension (Firefox) refuse the connection. Turn on OCSP stapling in the service (nginx ssl_stapling on, Apache SSLUseStapling on, HAProxy an .ocsp file beside the certificate) and check it can reach the CA's responder, or re-issue the certificate without must-staple.`,
          "missing",
          "major",
        ),
      ],
    };
  }
  const parsed = parseStaple(input.response);
  if ("problem" in parsed) return unusable(input, { stapled: true, mustStaple }, parsed.problem, "malformed");
  const { basic } = parsed;
  const report: OcspReport = {
    stapled: true,
    mustStaple,
    producedAt: formatInstant(basic.tbsResponseData.producedAt),
  };
  const single = input.issuer
    ? basic.tbsResponseData.responses.find((r) => certIdMatches(r, input.leaf, input.issuer!))
    : basic.tbsResponseData.responses.find((r) => sameSerial(r, input.leaf));
  if (!single)
    return unusable(
      input,
      report,
      `it holds no status for this certificate (serial ${input.leaf.serialNumber}); the server staples a response for another certificate`,
      "other-certificate",
    );
  Object.assign(report, statusOf(single));
  if (!input.issuer) {
    report.signature = "unverified";
    return {
      report: {
        ...report,
        problem: "the issuer's certificate was not sent, so the signature cannot be checked",
      },
      findings: [],
    };
  }
  const signature = verifyResponse(basic, parsed.tbs, input.issuer, input.now);
  report.signature = signature.valid ? "valid" : "invalid";
  if (signature.signedBy) report.signedBy = signature.signedBy;
  if (!signature.valid) return unusable(input, report, signature.problem, "bad-signature");

  const now = input.now.getTime();
  const skew = input.skewSeconds * 1000;
  if (single.certStatus.revoked) {
    return { report, findings: [revokedFinding(input.leaf, report)] };
  }
  if (single.certStatus.unknown !== undefined)
    return unusable(
      input,
      report,
      "the responder says it does not know this certificate (status unknown)",
      "status-unknown",
    );
  if (single.thisUpdate.getTime() > now + skew)
    return unusable(
      input,
      report,
      `it is not valid yet (thisUpdate ${report.thisUpdate}); check the clocks of the server and the responder`,
      "not-yet-valid",
      "minor",
    );
  if (single.nextUpdate && single.nextUpdate.getTime() < now - skew)
    return unusable(
      input,
      report,
      `it is stale: nextUpdate ${report.nextUpdate} has passed, the server keeps stapling an old response instead of fetching a new one`,
      "stale",
      "minor",
    );
  return { report, findings: [] };
}

function unusable(
  input: StapleInput,
  report: OcspReport,
  problem: string,
  reason: string,
  severity: Severity = "major",
): StapleJudgement {
  // A must-staple certificate has no usable staple at all: clients that honour it refuse.
  const worst: Severity = isMustStaple(input.leaf) ? "major" : severity;
  const consequence =
    worst === "major"
      ? "clients that check stapled responses (Firefox) refuse the connection"
      : "clients that check stapled responses ignore it and may refuse the connection";
  return {
    report: { ...report, problem },
    findings: [
      stapleFinding(
        input.leaf,
        `The OCSP response stapled for certificate ${describeCertificate(input.leaf)} cannot be used: ${problem}; ${consequence}. Check the service's stapling (its cached response file, its access to the CA's OCSP responder, its clock), then reload it.`,
        reason,
        worst,
        report,
      ),
    ],
  };
}

function stapleFinding(
  leaf: ParsedCertificate,
  message: string,
  reason: string,
  severity: Severity,
  report?: OcspReport,
): Finding {
  return makeFinding(
    "ocsp-staple",
    leaf.source,
    message,
    { reason, subject: leaf.subject, serialNumber: leaf.serialNumber, ...(report ? { ocsp: report } : {}) },
    severity,
  );
}

function revokedFinding(leaf: ParsedCertificate, report: OcspReport): Finding {
  const reason = report.revocationReason ? ` (reason: ${report.revocationReason})` : "";
  return makeFinding(
    "revoked",
    leaf.source,
    `Certificate ${describeCertificate(leaf)} (serial ${leaf.serialNumber}) is revoked: the OCSP response the server staples, signed by ${report.signedBy === "issuer" ? "its issuer" : "its issuer's delegated responder"}, says so since ${report.revokedAt}${reason}. Clients that check revocation refuse it. Install a newly issued certificate and key on the service and reload it; if the key may be compromised, find out how.`,
    {
      reason: "revoked",
      subject: leaf.subject,
      serialNumber: leaf.serialNumber,
      revokedAt: report.revokedAt,
      ...(report.revocationReason ? { revocationReason: report.revocationReason } : {}),
      ocsp: report,
    },
  );
}

type Parsed = { basic: BasicOCSPResponse; tbs: Uint8Array } | { problem: string };

function parseStaple(bytes: Uint8Array): Parsed {
  let response: OCSPResponse;
  try {
    response = AsnParser.parse(bytes, OCSPResponse);
  } catch (error) {
    return { problem: `it is not an OCSP response (${describeCause(error)})` };
  }
  if (response.responseStatus !== OCSPResponseStatus.successful)
    return {
      problem: `the responder's answer is "${OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}", not a status`,
    };
  const bytesField = response.responseBytes;
  if (!bytesField || bytesField.responseType !== id_pkix_ocsp_basic)
    return { problem: "it is not a basic OCSP response (RFC 6960 §4.2.1)" };
  try {
    const basic = AsnParser.parse(bytesField.response.buffer, BasicOCSPResponse);
    if (!basic.tbsResponseDataRaw) return { problem: "its signed part cannot be located" };
    return { basic, tbs: new Uint8Array(basic.tbsResponseDataRaw) };
  } catch (error) {
    return { problem: `its basic response is malformed (${describeCause(error)})` };
  }
}

function statusOf(single: SingleResponse): Partial<OcspReport> {
  const status: Partial<OcspReport> = {
    status: single.certStatus.revoked
      ? "revoked"
      : single.certStatus.unknown !== undefined
        ? "unknown"
        : "good",
    thisUpdate: formatInstant(single.thisUpdate),
    ...(single.nextUpdate ? { nextUpdate: formatInstant(single.nextUpdate) } : {}),
  };
  const revoked = single.certStatus.revoked;
  if (revoked) {
    status.revokedAt = formatInstant(revoked.revocationTime);
    if (revoked.revocationReason) status.revocationReason = reasonName(revoked.revocationReason);
  }
  return status;
}

function reasonName(reason: CRLReason): string {
  return CRLReasons[reason.reason] ?? String(reason.reason);
}

/** The CertID names the certificate: issuer name and key hashed as it says, and the serial (RFC 6960 §4.1.1). */
function certIdMatches(single: SingleResponse, leaf: ParsedCertificate, issuer: ParsedCertificate): boolean {
  const id = single.certID;
  const hash = HASHES[id.hashAlgorithm.algorithm];
  if (!hash || !sameSerial(single, leaf)) return false;
  const issuerCert = AsnConvert.parse(issuer.der, Certificate).tbsCertificate;
  const nameHash = createHash(hash)
    .update(new Uint8Array(AsnConvert.serialize(issuerCert.subject)))
    .digest();
  const keyHash = createHash(hash)
    .update(new Uint8Array(issuerCert.subjectPublicKeyInfo.subjectPublicKey))
    .digest();
  return (
    nameHash.equals(new Uint8Array(id.issuerNameHash.buffer)) &&
    keyHash.equals(new Uint8Array(id.issuerKeyHash.buffer))
  );
}

function sameSerial(single: SingleResponse, leaf: ParsedCertificate): boolean {
  const serial = AsnConvert.parse(leaf.der, Certificate).tbsCertificate.serialNumber;
  return integerBytes(single.certID.serialNumber).equals(integerBytes(serial));
}

function integerBytes(value: ArrayBuffer): Buffer {
  const bytes = Buffer.from(value);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  return bytes.subarray(start);
}

type SignatureCheck =
  | { valid: true; signedBy: "issuer" | "delegated-responder" }
  | { valid: false; signedBy?: "issuer" | "delegated-responder"; problem: string };

/**
 * RFC 6960 §4.2.2.2: the response is signed by the issuer itself, or by a responder certificate
 * the issuer signed that carries id-kp-OCSPSigning in its extended key usage.
 */
function verifyResponse(
  basic: BasicOCSPResponse,
  tbs: Uint8Array,
  issuer: ParsedCertificate,
  now: Date,
): SignatureCheck {
  const signature = new Uint8Array(basic.signature);
  const algorithm = basic.signatureAlgorithm;
  if (issuer.key && signatureVerifies(tbs, signature, algorithm, issuer.key))
    return { valid: true, signedBy: "issuer" };
  const responders = (basic.certs ?? []).slice(0, MAX_RESPONDER_CERTIFICATES);
  for (const [index, certificate] of responders.entries()) {
    let responder: ParsedCertificate;
    try {
      responder = parseCertificate(
        new Uint8Array(AsnConvert.serialize(certificate)),
        "ocsp-responder",
        index,
      );
    } catch {
      continue;
    }
    if (!responder.key || !signatureVerifies(tbs, signature, algorithm, responder.key)) continue;
    const signedByIssuer = issuer.key !== undefined && verifiesWith(responder, issuer.key);
    if (!signedByIssuer)
      return {
        valid: false,
        signedBy: "delegated-responder",
        problem: `it is signed by ${describeCertificate(responder)}, which the certificate's issuer did not sign`,
      };
    if (!responder.profile.extKeyUsage?.purposes.includes(id_kp_OCSPSigning))
      return {
        valid: false,
        signedBy: "delegated-responder",
        problem: `it is signed by ${describeCertificate(responder)}, which the issuer did not authorise for OCSP signing (no id-kp-OCSPSigning, RFC 6960 §4.2.2.2)`,
      };
    if (responder.notAfter.getTime() < now.getTime() || responder.notBefore.getTime() > now.getTime())
      return {
        valid: false,
        signedBy: "delegated-responder",
        problem: `its responder certificate ${describeCertificate(responder)} is outside its validity (${formatInstant(responder.notBefore)} to ${formatInstant(responder.notAfter)})`,
      };
    return { valid: true, signedBy: "delegated-responder" };
  }
  return {
    valid: false,
    problem: `its signature does not verify with the key of the issuer ${describeCertificate(issuer)} nor of any responder certificate it carries`,
  };
}

function verifiesWith(certificate: ParsedCertificate, key: KeyObject): boolean {
  try {
    return certificate.node.verify(key);
  } catch {
    return false;
  }
}

function signatureVerifies(
  data: Uint8Array,
  signature: Uint8Array,
  algorithm: Parameters<typeof describeSignatureAlgorithm>[0],
  key: KeyObject,
): boolean {
  const described = describeSignatureAlgorithm(algorithm);
  const eddsa = described.name === "Ed25519" || described.name === "Ed448";
  if (!eddsa && !described.hash) return false;
  try {
    const pss = described.name === "RSASSA-PSS";
    return verify(
      eddsa ? null : described.hash!,
      data,
      pss
        ? {
            key,
            padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
            saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO,
          }
        : { key, dsaEncoding: "der" },
      signature,
    );
  } catch {
    return false;
  }
}

/** RFC 7633: a TLS feature extension listing status_request (5). */
export function isMustStaple(certificate: ParsedCertificate): boolean {
  if (!certificate.profile.extensions.some((e) => e.oid === TLS_FEATURE)) return false;
  try {
    const extension = AsnConvert.parse(certificate.der, Certificate).tbsCertificate.extensions?.find(
      (e) => e.extnID === TLS_FEATURE,
    );
    if (!extension) return false;
    // Features ::= SEQUENCE OF INTEGER
    const decoded = decodeBer(new Uint8Array(extension.extnValue.buffer));
    if ("error" in decoded) return false;
    return (childrenOf(decoded.element) ?? []).some((feature) => {
      const value = contentOf(feature);
      return tagOf(feature).tagNumber === 2 && value.length === 1 && value[0] === STATUS_REQUEST;
    });
  } catch {
    return false;
  }
}
