/**
 * Certificates with exactly the fields a test asks for, built at test time from the X.509 schema
 * (@peculiar/asn1-x509) and signed with ECDSA P-256 through node:crypto: any version, serial, issuer
 * or subject name (empty included), and any list of extensions — duplicated, critical or not, or
 * with a value that does not decode. `good` profiles are what RFC 5280 and the CA/Browser Forum
 * profile expect of a root, an intermediate and a TLS server certificate; a test changes one thing.
 */
import "reflect-metadata";
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import { DAY } from "./pki";

export const ECDSA_SHA256 = "1.2.840.10045.4.3.2";
export const ECDSA_SHA384 = "1.2.840.10045.4.3.3";
export const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
export const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
export const ANY_EKU = "2.5.29.37.0";
/** Key usage bits, numbered as asn1-x509 and RFC 5280 §4.2.1.3 name them. */
export const KU = x509.KeyUsageFlags;

export interface CraftedExtension {
  oid: string;
  critical: boolean;
  value: ArrayBuffer;
}

export interface Crafted {
  der: Uint8Array;
  subject: string;
  keys: { privateKey: KeyObject; publicKey: KeyObject };
  /** SHA-1 of the public key bits (RFC 5280 §4.2.1.2 method 1): what a good SKI and a child's AKI hold. */
  keyId: ArrayBuffer;
}

export interface CraftOptions {
  subject: string;
  /** Signer; omitted means self-signed. */
  issuer?: Crafted;
  /** The issuer field, when it must differ from the signer's subject ("" for an empty name). */
  issuerName?: string;
  version?: 1 | 3;
  /** The serial's INTEGER content bytes, as encoded (0x80 first makes it negative). */
  serial?: number[];
  extensions: CraftedExtension[];
  /** tbsCertificate.signature, when it must differ from the outer signatureAlgorithm (ECDSA-SHA256). */
  innerSignature?: string;
  notBefore?: Date;
  notAfter?: Date;
  keys?: Crafted["keys"];
}

let serial = 0x100;

export function freshKeys(): Crafted["keys"] {
  return generateKeyPairSync("ec", { namedCurve: "prime256v1" });
}

export function keyIdOf(publicKey: KeyObject): ArrayBuffer {
  const spki = AsnConvert.parse(
    publicKey.export({ type: "spki", format: "der" }),
    asn1X509.SubjectPublicKeyInfo,
  );
  return new Uint8Array(createHash("sha1").update(new Uint8Array(spki.subjectPublicKey)).digest()).buffer;
}

function nameOf(text: string): asn1X509.Name {
  return text === ""
    ? new asn1X509.Name()
    : AsnConvert.parse(new x509.Name(text).toArrayBuffer(), asn1X509.Name);
}

export function craft(options: CraftOptions): Crafted {
  const keys = options.keys ?? freshKeys();
  const signer = options.issuer ?? { subject: options.subject, keys, keyId: keyIdOf(keys.publicKey) };
  serial += 1;
  const now = Date.now();
  const outer = new asn1X509.AlgorithmIdentifier({ algorithm: ECDSA_SHA256 });
  const tbs = new asn1X509.TBSCertificate({
    version: options.version === 1 ? asn1X509.Version.v1 : asn1X509.Version.v3,
    serialNumber: new Uint8Array(options.serial ?? [0x01, (serial >> 8) & 0xff, serial & 0xff]).buffer,
    signature: options.innerSignature
      ? new asn1X509.AlgorithmIdentifier({ algorithm: options.innerSignature })
      : outer,
    issuer: nameOf(options.issuerName ?? signer.subject),
    subject: nameOf(options.subject),
    validity: new asn1X509.Validity({
      notBefore: options.notBefore ?? new Date(now - DAY),
      notAfter: options.notAfter ?? new Date(now + 365 * DAY),
    }),
    subjectPublicKeyInfo: AsnConvert.parse(
      keys.publicKey.export({ type: "spki", format: "der" }),
      asn1X509.SubjectPublicKeyInfo,
    ),
    ...(options.extensions.length > 0
      ? {
          extensions: new asn1X509.Extensions(
            options.extensions.map(
              (e) =>
                new asn1X509.Extension({
                  extnID: e.oid,
                  critical: e.critical,
                  extnValue: new OctetString(e.value),
                }),
            ),
          ),
        }
      : {}),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const certificate = new asn1X509.Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: outer,
    signatureValue: new Uint8Array(sign("sha256", tbsDer, signer.keys.privateKey)).buffer,
  });
  return {
    der: new Uint8Array(AsnConvert.serialize(certificate)),
    subject: options.subject,
    keys,
    keyId: keyIdOf(keys.publicKey),
  };
}

