/**
 * What a certificate's key and signature are, by name and strength: the OID tables the weak-crypto
 * check reads through, and the few cases node:crypto cannot name (explicit EC parameters, the hash
 * inside RSASSA-PSS parameters).
 */
import type { KeyObject } from "node:crypto";
import { ECParameters } from "@peculiar/asn1-ecc";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import type { AlgorithmIdentifier } from "@peculiar/asn1-x509";

export interface PublicKeyInfo {
  /** Lower-case key type as node:crypto names it: rsa, rsa-pss, ec, ed25519, ed448, dsa, or unknown. */
  type: string;
  /** Modulus length for RSA/DSA, curve order size for EC, nominal size for EdDSA. */
  bits?: number;
  curve?: string;
}

export interface SignatureAlgorithmInfo {
  oid: string;
  /** Readable name such as sha256WithRSAEncryption; the OID when unknown. */
  name: string;
  /** Digest used, lower case (md5, sha1, sha256, ...), when the algorithm fixes one. */
  hash?: string;
}

const SIGNATURE_ALGORITHMS: Record<string, { name: string; hash?: string }> = {
  "1.2.840.113549.1.1.2": { name: "md2WithRSAEncryption", hash: "md2" },
  "1.2.840.113549.1.1.3": { name: "md4WithRSAEncryption", hash: "md4" },
  "1.2.840.113549.1.1.4": { name: "md5WithRSAEncryption", hash: "md5" },
  "1.2.840.113549.1.1.5": { name: "sha1WithRSAEncryption", hash: "sha1" },
  "1.2.840.113549.1.1.10": { name: "RSASSA-PSS" },
  "1.2.840.113549.1.1.11": { name: "sha256WithRSAEncryption", hash: "sha256" },
  "1.2.840.113549.1.1.12": { name: "sha384WithRSAEncryption", hash: "sha384" },
  "1.2.840.113549.1.1.13": { name: "sha512WithRSAEncryption", hash: "sha512" },
  "1.2.840.113549.1.1.14": { name: "sha224WithRSAEncryption", hash: "sha224" },
  "1.2.840.10045.4.1": { name: "ecdsa-with-SHA1", hash: "sha1" },
  "1.2.840.10045.4.3.1": { name: "ecdsa-with-SHA224", hash: "sha224" },
  "1.2.840.10045.4.3.2": { name: "ecdsa-with-SHA256", hash: "sha256" },
  "1.2.840.10045.4.3.3": { name: "ecdsa-with-SHA384", hash: "sha384" },
  "1.2.840.10045.4.3.4": { name: "ecdsa-with-SHA512", hash: "sha512" },
  "1.2.840.10040.4.3": { name: "dsa-with-SHA1", hash: "sha1" },
  "2.16.840.1.101.3.4.3.2": { name: "dsa-with-SHA256", hash: "sha256" },
  "1.3.101.112": { name: "Ed25519" },
  "1.3.101.113": { name: "Ed448" },
};

const CURVE_BITS: Record<string, number> = {
  prime192v1: 192,
  secp192r1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256r1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

const HASH_OIDS: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.4": "sha224",
};

/**
 * `key` is node:crypto's view of the subject public key (undefined when OpenSSL refuses it),
 * `algorithm` the subjectPublicKeyInfo's algorithm, for what OpenSSL cannot name.
 */
export function describePublicKey(key: KeyObject | undefined, algorithm: AlgorithmIdentifier): PublicKeyInfo {
  try {
    if (!key) throw new Error("no key");
    const type = key.asymmetricKeyType ?? "unknown";
    const details = key.asymmetricKeyDetails ?? {};
    if (type === "ec") {
      const curve = details.namedCurve;
      const bits = curve ? CURVE_BITS[curve] : undefined;
      // OpenSSL names explicit parameters it does not recognise "UNDEF".
      if (bits === undefined) return explicitCurveKey(algorithm) ?? { type, curve, bits };
      return { type, curve, bits };
    }
    if (type === "ed25519") return { type, bits: 256 };
    if (type === "ed448") return { type, bits: 448 };
    return { type, bits: details.modulusLength };
  } catch {
    // OpenSSL refuses some keys (unknown curves, broken parameters); the weak-crypto check
    // reports an unknown key rather than the whole file becoming unreadable.
    return explicitCurveKey(algorithm) ?? { type: "unknown" };
  }
}

const EC_PUBLIC_KEY = "1.2.840.10045.2.1";

/**
 * An EC key whose curve is spelled out (ECParameters) rather than named, on a curve OpenSSL does
 * not recognise: still an EC key, as strong as its group order is long. (OpenSSL itself maps the
 * explicit parameters of a named curve, such as P-256, back to its name.)
 */
function explicitCurveKey({ algorithm, parameters }: AlgorithmIdentifier): PublicKeyInfo | undefined {
  if (algorithm !== EC_PUBLIC_KEY || !parameters) return undefined;
  try {
    const order = AsnConvert.parse(parameters, ECParameters).specifiedCurve?.order;
    if (!order) return undefined; // a named curve: what OpenSSL said about it stands
    const hex = Buffer.from(order).toString("hex").replace(/^0+/, "");
    const bits = hex === "" ? 0 : (hex.length - 1) * 4 + Number.parseInt(hex[0]!, 16).toString(2).length;
    return { type: "ec", bits };
  } catch {
    return undefined;
  }
}

/** The certificate's signatureAlgorithm field, by name and digest. */
export function describeSignatureAlgorithm(signature: AlgorithmIdentifier): SignatureAlgorithmInfo {
  const oid = signature.algorithm;
  const known = SIGNATURE_ALGORITHMS[oid];
  if (oid === "1.2.840.113549.1.1.10") {
    return { oid, name: "RSASSA-PSS", hash: pssHash(signature) };
  }
  return { oid, name: known?.name ?? oid, hash: known?.hash };
}

function pssHash(signature: AlgorithmIdentifier): string | undefined {
  const params = signature.parameters;
  if (!params) return "sha1"; // RFC 4055 default hash for RSASSA-PSS
  try {
    // RSASSA-PSS-params: SEQUENCE { [0] hashAlgorithm ... }; a missing [0] means SHA-1.
    const parsed = AsnConvert.parse(params, RsaSaPssParams);
    return HASH_OIDS[parsed.hashAlgorithm.algorithm] ?? parsed.hashAlgorithm.algorithm;
  } catch {
    return undefined;
  }
}
