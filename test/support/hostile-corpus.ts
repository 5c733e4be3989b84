/**
 * Hostile input for the reader, built at test time: certificates with odd but real encodings
 * (UTCTime/GeneralizedTime boundaries, negative serials, names in legacy string types, EC keys with
 * explicit curve parameters, huge SAN lists) and malformed ones (wrong lengths, truncation, deep
 * nesting). Certificates are assembled here from raw DER so every byte is under the test's control,
 * and signed with a key that only lives in memory; nothing secret is committed.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { ParsedCertificate } from "../../functions/core/certificates/certificate";
import { DEFAULT_POLICY, type EvaluationPolicy } from "../../functions/core/certificates/evaluate";
import type { Finding } from "../../functions/core/contracts";
import { scanFile } from "../../functions/core/scan/read-files";

// ---------------------------------------------------------------------------------------------
// A minimal DER writer: tag, minimal definite length, content.

export function lengthBytes(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  return Buffer.concat([Uint8Array.of(tag), lengthBytes(body.length), body]);
}

export const seq = (...content: Uint8Array[]) => tlv(0x30, ...content);
export const set = (...content: Uint8Array[]) => tlv(0x31, ...content);
export const octets = (content: Uint8Array) => tlv(0x04, content);
export const bitString = (content: Uint8Array) => tlv(0x03, Uint8Array.of(0), content);
export const integerBytes = (content: Uint8Array) => tlv(0x02, content);
export const integer = (value: number) => integerBytes(twosComplement(BigInt(value)));

/** Minimal two's-complement bytes of an integer, as DER INTEGER content. */
export function twosComplement(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(BigInt.asUintN(8, rest));
    bytes.unshift(byte);
    rest >>= 8n;
    const signBit = (byte & 0x80) !== 0;
    if ((rest === 0n && !signBit) || (rest === -1n && signBit)) break;
  }
  return Uint8Array.from(bytes);
}

export function oid(dotted: string): Uint8Array {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const body: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift((value % 128) | (groups.length > 0 ? 0x80 : 0));
      if (value < 128) break;
    }
    body.push(...groups);
  }
  return tlv(0x06, Uint8Array.from(body));
}

// ---------------------------------------------------------------------------------------------
// Certificate fields

/** ASN.1 universal tags of the string types names are written in. */
export const STRING_TAG = {
  utf8: 0x0c,
  printable: 0x13,
  teletex: 0x14,
  ia5: 0x16,
  universal: 0x1c,
  bmp: 0x1e,
} as const;

export const OIDS = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  ecPublicKey: "1.2.840.10045.2.1",
  primeField: "1.2.840.10045.1.1",
  prime256v1: "1.2.840.10045.3.1.7",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
} as const;

export interface NameAttribute {
  type: string;
  /** Universal tag of the string type. */
  tag: number;
  /** The value's bytes exactly as they are to be encoded. */
  bytes: Uint8Array;
}

export const attribute = (type: string, tag: number, bytes: Uint8Array | string): NameAttribute => ({
  type,
  tag,
  bytes: typeof bytes === "string" ? new Uint8Array(Buffer.from(bytes, "utf8")) : bytes,
});

export const cn = (value: string) => attribute(OIDS.commonName, STRING_TAG.utf8, value);

export function encodeName(attributes: NameAttribute[]): Uint8Array {
  return seq(...attributes.map((a) => set(seq(oid(a.type), tlv(a.tag, a.bytes)))));
}

/** A time as written in the certificate: the tag (UTCTime or GeneralizedTime) and the exact text. */
export interface TimeSpec {
  tag: 0x17 | 0x18;
  text: string;
}

export const utcTime = (text: string): TimeSpec => ({ tag: 0x17, text });
export const generalizedTime = (text: string): TimeSpec => ({ tag: 0x18, text });

const encodeTime = (time: TimeSpec) => tlv(time.tag, new Uint8Array(Buffer.from(time.text, "latin1")));

export function extension(id: string, value: Uint8Array, critical = false): Uint8Array {
  return seq(oid(id), ...(critical ? [tlv(0x01, Uint8Array.of(0xff))] : []), octets(value));
}

/** subjectAltName with dNSName entries ([2] IA5String). */
export function sanExtension(dnsNames: readonly string[]): Uint8Array {
  return extension(
    OIDS.subjectAltName,
    seq(...dnsNames.map((name) => tlv(0x82, new Uint8Array(Buffer.from(name, "latin1"))))),
  );
}

export const endEntityConstraints = () => extension(OIDS.basicConstraints, seq(), true);

// ---------------------------------------------------------------------------------------------
// Keys

let signingKeys: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

