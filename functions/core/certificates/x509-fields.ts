/**
 * A certificate's fields, read by position from its layout (formats/certificate-layout.ts) or, for
 * a certificate out of the ordinary, from its one decoded tree (formats/ber.ts), each part
 * mapped onto @peculiar/asn1-x509's structures only as far as the checks read it. Mapping the whole
 * Certificate schema cost as much as decoding it, and most of that went to parts nothing reads
 * (wrappers, the signature value) or that repeat across a store (issuer names, algorithm
 * identifiers); repeated parts are mapped once per distinct encoding (decode-cache.ts).
 *
 * Distinguished names are written exactly as @peculiar/x509 writes them (short attribute names,
 * RFC 4514-style escapes, `#hex` for values it cannot read as text), so subjects and issuers in
 * reports and alarms keep their form; that library, with the dependency-injection container and
 * metadata polyfill it brings, is not bundled.
 */
import {
  AsnBitStringConverter,
  AsnBooleanConverter,
  AsnIntegerArrayBufferConverter,
  AsnIntegerConverter,
  AsnObjectIdentifierConverter,
  AsnParser,
} from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, Extension, Name, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { DecodeCache } from "./decode-cache";
import { childrenOf, contentOf, decodeBer, type Element, encodingOf, tagOf } from "./formats/ber";
import type { AttributeSpans, CertificateLayout, Span } from "./formats/certificate-layout";
import { type CanonicalName, canonicalValue, nameKey } from "./path/names";

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};

export const COMMON_NAME = "2.5.4.3";
const EMAIL_ADDRESS = "1.2.840.113549.1.9.1";

/** One attribute of a name: its type, its value as text, and its encoding when it is not a string. */
interface NameAttribute {
  type: string;
  text: string;
  /** The value's whole encoding, for a value of a type asn1-x509 does not read as text. */
  other?: Uint8Array;
}

type Rdns = NameAttribute[][];

/** `CN=api.example.com, O=Example` — attributes of one RDN joined with `+`, RDNs with `, `. */
function nameText(name: Rdns): string {
  return name
    .map((rdn) =>
      rdn
        .map((attribute) => {
          const type = SHORT_NAMES[attribute.type] ?? attribute.type;
          const value = attribute.other
            ? `#${Buffer.from(attribute.other).toString("hex")}`
            : escapeValue(attribute.text);
          return `${type}=${value}`;
        })
        .join("+"),
    )
    .join(", ");
}

/** Every value of one attribute type, in order (a name may hold several common names, or none). */
function nameField(name: Rdns, oid: string): string[] {
  return name.flatMap((rdn) => rdn.filter((a) => a.type === oid).map((a) => a.text));
}

// As @peculiar/x509 escapes, including that only the first CR, LF or TAB becomes `\XX`.
function escapeValue(text: string): string {
  return text
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/([\r\n\t])/, (char) => `\\${Buffer.from(char, "utf8").toString("hex").toUpperCase()}`);
}

/** A name in the canonical form path validation compares (RFC 5280 §7.1, see path/names.ts). */
function canonicalOf(name: Rdns): CanonicalName {
  return name.map((rdn) =>
    rdn.map((attribute) => ({
      type: attribute.type,
      value: attribute.other
        ? `#${Buffer.from(attribute.other).toString("hex")}`
        : canonicalValue(attribute.text),
    })),
  );
}

/** A Name as asn1-x509 maps it (a directoryName in a constraint, or a name of unusual shape). */
function attributesOf(name: Name): Rdns {
  return name.map((rdn) =>
    rdn.map((attribute) => {
      const other = attribute.value.anyValue;
      return {
        type: attribute.type,
        text: attribute.value.toString(),
        ...(other ? { other: new Uint8Array(other) } : {}),
      };
    }),
  );
}

export function canonicalName(name: Name): CanonicalName {
  return canonicalOf(attributesOf(name));
}

/**
 * The string types asn1-x509's AttributeValue reads as text (DirectoryString and IA5String), by
 * universal tag number; asn1-schema's converters take each one's decoded `valueBlock.value`.
 */
const TEXT_TAGS = new Set([12, 19, 20, 22, 28, 30]);

/**
 * The attributes of a decoded Name read straight from the tree, as asn1-x509 would map them, when
 * the name has the plain shape (SEQUENCE OF SET OF SEQUENCE { OID, string }); undefined otherwise,
 * and the schema maps it. Mapping a name through the schema cost as much as the rest of the
 * certificate's fields together, and every leaf's subject is a name seen once.
 */
