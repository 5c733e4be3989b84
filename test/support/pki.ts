/**
 * Test-time PKI: every certificate the suite uses is generated here, so no private key is
 * committed. Defaults are a P-256 key and ECDSA-SHA256, valid from a day ago for a year.
 */
import "reflect-metadata";
import {
  createCipheriv,
  createHash,
  generateKeyPairSync,
  KeyObject,
  sign as nodeSign,
  randomBytes,
  webcrypto,
} from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const DAY = 86_400_000;

export type KeySpec = "p256" | "p384" | "rsa2048" | "rsa1024" | "rsa3072";

export interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
  der: Uint8Array;
  keySpec: KeySpec;
}

export interface IssueOptions {
  subject?: string;
  /** DNS names for the SAN extension; leave empty for a certificate without SAN. */
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
  isCA?: boolean;
  key?: KeySpec;
  /** Digest for the signature: SHA-1 is here for the weak-crypto tests. */
  hash?: "SHA-1" | "SHA-256" | "SHA-384";
  /** Issuer; omitted means self-signed. */
  issuer?: Issued;
  serialNumber?: string;
  /** extendedKeyUsage OIDs (e.g. "1.3.6.1.5.5.7.3.1" serverAuth); omitted means no extension. */
  extendedKeyUsage?: string[];
  /** Extensions of the test's own making, as DER values by OID (e.g. an authorityKeyIdentifier). */
  rawExtensions?: { oid: string; critical?: boolean; value: Uint8Array }[];
  /** The TLS feature extension asking for a stapled OCSP response (RFC 7633 "must-staple"). */
  mustStaple?: boolean;
  /** An Authority Information Access caIssuers address (RFC 5280 §4.2.2.1). */
  caIssuersUrl?: string;
  /** A key of its own rather than one from the pool: a signature by it verifies with no other certificate's key. */
  freshKey?: boolean;
}

const keyCache = new Map<KeySpec, CryptoKeyPair[]>();
let keyCursor = 0;

function keyAlgorithm(spec: KeySpec): EcKeyGenParams | RsaHashedKeyGenParams {
  switch (spec) {
    case "p256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "p384":
      return { name: "ECDSA", namedCurve: "P-384" };
    default:
      return {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: Number(spec.slice(3)),
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      };
  }
}

/** Fresh key pair; RSA keys are slow to make, so a small pool is reused across certificates. */
export async function generateKeys(spec: KeySpec = "p256"): Promise<CryptoKeyPair> {
  const pool = keyCache.get(spec) ?? [];
  keyCache.set(spec, pool);
  if (pool.length < 4) {
    const keys = (await webcrypto.subtle.generateKey(keyAlgorithm(spec), true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    pool.push(keys);
    return keys;
  }
  keyCursor += 1;
  return pool[keyCursor % pool.length]!;
}

function signingAlgorithm(spec: KeySpec, hash: string): Algorithm & { hash: string } {
  return spec.startsWith("rsa") ? { name: "RSASSA-PKCS1-v1_5", hash } : { name: "ECDSA", hash };
}

let serial = 1;

export async function issue(options: IssueOptions = {}): Promise<Issued> {
  const now = Date.now();
  const keySpec = options.key ?? "p256";
  const keys = options.freshKey
    ? ((await webcrypto.subtle.generateKey(keyAlgorithm(keySpec), true, ["sign", "verify"])) as CryptoKeyPair)
    : await generateKeys(keySpec);
  const subject = options.subject ?? "CN=test.example.com";
  const issuer = options.issuer;
  const signerSpec = issuer?.keySpec ?? keySpec;
  const extensions: x509.Extension[] = [];
  if (options.isCA) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
  }
  const sans: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  if (options.extendedKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension(options.extendedKeyUsage));
  // Features ::= SEQUENCE OF INTEGER, here { 5 } (status_request).
  if (options.mustStaple)
    extensions.push(new x509.Extension("1.3.6.1.5.5.7.1.24", false, new Uint8Array([0x30, 3, 2, 1, 5])));
  if (options.caIssuersUrl)
    extensions.push(
      new x509.AuthorityInfoAccessExtension({ caIssuers: new x509.GeneralName("url", options.caIssuersUrl) }),
    );
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  if (issuer) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  }
  for (const raw of options.rawExtensions ?? [])
    extensions.push(new x509.Extension(raw.oid, raw.critical ?? false, new Uint8Array(raw.value)));

  serial += 1;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? serial.toString(16).padStart(8, "0").padStart(2, "1"),
    subject,
    issuer: issuer ? issuer.cert.subject : subject,
    notBefore: options.notBefore ?? new Date(now - DAY),
    notAfter: options.notAfter ?? new Date(now + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: issuer ? issuer.keys.privateKey : keys.privateKey,
    signingAlgorithm: signingAlgorithm(signerSpec, options.hash ?? "SHA-256"),
    extensions,
  });
  const der = new Uint8Array(cert.rawData);
  return { cert, keys, pem: cert.toString("pem"), der, keySpec };
}