const value = (asn: unknown) => AsnConvert.serialize(asn);

/** Extension builders: each returns one extension; `critical` defaults to what a good profile uses. */
export const ext = {
  basicConstraints: (
    cA: boolean,
    { pathLen, critical = true }: { pathLen?: number; critical?: boolean } = {},
  ) => ({
    oid: asn1X509.id_ce_basicConstraints,
    critical,
    value: value(
      new asn1X509.BasicConstraints({ cA, ...(pathLen !== undefined ? { pathLenConstraint: pathLen } : {}) }),
    ),
  }),
  keyUsage: (bits: number, critical = true) => ({
    oid: asn1X509.id_ce_keyUsage,
    critical,
    value: value(new asn1X509.KeyUsage(bits)),
  }),
  extKeyUsage: (purposes: string[], critical = false) => ({
    oid: asn1X509.id_ce_extKeyUsage,
    critical,
    value: value(new asn1X509.ExtendedKeyUsage(purposes)),
  }),
  dnsNames: (names: string[], critical = false) => ({
    oid: asn1X509.id_ce_subjectAltName,
    critical,
    value: value(
      new asn1X509.SubjectAlternativeName(names.map((dNSName) => new asn1X509.GeneralName({ dNSName }))),
    ),
  }),
  /** A subjectAltName of DNS names and IP addresses (written as text, encoded as 4 or 16 bytes). */
  names: (dns: string[], ips: string[]) => ({
    oid: asn1X509.id_ce_subjectAltName,
    critical: false,
    value: value(
      new asn1X509.SubjectAlternativeName([
        ...dns.map((dNSName) => new asn1X509.GeneralName({ dNSName })),
        ...ips.map((iPAddress) => new asn1X509.GeneralName({ iPAddress })),
      ]),
    ),
  }),
  /** A subjectAltName holding one iPAddress of exactly these bytes (RFC 5280 wants 4 or 16). */
  ipAddressBytes: (bytes: number[]) => ({
    oid: asn1X509.id_ce_subjectAltName,
    critical: false,
    value: new Uint8Array([0x30, bytes.length + 2, 0x87, bytes.length, ...bytes]).buffer,
  }),
  subjectKeyId: (keyId: ArrayBuffer) => ({
    oid: asn1X509.id_ce_subjectKeyIdentifier,
    critical: false,
    value: value(new asn1X509.SubjectKeyIdentifier(keyId)),
  }),
  authorityKeyId: (
    keyId: ArrayBuffer | undefined,
    { issuerName, serial: authoritySerial }: { issuerName?: string; serial?: number[] } = {},
  ) => ({
    oid: asn1X509.id_ce_authorityKeyIdentifier,
    critical: false,
    value: value(
      new asn1X509.AuthorityKeyIdentifier({
        ...(keyId ? { keyIdentifier: new asn1X509.KeyIdentifier(keyId) } : {}),
        ...(issuerName
          ? { authorityCertIssuer: [new asn1X509.GeneralName({ directoryName: nameOf(issuerName) })] }
          : {}),
        ...(authoritySerial ? { authorityCertSerialNumber: new Uint8Array(authoritySerial).buffer } : {}),
      }),
    ),
  }),
  /** nameConstraints with these permitted and excluded DNS subtrees (either list may be empty). */
  nameConstraints: (permittedDns: string[], excludedDns: string[] = [], critical = true) => {
    const subtrees = (names: string[]) =>
      names.length > 0
        ? new asn1X509.GeneralSubtrees(
            names.map(
              (dNSName) => new asn1X509.GeneralSubtree({ base: new asn1X509.GeneralName({ dNSName }) }),
            ),
          )
        : undefined;
    const permittedSubtrees = subtrees(permittedDns);
    const excludedSubtrees = subtrees(excludedDns);
    return {
      oid: asn1X509.id_ce_nameConstraints,
      critical,
      value: value(
        new asn1X509.NameConstraints({
          ...(permittedSubtrees ? { permittedSubtrees } : {}),
          ...(excludedSubtrees ? { excludedSubtrees } : {}),
        }),
      ),
    };
  },
  /** An authorityInfoAccess with no access description: it does not decode as RFC 5280 §4.2.2.1 wants. */
  emptyAuthorityInfoAccess: () => ({
    oid: asn1X509.id_pe_authorityInfoAccess,
    critical: false,
    value: new Uint8Array([0x30, 0x00]).buffer,
  }),
  /** An extension under a private OID no client knows. */
  unknown: (critical: boolean) => ({
    oid: "1.3.6.1.4.1.55555.7.1",
    critical,
    value: new Uint8Array([0x05, 0x00]).buffer,
  }),
  /** A known extension whose value is not what its OID says (an OCTET STRING where a SEQUENCE belongs). */
  garbled: (oid: string) => ({ oid, critical: false, value: new Uint8Array([0x04, 0x01, 0xff]).buffer }),
} satisfies Record<string, (...args: never[]) => CraftedExtension>;