function plainAttributes(element: Element): Rdns | undefined {
  if (!is(element, UNIVERSAL, 16, true)) return undefined;
  const rdns: Rdns = [];
  for (const set of childrenOf(element) ?? []) {
    if (!is(set, UNIVERSAL, 17, true)) return undefined;
    const rdn: NameAttribute[] = [];
    for (const pair of childrenOf(set) ?? []) {
      const parts = is(pair, UNIVERSAL, 16, true) ? childrenOf(pair) : undefined;
      const [type, value] = parts ?? [];
      if (parts?.length !== 2 || !is(type, UNIVERSAL, 6, false) || !value) return undefined;
      const tag = tagOf(value);
      if (tag.tagClass !== UNIVERSAL || tag.constructed || !TEXT_TAGS.has(tag.tagNumber)) return undefined;
      const text = (value as unknown as { valueBlock: { value: unknown } }).valueBlock.value;
      if (typeof text !== "string") return undefined;
      rdn.push({ type: AsnObjectIdentifierConverter.fromASN(type as never), text });
    }
    rdns.push(rdn);
  }
  return rdns;
}

/** What the checks read of a distinguished name; shared by every certificate that has the same bytes. */
export interface DistinguishedName {
  /** The name's DER encoding: names are compared on these first. */
  der: Uint8Array;
  text: string;
  commonNames: string[];
  emails: string[];
  canonical: CanonicalName;
  /** Equal for names RFC 5280 §7.1 says are the same, whatever their encodings. */
  key: string;
  empty: boolean;
}

/** Issuer names repeat across a store's leaves, and CA subjects across its chain files. */
const NAMES = new DecodeCache<DistinguishedName>(2_048);

function distinguishedName(element: Element): DistinguishedName {
  const der = encodingOf(element);
  return NAMES.get(der, () => describeName(element));
}

/**
 * The same from the name's encoding alone, when it was not met before read from its attributes'
 * positions (`read`) or, when they are not plain text, decoded.
 */
function distinguishedNameOf(der: Uint8Array, read?: () => Rdns | undefined): DistinguishedName {
  return NAMES.get(der, () => {
    const name = read?.();
    return name ? nameOf(der, name) : describeName(decoded(der));
  });
}

function describeName(element: Element): DistinguishedName {
  const name = plainAttributes(element) ?? attributesOf(AsnParser.fromASN(element, Name));
  return nameOf(encodingOf(element), name);
}

/**
 * A name's attributes from their positions in `der` (formats/certificate-layout.ts), as
 * plainAttributes reads them from asn1js's tree; undefined for a value whose text asn1js would
 * decode otherwise than byte by byte (BMPString, UniversalString, UTF8String beyond ASCII), which
 * is then decoded by asn1js. asn1js's PrintableString, TeletexString and IA5String are one
 * character per octet (String.fromCharCode, what latin1 is), and its UTF8String of ASCII octets
 * is those characters.
 */
function attributesAt(der: Uint8Array, spans: AttributeSpans[][]): Rdns | undefined {
  const name: Rdns = [];
  for (const spansOfRdn of spans) {
    const rdn: NameAttribute[] = [];
    for (const { type, value } of spansOfRdn) {
      const oid = primitiveOf(der.subarray(type.start, type.end), "oid");
      const octets = der.subarray(value.content, value.end);
      if (typeof oid !== "string" || !BYTE_STRINGS.has(value.identifier)) return undefined;
      if (value.identifier === UTF8_STRING && octets.some((octet) => octet > 0x7f)) return undefined;
      rdn.push({
        type: oid,
        text: Buffer.from(octets.buffer, octets.byteOffset, octets.byteLength).toString("latin1"),
      });
    }
    name.push(rdn);
  }
  return name;
}

const UTF8_STRING = 0x0c;
/** UTF8String, PrintableString, TeletexString, IA5String: see attributesAt. */
const BYTE_STRINGS = new Set([UTF8_STRING, 0x13, 0x14, 0x16]);

function nameOf(der: Uint8Array, name: Rdns): DistinguishedName {
  const canonical = canonicalOf(name);
  return {
    der: new Uint8Array(der),
    text: nameText(name),
    commonNames: nameField(name, COMMON_NAME),
    emails: nameField(name, EMAIL_ADDRESS),
    canonical,
    key: nameKey(canonical),
    empty: name.length === 0,
  };
}

