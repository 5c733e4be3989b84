/**
 * One parsed X.509 certificate, described once so every check reads the same facts.
 * Parsing is done by well-kept libraries: @peculiar/x509 / @peculiar/asn1-x509 for the ASN.1
 * structure, node:crypto for the public key and signature verification.
 */
import "reflect-metadata";
import { createHash, X509Certificate as NodeX509 } from "node:crypto";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate as AsnCertificate } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import type { CertificateSummary } from "../contracts";

export interface PublicKeyInfo {
  /** Lower-case key type as node:crypto names it: rsa, rsa-pss, ec, ed25519, ed448, dsa, or unknown. */
  type: string;
  /** Modulus length for RSA/DSA, curve order size for EC, nominal size for EdDSA. */
  bits?: number;
  curve?: string;
}

export interface SignatureAlgorithmInfo {
  oid: string;
  /** Readable name such as sha256WithRSAEncryption; the OID when unknown. */
  name: string;
  /** Digest used, lower case (md5, sha1, sha256, ...), when the algorithm fixes one. */
  hash?: string;
}

export interface ParsedCertificate {
  /** `<file>#<index>` as used in reports and alarm fingerprints. */
  source: string;
  file: string;
  index: number;
  der: Uint8Array<ArrayBuffer>;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  sha256: string;
  /** Subject common names (there may be several, or none). */
  commonNames: string[];
  dnsNames: string[];
  ipAddresses: string[];
  /** Subject / authority key identifiers (lower-case hex), hints for finding a certificate's issuer. */
  subjectKeyId?: string;
  authorityKeyId?: string;
  /** basicConstraints cA=TRUE. */
  isCA: boolean;
  /** Subject and issuer names are identical (a root or a self-signed leaf). */
  selfIssued: boolean;
  publicKey: PublicKeyInfo;
  signatureAlgorithm: SignatureAlgorithmInfo;
  /** node:crypto view, used to verify signatures along a chain. */
  node: NodeX509;
}

const SIGNATURE_ALGORITHMS: Record<string, { name: string; hash?: string }> = {
  "1.2.840.113549.1.1.2": { name: "md2WithRSAEncryption", hash: "md2" },
  "1.2.840.113549.1.1.3": { name: "md4WithRSAEncryption", hash: "md4" },
  "1.2.840.113549.1.1.4": { name: "md5WithRSAEncryption", hash: "md5" },
  "1.2.840.113549.1.1.5": { name: "sha1WithRSAEncryption", hash: "sha1" },
  "1.2.840.113549.1.1.10": { name: "RSASSA-PSS" },
  "1.2.840.113549.1.1.11": { name: "sha256WithRSAEncryption", hash: "sha256" },
  "1.2.840.113549.1.1.12": { name: "sha384WithRSAEncryption", hash: "sha384" },
  "1.2.840.113549.1.1.13": { name: "sha512WithRSAEncryption", hash: "sha512" },
  "1.2.840.113549.1.1.14": { name: "sha224WithRSAEncryption", hash: "sha224" },
  "1.2.840.10045.4.1": { name: "ecdsa-with-SHA1", hash: "sha1" },
  "1.2.840.10045.4.3.1": { name: "ecdsa-with-SHA224", hash: "sha224" },
  "1.2.840.10045.4.3.2": { name: "ecdsa-with-SHA256", hash: "sha256" },
  "1.2.840.10045.4.3.3": { name: "ecdsa-with-SHA384", hash: "sha384" },
  "1.2.840.10045.4.3.4": { name: "ecdsa-with-SHA512", hash: "sha512" },
  "1.2.840.10040.4.3": { name: "dsa-with-SHA1", hash: "sha1" },
  "2.16.840.1.101.3.4.3.2": { name: "dsa-with-SHA256", hash: "sha256" },
  "1.3.101.112": { name: "Ed25519" },
  "1.3.101.113": { name: "Ed448" },
};

const CURVE_BITS: Record<string, number> = {
  prime192v1: 192,
  secp192r1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256r1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

const HASH_OIDS: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.4": "sha224",
};

