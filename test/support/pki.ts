/**
 * Test-time PKI: every certificate the suite uses is generated here, so no private key is
 * committed. Defaults are a P-256 key and ECDSA-SHA256, valid from a day ago for a year.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

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
    const keys = (await webcrypto.subtle.generateKey(keyAlgorithm(spec), true, ["sign", "verify"])) as CryptoKeyPair;
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
  const keys = await generateKeys(keySpec);
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
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  if (issuer) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  }

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

export async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const body = pkcs8.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}
