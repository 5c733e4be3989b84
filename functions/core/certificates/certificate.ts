/**
 * One parsed X.509 certificate, described once so every check reads the same facts.
 * Parsing is done by well-kept libraries: @peculiar/x509 / @peculiar/asn1-x509 for the ASN.1
 * structure, node:crypto for the public key and signature verification.
 */
import { createHash, X509Certificate as NodeX509 } from "node:crypto";
import { ECParameters } from "@peculiar/asn1-ecc";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
import {
  Certificate as AsnCertificate,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
} from "@peculiar/asn1-x509";
import type { CertificateSummary } from "../contracts";
import { parseValidityTime, type TimeTag } from "./formats/asn1-time";
import {
  childrenOf,
  contentOf,
  decodeBer,
  type Element,
  explainDecoderError,
  lengthInconsistency,
  parseOptionsFor,
  tagOf,
} from "./formats/ber";
import { quoted } from "./formats/read-error";
import { type CertificateProfile, profileOf } from "./path/profile";
import { COMMON_NAME, nameField, nameText } from "./x509-fields";

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
  /** What path validation reads (extensions, canonical names, algorithms), decoded once here. */
  profile: CertificateProfile;
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
 * (the reader) turn that into an `unreadable` finding. The message completes the sentence
 * "... does not hold a valid certificate: <message>".
 */
export function parseCertificate(input: Uint8Array, file: string, index: number): ParsedCertificate {
  // A private copy: callers may hand in a view into a larger (or shared) buffer.
  const der = new Uint8Array(input);
  // One ASN.1 decode per certificate; the schema mapping, the validity text and the diagnosis of
  // an encoding OpenSSL refuses all read the same tree. The caps grow with the certificate, so a
  // SAN list of thousands of names is read whole.
  const decoded = decodeBer(der);
  if ("error" in decoded) throw new Error(decoded.error);
  const inconsistency = lengthInconsistency(decoded.element);
  if (inconsistency) throw new Error(inconsistency);
  const options = parseOptionsFor(der.length);
  const asn = certificateSchema(decoded.element, options);
  const { notBefore, notAfter } = validityOf(decoded.element);
  let node: NodeX509;
  try {
    node = new NodeX509(der);
  } catch {
    // node:crypto's message is OpenSSL's last error, usually "PEM routines::no start line"
    // (it tried PEM after DER failed), which tells an operator nothing.
    throw new Error(explainRefusal(decoded.element));
  }

  // Only the extensions the checks read are decoded, each by itself and once (path/profile.ts):
  // @peculiar/x509's getExtension decodes all of them, so a malformed policy extension would cost
  // the certificate. A malformed subjectAltName or basicConstraints still does.
  const profile = profileOf(asn);
  refuseMalformed(profile, id_ce_subjectAltName, "subjectAltName");
  refuseMalformed(profile, id_ce_basicConstraints, "basicConstraints");
  const names = profile.subjectAltName;
  const isCA = profile.basicConstraints?.cA ?? false;

  return {
    source: `${file}#${index}`,
    file,
    index,
    der,
    subject: nameText(asn.tbsCertificate.subject),
    issuer: nameText(asn.tbsCertificate.issuer),
    serialNumber: serialNumberOf(asn),
    notBefore,
    notAfter,
    sha256: createHash("sha256").update(der).digest("hex"),
    commonNames: nameField(asn.tbsCertificate.subject, COMMON_NAME),
    dnsNames: names?.dnsNames ?? [],
    ipAddresses: names?.ipAddresses ?? [],
    // A malformed key identifier only costs the chain search its ordering hint.
    ...(profile.subjectKeyId ? { subjectKeyId: profile.subjectKeyId.keyId } : {}),
    ...(profile.authorityKeyId?.keyId ? { authorityKeyId: profile.authorityKeyId.keyId } : {}),
    isCA,
    selfIssued: Buffer.from(AsnConvert.serialize(asn.tbsCertificate.subject)).equals(
      Buffer.from(AsnConvert.serialize(asn.tbsCertificate.issuer)),
    ),
    publicKey: describePublicKey(node, asn),
    signatureAlgorithm: describeSignatureAlgorithm(asn),
    node,
    profile,
  };
}