/** A root CA as RFC 5280 and the Baseline Requirements want it; `change` edits its extensions. */
export function goodRoot(
  subject = "CN=Crafted Root CA,O=watchpost",
  change: (extensions: CraftedExtension[], keys: Crafted["keys"]) => CraftedExtension[] = (e) => e,
  options: Partial<CraftOptions> = {},
): Crafted {
  const keys = options.keys ?? freshKeys();
  const extensions = [
    ext.basicConstraints(true),
    ext.keyUsage(KU.keyCertSign | KU.cRLSign),
    ext.subjectKeyId(keyIdOf(keys.publicKey)),
  ];
  return craft({
    subject,
    keys,
    notAfter: new Date(Date.now() + 3650 * DAY),
    ...options,
    extensions: change(extensions, keys),
  });
}

/** An intermediate CA under `issuer`; `change` edits its extensions. */
export function goodIntermediate(
  issuer: Crafted,
  subject = "CN=Crafted Issuing CA,O=watchpost",
  change: (extensions: CraftedExtension[], keys: Crafted["keys"]) => CraftedExtension[] = (e) => e,
  options: Partial<CraftOptions> = {},
): Crafted {
  const keys = options.keys ?? freshKeys();
  const extensions = [
    ext.basicConstraints(true),
    ext.keyUsage(KU.keyCertSign | KU.cRLSign),
    ext.subjectKeyId(keyIdOf(keys.publicKey)),
    ext.authorityKeyId(issuer.keyId),
  ];
  return craft({
    subject,
    issuer,
    keys,
    notAfter: new Date(Date.now() + 3000 * DAY),
    ...options,
    extensions: change(extensions, keys),
  });
}

/** A TLS server certificate for `host` under `issuer`; `change` edits its extensions. */
export function goodLeaf(
  issuer: Crafted,
  host = "node1.cluster.local",
  change: (extensions: CraftedExtension[]) => CraftedExtension[] = (e) => e,
  options: Partial<CraftOptions> = {},
): Crafted {
  const extensions = [
    ext.basicConstraints(false),
    ext.keyUsage(KU.digitalSignature),
    ext.extKeyUsage([SERVER_AUTH]),
    ext.dnsNames([host]),
    ext.authorityKeyId(issuer.keyId),
  ];
  return craft({ subject: `CN=${host}`, issuer, ...options, extensions: change(extensions) });
}

/** Replaces the extension of `oid` in a list (or appends it), keeping the order of the others. */
export function replacing(oid: string, by: CraftedExtension | undefined) {
  return (extensions: CraftedExtension[]): CraftedExtension[] => {
    const at = extensions.findIndex((e) => e.oid === oid);
    if (at < 0) return by ? [...extensions, by] : extensions;
    return by ? extensions.with(at, by) : extensions.filter((_, index) => index !== at);
  };
}
