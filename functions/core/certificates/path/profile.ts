/**
 * What path validation reads from a certificate beyond the facts every check shares: version,
 * canonical names, key and signature algorithms, and an inventory of the extensions with the ones
 * RFC 5280 §6 and TLS clients act on decoded (basic constraints, key usage, extended key usage,
 * subject alternative names, name constraints, key identifiers). It is built once, from the
 * fields parseCertificate has already read, and never throws: an extension that does not decode
 * is listed as malformed, for the chain check to judge.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  type GeneralName,
  KeyUsage,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
} from "@peculiar/asn1-x509";
import { DecodeCache } from "../decode-cache";
import { parseOptionsFor } from "../formats/ber";
import { type CertificateFields, canonicalName } from "../x509-fields";
import type { CanonicalName } from "./names";
import { type RawGeneralName, RawNameConstraints } from "./schemas";

export const OIDS = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  crlDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  policyMappings: "2.5.29.33",
  authorityKeyIdentifier: "2.5.29.35",
  policyConstraints: "2.5.29.36",
  extKeyUsage: "2.5.29.37",
  inhibitAnyPolicy: "2.5.29.54",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  anyExtendedKeyUsage: "2.5.29.37.0",
  emailAddress: "1.2.840.113549.1.9.1",
  commonName: "2.5.4.3",
} as const;

export type GeneralNameInfo =
  | { kind: "dns"; value: string }
  | { kind: "ip"; bytes: Uint8Array }
  | { kind: "email"; value: string }
  | { kind: "uri"; value: string }
  | { kind: "dn"; name: CanonicalName }
  | { kind: "other"; tag: string };

export interface CertificateProfile {
  /** 1, 2 or 3. */
  version: number;
  /** tbsCertificate.signature and signatureAlgorithm are the same (RFC 5280 §4.1.1.2). */
  signatureAlgorithmsMatch: boolean;
  serialNegative: boolean;
  /**
   * Octets of the serial number's value: its DER content without the one leading zero a positive
   * number whose top bit is set carries (RFC 5280 §4.1.2.2 caps the value at 20 octets).
   */
  serialOctets: number;
  /** The serial number is zero, which RFC 5280 §4.1.2.2 (a positive integer) does not allow. */
  serialZero: boolean;
  subjectName: CanonicalName;
  /** Canonical subject and issuer: an issuer candidate's subjectKey equals the child's issuerKey. */
  subjectKey: string;
  issuerKey: string;
  subjectEmpty: boolean;
  issuerEmpty: boolean;
  /** emailAddress attributes of the subject, which rfc822Name constraints also cover. */
  subjectEmails: string[];
  /** SHA-256 of the subject public key (algorithm and bits): "the same key" across certificates. */
  keyHash: string;
  keyAlgorithm: { oid: string; namedCurve?: string; explicitCurve: boolean };
  signature: { oid: string; parameters?: string };
  extensions: { oid: string; critical: boolean }[];
  duplicateExtensions: string[];
  malformedExtensions: { oid: string; detail: string }[];
  basicConstraints?: { cA: boolean; pathLen?: number; critical: boolean };
  keyUsage?: { bits: number; critical: boolean };
  extKeyUsage?: { purposes: string[]; critical: boolean };
  subjectAltName?: {
    names: GeneralNameInfo[];
    /** The dNSName and iPAddress entries as text, IPv6 compressed (as @peculiar/x509 writes them). */
    dnsNames: string[];
    ipAddresses: string[];
    critical: boolean;
  };
  nameConstraints?: {
    permitted: GeneralNameInfo[];
    excluded: GeneralNameInfo[];
    critical: boolean;
  };
  authorityKeyId?: { keyId?: string; hasIssuer: boolean; hasSerial: boolean; critical: boolean };
  subjectKeyId?: { keyId: string; critical: boolean };
  authorityInfoAccess?: { entries: number; critical: boolean };
}

/** Key usage bits as @peculiar/asn1-x509 numbers them. */
export const KEY_USAGE = {
  digitalSignature: 1,
  keyEncipherment: 4,
  keyAgreement: 16,
  keyCertSign: 32,
} as const;

/** Extension values repeat across a store (every leaf of a CA has its authority key identifier). */
const EXTENSION_VALUES = new DecodeCache<{ value: unknown } | { error: string }>(4_096);