function certificateSchema(element: Element, options: ReturnType<typeof parseOptionsFor>): AsnCertificate {
  try {
    return AsnParser.fromASN(element, AsnCertificate, options);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new Error(`its structure is not an X.509 certificate (${text})`);
  }
}

/**
 * Uppercase hex as OpenSSL and node:crypto print it: a negative serial (DER INTEGER with the top
 * bit set, which RFC 5280 forbids but CAs have issued) gets a minus sign and its magnitude, so it
 * is not mistaken for the positive serial with the same bytes.
 */
function serialNumberOf(asn: AsnCertificate): string {
  const bytes = new Uint8Array(asn.tbsCertificate.serialNumber);
  if (bytes.length === 0 || (bytes[0]! & 0x80) === 0) {
    // The one leading zero DER puts before a high bit is not part of the number.
    const digits = bytes.length > 1 && bytes[0] === 0 && bytes[1]! > 0x7f ? bytes.subarray(1) : bytes;
    return Buffer.from(digits).toString("hex").toUpperCase();
  }
  const value = BigInt(`0x${Buffer.from(bytes).toString("hex")}`) - (1n << BigInt(bytes.length * 8));
  const magnitude = (-value).toString(16).toUpperCase();
  return `-${magnitude.length % 2 === 1 ? `0${magnitude}` : magnitude}`;
}

/** tbsCertificate fields by position, after the optional [0] version. */
const TBS_FIELDS = ["serialNumber", "signature", "issuer", "validity", "subject", "subjectPublicKeyInfo"];

function tbsFields(certificate: Element): Map<string, Element> {
  const fields = new Map<string, Element>();
  const tbs = childrenOf(certificate)?.[0];
  const children = tbs ? (childrenOf(tbs) ?? []) : [];
  const first = children[0];
  const hasVersion = first !== undefined && tagOf(first).tagClass === 3 && tagOf(first).tagNumber === 0;
  TBS_FIELDS.forEach((name, i) => {
    const element = children[i + (hasVersion ? 1 : 0)];
    if (element) fields.set(name, element);
  });
  return fields;
}

const TIME_TAGS: Record<number, TimeTag> = { 23: "UTCTime", 24: "GeneralizedTime" };

/** notBefore and notAfter from the exact text of the validity times (see formats/asn1-time.ts). */
function validityOf(certificate: Element): { notBefore: Date; notAfter: Date } {
  const validity = tbsFields(certificate).get("validity");
  const times = (validity && childrenOf(validity)) ?? [];
  const [notBefore, notAfter] = (["notBefore", "notAfter"] as const).map((name, i) => {
    const element = times[i];
    const tag = element ? tagOf(element) : undefined;
    const type = tag && tag.tagClass === 1 && !tag.constructed ? TIME_TAGS[tag.tagNumber] : undefined;
    if (!element || !type) throw new Error(`its ${name} is not a UTCTime or GeneralizedTime`);
    const parsed = parseValidityTime(type, Buffer.from(contentOf(element)).toString("latin1"));
    if ("error" in parsed) throw new Error(`its ${name} ${parsed.error}`);
    return parsed;
  });
  return { notBefore: notBefore!, notAfter: notAfter! };
}

/**
 * Why OpenSSL refuses a certificate the schema accepted: the strict-DER rules lenient decoders
 * let through, named with the field they are in.
 */
