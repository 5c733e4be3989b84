/**
 * PKCS#12 structures no @peculiar package declares, as @peculiar/asn1-schema classes: the
 * password-based encryption and MAC parameters (there is no @peculiar/asn1-pkcs5, and asn1-pfx has
 * no class for the PKCS#12 PBE parameters) and CMS EncryptedData (asn1-cms has only its parts).
 */
import { EncryptedContentInfo } from "@peculiar/asn1-cms";
import { AsnIntegerBigIntConverter, AsnPropTypes, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { declareFields } from "./ber";

/** RFC 7292 appendix C: pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER } */
export class Pkcs12PbeParams {
  salt = new OctetString();
  iterations = 0n;
}
declareFields(Pkcs12PbeParams, {
  salt: { type: OctetString },
  iterations: { type: AsnPropTypes.Integer, converter: AsnIntegerBigIntConverter },
});

/** RFC 8018 A.4: PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme } */
export class Pbes2Params {
  keyDerivationFunc = new AlgorithmIdentifier();
  encryptionScheme = new AlgorithmIdentifier();
}
declareFields(Pbes2Params, {
  keyDerivationFunc: { type: AlgorithmIdentifier },
  encryptionScheme: { type: AlgorithmIdentifier },
});

/**
 * RFC 8018 A.2: PBKDF2-params ::= SEQUENCE { salt CHOICE { specified OCTET STRING, otherSource
 * AlgorithmIdentifier }, iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier
 * DEFAULT hmacWithSHA1 }. Only the `specified` salt is declared: no tool writes `otherSource`.
 */
export class Pbkdf2Params {
  salt = new OctetString();
  iterationCount = 0n;
  keyLength?: bigint;
  prf?: AlgorithmIdentifier;
}
declareFields(Pbkdf2Params, {
  salt: { type: OctetString },
  iterationCount: { type: AsnPropTypes.Integer, converter: AsnIntegerBigIntConverter },
  keyLength: { type: AsnPropTypes.Integer, converter: AsnIntegerBigIntConverter, optional: true },
  prf: { type: AlgorithmIdentifier, optional: true },
});

/** RFC 9579: PBMAC1-params ::= SEQUENCE { keyDerivationFunc, messageAuthScheme } */
export class Pbmac1Params {
  keyDerivationFunc = new AlgorithmIdentifier();
  messageAuthScheme = new AlgorithmIdentifier();
}
declareFields(Pbmac1Params, {
  keyDerivationFunc: { type: AlgorithmIdentifier },
  messageAuthScheme: { type: AlgorithmIdentifier },
});

/** RFC 5652 section 8: EncryptedData ::= SEQUENCE { version, encryptedContentInfo, unprotectedAttrs [1] OPTIONAL } */
export class EncryptedData {
  version = 0;
  encryptedContentInfo = new EncryptedContentInfo();
  unprotectedAttrs?: ArrayBuffer;
}
declareFields(EncryptedData, {
  version: { type: AsnPropTypes.Integer },
  encryptedContentInfo: { type: EncryptedContentInfo },
  unprotectedAttrs: { type: AsnPropTypes.Any, context: 1, implicit: true, optional: true },
});
