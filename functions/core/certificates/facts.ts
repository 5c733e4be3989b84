/**
 * What the checks need to know about a certificate, without the certificate: the parsed facts as
 * plain data. An incremental scan keeps these per object, so an unchanged object is judged again
 * against the current time and configuration without being downloaded or parsed a second time.
 */
import * as z from "zod";
import type { ParsedCertificate } from "./certificate";

export type CertificateFacts = Omit<ParsedCertificate, "der" | "node" | "key" | "profile"> & {
  /** Self-issued and its signature verifies with its own key (a root, or a self-signed leaf). */
  selfSigned: boolean;
  /**
   * For a certificate the chain check verified: the SHA-256 of each CA on its path, nearest first
   * (as far as the path got). What depends on a CA is counted from these (ca-lifecycle.ts).
   */
  chainedThrough?: string[];
};

/** The stored form: instants as ISO strings, revived to Dates when read back. */
export const StoredCertificateFacts = z.object({
  source: z.string(),
  file: z.string(),
  index: z.number().int().nonnegative(),
  subject: z.string(),
  issuer: z.string(),
  serialNumber: z.string(),
  notBefore: z.iso.datetime().transform((text) => new Date(text)),
  notAfter: z.iso.datetime().transform((text) => new Date(text)),
  sha256: z.string(),
  commonNames: z.array(z.string()),
  dnsNames: z.array(z.string()),
  ipAddresses: z.array(z.string()),
  subjectKeyId: z.string().optional(),
  authorityKeyId: z.string().optional(),
  isCA: z.boolean(),
  selfIssued: z.boolean(),
  selfSigned: z.boolean(),
  publicKey: z.object({ type: z.string(), bits: z.number().optional(), curve: z.string().optional() }),
  signatureAlgorithm: z.object({ oid: z.string(), name: z.string(), hash: z.string().optional() }),
  chainedThrough: z.array(z.string()).optional(),
  entry: z
    .object({
      alias: z.string().optional(),
      kind: z.enum(["private-key", "trusted-certificate"]),
      position: z.number().int().nonnegative(),
    })
    .optional(),
});

/** Drops the DER bytes and the node:crypto handle, which are what make a parsed certificate heavy. */
export function factsOf(cert: ParsedCertificate): CertificateFacts {
  return {
    source: cert.source,
    file: cert.file,
    index: cert.index,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    sha256: cert.sha256,
    commonNames: cert.commonNames,
    dnsNames: cert.dnsNames,
    ipAddresses: cert.ipAddresses,
    ...(cert.subjectKeyId !== undefined ? { subjectKeyId: cert.subjectKeyId } : {}),
    ...(cert.authorityKeyId !== undefined ? { authorityKeyId: cert.authorityKeyId } : {}),
    isCA: cert.isCA,
    selfIssued: cert.selfIssued,
    selfSigned: cert.selfIssued && verifiesWithOwnKey(cert),
    publicKey: cert.publicKey,
    signatureAlgorithm: cert.signatureAlgorithm,
    ...(cert.entry ? { entry: cert.entry } : {}),
  };
}

/** The certificate's signature verifies with its own key (false when OpenSSL refuses the key). */
export function verifiesWithOwnKey(cert: ParsedCertificate): boolean {
  if (!cert.key) return false;
  try {
    return cert.node.verify(cert.key);
  } catch {
    return false;
  }
}
