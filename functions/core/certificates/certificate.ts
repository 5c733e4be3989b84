/**
 * One parsed X.509 certificate, described once so every check reads the same facts. node:crypto
 * parses the certificate natively, which is also what decides that TLS clients can load it, and
 * supplies the public key and signature verification. The fields the checks read are found by
 * their offsets (formats/certificate-layout.ts, @lapo/asn1js) and decoded by asn1js only where the
 * caches of repeated encodings miss (x509-fields.ts); a certificate out of the ordinary is decoded
 * whole instead (formats/ber.ts), whose errors say what is wrong with it. A certificate
 * met again (the intermediate in every chain file, a CA bundle read by every source) is described
 * once per execution environment: what it says is a function of its bytes (decode-cache.ts).
 */
import { createHash, type KeyObject, X509Certificate as NodeX509 } from "node:crypto";
import { AsnParser } from "@peculiar/asn1-schema";
import {
  Certificate as AsnCertificate,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
} from "@peculiar/asn1-x509";
import type { CertificateSummary } from "../contracts";
import { DecodeCache } from "./decode-cache";
import { explainRefusal } from "./der-strictness";
import { parseValidityTime, type TimeTag } from "./formats/asn1-time";
import {
  childrenOf,
  contentOf,
  decodeBer,
  type Element,
  encodingOf,
  explainDecoderError,
  lengthInconsistency,
  parseOptionsFor,
  tagOf,
} from "./formats/ber";
import { certificateLayout } from "./formats/certificate-layout";
import { MAX_CERTIFICATE_ELEMENTS, shapeOf } from "./formats/der-shape";
import {
  describePublicKey,
  describeSignatureAlgorithm,
  type PublicKeyInfo,
  type SignatureAlgorithmInfo,
} from "./key-algorithms";
import { type CertificateProfile, profileOf } from "./path/profile";
import {
  type CertificateFields,
  certificateFields,
  fieldsFromLayout,
  sameName,
  tbsFields,
} from "./x509-fields";

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
  /** Subject and issuer are the same name (RFC 5280 §7.1): a root or a self-signed leaf. */
  selfIssued: boolean;
  publicKey: PublicKeyInfo;
  signatureAlgorithm: SignatureAlgorithmInfo;
  /** node:crypto view, used to verify signatures along a chain. */
  node: NodeX509;
  /** node:crypto's subject public key, made once; undefined when OpenSSL refuses the key. */
  key: KeyObject | undefined;
  /** What path validation reads (extensions, canonical names, algorithms), decoded once here. */
  profile: CertificateProfile;
  /** The keystore entry (JKS, JCEKS, PKCS#12) it was read from, when it comes from one. */
  entry?: KeystoreEntry;
}

/**
 * Where a keystore keeps a certificate: the entry's alias (what `keytool -list` and `openssl pkcs12
 * -info` show, so what a person looks for), whether the entry holds a private key or only a
 * trusted certificate, and the certificate's place in a key entry's chain (0: the key's own).
 */
export interface KeystoreEntry {
  alias?: string;
  kind: "private-key" | "trusted-certificate";
  position: number;
}

/** Everything about a certificate but where it was found: shared by every place it is found. */
type Described = Omit<ParsedCertificate, "source" | "file" | "index" | "entry">;

/** The bytes are not BER at all: no certificate can be looked for in them. */
export class NotDerError extends Error {}

type Outcome = { described: Described } | { error: string; notDer: boolean };

/** A few hundred CA certificates cover a fleet's chains; leaves pass through without harm. */
const DESCRIBED = new DecodeCache<Outcome>(512);

/**
 * Describes one DER-encoded certificate (trailing bytes after it, such as OpenSSL's aux data in a
 * TRUSTED CERTIFICATE block, are ignored). Throws when the bytes are not a certificate (NotDerError
 * when they are not even BER); callers (the reader) turn that into an `unreadable` finding. The
 * message completes the sentence "... does not hold a valid certificate: <message>".
 */
export function parseCertificate(input: Uint8Array, file: string, index: number): ParsedCertificate {
  const outcome = DESCRIBED.get(input, () => {
    const laidOut = fromLayout(input);
    if (laidOut) return laidOut;
    const decoded = decodeBer(input);
    if ("error" in decoded) return { error: decoded.error, notDer: true };
    return attempt(decoded.element);
  });
  return placed(outcome, file, index);
}

/**
 * The common case, without decoding the whole certificate: node:crypto parses and checks it, the
 * fields' offsets come from formats/certificate-layout.ts, and asn1js decodes only what the caches
 * miss. Undefined whenever anything is out of the ordinary (not plain DER, refused by node:crypto,
 * a field that does not decode): the whole decode then describes it, or says what is wrong.
 */
function fromLayout(input: Uint8Array): Outcome | undefined {
  const shape = shapeOf(input, MAX_CERTIFICATE_ELEMENTS);
  if (!shape.certificateLike || shape.elements > MAX_CERTIFICATE_ELEMENTS) return undefined;
  const layout = certificateLayout(input);
  if (!layout) return undefined;
  // A private copy (new Uint8Array copies; a Buffer's slice would share the input's memory).
  const der = new Uint8Array(input.subarray(0, layout.length));
  let node: NodeX509;
  let fields: CertificateFields;
  try {
    node = new NodeX509(der);
    fields = fieldsFromLayout(der, layout);
  } catch {
    return undefined;
  }
  const times = [layout.notBefore, layout.notAfter].map((span) =>
    parseValidityTime(
      span.identifier === UTC_TIME ? "UTCTime" : "GeneralizedTime",
      Buffer.from(der.buffer, der.byteOffset + span.content, span.end - span.content).toString("latin1"),
    ),
  );
  const [notBefore, notAfter] = times;
  if (!(notBefore instanceof Date) || !(notAfter instanceof Date)) return undefined;
  try {
    return { described: described(der, node, fields, { notBefore, notAfter }) };
  } catch {
    // A refusal (a malformed subjectAltName) is worded by the whole decode, as it always was.
    return undefined;
  }
}

