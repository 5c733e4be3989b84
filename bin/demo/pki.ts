/**
 * Certificates for the local demo, made at run time with @peculiar/x509 (P-256, ECDSA-SHA256). The
 * private keys exist only in this process's memory: nothing here writes or returns a key file.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const DAY_MS = 86_400_000;

export interface DemoCertificate {
  subject: string;
  pem: string;
  /** Kept only to sign further certificates in this run. */
  signer: { name: string; keys: CryptoKeyPair };
}

export interface IssueOptions {
  subject: string;
  dnsNames?: string[];
  ca?: boolean;
  /** Omitted: self-signed. */
  issuer?: DemoCertificate;
  /** extendedKeyUsage purposes; omitted: no extension (any purpose). */
  extendedKeyUsage?: ("serverAuth" | "clientAuth")[];
  notBefore: Date;
  notAfter: Date;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export async function issue(options: IssueOptions): Promise<DemoCertificate> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(Boolean(options.ca), undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (options.ca) {
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  } else {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true));
  }
  if (options.dnsNames?.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        options.dnsNames.map((value) => ({ type: "dns" as const, value })),
      ),
    );
  }
  if (options.extendedKeyUsage) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension(
        options.extendedKeyUsage.map((purpose) =>
          purpose === "serverAuth" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ),
      ),
    );
  }
  if (options.issuer) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.issuer.signer.keys.publicKey));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    subject: options.subject,
    issuer: options.issuer?.signer.name ?? options.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: (options.issuer?.signer.keys ?? keys).privateKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions,
  });
  return { subject: cert.subject, pem: cert.toString("pem"), signer: { name: cert.subject, keys } };
}

/** A PEM file holding the certificates in order (leaf first, then intermediates). */
export function pemFile(...certificates: DemoCertificate[]): string {
  return `${certificates.map((c) => c.pem.trim()).join("\n")}\n`;
}