/** One P-256 key pair per test run, generated in memory. */
export function corpusKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  signingKeys ??= generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return signingKeys;
}

export function namedCurveSpki(publicKey: KeyObject = corpusKeys().publicKey): Uint8Array {
  return new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
}

/** The public domain parameters of P-256 (FIPS 186-4, SEC 2), to write them out explicitly. */
const P256 = {
  p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
  a: "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
  b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
  g:
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" +
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
  n: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
};

const unsigned = (hex: string) => integerBytes(Buffer.from(`00${hex}`, "hex"));

/**
 * The same P-256 public key, with the curve given as ECParameters (RFC 3279 §2.3.5) instead of
 * the named-curve OID: what some old Java and smart-card tool chains write, and what RFC 5480
 * forbids in certificates.
 */
export function explicitCurveSpki(
  publicKey: KeyObject = corpusKeys().publicKey,
  /** Replaces parts of P-256's parameters (hex), making a curve OpenSSL does not know. */
  changes: Partial<typeof P256> = {},
): Uint8Array {
  const curve = { ...P256, ...changes };
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([
    Uint8Array.of(4),
    Buffer.from(jwk.x ?? "", "base64url"),
    Buffer.from(jwk.y ?? "", "base64url"),
  ]);
  const parameters = seq(
    integer(1),
    seq(oid(OIDS.primeField), unsigned(curve.p)),
    seq(octets(Buffer.from(curve.a, "hex")), octets(Buffer.from(curve.b, "hex"))),
    octets(Buffer.from(curve.g, "hex")),
    unsigned(curve.n),
    integer(1),
  );
  return seq(seq(oid(OIDS.ecPublicKey), parameters), bitString(point));
}

// ---------------------------------------------------------------------------------------------
// Certificates

export interface CraftOptions {
  /** INTEGER content bytes of the serial number (two's complement, so 0xff.. is negative). */
  serial?: Uint8Array;
  subject?: NameAttribute[];
  /** Defaults to the subject: a self-issued certificate. */
  issuer?: NameAttribute[];
  notBefore?: TimeSpec;
  notAfter?: TimeSpec;
  spki?: Uint8Array;
  /** Encoded Extension elements; the default is an end-entity basicConstraints. */
  extensions?: Uint8Array[];
}

/** A v3 certificate signed with ECDSA-SHA256 by the corpus key. */
export function craftCertificate(options: CraftOptions = {}): Uint8Array {
  const subject = encodeName(options.subject ?? [cn("hostile.example.com")]);
  const algorithm = seq(oid(OIDS.ecdsaWithSha256));
  const extensions = options.extensions ?? [endEntityConstraints()];
  const tbs = seq(
    tlv(0xa0, integer(2)),
    integerBytes(options.serial ?? Uint8Array.of(0x01, 0x23)),
    algorithm,
    options.issuer ? encodeName(options.issuer) : subject,
    seq(
      encodeTime(options.notBefore ?? utcTime("250101000000Z")),
      encodeTime(options.notAfter ?? utcTime("350101000000Z")),
    ),
    subject,
    options.spki ?? namedCurveSpki(),
    ...(extensions.length > 0 ? [tlv(0xa3, seq(...extensions))] : []),
  );
  const signature = sign("sha256", tbs, corpusKeys().privateKey);
  return seq(tbs, algorithm, bitString(signature));
}

// ---------------------------------------------------------------------------------------------
// Damage done to a well-formed certificate's encoding

interface Header {
  /** Bytes of the identifier and length octets. */
  headerLength: number;
  contentLength: number;
}

/** The header of the DER element at `offset` (short or long form lengths only). */
export function headerAt(der: Uint8Array, offset = 0): Header {
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return { headerLength: 2, contentLength: first };
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i += 1) length = length * 256 + (der[offset + 2 + i] ?? 0);
  return { headerLength: 2 + count, contentLength: length };
}

/** The outer SEQUENCE re-headed with `length` written in `lengthOctets` (as given, unchecked). */
export function withOuterLengthOctets(der: Uint8Array, lengthOctets: Uint8Array): Uint8Array {
  const { headerLength } = headerAt(der);
  return Buffer.concat([Uint8Array.of(der[0] ?? 0x30), lengthOctets, der.subarray(headerLength)]);
}

/** The outer SEQUENCE claiming `delta` more (or fewer) content bytes than it has. */
export function withOuterLengthOff(der: Uint8Array, delta: number): Uint8Array {
  const { contentLength } = headerAt(der);
  const length = contentLength + delta;
  // Keep the two-byte long form of a real certificate so only the value changes.
  return withOuterLengthOctets(der, Uint8Array.of(0x82, (length >> 8) & 0xff, length & 0xff));
}

