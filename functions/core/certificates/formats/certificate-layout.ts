/**
 * Where a DER certificate's fields are, found with @lapo/asn1js, which keeps every element's
 * position and builds a few small objects per element instead of asn1js's kilobyte. The reader
 * (certificate.ts) takes from here only offsets; what the checks read is decoded from those byte
 * ranges by asn1js/asn1-schema, and only when the caches of repeated encodings miss
 * (decode-cache.ts), except the subject's attribute values, whose text x509-fields.ts reads from
 * their positions when it is one character per octet. Nothing here reads tags or lengths itself
 * (only an element's one-octet identifier).
 *
 * Only the plain shape of a certificate is laid out: definite lengths, the fields where RFC 5280
 * §4.1 puts them, each with its one-octet identifier. Anything else is `undefined`, and the
 * certificate is decoded whole as before, whose errors say what is unusual about it.
 *
 * Bounded cost: @lapo/asn1js also tries the content of every OCTET STRING and BIT STRING as BER
 * (it cannot be told not to) and describes what it finds, so its work grows with how deeply
 * crafted content nests. It is given only certificates of at most LAYOUT_MAX_BYTES, a size real
 * certificates keep well under, and whose elements outside their extension values der-shape.ts
 * has already counted; larger ones take the whole decode, which has its own budgets.
 */
import { ASN1 } from "@lapo/asn1js";

/** Certificates larger than this are decoded whole (real ones: 0.5 to 3 kB). */
export const LAYOUT_MAX_BYTES = 8 * 1024;

/** One element: its identifier octet and where its encoding and its content start and end. */
export interface Span {
  identifier: number;
  start: number;
  content: number;
  end: number;
}

/** One attribute of a name: its type's OBJECT IDENTIFIER and its value, a primitive string. */
export interface AttributeSpans {
  type: Span;
  value: Span;
}

export interface ExtensionSpans {
  id: Span;
  critical?: Span;
  value: Span;
}

export interface CertificateLayout {
  /** The certificate's own bytes: what follows (OpenSSL's aux data) is not part of it. */
  length: number;
  /** The INTEGER inside [0] EXPLICIT, when the version field is present. */
  version?: Span;
  serialNumber: Span;
  tbsSignature: Span;
  issuer: Span;
  notBefore: Span;
  notAfter: Span;
  subject: Span;
  /**
   * The subject's attributes, RDN by RDN, when it has the plain shape (SEQUENCE OF SET OF
   * SEQUENCE { OID, primitive universal string }); undefined otherwise. A leaf's subject is the one
   * name no cache holds, and reading it from here spares decoding it a second time.
   */
  subjectAttributes?: AttributeSpans[][];
  keyAlgorithm: Span;
  subjectPublicKey: Span;
  signatureAlgorithm: Span;
  /** Undefined when the certificate has no [3] extensions field. */
  extensions?: ExtensionSpans[];
}

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const BOOLEAN = 0x01;
const OBJECT_IDENTIFIER = 0x06;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const VERSION = 0xa0;
const EXTENSIONS = 0xa3;

/**
 * Elements that keep their positions but have no text. @lapo/asn1js asks each element it finds
 * inside an OCTET or BIT STRING for its text (`content()`), only to see that it has one, and that
 * text is built from everything inside the element: in crafted content nested a thousand levels
 * deep, each level's text is built again, and one 8 KiB certificate took 0.7 s. Nothing here reads
 * text, and an element whose structure decodes counts as content either way.
 */
class Positioned extends ASN1 {
  override content(): string {
    return "";
  }

  /**
   * Elements open at once. Each child is decoded through this, so deeper content is not decoded:
   * inside an OCTET or BIT STRING that ends the try (@lapo/asn1js keeps the string as bytes),
   * anywhere else it ends the layout. Its cost grew with the square of the nesting (a thousand
   * OCTET STRINGs one inside the other took 0.1 s, two thousand 0.8 s); real certificates nest
   * about a dozen deep, their extension values included.
   */
  private static open = 0;