/**
 * The profile of a certificate from its fields (x509-fields.ts). Each extension value is decoded
 * once per distinct encoding and the result shared: nothing downstream changes a profile.
 */
export function profileOf(fields: CertificateFields): CertificateProfile {
  const { subject, issuer } = fields;
  const extensions = (fields.extensions ?? []).map((e) => ({ oid: e.oid, critical: e.critical }));
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const { oid } of extensions) (seen.has(oid) ? duplicates : seen).add(oid);
  const malformed: CertificateProfile["malformedExtensions"] = [];
  const decode = <T, R>(
    oid: string,
    read: (value: ArrayBuffer) => T,
    shape: (decoded: T, critical: boolean) => R,
  ): R | undefined => {
    const found = fields.extensions?.find((e) => e.oid === oid);
    if (!found) return undefined;
    const outcome = EXTENSION_VALUES.get(
      found.value,
      () => {
        try {
          return { value: read(new Uint8Array(found.value).buffer) };
        } catch (error) {
          return { error: error instanceof Error ? error.message : String(error) };
        }
      },
      `${oid}:`,
    );
    if ("error" in outcome) {
      malformed.push({ oid, detail: outcome.error });
      return undefined;
    }
    return shape(outcome.value as T, found.critical);
  };
  const parse = <T>(value: ArrayBuffer, schema: new () => T): T =>
    AsnConvert.parse(value, schema, parseOptionsFor(value.byteLength));
  const spki = fields.subjectPublicKeyInfo;
  const curveParameters = spki.algorithm.parameters ? new Uint8Array(spki.algorithm.parameters) : undefined;
  const signature = fields.signatureAlgorithm;

  return {
    version: fields.version + 1,
    signatureAlgorithmsMatch:
      fields.tbsSignature.algorithm === signature.algorithm &&
      hexOf(fields.tbsSignature.parameters) === hexOf(signature.parameters),
    serialNegative: (fields.serialNumber[0] ?? 0) >= 0x80,
    serialOctets:
      fields.serialNumber.length > 1 && fields.serialNumber[0] === 0 && (fields.serialNumber[1] ?? 0) >= 0x80
        ? fields.serialNumber.length - 1
        : fields.serialNumber.length,
    serialZero: fields.serialNumber.every((byte) => byte === 0),
    subjectName: subject.canonical,
    subjectKey: subject.key,
    issuerKey: issuer.key,
    subjectEmpty: subject.empty,
    issuerEmpty: issuer.empty,
    subjectEmails: subject.emails,
    keyHash: createHash("sha256")
      .update(spki.algorithm.algorithm)
      .update(new Uint8Array(spki.subjectPublicKey))
      .digest("hex"),
    keyAlgorithm: {
      oid: spki.algorithm.algorithm,
      ...(curveParameters?.[0] === 0x06 ? { namedCurve: hexOf(curveParameters) } : {}),
      explicitCurve: curveParameters?.[0] === 0x30,
    },
    signature: {
      oid: signature.algorithm,
      ...(signature.parameters ? { parameters: hexOf(signature.parameters) } : {}),
    },
    extensions,
    duplicateExtensions: [...duplicates],
    malformedExtensions: malformed,
    basicConstraints: decode(
      OIDS.basicConstraints,
      (value) => {
        const bc = parse(value, BasicConstraints);
        return {
          cA: bc.cA,
          ...(bc.pathLenConstraint !== undefined ? { pathLen: Number(bc.pathLenConstraint) } : {}),
        };
      },
      (bc, critical) => ({ ...bc, critical }),
    ),
    keyUsage: decode(
      OIDS.keyUsage,
      // No usage set is an empty BIT STRING (03 01 00, its only DER form), which asn1-x509 reads as NaN.
      (value) => parse(value, KeyUsage).toNumber() || 0,
      (bits, critical) => ({ bits, critical }),
    ),
    extKeyUsage: decode(
      OIDS.extKeyUsage,
      (value) => [...parse(value, ExtendedKeyUsage)].map(String),
      (purposes, critical) => ({ purposes, critical }),
    ),
    subjectAltName: decode(
      OIDS.subjectAltName,
      (value) => {
        const names = [...parse(value, SubjectAlternativeName)];
        return {
          names: names.map(sanName),
          dnsNames: names.flatMap((n) => (n.dNSName !== undefined ? [n.dNSName] : [])),
          ipAddresses: names.flatMap((n) => (n.iPAddress !== undefined ? [n.iPAddress] : [])),
        };
      },
      (san, critical) => ({ ...san, critical }),
    ),
    nameConstraints: decode(
      OIDS.nameConstraints,
      (value) => {
        const nc = parse(value, RawNameConstraints);
        return {
          permitted: [...(nc.permittedSubtrees ?? [])].map((s) => generalName(s.base)),
          excluded: [...(nc.excludedSubtrees ?? [])].map((s) => generalName(s.base)),
        };
      },
      (nc, critical) => ({ ...nc, critical }),
    ),
    authorityKeyId: decode(
      OIDS.authorityKeyIdentifier,
      (value) => {
        const aki = parse(value, AuthorityKeyIdentifier);
        return {
          ...(aki.keyIdentifier ? { keyId: hexOf(aki.keyIdentifier.buffer) } : {}),
          hasIssuer: aki.authorityCertIssuer !== undefined,
          hasSerial: aki.authorityCertSerialNumber !== undefined,
        };
      },
      (aki, critical) => ({ ...aki, critical }),
    ),
    subjectKeyId: decode(
      OIDS.subjectKeyIdentifier,
      (value) => hexOf(parse(value, SubjectKeyIdentifier).buffer),
      (keyId, critical) => ({ keyId, critical }),
    ),
    authorityInfoAccess: decode(
      OIDS.authorityInfoAccess,
      (value) => {
        const entries = parse(value, AuthorityInfoAccessSyntax).length;
        if (entries === 0) throw new Error("it lists no access description");
        return entries;
      },
      (entries, critical) => ({ entries, critical }),
    ),
  };
}