/** Whether two names are the same (RFC 5280 §7.1): equal bytes, or else equal canonical forms. */
export function sameName(a: DistinguishedName, b: DistinguishedName): boolean {
  return Buffer.from(a.der).equals(b.der) || a.key === b.key;
}

const ALGORITHMS = new DecodeCache<AlgorithmIdentifier>(256);

function algorithmIdentifier(element: Element): AlgorithmIdentifier {
  return ALGORITHMS.get(encodingOf(element), () => AsnParser.fromASN(element, AlgorithmIdentifier));
}

function algorithmIdentifierOf(der: Uint8Array): AlgorithmIdentifier {
  return ALGORITHMS.get(der, () => AsnParser.fromASN(decoded(der), AlgorithmIdentifier));
}

/** An encoding that is not exactly one BER element: the certificate is then decoded whole. */
export class LayoutMismatch extends Error {}

/** The one element `der` encodes, decoded with asn1js (what the cache missed). */
function decoded(der: Uint8Array): Element {
  const result = decodeBer(der);
  if ("error" in result || result.length !== der.length) throw new LayoutMismatch();
  return result.element;
}

/**
 * Small primitives that repeat in every certificate (extension identifiers, the critical flag, the
 * version), converted by asn1-schema once per distinct encoding.
 */
const PRIMITIVES = new DecodeCache<string | number | boolean>(1_024);

function primitiveOf(der: Uint8Array, kind: "oid" | "boolean" | "integer"): string | number | boolean {
  return PRIMITIVES.get(
    der,
    () => {
      const element = decoded(der) as never;
      if (kind === "oid") return AsnObjectIdentifierConverter.fromASN(element);
      if (kind === "boolean") return AsnBooleanConverter.fromASN(element);
      return AsnIntegerConverter.fromASN(element);
    },
    kind,
  );
}

/**
 * The fields of a certificate laid out by @lapo/asn1js (formats/certificate-layout.ts): the same
 * values `certificateFields` reads from a whole decoded tree, with asn1js decoding only the byte
 * ranges the caches do not already hold (of a leaf, its subject name, and that only when one of
 * its values is not text of one character per octet: see attributesAt). Throws
 * LayoutMismatch when a range does not decode as the layout said; the caller decodes whole then.
 */
export function fieldsFromLayout(der: Uint8Array, layout: CertificateLayout): CertificateFields {
  const bytesOf = (span: Span) => der.subarray(span.start, span.end);
  const contentAt = (span: Span) => der.subarray(span.content, span.end);
  const version = layout.version ? primitiveOf(bytesOf(layout.version), "integer") : 0;
  if (typeof version !== "number") throw new LayoutMismatch();
  const key = contentAt(layout.subjectPublicKey);
  return {
    version,
    serialNumber: new Uint8Array(contentAt(layout.serialNumber)),
    tbsSignature: algorithmIdentifierOf(bytesOf(layout.tbsSignature)),
    signatureAlgorithm: algorithmIdentifierOf(bytesOf(layout.signatureAlgorithm)),
    issuer: distinguishedNameOf(bytesOf(layout.issuer)),
    subject: distinguishedNameOf(bytesOf(layout.subject), () => {
      const spans = layout.subjectAttributes;
      return spans ? attributesAt(der, spans) : undefined;
    }),
    subjectPublicKeyInfo: {
      algorithm: algorithmIdentifierOf(bytesOf(layout.keyAlgorithm)),
      // The BIT STRING's bits, without its unused-bits octet (as asn1-schema's converter gives them).
      subjectPublicKey: new Uint8Array(key.subarray(1)).buffer,
    },
    ...(layout.extensions
      ? {
          extensions: layout.extensions.map((extension) => {
            const oid = primitiveOf(bytesOf(extension.id), "oid");
            const critical = extension.critical ? primitiveOf(bytesOf(extension.critical), "boolean") : false;
            if (typeof oid !== "string" || typeof critical !== "boolean") throw new LayoutMismatch();
            return { oid, critical, value: contentAt(extension.value) };
          }),
        }
      : {}),
  };
}

/** One extension as listed: its value is decoded by whoever reads it (path/profile.ts). */
export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface CertificateFields {
  /** As asn1-x509 maps it: 0 for v1 (no [0] field), 2 for v3. */
  version: number;
  /** The INTEGER's content octets. */
  serialNumber: Uint8Array;
  /** tbsCertificate.signature. */
  tbsSignature: AlgorithmIdentifier;
  signatureAlgorithm: AlgorithmIdentifier;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  subjectPublicKeyInfo: Pick<SubjectPublicKeyInfo, "algorithm" | "subjectPublicKey">;
  /** Undefined when the certificate has no extensions field. */
  extensions?: RawExtension[];
  validity?: Element;
}

