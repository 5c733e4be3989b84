/**
 * Tells DER/BER structures apart by the schema they fit, never by file name: a certificate, a
 * PKCS#7/CMS ContentInfo, a PKCS#12 PFX, and the key, CSR and CRL structures that hold no
 * certificate. The schemas are the @peculiar/asn1-* ones.
 */
import { ContentInfo, id_data, id_encryptedData, id_envelopedData, id_signedData } from "@peculiar/asn1-cms";
import { CertificationRequest } from "@peculiar/asn1-csr";
import { ECPrivateKey } from "@peculiar/asn1-ecc";
import { PFX } from "@peculiar/asn1-pfx";
import { EncryptedPrivateKeyInfo, PrivateKeyInfo } from "@peculiar/asn1-pkcs8";
import { RSAPrivateKey, RSAPublicKey } from "@peculiar/asn1-rsa";
import {
  AsnArray,
  AsnIntegerArrayBufferConverter,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
} from "@peculiar/asn1-schema";
import { Certificate, CertificateList, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { asSchema, DecodedElement, declareFields, type Element, encodingOf, sequenceLength } from "./ber";

export type DerKind =
  | { kind: "certificate" }
  /**
   * Each certificate as decoded with the bundle (read from there, not decoded again); undefined
   * when the SignedData is malformed. Readers may let go of entries (set them undefined) once read.
   */
  | { kind: "pkcs7"; certificates: (Element | undefined)[] | undefined }
  | { kind: "pkcs12"; pfx: PFX }
  | { kind: "no-certificate"; what: string }
  | { kind: "other-cms"; what: string }
  | { kind: "unknown"; what: string };

export const OID = {
  data: id_data,
  signedData: id_signedData,
  envelopedData: id_envelopedData,
  encryptedData: id_encryptedData,
} as const;

const CMS_TYPES: Record<string, string> = {
  [OID.data]: "data",
  [OID.envelopedData]: "envelopedData",
  "1.2.840.113549.1.7.5": "digestedData",
  [OID.encryptedData]: "encryptedData",
  "1.2.840.113549.1.9.16.1.2": "authenticatedData",
};

/** DSAPrivateKey (OpenSSL's "DSA PRIVATE KEY"): version and five INTEGERs; no @peculiar package has it. */
class DsaPrivateKey {
  version = 0;
  p = new ArrayBuffer(0);
  q = new ArrayBuffer(0);
  g = new ArrayBuffer(0);
  y = new ArrayBuffer(0);
  x = new ArrayBuffer(0);
}
declareFields(DsaPrivateKey, {
  version: { type: AsnPropTypes.Integer },
  p: { type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter },
  q: { type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter },
  g: { type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter },
  y: { type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter },
  x: { type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter },
});

/** Structures that hold no certificate, most specific first. */
const NOT_CERTIFICATES: [new () => unknown, string][] = [
  [CertificationRequest, "a certificate signing request (CSR)"],
  [CertificateList, "a certificate revocation list (CRL)"],
  [SubjectPublicKeyInfo, "a public key"],
  [EncryptedPrivateKeyInfo, "an encrypted private key"],
  [PrivateKeyInfo, "a private key (PKCS#8)"],
  [ECPrivateKey, "an EC private key"],
  [RSAPrivateKey, "an RSA private key"],
  [DsaPrivateKey, "a DSA private key"],
  [RSAPublicKey, "an RSA public key"],
];

/**
 * What the element is, with what the reader needs from it already taken out: callers keep no
 * reference to the rest of the decoded tree (it is large for a big bundle) while certificates are
 * parsed.
 */
export function classifyDer(element: Element): DerKind {
  const length = sequenceLength(element);
  if (length === undefined) return { kind: "unknown", what: "an ASN.1 element that is not a SEQUENCE" };

  const contentInfo = asSchema(element, ContentInfo);
  if (contentInfo) {
    if (contentInfo.contentType === OID.signedData) {
      return { kind: "pkcs7", certificates: signedDataCertificates(element)?.certificates };
    }
    const type = contentInfo.contentType;
    return { kind: "other-cms", what: `a PKCS#7/CMS ${CMS_TYPES[type] ?? type} message` };
  }
  const pfx = asSchema(element, PFX);
  if (pfx) return { kind: "pkcs12", pfx };
  if (asSchema(element, Certificate)) return { kind: "certificate" };
  for (const [schema, what] of NOT_CERTIFICATES) {
    if (asSchema(element, schema)) return { kind: "no-certificate", what };
  }
  return {
    kind: "unknown",
    what: `an ASN.1 SEQUENCE of ${length} elements that is no known certificate container`,
  };
}

/**
 * SignedData read only as far as its certificates, each kept as the element it was decoded as: its
 * fields are read from there (no second decode), and its exact bytes are what fingerprints hash
 * (re-encoding a BER certificate would change them).
 */
class RawSet extends AsnArray<DecodedElement> {}
AsnType({ type: AsnTypeTypes.Set, itemType: DecodedElement })(RawSet);

class SignedDataCertificates {
  version = 0;
  digestAlgorithms = new ArrayBuffer(0);
  encapContentInfo = new ArrayBuffer(0);
  certificates?: RawSet;
  crls?: RawSet;
  signerInfos = new ArrayBuffer(0);
}
declareFields(SignedDataCertificates, {
  version: { type: AsnPropTypes.Integer },
  digestAlgorithms: { type: AsnPropTypes.Any },
  encapContentInfo: { type: AsnPropTypes.Any },
  certificates: { type: RawSet, context: 0, implicit: true, optional: true },
  crls: { type: RawSet, context: 1, implicit: true, optional: true },
  signerInfos: { type: AsnPropTypes.Any },
});

/** ContentInfo whose content is mapped in the same pass: the bundle is decoded once, not twice. */
class SignedContentInfo {
  contentType = "";
  content = new SignedDataCertificates();
}
declareFields(SignedContentInfo, {
  contentType: { type: AsnPropTypes.ObjectIdentifier },
  content: { type: SignedDataCertificates, context: 0 },
});

/** The identifier octet of an untagged SEQUENCE, which is what a CertificateChoices certificate is. */
const SEQUENCE_IDENTIFIER = 0x30;

/**
 * Certificates of a PKCS#7 SignedData ContentInfo, as their original encodings. Other
 * CertificateChoices (attribute certificates, which are [1]/[2]/[3]-tagged) are counted, not read.
 */
function signedDataCertificates(
  contentInfo: Element,
): { certificates: Element[]; skipped: number } | undefined {
  const info = asSchema(contentInfo, SignedContentInfo);
  if (info?.contentType !== OID.signedData) return undefined;
  const certificates: Element[] = [];
  let skipped = 0;
  for (const choice of info.content.certificates ?? []) {
    const element = choice.toASN();
    if (encodingOf(element)[0] === SEQUENCE_IDENTIFIER) certificates.push(element);
    else skipped += 1;
  }
  return { certificates, skipped };
}