const UTC_TIME = 0x17;

/**
 * The certificate at the start of `input` when it takes the common way (see fromLayout), else
 * undefined and nothing is said about it: the caller decodes the file whole. For DER files, which
 * are otherwise decoded whole before anything is known about them.
 */
export function parseLaidOutCertificate(
  input: Uint8Array,
  file: string,
  index: number,
): ParsedCertificate | undefined {
  // Containers (PKCS#7, PKCS#12) are not even shaped like a certificate: they leave no entry behind.
  if (!shapeOf(input, MAX_CERTIFICATE_ELEMENTS).certificateLike) return undefined;
  // Kept apart from parseCertificate's entries, where NOT_LAID_OUT would read as a failure.
  const outcome = DESCRIBED.get(input, () => fromLayout(input) ?? NOT_LAID_OUT, "layout:");
  return outcome === NOT_LAID_OUT ? undefined : placed(outcome, file, index);
}

const NOT_LAID_OUT: Outcome = { error: "not laid out", notDer: false };

/** The same, for a certificate already decoded with the file or bundle that holds it. */
export function parseDecodedCertificate(element: Element, file: string, index: number): ParsedCertificate {
  return placed(
    DESCRIBED.get(encodingOf(element), () => attempt(element)),
    file,
    index,
  );
}

function attempt(element: Element): Outcome {
  try {
    return { described: describe(element) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), notDer: false };
  }
}

function placed(outcome: Outcome, file: string, index: number): ParsedCertificate {
  if ("error" in outcome) throw outcome.notDer ? new NotDerError(outcome.error) : new Error(outcome.error);
  return { source: `${file}#${index}`, file, index, ...outcome.described };
}

function describe(element: Element): Described {
  // A private copy: the element is a view into a larger (or shared) buffer.
  const der = new Uint8Array(encodingOf(element));
  const inconsistency = lengthInconsistency(element);
  if (inconsistency) throw new Error(inconsistency);
  let node: NodeX509;
  try {
    node = new NodeX509(der);
  } catch {
    // node:crypto's message is OpenSSL's last error, usually "PEM routines::no start line"
    // (it tried PEM after DER failed), which tells an operator nothing: say what is wrong.
    certificateSchema(element);
    validityOf(element);
    throw new Error(explainRefusal(element));
  }
  const fields = certificateFields(element) ?? unexpectedShape(element);
  return described(der, node, fields, validityOf(element));
}

/** The facts of a certificate node:crypto has parsed, from its fields. */
function described(
  der: Uint8Array<ArrayBuffer>,
  node: NodeX509,
  fields: CertificateFields,
  { notBefore, notAfter }: { notBefore: Date; notAfter: Date },
): Described {
  // Only the extensions the checks read are decoded, each by itself and once (path/profile.ts):
  // decoding them all would let a malformed policy extension cost the certificate. A malformed
  // subjectAltName or basicConstraints still does.
  const profile = profileOf(fields);
  refuseMalformed(profile, id_ce_subjectAltName, "subjectAltName");
  refuseMalformed(profile, id_ce_basicConstraints, "basicConstraints");
  const names = profile.subjectAltName;
  let key: KeyObject | undefined;
  try {
    key = node.publicKey;
  } catch {
    // OpenSSL refuses some keys (unknown curves, broken parameters); the weak-crypto check
    // reports an unknown key rather than the whole file becoming unreadable.
    key = undefined;
  }

  return {
    der,
    subject: fields.subject.text,
    issuer: fields.issuer.text,
    serialNumber: serialNumberOf(fields.serialNumber),
    notBefore,
    notAfter,
    sha256: createHash("sha256").update(der).digest("hex"),
    commonNames: fields.subject.commonNames,
    dnsNames: names?.dnsNames ?? [],
    ipAddresses: names?.ipAddresses ?? [],
    // A malformed key identifier only costs the chain search its ordering hint.
    ...(profile.subjectKeyId ? { subjectKeyId: profile.subjectKeyId.keyId } : {}),
    ...(profile.authorityKeyId?.keyId ? { authorityKeyId: profile.authorityKeyId.keyId } : {}),
    isCA: profile.basicConstraints?.cA ?? false,
    selfIssued: sameName(fields.subject, fields.issuer),
    publicKey: describePublicKey(key, fields.subjectPublicKeyInfo.algorithm),
    signatureAlgorithm: describeSignatureAlgorithm(fields.signatureAlgorithm),
    node,
    key,
    profile,
  };
}

/** OpenSSL read it, yet its fields are not where a certificate has them: the schema says why. */
function unexpectedShape(element: Element): CertificateFields {
  certificateSchema(element);
  throw new Error("its structure is not an X.509 certificate (its fields are not where RFC 5280 puts them)");
}

/** Maps the whole schema, for its error only: what is structurally wrong with a refused certificate. */
function certificateSchema(element: Element): AsnCertificate {
  try {
    return AsnParser.fromASN(element, AsnCertificate, parseOptionsFor(encodingOf(element).byteLength));
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
function serialNumberOf(bytes: Uint8Array): string {
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
