/**
 * `weak-crypto`: keys and signatures an attacker with ordinary means can break or forge.
 * RSA under 2048 bits, EC under 256 bits, any DSA key (withdrawn by FIPS 186-5), and signatures
 * made with MD2, MD4, MD5 or SHA-1. A self-signed certificate's own signature is exempt: a trust
 * anchor is trusted because it is installed, not because of its signature, so a SHA-1 root is
 * fine while a SHA-1 leaf or intermediate is not. Keys we cannot identify raise nothing.
 *
 * An RSA key of 2048 up to 3071 bits gives 112 bits of security (NIST SP 800-57 Part 1 Rev. 5,
 * Table 2), which NIST accepts for applying protection (signing) through 2030 and disallows from
 * 2031 (SP 800-57 Part 1 Rev. 5, Table 4; SP 800-131A Rev. 2 applies those dates). A certificate
 * with such a key that is valid past 2030-12-31 is flagged now, as a `warning` when nothing else is
 * wrong with it, so it is re-issued before the date rather than on it.
 */
import type { Finding } from "../../contracts";
import type { CertificateFacts } from "../facts";
import { describeCertificate, formatInstant, makeFinding } from "./finding";

export const MIN_RSA_BITS = 2048;
export const MIN_EC_BITS = 256;
/** RSA below this gives under 128 bits of security: not for use after `RSA_112_BIT_LAST_DAY`. */
export const MIN_RSA_BITS_AFTER_2030 = 3072;
/** The last instant NIST accepts 112-bit security for signing (SP 800-57 Part 1 Rev. 5, Table 4). */
export const RSA_112_BIT_LAST_DAY = new Date("2030-12-31T23:59:59Z");
const WEAK_HASHES: Record<string, string> = { md2: "MD2", md4: "MD4", md5: "MD5", sha1: "SHA-1" };

interface Weakness {
  code:
    | "rsa-key-too-small"
    | "rsa-key-too-small-after-2030"
    | "ec-key-too-small"
    | "dsa-key"
    | "weak-signature-hash";
  text: string;
  /** Not weak yet, only planned to be: alone, it raises a `warning`. */
  scheduled?: true;
}

export function checkWeakCrypto(cert: CertificateFacts): Finding | undefined {
  const weaknesses = [keyWeakness(cert), signatureWeakness(cert)].filter((w): w is Weakness => !!w);
  if (weaknesses.length === 0) return undefined;
  const onlyScheduled = weaknesses.every((w) => w.scheduled);
  return makeFinding(
    "weak-crypto",
    cert.source,
    `Certificate ${describeCertificate(cert)} uses weak cryptography: ${weaknesses.map((w) => w.text).join("; ")}. ` +
      (onlyScheduled
        ? "Re-issue it before 2031 with an RSA key of at least 3072 bits or an EC key on P-256 or larger."
        : "Re-issue it with an RSA key of at least 3072 bits or an EC key on P-256 or larger, signed with SHA-256 or better."),
    {
      reasons: weaknesses.map((w) => w.code),
      keyType: cert.publicKey.type,
      keyBits: cert.publicKey.bits,
      curve: cert.publicKey.curve,
      signatureAlgorithm: cert.signatureAlgorithm.name,
      signatureHash: cert.signatureAlgorithm.hash,
    },
    onlyScheduled ? "warning" : undefined,
  );
}

function keyWeakness({ publicKey, notAfter }: CertificateFacts): Weakness | undefined {
  const { type, bits, curve } = publicKey;
  if ((type === "rsa" || type === "rsa-pss") && bits !== undefined && bits < MIN_RSA_BITS) {
    return { code: "rsa-key-too-small", text: `RSA key of ${bits} bits (minimum ${MIN_RSA_BITS})` };
  }
  if (
    (type === "rsa" || type === "rsa-pss") &&
    bits !== undefined &&
    bits < MIN_RSA_BITS_AFTER_2030 &&
    notAfter > RSA_112_BIT_LAST_DAY
  ) {
    return {
      code: "rsa-key-too-small-after-2030",
      text: `RSA key of ${bits} bits valid until ${formatInstant(notAfter)}, past 2030-12-31, after which NIST disallows RSA under ${MIN_RSA_BITS_AFTER_2030} bits for signing (SP 800-57 Part 1 Rev. 5)`,
      scheduled: true,
    };
  }
  if (type === "ec" && bits !== undefined && bits < MIN_EC_BITS) {
    return {
      code: "ec-key-too-small",
      text: `EC key on ${curve ?? "an unnamed curve"} of ${bits} bits (minimum ${MIN_EC_BITS})`,
    };
  }
  if (type === "dsa") return { code: "dsa-key", text: "DSA key (DSA is withdrawn and widely unsupported)" };
  return undefined;
}

function signatureWeakness(cert: CertificateFacts): Weakness | undefined {
  const hash = cert.signatureAlgorithm.hash;
  const label = hash ? WEAK_HASHES[hash] : undefined;
  if (!label || cert.selfSigned) return undefined;
  return {
    code: "weak-signature-hash",
    text: `signed with ${cert.signatureAlgorithm.name} (${label} signatures can be forged)`,
  };
}