/** tbsCertificate fields by position, after the optional [0] version. */
const TBS_FIELDS = ["serialNumber", "signature", "issuer", "validity", "subject", "subjectPublicKeyInfo"];

export function tbsFields(certificate: Element): Map<string, Element> {
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

const UNIVERSAL = 1;
const CONTEXT = 3;
const is = (element: Element | undefined, tagClass: number, tagNumber: number, constructed: boolean) => {
  if (!element) return false;
  const tag = tagOf(element);
  return tag.tagClass === tagClass && tag.tagNumber === tagNumber && tag.constructed === constructed;
};

/**
 * The fields of a certificate's decoded tree, or undefined when the tree does not have the shape
 * of one (the caller then maps the whole schema, whose error says what is wrong).
 */
export function certificateFields(certificate: Element): CertificateFields | undefined {
  try {
    const [tbs, signatureAlgorithm] = childrenOf(certificate) ?? [];
    const children = tbs ? childrenOf(tbs) : undefined;
    if (!children || !signatureAlgorithm) return undefined;
    let at = 0;
    let version = 0;
    if (is(children[0], CONTEXT, 0, true)) {
      const integer = childrenOf(children[0]!)?.[0];
      if (!is(integer, UNIVERSAL, 2, false)) return undefined;
      version = AsnIntegerConverter.fromASN(integer as never) as number;
      at = 1;
    }
    const [serial, signature, issuer, validity, subject, spki, ...rest] = children.slice(at);
    if (!is(serial, UNIVERSAL, 2, false) || !spki) return undefined;
    const extensionsField = rest.find((element) => is(element, CONTEXT, 3, true));
    return {
      version,
      serialNumber: new Uint8Array(AsnIntegerArrayBufferConverter.fromASN(serial as never)),
      tbsSignature: algorithmIdentifier(signature!),
      signatureAlgorithm: algorithmIdentifier(signatureAlgorithm),
      issuer: distinguishedName(issuer!),
      subject: distinguishedName(subject!),
      subjectPublicKeyInfo: keyInfo(spki),
      ...(extensionsField ? { extensions: extensionsOf(extensionsField) } : {}),
      ...(validity ? { validity } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * SubjectPublicKeyInfo: its algorithm identifier (the same for every P-256 or RSA key, so mapped
 * once) and the key's bits; one of unusual shape goes through the schema.
 */
function keyInfo(spki: Element): CertificateFields["subjectPublicKeyInfo"] {
  const parts = childrenOf(spki) ?? [];
  const [algorithm, key] = parts;
  if (parts.length !== 2 || !is(algorithm, UNIVERSAL, 16, true) || !is(key, UNIVERSAL, 3, false))
    return AsnParser.fromASN(spki, SubjectPublicKeyInfo);
  return {
    algorithm: algorithmIdentifier(algorithm!),
    subjectPublicKey: AsnBitStringConverter.fromASN(key as never),
  };
}

/** [3] EXPLICIT SEQUENCE OF Extension; an extension of unusual shape goes through the schema. */
function extensionsOf(field: Element): RawExtension[] {
  const list = childrenOf(field)?.[0];
  const items = list && is(list, UNIVERSAL, 16, true) ? childrenOf(list) : undefined;
  if (!items) throw new Error("extensions are not a SEQUENCE");
  return items.map((item) => {
    const parts = childrenOf(item) ?? [];
    const [id, second, third] = parts;
    const plain =
      parts.length <= 3 &&
      is(item, UNIVERSAL, 16, true) &&
      is(id, UNIVERSAL, 6, false) &&
      (third === undefined
        ? is(second, UNIVERSAL, 4, false)
        : is(second, UNIVERSAL, 1, false) && is(third, UNIVERSAL, 4, false));
    if (!plain) {
      const mapped = AsnParser.fromASN(item, Extension);
      return {
        oid: mapped.extnID,
        critical: mapped.critical,
        value: new Uint8Array(mapped.extnValue.buffer),
      };
    }
    return {
      oid: AsnObjectIdentifierConverter.fromASN(id as never),
      critical: third === undefined ? false : AsnBooleanConverter.fromASN(second as never),
      value: contentOf(third ?? second!),
    };
  });
}
