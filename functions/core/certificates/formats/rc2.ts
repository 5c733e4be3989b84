/**
 * RC2-CBC decryption (RFC 2268) for legacy PKCS#12 files: `openssl pkcs12 -export -legacy`, Java 8's
 * keytool and Windows exports encrypt the certificate safe with pbeWithSHAAnd40BitRC2-CBC. Node's
 * OpenSSL 3 keeps RC2 in the legacy provider, which the Lambda runtime does not load, so the
 * cipher comes from node-forge, and only the cipher: its forge/util/rc2 modules, not the whole
 * library (about 28 kB of the bundle instead of 300 kB).
 */
import forge from "node-forge/lib/forge.js";
import "node-forge/lib/rc2.js";

const BLOCK = 8;

/**
 * The plaintext, or undefined when the padding is not PKCS#5 padding (a wrong key, most likely).
 * `effectiveBits` is RC2's effective key length: 40 for the 40-bit scheme, 128 for the 128-bit one.
 */
export function decryptRc2Cbc(
  key: Uint8Array,
  iv: Uint8Array,
  effectiveBits: number,
  ciphertext: Uint8Array,
): Uint8Array | undefined {
  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) return undefined;
  const cipher = forge.rc2.createDecryptionCipher(binary(key), effectiveBits);
  cipher.start(binary(iv));
  cipher.update(forge.util.createBuffer(binary(ciphertext)));
  // forge checks only that the pad length fits; the padding bytes are checked here (RFC 8018 §6.1.1).
  const unpadded = (cipher as unknown as { finish(unpad: () => boolean): boolean }).finish(() => true);
  if (!unpadded) return undefined;
  const plain = Buffer.from(cipher.output.getBytes(), "latin1");
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > BLOCK || pad > plain.length) return undefined;
  for (let i = plain.length - pad; i < plain.length; i += 1) if (plain[i] !== pad) return undefined;
  return plain.subarray(0, plain.length - pad);
}

/** node-forge takes bytes as "binary strings", one character per byte. */
function binary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}
