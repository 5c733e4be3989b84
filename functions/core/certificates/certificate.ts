/**
 * One parsed X.509 certificate, described once so every check reads the same facts. The bytes are
 * decoded once (formats/ber.ts) and mapped onto @peculiar/asn1-x509's structures; node:crypto reads
 * the public key and verifies signatures along a chain.
 */
import { createHash, X509Certificate as NodeX509 } from "node:crypto";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
import {
  Certificate as AsnCertificate,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
} from "@peculiar/asn1-x509";
import type { CertificateSummary } from "../contracts";
import {
  describePublicKey,
  describeSignatureAlgorithm,
  type PublicKeyInfo,
  type SignatureAlgorithmInfo,
} from "./algorithms";
import { explainRefusal } from "./der-strictness";
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
import { type CertificateProfile, profileOf } from "./path/profile";
import { COMMON_NAME, nameField, nameText, tbsFields } from "./x509-fields";

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
  // decoding them all would let a malformed policy extension cost the certificate. A malformed
  // subjectAltName or basicConstraints still does.
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

/** A malformed extension the certificate's facts depend on makes it unreadable, naming it. */
function refuseMalformed(profile: CertificateProfile, id: string, name: string): void {
  const malformed = profile.malformedExtensions.find((candidate) => candidate.oid === id);
  if (malformed)
    throw new Error(`its ${name} extension is malformed: ${explainDecoderError(malformed.detail)}`);
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
