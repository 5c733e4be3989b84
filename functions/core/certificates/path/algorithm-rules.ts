/**
 * Keys and signature algorithms TLS clients accept in a chain (CA/Browser Forum Baseline
 * Requirements §6.1.5 and §7.1.3; what browsers, Go's crypto/x509, rustls and OpenSSL at the
 * security level Debian, Ubuntu and RHEL set by default actually refuse).
 */
import type { ParsedCertificate } from "../certificate";
import { describeCertificate } from "../checks/finding";
import { type Rule, type Violation, violation } from "./violation";

const NAMED_CURVES = new Set(["prime256v1", "secp256r1", "secp384r1", "secp521r1"]);

const KEY_RULES = {
  dsa: {
    reason: "weak-key",
    severity: "major",
    clause: "CA/B Forum BR §6.1.5",
    rejectedBy: "browsers, Go and rustls (DSA is withdrawn by FIPS 186-5)",
    fix: "Re-issue the certificate with an RSA (2048 bits or more) or ECDSA P-256/P-384 key.",
  },
  rsaTiny: {
    reason: "weak-key",
    severity: "major",
    clause: "CA/B Forum BR §6.1.5",
    rejectedBy: "every current TLS client",
    fix: "Re-issue the certificate with an RSA key of at least 2048 bits, or an ECDSA P-256 key.",
  },
  rsaSmall: {
    reason: "weak-key",
    severity: "major",
    clause: "CA/B Forum BR §6.1.5",
    rejectedBy:
      "rustls, and OpenSSL at security level 2 (the default on Debian, Ubuntu and RHEL); Go and Java still accept 1024 bits",
    fix: "Re-issue the certificate with an RSA key of at least 2048 bits, or an ECDSA P-256 key.",
  },
  rsaOdd: {
    reason: "weak-key",
    severity: "warning",
    clause: "CA/B Forum BR §6.1.5 (modulus size divisible by 8)",
    rejectedBy: "strict validators only; browsers, Go and OpenSSL accept it",
    fix: "Re-issue it with a standard RSA key size (2048, 3072 or 4096 bits).",
  },
  rsaPss: {
    reason: "weak-key",
    severity: "minor",
    clause: "CA/B Forum BR §7.1.3.1",
    rejectedBy: "browsers and pyca/cryptography (an RSASSA-PSS public key); OpenSSL and Go accept it",
    fix: "Re-issue it with an ordinary rsaEncryption key (PSS signatures remain possible).",
  },
  explicitCurve: {
    reason: "weak-key",
    severity: "major",
    clause: "RFC 5480 §2.1.1 (namedCurve only)",
    rejectedBy: "Go, rustls, browsers and OpenSSL in strict mode (Python 3.13 and later)",
    fix: "Re-issue it with a named curve (P-256 or P-384).",
  },
  curve: {
    reason: "weak-key",
    severity: "major",
    clause: "CA/B Forum BR §6.1.5",
    rejectedBy: "Go, rustls and browsers, which support P-256, P-384 and P-521 only",
    fix: "Re-issue it with an ECDSA P-256 or P-384 key.",
  },
  eddsa: {
    reason: "weak-key",
    severity: "minor",
    clause: "CA/B Forum BR §6.1.5",
    rejectedBy: "browsers and pyca/cryptography; Go, OpenSSL and rustls accept Ed25519",
    fix: "Re-issue it with an ECDSA P-256 or RSA key if browsers must accept it.",
  },
} satisfies Record<string, Rule>;