/** A root CA, an intermediate under it, and a leaf for `host` under the intermediate. */
export async function chain(host = "node1.cluster.local", leaf: Partial<IssueOptions> = {}) {
  const root = await issue({ subject: "CN=Watchpost Test Root CA,O=watchpost", isCA: true });
  const intermediate = await issue({
    subject: "CN=Watchpost Test Intermediate CA,O=watchpost",
    isCA: true,
    issuer: root,
  });
  const end = await issue({ subject: `CN=${host}`, dnsNames: [host], issuer: intermediate, ...leaf });
  return { root, intermediate, leaf: end };
}

/** A chain for `host`, and two files as a store would hold them: a healthy and an expired leaf, each with the intermediate. */
export async function storedChain(host: string) {
  const pki = await chain(host);
  const old = await issue({
    dnsNames: [host],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 60 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  return {
    pki,
    healthy: `${pki.leaf.pem}\n${pki.intermediate.pem}`,
    expired: `${old.pem}\n${pki.intermediate.pem}`,
  };
}

export async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const lines = pkcs8.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

// ---------------------------------------------------------------------------------------------
// Certificates WebCrypto cannot make (MD5 signatures, small EC curves, DSA keys), assembled with
// @peculiar/asn1-x509 and signed with node:crypto.

export type RawKeySpec = "secp224r1" | "p256" | "p384" | "rsa1024" | "rsa2048" | "dsa2048";

export interface RawIssued extends RawKeyPair {
  der: Uint8Array;
  subject: string;
}

export interface RawKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface RawIssueOptions {
  subject?: string;
  dnsNames?: string[];
  isCA?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  key?: RawKeySpec;
  /** Reuse an existing key pair for the subject (cross-signed CAs, key rollover). */
  keys?: RawKeyPair;
  hash?: "md5" | "sha1" | "sha256" | "sha384";
  /** Signer; omitted means self-signed. `asRawIssuer(issued)` adapts a certificate from `issue()`. */
  issuer?: Pick<RawIssued, "subject" | "privateKey" | "publicKey">;
  /** Leave out the subject/authority key identifiers, as old CAs did. */
  omitKeyIdentifiers?: boolean;
}

const rawKeyCache = new Map<RawKeySpec, { privateKey: KeyObject; publicKey: KeyObject }>();

function rawKeys(spec: RawKeySpec): { privateKey: KeyObject; publicKey: KeyObject } {
  const cached = rawKeyCache.get(spec);
  if (cached) return cached;
  const made = (() => {
    switch (spec) {
      case "secp224r1":
        return generateKeyPairSync("ec", { namedCurve: "secp224r1" });
      case "p256":
        return generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      case "p384":
        return generateKeyPairSync("ec", { namedCurve: "secp384r1" });
      case "rsa1024":
        return generateKeyPairSync("rsa", { modulusLength: 1024 });
      case "rsa2048":
        return generateKeyPairSync("rsa", { modulusLength: 2048 });
      case "dsa2048":
        return generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 });
    }
  })();
  rawKeyCache.set(spec, made);
  return made;
}