function hexOf(bytes: ArrayBuffer | Uint8Array | null | undefined): string {
  return bytes
    ? Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex")
    : "";
}

/**
 * A subjectAltName entry. asn1-x509 gives an iPAddress as text: a dotted IPv4 address for 4 bytes,
 * an IPv6 address for 16, an address and prefix ("a.b.c.d/n") for 8 or 32, hex otherwise; the
 * bytes are recovered from it, and any length but 4 and 16 is kept as what it is (malformed).
 */
function sanName(name: GeneralName): GeneralNameInfo {
  if (name.iPAddress !== undefined) return { kind: "ip", bytes: ipBytes(name.iPAddress) };
  return generalName(name as unknown as RawGeneralName);
}

function ipBytes(text: string): Uint8Array {
  if (isIP(text) === 4) return Uint8Array.from(text.split(".").map(Number));
  if (isIP(text) === 6) return ipv6Bytes(text);
  const [address = "", prefix] = text.split("/");
  if (prefix !== undefined) {
    const length = isIP(address) === 6 ? 32 : 8;
    return new Uint8Array(length); // an address and a mask: malformed as a subjectAltName
  }
  return new Uint8Array(Math.ceil(text.length / 2));
}

function ipv6Bytes(text: string): Uint8Array {
  const [head = "", tail] = text.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return Uint8Array.from(all.flatMap((group) => [group >> 8, group & 0xff]));
}

function generalName(name: RawGeneralName): GeneralNameInfo {
  if (name.dNSName !== undefined) return { kind: "dns", value: name.dNSName };
  if (name.iPAddress !== undefined) return { kind: "ip", bytes: new Uint8Array(name.iPAddress) };
  if (name.rfc822Name !== undefined) return { kind: "email", value: name.rfc822Name };
  if (name.uniformResourceIdentifier !== undefined)
    return { kind: "uri", value: name.uniformResourceIdentifier };
  if (name.directoryName !== undefined) return { kind: "dn", name: canonicalName(name.directoryName) };
  if (name.otherName !== undefined) return { kind: "other", tag: "otherName" };
  if (name.registeredID !== undefined) return { kind: "other", tag: "registeredID" };
  if (name.ediPartyName !== undefined) return { kind: "other", tag: "ediPartyName" };
  return { kind: "other", tag: "x400Address" };
}