/** Whether clients accept this certificate's key in a chain, as issuer or as the leaf's own key. */
export function keyViolation(
  cert: ParsedCertificate,
  linkIndex: number,
  role: string,
): Violation | undefined {
  const { type, bits, curve } = cert.publicKey;
  const who = `${role} ${describeCertificate(cert)} (${cert.source})`;
  if (type === "dsa") return violation(KEY_RULES.dsa, cert, linkIndex, `${who} has a DSA key`);
  if (type === "rsa" || type === "rsa-pss") {
    if (bits !== undefined && bits < 1024)
      return violation(KEY_RULES.rsaTiny, cert, linkIndex, `${who} has an RSA key of only ${bits} bits`);
    if (bits !== undefined && bits < 2048)
      return violation(
        KEY_RULES.rsaSmall,
        cert,
        linkIndex,
        `${who} has an RSA key of ${bits} bits (minimum 2048)`,
      );
    if (type === "rsa-pss")
      return violation(KEY_RULES.rsaPss, cert, linkIndex, `${who} has an RSASSA-PSS key`);
    if (bits !== undefined && bits % 8 !== 0)
      return violation(
        KEY_RULES.rsaOdd,
        cert,
        linkIndex,
        `${who} has an RSA key of ${bits} bits, not a multiple of 8`,
      );
    return undefined;
  }
  if (type === "ec") {
    if (cert.profile.keyAlgorithm.explicitCurve)
      return violation(
        KEY_RULES.explicitCurve,
        cert,
        linkIndex,
        `${who} spells out its elliptic curve's parameters`,
      );
    if (!curve || !NAMED_CURVES.has(curve))
      return violation(
        KEY_RULES.curve,
        cert,
        linkIndex,
        `${who} has an EC key on ${curve ?? "an unknown curve"}${bits ? ` (${bits} bits)` : ""}`,
      );
    return undefined;
  }
  if (type === "ed25519" || type === "ed448")
    return violation(
      KEY_RULES.eddsa,
      cert,
      linkIndex,
      `${who} has an ${type === "ed25519" ? "Ed25519" : "Ed448"} key`,
    );
  return undefined;
}

const SIGNATURE_RULES = {
  weakHash: {
    reason: "weak-signature",
    severity: "major",
    clause: "CA/B Forum BR §7.1.3.2",
    rejectedBy: "browsers, Go, rustls and OpenSSL 3 at its default security level",
    fix: "Re-issue it signed with SHA-256 or better.",
  },
  dsa: {
    reason: "weak-signature",
    severity: "major",
    clause: "CA/B Forum BR §7.1.3.2",
    rejectedBy: "browsers, Go and rustls",
    fix: "Re-issue it from a CA with an RSA or ECDSA key.",
  },
  sha224: {
    reason: "weak-signature",
    severity: "minor",
    clause: "CA/B Forum BR §7.1.3.2",
    rejectedBy: "Go, rustls and browsers (SHA-224 signatures are not implemented); OpenSSL accepts it",
    fix: "Re-issue it signed with SHA-256 or better.",
  },
  eddsa: {
    reason: "weak-signature",
    severity: "minor",
    clause: "CA/B Forum BR §7.1.3.2",
    rejectedBy: "browsers and pyca/cryptography; Go, OpenSSL and rustls accept it",
    fix: "Re-issue it from a CA with an ECDSA P-256 or RSA key if browsers must accept it.",
  },
} satisfies Record<string, Rule>;

const WEAK_HASHES = new Set(["md2", "md4", "md5", "sha1"]);

/** Whether clients accept the algorithm `cert` was signed with (its issuer's signature on it). */
export function signatureViolation(cert: ParsedCertificate, linkIndex: number): Violation | undefined {
  const { name, hash, oid } = cert.signatureAlgorithm;
  const what = `${describeCertificate(cert)} (${cert.source}) is signed with ${name}`;
  if (oid.startsWith("1.2.840.10040.4.") || oid.startsWith("2.16.840.1.101.3.4.3."))
    return violation(SIGNATURE_RULES.dsa, cert, linkIndex, what);
  if (hash && WEAK_HASHES.has(hash))
    return violation(SIGNATURE_RULES.weakHash, cert, linkIndex, `${what}, which can be forged`);
  if (hash === "sha224") return violation(SIGNATURE_RULES.sha224, cert, linkIndex, what);
  if (name === "Ed25519" || name === "Ed448") return violation(SIGNATURE_RULES.eddsa, cert, linkIndex, what);
  return undefined;
}