  static override decode(bytes: Uint8Array, offset?: number, type: typeof ASN1 = Positioned): ASN1 {
    if (Positioned.open >= LAYOUT_MAX_DEPTH) throw new NotPlain();
    Positioned.open += 1;
    try {
      return ASN1.decode(bytes, offset, type);
    } finally {
      Positioned.open -= 1;
    }
  }
}

/** Elements nested deeper than this are not decoded (see Positioned.decode). */
export const LAYOUT_MAX_DEPTH = 64;

/** Signals a shape this module does not lay out; never leaves it. */
class NotPlain extends Error {}

/**
 * The layout of the certificate at the start of `bytes`, or undefined when it is not plain DER of
 * a certificate's shape (or too large to be laid out, see LAYOUT_MAX_BYTES).
 */
export function certificateLayout(bytes: Uint8Array): CertificateLayout | undefined {
  let root: ASN1;
  // Its tries of OCTET and BIT STRING content as BER fail by throwing, mostly (a key identifier's
  // random bytes are not BER), and capturing each error's stack took two thirds of its time.
  // Nothing here reads a stack: the decode is synchronous, and the limit is restored after it.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // Given no more than the cap, it refuses an element that declares more before reading into it.
    root = Positioned.decode(bytes.subarray(0, LAYOUT_MAX_BYTES), 0);
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  try {
    return layoutOf(bytes, root);
  } catch (error) {
    if (error instanceof NotPlain) return undefined;
    throw error;
  }
}

