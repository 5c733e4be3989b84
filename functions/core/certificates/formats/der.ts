/**
 * Tells DER/BER structures apart by their ASN.1 shape, never by file name: a certificate, a
 * PKCS#7/CMS ContentInfo, a PKCS#12 PFX, and the key, CSR and CRL structures that hold no
 * certificate.
 */
import { children, isContext, isSequence, isUniversal, type Node, oid, smallInt, TAG } from "./asn1";

export type DerKind =
  | { kind: "certificate" }
  | { kind: "pkcs7" }
  | { kind: "pkcs12" }
  | { kind: "no-certificate"; what: string }
  | { kind: "other-cms"; what: string }
  | { kind: "unknown"; what: string };

export const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  envelopedData: "1.2.840.113549.1.7.3",
  encryptedData: "1.2.840.113549.1.7.6",
} as const;

const CMS_TYPES: Record<string, string> = {
  [OID.data]: "data",
  [OID.envelopedData]: "envelopedData",
  "1.2.840.113549.1.7.5": "digestedData",
  [OID.encryptedData]: "encryptedData",
  "1.2.840.113549.1.9.16.1.2": "authenticatedData",
};

const isTime = (node: Node | undefined) =>
  isUniversal(node, TAG.utcTime) || isUniversal(node, TAG.generalizedTime);

export function classifyDer(node: Node): DerKind {
  if (!isSequence(node)) return { kind: "unknown", what: "an ASN.1 element that is not a SEQUENCE" };
  const items = children(node);
  const [first, second, third] = items;

  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
  const contentType = oid(first);
  if (contentType && isContext(second, 0)) {
    if (contentType === OID.signedData) return { kind: "pkcs7" };
    return { kind: "other-cms", what: `a PKCS#7/CMS ${CMS_TYPES[contentType] ?? contentType} message` };
  }
  // PFX ::= SEQUENCE { version INTEGER, authSafe ContentInfo, macData MacData OPTIONAL }
  if (
    smallInt(first) !== undefined &&
    isSequence(second) &&
    oid(children(second)[0])?.startsWith("1.2.840.113549.1.7.")
  ) {
    return { kind: "pkcs12" };
  }
  // Signed structures: SEQUENCE { tbs SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING }
  if (items.length === 3 && isSequence(first) && isSequence(second) && isUniversal(third, TAG.bitString)) {
    const tbs = children(first);
    // CertificationRequestInfo: version, subject, subjectPKInfo, [0] attributes
    if (tbs.length === 4 && isUniversal(tbs[0], TAG.integer) && isSequence(tbs[2]) && isContext(tbs[3], 0)) {
      return { kind: "no-certificate", what: "a certificate signing request (CSR)" };
    }
    // TBSCertList has thisUpdate as a direct child; a TBSCertificate keeps its times in Validity.
    if (tbs.slice(0, 4).some(isTime))
      return { kind: "no-certificate", what: "a certificate revocation list (CRL)" };
    return { kind: "certificate" };
  }
  if (items.length === 2 && isSequence(first) && isUniversal(second, TAG.bitString)) {
    return { kind: "no-certificate", what: "a public key" };
  }
  if (items.length === 2 && isSequence(first) && isUniversal(second, TAG.octetString)) {
    return { kind: "no-certificate", what: "an encrypted private key" };
  }
  if (
    items.length >= 3 &&
    isUniversal(first, TAG.integer) &&
    isSequence(second) &&
    isUniversal(third, TAG.octetString)
  ) {
    return { kind: "no-certificate", what: "a private key (PKCS#8)" };
  }
  if (items.length >= 2 && smallInt(first) === 1 && isUniversal(second, TAG.octetString)) {
    return { kind: "no-certificate", what: "an EC private key" };
  }
  if (items.length >= 6 && items.every((item) => isUniversal(item, TAG.integer)) && smallInt(first) === 0) {
    return { kind: "no-certificate", what: items.length === 6 ? "a DSA private key" : "an RSA private key" };
  }
  if (items.length === 2 && items.every((item) => isUniversal(item, TAG.integer))) {
    return { kind: "no-certificate", what: "an RSA public key" };
  }
  if (items.length === 0 && node.content.length > 0) {
    return { kind: "unknown", what: "a SEQUENCE whose content is malformed" };
  }
  return {
    kind: "unknown",
    what: `an ASN.1 SEQUENCE of ${items.length} elements that is no known certificate container`,
  };
}

/**
 * Certificates of a PKCS#7 SignedData ContentInfo, as their original encodings. Other
 * CertificateChoices (attribute certificates) are counted, not read.
 */
export function signedDataCertificates(
  contentInfo: Node,
): { certificates: Uint8Array[]; skipped: number } | undefined {
  const signedData = children(children(contentInfo)[1])[0];
  if (!isSequence(signedData)) return undefined;
  const fields = children(signedData);
  // version, digestAlgorithms, encapContentInfo, then [0] certificates and [1] crls when present
  if (!isUniversal(fields[0], TAG.integer) || !isUniversal(fields[1], TAG.set) || !isSequence(fields[2])) {
    return undefined;
  }
  const set = fields.slice(3).find((field) => isContext(field, 0));
  const certificates: Uint8Array[] = [];
  let skipped = 0;
  for (const choice of children(set)) {
    if (isSequence(choice)) certificates.push(choice.bytes);
    else skipped += 1;
  }
  return { certificates, skipped };
}