const RAW_SIGNATURE_OIDS: Record<string, Record<string, string>> = {
  rsa: {
    md5: "1.2.840.113549.1.1.4",
    sha1: "1.2.840.113549.1.1.5",
    sha256: "1.2.840.113549.1.1.11",
    sha384: "1.2.840.113549.1.1.12",
  },
  ec: {
    sha1: "1.2.840.10045.4.1",
    sha256: "1.2.840.10045.4.3.2",
    sha384: "1.2.840.10045.4.3.3",
  },
  dsa: { sha1: "1.2.840.10040.4.3", sha256: "2.16.840.1.101.3.4.3.2" },
};

/** Lets a certificate made by `issue()` sign certificates made by `issueRaw()`. */
export function asRawIssuer(issued: Issued): RawIssued {
  return {
    der: issued.der,
    subject: issued.cert.subject,
    privateKey: KeyObject.from(issued.keys.privateKey),
    publicKey: KeyObject.from(issued.keys.publicKey),
  };
}

function keyIdentifier(publicKey: KeyObject): ArrayBuffer {
  const spki = AsnConvert.parse(
    publicKey.export({ type: "spki", format: "der" }),
    asn1X509.SubjectPublicKeyInfo,
  );
  const digest = createHash("sha1").update(new Uint8Array(spki.subjectPublicKey)).digest();
  return new Uint8Array(digest).buffer;
}

export function issueRaw(options: RawIssueOptions = {}): RawIssued {
  const now = Date.now();
  const subject = options.subject ?? "CN=raw.example.com";
  const keys = options.keys ?? rawKeys(options.key ?? "p256");
  const signer = options.issuer ?? { subject, privateKey: keys.privateKey, publicKey: keys.publicKey };
  const signerType = signer.privateKey.asymmetricKeyType ?? "rsa";
  const hash = options.hash ?? "sha256";
  const oid = RAW_SIGNATURE_OIDS[signerType]?.[hash];
  if (!oid) throw new Error(`no signature OID for ${signerType} with ${hash}`);

  const extensions: asn1X509.Extension[] = [
    AsnConvert.parse(
      new x509.BasicConstraintsExtension(options.isCA ?? false, undefined, true).rawData,
      asn1X509.Extension,
    ),
  ];
  if (options.isCA) {
    const usage = new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
      true,
    );
    extensions.push(AsnConvert.parse(usage.rawData, asn1X509.Extension));
  }
  if (options.dnsNames?.length) {
    const san = new x509.SubjectAlternativeNameExtension(
      options.dnsNames.map((value) => ({ type: "dns" as const, value })),
    );
    extensions.push(AsnConvert.parse(san.rawData, asn1X509.Extension));
  }
  if (!options.omitKeyIdentifiers) {
    extensions.push(
      new asn1X509.Extension({
        extnID: asn1X509.id_ce_subjectKeyIdentifier,
        critical: false,
        extnValue: new OctetString(
          AsnConvert.serialize(new asn1X509.SubjectKeyIdentifier(keyIdentifier(keys.publicKey))),
        ),
      }),
    );
    if (options.issuer) {
      extensions.push(
        new asn1X509.Extension({
          extnID: asn1X509.id_ce_authorityKeyIdentifier,
          critical: false,
          extnValue: new OctetString(
            AsnConvert.serialize(
              new asn1X509.AuthorityKeyIdentifier({
                keyIdentifier: new asn1X509.KeyIdentifier(keyIdentifier(signer.publicKey)),
              }),
            ),
          ),
        }),
      );
    }
  }

  serial += 1;
  const algorithm = new asn1X509.AlgorithmIdentifier({
    algorithm: oid,
    // RSA signature algorithms carry an explicit NULL; ECDSA and DSA ones carry none.
    parameters: signerType === "rsa" ? new Uint8Array([5, 0]).buffer : undefined,
  });
  const tbs = new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: new Uint8Array([0x01, (serial >> 8) & 0xff, serial & 0xff]).buffer,
    signature: algorithm,
    issuer: AsnConvert.parse(new x509.Name(signer.subject).toArrayBuffer(), asn1X509.Name),
    subject: AsnConvert.parse(new x509.Name(subject).toArrayBuffer(), asn1X509.Name),
    validity: new asn1X509.Validity({
      notBefore: options.notBefore ?? new Date(now - DAY),
      notAfter: options.notAfter ?? new Date(now + 365 * DAY),
    }),
    subjectPublicKeyInfo: AsnConvert.parse(
      keys.publicKey.export({ type: "spki", format: "der" }),
      asn1X509.SubjectPublicKeyInfo,
    ),
    extensions: new asn1X509.Extensions(extensions),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = nodeSign(hash, tbsDer, signer.privateKey);
  const certificate = new asn1X509.Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: new Uint8Array(signature).buffer,
  });
  const der = new Uint8Array(AsnConvert.serialize(certificate));
  return { der, subject, privateKey: keys.privateKey, publicKey: keys.publicKey };
}