function layoutOf(bytes: Uint8Array, root: ASN1): CertificateLayout {
  const [tbs, signatureAlgorithm, signature, ...extra] = children(bytes, root, SEQUENCE);
  if (!tbs || !signatureAlgorithm || !signature || extra.length > 0) throw new NotPlain();
  expect(bytes, signature, BIT_STRING);
  const fields = children(bytes, tbs, SEQUENCE);
  let at = 0;
  let version: Span | undefined;
  if (identifierOf(bytes, fields[0]) === VERSION) {
    const [integer, ...more] = children(bytes, fields[0]!, VERSION);
    if (!integer || more.length > 0) throw new NotPlain();
    version = span(bytes, integer, INTEGER);
    at = 1;
  }
  const [serial, tbsSignature, issuer, validity, subject, spki, ...rest] = fields.slice(at);
  if (!serial || !tbsSignature || !issuer || !validity || !subject || !spki) throw new NotPlain();
  const [notBefore, notAfter, ...otherTimes] = children(bytes, validity, SEQUENCE);
  if (!notBefore || !notAfter || otherTimes.length > 0) throw new NotPlain();
  const [keyAlgorithm, key, ...otherKeyParts] = children(bytes, spki, SEQUENCE);
  if (!keyAlgorithm || !key || otherKeyParts.length > 0) throw new NotPlain();
  const extensionsField = rest.find((element) => identifierOf(bytes, element) === EXTENSIONS);
  return {
    length: root.posEnd(),
    ...(version ? { version } : {}),
    serialNumber: span(bytes, serial, INTEGER),
    tbsSignature: span(bytes, tbsSignature, SEQUENCE),
    issuer: span(bytes, issuer, SEQUENCE),
    notBefore: time(bytes, notBefore),
    notAfter: time(bytes, notAfter),
    subject: span(bytes, subject, SEQUENCE),
    ...optional("subjectAttributes", nameAttributes(bytes, subject)),
    keyAlgorithm: span(bytes, keyAlgorithm, SEQUENCE),
    subjectPublicKey: span(bytes, key, BIT_STRING),
    signatureAlgorithm: span(bytes, signatureAlgorithm, SEQUENCE),
    ...(extensionsField ? { extensions: extensionsOf(bytes, extensionsField) } : {}),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

/** Universal primitive string types a name's value is read from (see x509-fields.ts). */
const STRING_IDENTIFIERS = new Set([0x0c, 0x13, 0x14, 0x16, 0x1c, 0x1e]);

/** A name's attributes by position, or undefined when its shape is not the plain one. */
function nameAttributes(bytes: Uint8Array, name: ASN1): AttributeSpans[][] | undefined {
  const rdns: AttributeSpans[][] = [];
  for (const set of name.sub ?? []) {
    if (identifierOf(bytes, set) !== SET || set.length < 0 || !set.sub) return undefined;
    const rdn: AttributeSpans[] = [];
    for (const pair of set.sub) {
      if (identifierOf(bytes, pair) !== SEQUENCE || pair.length < 0 || pair.sub?.length !== 2)
        return undefined;
      const [type, value] = pair.sub as [ASN1, ASN1];
      const identifier = identifierOf(bytes, value);
      if (identifierOf(bytes, type) !== OBJECT_IDENTIFIER || type.length < 0) return undefined;
      if (identifier === undefined || !STRING_IDENTIFIERS.has(identifier) || value.length < 0)
        return undefined;
      rdn.push({ type: span(bytes, type, OBJECT_IDENTIFIER), value: span(bytes, value, identifier) });
    }
    rdns.push(rdn);
  }
  return rdns;
}

/**
 * Bundles larger than this are decoded whole (a CA's chain as PKCS#7: 2 to 10 kB). Below it a
 * bundle cannot hold more elements than asn1js's node cap (formats/ber.ts: at least 10,000, each
 * element at least 2 bytes), so the whole decode would never have refused it for its size.
 */
export const SIGNED_DATA_LAYOUT_MAX_BYTES = 16 * 1024;

/** 1.2.840.113549.1.7.2, signedData, as an OBJECT IDENTIFIER's content octets. */
const SIGNED_DATA = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/**
 * Where the certificates of a PKCS#7 SignedData ContentInfo (RFC 5652 §3, §5.1) that fills `bytes`
 * are, as [start, end) byte ranges, for the one shape a certs-only bundle has (what
 * `openssl crl2pkcs7 -nocrl` and pkijs write): version 1, no digest algorithm, id-data content, the
 * certificates, no CRL, no signer, every length in DER's shortest form. Everything outside the
 * certificates must be exactly those bytes (`certsOnlyEnvelope`), so nothing the whole decode
 * would refuse (a malformed identifier in a signer, say) is skipped here. Undefined for anything
 * else, too large, or not SignedData: that is decoded whole and classified (formats/der.ts).
 */
export function signedDataCertificateSpans(bytes: Uint8Array): [number, number][] | undefined {
  if (bytes.length > SIGNED_DATA_LAYOUT_MAX_BYTES) return undefined;
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let root: ASN1;
  try {
    root = Positioned.decode(bytes, 0);
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  try {
    if (root.posEnd() !== bytes.length) return undefined;
    const [type, wrapper, ...extra] = children(bytes, root, SEQUENCE);
    if (!type || !wrapper || extra.length > 0) return undefined;
    const oid = span(bytes, type, OBJECT_IDENTIFIER);
    const octets = bytes.subarray(oid.content, oid.end);
    if (octets.length !== SIGNED_DATA.length || SIGNED_DATA.some((octet, i) => octets[i] !== octet))
      return undefined;
    const [signedData, ...more] = children(bytes, wrapper, TAGGED_0);
    if (!signedData || more.length > 0) return undefined;
    const [version, digestAlgorithms, content, ...rest] = children(bytes, signedData, SEQUENCE);
    if (!version || !digestAlgorithms || !content) return undefined;
    span(bytes, version, INTEGER);
    span(bytes, digestAlgorithms, SET);
    span(bytes, content, SEQUENCE);
    const [certificates, ...after] = rest;
    if (identifierOf(bytes, certificates) !== TAGGED_0) return undefined;
    const crls = identifierOf(bytes, after[0]) === CRLS ? 1 : 0;
    const [signerInfos, ...beyond] = after.slice(crls);
    if (!signerInfos || beyond.length > 0) return undefined;
    span(bytes, signerInfos, SET);
    const list = children(bytes, certificates!, TAGGED_0);
    if (list.length === 0) return undefined;
    const spans = list.map((certificate): [number, number] => {
      const at = span(bytes, certificate, SEQUENCE);
      return [at.start, at.end];
    });
    const start = spans[0]![0];
    const end = spans[spans.length - 1]![1];
    const { before, after: tail } = certsOnlyEnvelope(end - start);
    return start === before.length &&
      bytes.length - end === tail.length &&
      before.every((octet, i) => bytes[i] === octet) &&
      tail.every((octet, i) => bytes[end + i] === octet)
      ? spans
      : undefined;
  } catch (error) {
    if (error instanceof NotPlain) return undefined;
    throw error;
  }
}

/** DER's shortest length octets for `length`. */
function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return [0x80 | octets.length, ...octets];
}

/** The bytes of a certs-only SignedData ContentInfo before and after `certificates` bytes of certificates. */
function certsOnlyEnvelope(certificates: number): { before: number[]; after: number[] } {
  const version = [0x02, 0x01, 0x01];
  const digestAlgorithms = [0x31, 0x00];
  const data = [0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
  const signerInfos = [0x31, 0x00];
  const certificatesHeader = [TAGGED_0, ...derLength(certificates)];
  const signedDataLength =
    version.length +
    digestAlgorithms.length +
    data.length +
    certificatesHeader.length +
    certificates +
    signerInfos.length;
  const signedDataHeader = [0x30, ...derLength(signedDataLength)];
  const wrapperLength = signedDataHeader.length + signedDataLength;
  const wrapperHeader = [TAGGED_0, ...derLength(wrapperLength)];
  const type = [0x06, SIGNED_DATA.length, ...SIGNED_DATA];
  const rootHeader = [0x30, ...derLength(type.length + wrapperHeader.length + wrapperLength)];
  return {
    before: [
      ...rootHeader,
      ...type,
      ...wrapperHeader,
      ...signedDataHeader,
      ...version,
      ...digestAlgorithms,
      ...data,
      ...certificatesHeader,
    ],
    after: signerInfos,
  };
}

/** [0], constructed: ContentInfo's content (EXPLICIT) and SignedData's certificates (IMPLICIT). */
const TAGGED_0 = 0xa0;
/** [1] IMPLICIT, SignedData's crls field. */
const CRLS = 0xa1;

/** [3] EXPLICIT SEQUENCE OF SEQUENCE { OID, BOOLEAN DEFAULT FALSE, OCTET STRING }. */
function extensionsOf(bytes: Uint8Array, field: ASN1): ExtensionSpans[] {
  const [list, ...more] = children(bytes, field, EXTENSIONS);
  if (!list || more.length > 0) throw new NotPlain();
  return children(bytes, list, SEQUENCE).map((item) => {
    const parts = children(bytes, item, SEQUENCE);
    const [id, second, third, ...extra] = parts;
    if (!id || !second || extra.length > 0) throw new NotPlain();
    return third === undefined
      ? { id: span(bytes, id, OBJECT_IDENTIFIER), value: span(bytes, second, OCTET_STRING) }
      : {
          id: span(bytes, id, OBJECT_IDENTIFIER),
          critical: span(bytes, second, BOOLEAN),
          value: span(bytes, third, OCTET_STRING),
        };
  });
}

function time(bytes: Uint8Array, element: ASN1): Span {
  const identifier = identifierOf(bytes, element);
  if (identifier !== UTC_TIME && identifier !== GENERALIZED_TIME) throw new NotPlain();
  return span(bytes, element, identifier);
}

/** The identifier octet, for an element whose identifier is one octet (tag numbers up to 30). */
function identifierOf(bytes: Uint8Array, element: ASN1 | undefined): number | undefined {
  if (element?.tagLen !== 1) return undefined;
  return bytes[element.posStart()];
}

function expect(bytes: Uint8Array, element: ASN1, identifier: number): void {
  if (identifierOf(bytes, element) !== identifier || element.length < 0) throw new NotPlain();
}

function span(bytes: Uint8Array, element: ASN1, identifier: number): Span {
  expect(bytes, element, identifier);
  return {
    identifier,
    start: element.posStart(),
    content: element.posContent(),
    end: element.posEnd(),
  };
}

/** The elements inside a constructed element of the given identifier, with definite length. */
function children(bytes: Uint8Array, element: ASN1, identifier: number): ASN1[] {
  expect(bytes, element, identifier);
  if (!element.sub) throw new NotPlain();
  return element.sub;
}