/**
 * Describes one DER-encoded certificate. Throws when the bytes are not a certificate; callers
 * (the reader) turn that into an `unreadable` finding.
 */
export function parseCertificate(input: Uint8Array, file: string, index: number): ParsedCertificate {
  // A private copy: callers may hand in a view into a larger (or shared) buffer.
  const der = new Uint8Array(input);
  const asn = AsnConvert.parse(der, AsnCertificate);
  // Built from the structure already decoded: one ASN.1 parse per certificate, not two.
  const cert = new x509.X509Certificate(asn);
  const node = new NodeX509(der);

  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.items ?? [];
  const basic = cert.getExtension(x509.BasicConstraintsExtension);

  return {
    source: `${file}#${index}`,
    file,
    index,
    der,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber.toUpperCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    sha256: createHash("sha256").update(der).digest("hex"),
    commonNames: cert.subjectName.getField("CN"),
    dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === "ip").map((n) => n.value),
    ...keyIdentifiers(cert),
    isCA: basic?.ca ?? false,
    selfIssued: Buffer.from(AsnConvert.serialize(asn.tbsCertificate.subject)).equals(
      Buffer.from(AsnConvert.serialize(asn.tbsCertificate.issuer)),
    ),
    publicKey: describePublicKey(node),
    signatureAlgorithm: describeSignatureAlgorithm(asn),
    node,
  };
}

function keyIdentifiers(
  cert: x509.X509Certificate,
): Pick<ParsedCertificate, "subjectKeyId" | "authorityKeyId"> {
  try {
    return {
      subjectKeyId: cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId?.toLowerCase(),
      authorityKeyId: cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase(),
    };
  } catch {
    // A malformed key identifier only costs the chain search its ordering hint.
    return {};
  }
}

function describePublicKey(node: NodeX509): PublicKeyInfo {
  try {
    const key = node.publicKey;
    const type = key.asymmetricKeyType ?? "unknown";
    const details = key.asymmetricKeyDetails ?? {};
    if (type === "ec") {
      const curve = details.namedCurve;
      return { type, curve, bits: curve ? CURVE_BITS[curve] : undefined };
    }
    if (type === "ed25519") return { type, bits: 256 };
    if (type === "ed448") return { type, bits: 448 };
    return { type, bits: details.modulusLength };
  } catch {
    // OpenSSL refuses some keys (unknown curves, broken parameters); the weak-crypto check
    // reports an unknown key rather than the whole file becoming unreadable.
    return { type: "unknown" };
  }
}

function describeSignatureAlgorithm(asn: AsnCertificate): SignatureAlgorithmInfo {
  const oid = asn.signatureAlgorithm.algorithm;
  const known = SIGNATURE_ALGORITHMS[oid];
  if (oid === "1.2.840.113549.1.1.10") {
    return { oid, name: "RSASSA-PSS", hash: pssHash(asn) };
  }
  return { oid, name: known?.name ?? oid, hash: known?.hash };
}

function pssHash(asn: AsnCertificate): string | undefined {
  const params = asn.signatureAlgorithm.parameters;
  if (!params) return "sha1"; // RFC 4055 default hash for RSASSA-PSS
  try {
    // RSASSA-PSS-params: SEQUENCE { [0] hashAlgorithm ... }; a missing [0] means SHA-1.
    const parsed = AsnConvert.parse(params, RsaSaPssParams);
    return HASH_OIDS[parsed.hashAlgorithm.algorithm] ?? parsed.hashAlgorithm.algorithm;
  } catch {
    return undefined;
  }
}

export function summarize(cert: ParsedCertificate, now: Date): CertificateSummary {
  return {
    source: cert.source,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    daysLeft: daysBetween(now, cert.notAfter),
    sha256: cert.sha256,
  };
}

const DAY_MS = 86_400_000;

/** Days from `now` to `until`, one decimal, negative once past. */
export function daysBetween(now: Date, until: Date): number {
  return Math.floor(((until.getTime() - now.getTime()) / DAY_MS) * 10) / 10;
}