// ---------------------------------------------------------------------------------------------
// Certificate containers built at test time: PEM armour, PKCS#7 bundles, PKCS#12 files.

type EngineCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]["crypto"];
pkijs.setEngine(
  "watchpost-tests",
  new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as EngineCrypto }),
);

/** PEM armour with 64-character lines. */
export function pemOf(label: string, der: Uint8Array, eol = "\n"): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, `$1${eol}`)
    .replace(new RegExp(`${eol}$`), "");
  return `-----BEGIN ${label}-----${eol}${body}${eol}-----END ${label}-----${eol}`;
}

/** A certs-only PKCS#7 SignedData (what .p7b/.p7c files hold), DER-encoded. */
export function pkcs7Der(certificates: Uint8Array[]): Uint8Array {
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: "1.2.840.113549.1.7.1" }),
    certificates: certificates.map((der) => pkijs.Certificate.fromBER(new Uint8Array(der))),
  });
  const info = new pkijs.ContentInfo({
    contentType: pkijs.ContentInfo.SIGNED_DATA,
    content: signed.toSchema(true),
  });
  return new Uint8Array(info.toSchema().toBER(false));
}

export interface Pkcs12Options {
  password: string;
  /**
   * How the certificate safe is encrypted: PBES2/AES-256-CBC (OpenSSL 3 default, built by pkijs),
   * the legacy pbeWithSHAAnd3-KeyTripleDES-CBC, RC4-128 (never decrypted by the reader, so its
   * ciphertext is random; RC2 files come from openssl, test/support/java-stores.ts), or not at all.
   */
  encryption?: "aes-256-cbc" | "3des" | "rc4-128" | "none";
  /** Password-based MAC over the content (default true, HMAC-SHA256 via pkijs). */
  mac?: boolean;
  iterations?: number;
}