function explainRefusal(certificate: Element): string {
  const fields = tbsFields(certificate);
  const where = (element: Element) => {
    const at = viewOf(element);
    for (const name of ["issuer", "subject", "serialNumber"]) {
      const field = fields.get(name);
      if (field && contains(viewOf(field), at)) return name === "serialNumber" ? "serial number" : name;
    }
    return "certificate";
  };
  const pending: Element[] = [certificate];
  for (let element = pending.pop(); element; element = pending.pop()) {
    const children = childrenOf(element);
    if (children) {
      for (let i = children.length - 1; i >= 0; i -= 1) pending.push(children[i]!);
      continue;
    }
    const { tagClass, tagNumber } = tagOf(element);
    if (tagClass !== 1) continue;
    const content = contentOf(element);
    if (tagNumber === 2 && !minimalInteger(content)) {
      return `an INTEGER in the ${where(element)} is not minimally encoded (leading 00 or FF bytes, which DER forbids); OpenSSL and TLS clients refuse the certificate`;
    }
    if (tagNumber === 12 && !isUtf8(content)) {
      const asLatin1 = quoted(Buffer.from(content).toString("latin1"));
      return `a UTF8String in the ${where(element)} holds bytes that are not UTF-8 ("${asLatin1}" read as Latin-1); OpenSSL and TLS clients refuse the certificate`;
    }
  }
  return "OpenSSL refuses its encoding (it is not the strict DER a certificate must be)";
}

const viewOf = (element: Element) =>
  (element as unknown as { valueBeforeDecodeView: Uint8Array }).valueBeforeDecodeView;

function contains(outer: Uint8Array, inner: Uint8Array): boolean {
  return (
    outer.buffer === inner.buffer &&
    inner.byteOffset >= outer.byteOffset &&
    inner.byteOffset + inner.byteLength <= outer.byteOffset + outer.byteLength
  );
}

function minimalInteger(content: Uint8Array): boolean {
  if (content.length === 0) return false;
  if (content.length === 1) return true;
  const [first, second] = [content[0]!, content[1]!];
  return !((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80));
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isUtf8(content: Uint8Array): boolean {
  try {
    utf8.decode(content);
    return true;
  } catch {
    return false;
  }
}

/** A malformed extension the certificate's facts depend on makes it unreadable, naming it. */
function refuseMalformed(profile: CertificateProfile, id: string, name: string): void {
  const malformed = profile.malformedExtensions.find((candidate) => candidate.oid === id);
  if (malformed)
    throw new Error(`its ${name} extension is malformed: ${explainDecoderError(malformed.detail)}`);
}

function describePublicKey(node: NodeX509, asn: AsnCertificate): PublicKeyInfo {
  try {
    const key = node.publicKey;
    const type = key.asymmetricKeyType ?? "unknown";
    const details = key.asymmetricKeyDetails ?? {};
    if (type === "ec") {
      const curve = details.namedCurve;
      const bits = curve ? CURVE_BITS[curve] : undefined;
      // OpenSSL names explicit parameters it does not recognise "UNDEF".
      if (bits === undefined) return explicitCurveKey(asn) ?? { type, curve, bits };
      return { type, curve, bits };
    }
    if (type === "ed25519") return { type, bits: 256 };
    if (type === "ed448") return { type, bits: 448 };
    return { type, bits: details.modulusLength };
  } catch {
    // OpenSSL refuses some keys (unknown curves, broken parameters); the weak-crypto check
    // reports an unknown key rather than the whole file becoming unreadable.
    return explicitCurveKey(asn) ?? { type: "unknown" };
  }
}

const EC_PUBLIC_KEY = "1.2.840.10045.2.1";

/**
 * An EC key whose curve is spelled out (ECParameters) rather than named, on a curve OpenSSL does
 * not recognise: still an EC key, as strong as its group order is long. (OpenSSL itself maps the
 * explicit parameters of a named curve, such as P-256, back to its name.)
 */
function explicitCurveKey(asn: AsnCertificate): PublicKeyInfo | undefined {
  const { algorithm, parameters } = asn.tbsCertificate.subjectPublicKeyInfo.algorithm;
  if (algorithm !== EC_PUBLIC_KEY || !parameters) return undefined;
  try {
    const order = AsnConvert.parse(parameters, ECParameters).specifiedCurve?.order;
    if (!order) return undefined; // a named curve: what OpenSSL said about it stands
    const hex = Buffer.from(order).toString("hex").replace(/^0+/, "");
    const bits = hex === "" ? 0 : (hex.length - 1) * 4 + Number.parseInt(hex[0]!, 16).toString(2).length;
    return { type: "ec", bits };
  } catch {
    return undefined;
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