/** The certificate re-encoded with BER's indefinite length on the outer SEQUENCE. */
export function withIndefiniteOuterLength(der: Uint8Array): Uint8Array {
  return Buffer.concat([withOuterLengthOctets(der, Uint8Array.of(0x80)), Uint8Array.of(0, 0)]);
}

/** The tbsCertificate (the first inner element) claiming `delta` more or fewer bytes. */
export function withTbsLengthOff(der: Uint8Array, delta: number): Uint8Array {
  const at = headerAt(der).headerLength;
  const inner = headerAt(der, at);
  const count = inner.headerLength - 2;
  if (count === 0) throw new Error("expected a long-form tbsCertificate length");
  const copy = Buffer.from(der);
  // The length keeps its number of octets, so only its value changes.
  copy.writeUIntBE(inner.contentLength + delta, at + 2, count);
  return copy;
}

export interface ElementHeader {
  offset: number;
  headerLength: number;
  contentLength: number;
  constructed: boolean;
}

/** Every element of well-formed DER (definite lengths), outermost first, for targeted damage. */
export function elementHeaders(der: Uint8Array, offset = 0, end = der.length, out: ElementHeader[] = []) {
  while (offset < end) {
    const { headerLength, contentLength } = headerAt(der, offset);
    const constructed = ((der[offset] ?? 0) & 0x20) !== 0;
    if (offset + headerLength + contentLength > end) break;
    out.push({ offset, headerLength, contentLength, constructed });
    if (constructed) elementHeaders(der, offset + headerLength, offset + headerLength + contentLength, out);
    offset += headerLength + contentLength;
  }
  return out;
}

/** `der` with the length octets of one element replaced (and its content left as it was). */
export function withLengthOctets(der: Uint8Array, element: ElementHeader, octets: Uint8Array): Uint8Array {
  return Buffer.concat([
    der.subarray(0, element.offset + 1),
    octets,
    der.subarray(element.offset + element.headerLength),
  ]);
}

/** `depth` SEQUENCEs, each holding the next, around a NULL; definite lengths (4-byte long form). */
export function nestedSequences(depth: number): Uint8Array {
  // Built from the inside out into one buffer, so depth costs linear time and memory.
  const out = Buffer.alloc(depth * 6 + 2);
  let start = out.length - 2;
  out[start] = 0x05;
  out[start + 1] = 0x00;
  for (let level = 0; level < depth; level += 1) {
    const length = out.length - start;
    start -= 6;
    out[start] = 0x30;
    out[start + 1] = 0x84;
    out.writeUInt32BE(length, start + 2);
  }
  return out;
}

/** `depth` indefinite-length SEQUENCEs, closed by their end-of-contents octets. */
export function nestedIndefiniteSequences(depth: number): Uint8Array {
  const out = Buffer.alloc(depth * 4);
  for (let level = 0; level < depth; level += 1) {
    out[level * 2] = 0x30;
    out[level * 2 + 1] = 0x80;
  }
  return out; // the trailing half is all end-of-contents (00 00) pairs
}

// ---------------------------------------------------------------------------------------------
// What a user sees: a file judged by the scan engine, as `watchpost scan FILE` would.

export const JUDGED_AT = new Date("2030-06-01T00:00:00Z");

export interface Judged {
  certificates: ParsedCertificate[];
  findings: Finding[];
  unreadable: Finding[];
}

/** Judges `bytes` as the named file `file`, at JUDGED_AT with the default thresholds. */
export async function judge(
  bytes: Uint8Array,
  file = "hostile.der",
  policy: Partial<EvaluationPolicy> = {},
  pkcs12Password?: string,
): Promise<Judged> {
  const outcome = await scanFile(
    { file, explicit: true, load: async () => ({ ok: true, bytes }) },
    { policy: { ...DEFAULT_POLICY, now: JUDGED_AT, ...policy }, pkcs12Password },
  );
  return {
    certificates: outcome.certificates,
    findings: outcome.findings,
    unreadable: outcome.findings.filter((finding) => finding.check === "unreadable"),
  };
}

/**
 * A certs-only PKCS#7 SignedData ContentInfo (what .p7b files hold), written directly: building one
 * of thousands of certificates through pkijs re-parses every certificate and takes seconds.
 */
export function pkcs7Bundle(certificates: readonly Uint8Array[]): Uint8Array {
  const signedData = seq(
    integer(1),
    set(),
    seq(oid("1.2.840.113549.1.7.1")),
    tlv(0xa0, ...certificates),
    set(),
  );
  return seq(oid("1.2.840.113549.1.7.2"), tlv(0xa0, signedData));
}
