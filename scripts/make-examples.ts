/**
 * Regenerates the certificates in examples/ (`npx tsx scripts/make-examples.ts`). Keys live only
 * in memory while this runs: the repository ships certificates, never private keys. Dates are
 * fixed so the example scan gives the same findings on every machine for years.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const out = join(import.meta.dirname, "..", "examples");

const ec = { name: "ECDSA", namedCurve: "P-256" } as const;
const rsa = (bits: number) =>
  ({
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: bits,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  }) as const;

async function make(opts: {
  subject: string;
  issuer?: { cert: x509.X509Certificate; keys: CryptoKeyPair; rsa?: boolean };
  from: string;
  to: string;
  ca?: boolean;
  dns?: string[];
  alg?: EcKeyGenParams | RsaHashedKeyGenParams;
  hash?: string;
}) {
  const alg = opts.alg ?? ec;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const signerRsa = opts.issuer ? opts.issuer.rsa : alg.name.startsWith("RSA");
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    subject: opts.subject,
    issuer: opts.issuer ? opts.issuer.cert.subject : opts.subject,
    notBefore: new Date(opts.from),
    notAfter: new Date(opts.to),
    publicKey: keys.publicKey,
    signingKey: opts.issuer ? opts.issuer.keys.privateKey : keys.privateKey,
    signingAlgorithm: signerRsa
      ? { name: "RSASSA-PKCS1-v1_5", hash: opts.hash ?? "SHA-256" }
      : { name: "ECDSA", hash: opts.hash ?? "SHA-256" },
    extensions: [
      new x509.BasicConstraintsExtension(Boolean(opts.ca), undefined, true),
      ...(opts.dns
        ? [
            new x509.SubjectAlternativeNameExtension(
              opts.dns.map((value) => ({ type: "dns" as const, value })),
            ),
          ]
        : []),
      // The profile TLS clients check (RFC 5280 §4.2.1.1-3): key usages, and key identifiers that
      // link each certificate to its issuer.
      new x509.KeyUsagesExtension(
        opts.ca
          ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
          : x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...(opts.issuer ? [await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.keys.publicKey)] : []),
    ],
  });
  return { cert, keys, rsa: alg.name.startsWith("RSA") };
}

const root = await make({
  subject: "CN=Example Cluster Root CA,O=watchpost examples",
  from: "2025-01-01",
  to: "2045-01-01",
  ca: true,
});
const intermediate = await make({
  subject: "CN=Example Cluster Issuing CA,O=watchpost examples",
  issuer: root,
  from: "2025-01-01",
  to: "2040-01-01",
  ca: true,
});
const host = "node1.cluster.example";
const healthy = await make({
  subject: `CN=${host}`,
  issuer: intermediate,
  from: "2025-06-01",
  to: "2036-06-01",
  dns: [host],
});
const expired = await make({
  subject: `CN=${host}`,
  issuer: intermediate,
  from: "2025-01-01",
  to: "2025-04-01",
  dns: [host],
});
const notYetValid = await make({
  subject: `CN=${host}`,
  issuer: intermediate,
  from: "2035-03-01",
  to: "2037-03-01",
  dns: [host],
});
const wrongHost = await make({
  subject: "CN=node9.other.example",
  issuer: intermediate,
  from: "2025-06-01",
  to: "2036-06-01",
  dns: ["node9.other.example"],
});
const strangerCa = await make({
  subject: "CN=Example Cluster Issuing CA,O=watchpost examples",
  from: "2025-01-01",
  to: "2040-01-01",
  ca: true,
});
const untrusted = await make({
  subject: `CN=${host}`,
  issuer: strangerCa,
  from: "2025-06-01",
  to: "2036-06-01",
  dns: [host],
});
const weak = await make({
  subject: `CN=${host}`,
  issuer: intermediate,
  from: "2025-06-01",
  to: "2036-06-01",
  dns: [host],
  alg: rsa(1024),
  hash: "SHA-1",
});

const pem = (...certs: x509.X509Certificate[]) => certs.map((c) => c.toString("pem")).join("\n");

await mkdir(join(out, "trust"), { recursive: true });
await writeFile(join(out, "trust", "cluster-root-ca.pem"), `${pem(root.cert)}\n`);
await writeFile(join(out, "healthy-chain.pem"), `${pem(healthy.cert, intermediate.cert)}\n`);
await writeFile(join(out, "expired.der"), Buffer.from(expired.cert.rawData));
await writeFile(
  join(out, "clock-ahead.crt"),
  `Certificate issued while the host clock was ten years ahead\r\nsubject=CN = ${host}\r\n${pem(notYetValid.cert, intermediate.cert).replace(/\n/g, "\r\n")}\r\n`,
);
await writeFile(join(out, "wrong-host.pem"), `${pem(wrongHost.cert, intermediate.cert)}\n`);
await writeFile(join(out, "untrusted-issuer.pem"), `${pem(untrusted.cert, strangerCa.cert)}\n`);
await writeFile(join(out, "weak-rsa1024-sha1.pem"), `${pem(weak.cert, intermediate.cert)}\n`);
await writeFile(
  join(out, "corrupt.pem"),
  "-----BEGIN CERTIFICATE-----\nMIIBthisisnotbase64derofacertificate!!\n-----END CERTIFICATE-----\n",
);

// A certs-only PKCS#7 bundle (.p7b) in DER, as Windows and Java tooling export chains.
const signed = new pkijs.SignedData({
  version: 1,
  encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: "1.2.840.113549.1.7.1" }),
  certificates: [healthy.cert, intermediate.cert].map(
    (c) => new pkijs.Certificate({ schema: asn1js.fromBER(c.rawData).result }),
  ),
});
const contentInfo = new pkijs.ContentInfo({
  contentType: "1.2.840.113549.1.7.2",
  content: signed.toSchema(true),
});
await writeFile(join(out, "healthy-bundle.p7b"), Buffer.from(contentInfo.toSchema().toBER(false)));
console.log(`examples written to ${out}`);