/** A PKCS#12 file holding `certificates` in one safe (no key bag: the reader only wants certificates). */
export async function pkcs12(certificates: Uint8Array[], options: Pkcs12Options): Promise<Uint8Array> {
  const password = new Uint8Array(Buffer.from(options.password, "utf8")).buffer;
  const iterations = options.iterations ?? 2048;
  const safeContents = new pkijs.SafeContents({
    safeBags: certificates.map(
      (der) =>
        new pkijs.SafeBag({
          bagId: "1.2.840.113549.1.12.10.1.3",
          bagValue: new pkijs.CertBag({
            certId: "1.2.840.113549.1.9.22.1",
            certValue: new asn1js.OctetString({ valueHex: der }),
          }),
        }),
    ),
  });
  const plain = new Uint8Array(safeContents.toSchema().toBER(false));
  const authenticatedSafe = new pkijs.AuthenticatedSafe({ parsedValue: { safeContents: [] } });
  switch (options.encryption ?? "aes-256-cbc") {
    case "none":
      authenticatedSafe.safeContents = [dataContentInfo(plain)];
      break;
    case "aes-256-cbc":
      authenticatedSafe.parsedValue = { safeContents: [{ privacyMode: 1, value: safeContents }] };
      await authenticatedSafe.makeInternalValues({
        safeContents: [
          {
            password,
            contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
            hmacHashAlgorithm: "SHA-256",
            iterationCount: iterations,
          },
        ],
      });
      break;
    case "3des": {
      const salt = randomBytes(8);
      const key = pkcs12KeyForTests(1, options.password, salt, iterations, 24);
      const iv = pkcs12KeyForTests(2, options.password, salt, iterations, 8);
      const cipher = createCipheriv("des-ede3-cbc", key, iv);
      const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
      authenticatedSafe.safeContents = [
        encryptedContentInfo("1.2.840.113549.1.12.1.3", salt, iterations, ciphertext),
      ];
      break;
    }
    case "rc4-128":
      authenticatedSafe.safeContents = [
        encryptedContentInfo(
          "1.2.840.113549.1.12.1.1",
          randomBytes(8),
          iterations,
          randomBytes(plain.length + 8),
        ),
      ];
      break;
  }
  let pfx: pkijs.PFX;
  if (options.mac ?? true) {
    pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
    await pfx.makeInternalValues({
      password,
      iterations,
      pbkdf2HashAlgorithm: "SHA-256",
      hmacHashAlgorithm: "SHA-256",
    });
  } else {
    pfx = new pkijs.PFX({
      authSafe: dataContentInfo(new Uint8Array(authenticatedSafe.toSchema().toBER(false))),
    });
  }
  return new Uint8Array(pfx.toSchema().toBER(false));
}

function dataContentInfo(content: Uint8Array): pkijs.ContentInfo {
  return new pkijs.ContentInfo({
    contentType: pkijs.ContentInfo.DATA,
    content: new asn1js.OctetString({ valueHex: content }),
  });
}

function encryptedContentInfo(
  algorithmId: string,
  salt: Uint8Array,
  iterations: number,
  ciphertext: Uint8Array,
) {
  const encrypted = new pkijs.EncryptedData({
    version: 0,
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: pkijs.ContentInfo.DATA,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId,
        algorithmParams: new asn1js.Sequence({
          value: [new asn1js.OctetString({ valueHex: salt }), new asn1js.Integer({ value: iterations })],
        }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: ciphertext }),
    }),
  });
  return new pkijs.ContentInfo({
    contentType: pkijs.ContentInfo.ENCRYPTED_DATA,
    content: encrypted.toSchema(),
  });
}

/** RFC 7292 appendix B.2 with SHA-1, written from the RFC for the tests (the reader has its own). */
function pkcs12KeyForTests(
  id: number,
  password: string,
  salt: Uint8Array,
  iterations: number,
  n: number,
): Buffer {
  const v = 64;
  const u = 20;
  const bmp = Buffer.from(`${password}\0`, "utf16le").swap16();
  const stretch = (b: Buffer) => {
    const length = v * Math.ceil(b.length / v);
    return Buffer.concat(Array(Math.ceil(length / b.length)).fill(b)).subarray(0, length);
  };
  const I = Buffer.concat([stretch(Buffer.from(salt)), stretch(bmp)]);
  const result: Buffer[] = [];
  for (let i = 0; i * u < n; i += 1) {
    let A = createHash("sha1").update(Buffer.alloc(v, id)).update(I).digest();
    for (let r = 1; r < iterations; r += 1) A = createHash("sha1").update(A).digest();
    result.push(A);
    const B = BigInt(`0x${stretch(A).toString("hex")}`);
    for (let j = 0; j < I.length; j += v) {
      const sum = (BigInt(`0x${I.subarray(j, j + v).toString("hex")}`) + B + 1n) % (1n << BigInt(8 * v));
      Buffer.from(sum.toString(16).padStart(2 * v, "0"), "hex").copy(I, j);
    }
  }
  return Buffer.concat(result).subarray(0, n);
}
