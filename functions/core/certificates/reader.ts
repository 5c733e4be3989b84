/**
 * Reads every certificate a file holds, whatever the container: PEM (one or many blocks, with
 * text around them), DER, PKCS#7 in PEM or DER, PKCS#12, Java keystores (JKS, JCEKS). The format
 * is decided from the content, never from the file name: this module tells the containers apart and
 * hands each to its reader (reader-pem.ts, reader-der.ts, reader-keystore.ts, sharing reader-result.ts).
 *
 * Two promises: no certificate is lost (a broken block next to good ones yields the good ones
 * plus a `problems` entry for the broken one), and no input makes it throw or hang (every
 * exception becomes an `unreadable` result; key derivations have an iteration budget).
 */
import { keystoreTypeOf } from "./formats/keystore-type";
import { hasPemMarker, pemText } from "./formats/pem";
import { messageOf, ReadError } from "./formats/read-error";
import { readDerFile } from "./reader-der";
import { readPem } from "./reader-pem";
import { blankness, guarded, type ReadOptions, type ReadResult, unreadable } from "./reader-result";

export type { CertificateFormat, ReadOptions, ReadProblem, ReadResult } from "./reader-result";
export { CLI_PKCS12_PASSWORD_HINT, DEFAULT_MAX_BYTES, PASSWORD_FORMATS } from "./reader-result";

/**
 * Certificates are indexed 0..n-1 in file order among the certificates that were read; a broken
 * block does not take an index (it is reported as a problem naming its PEM block number).
 */
export async function readCertificates(
  bytes: Uint8Array,
  file: string,
  options: ReadOptions = {},
): Promise<ReadResult> {
  try {
    return await read(bytes, file, options);
  } catch (error) {
    // Only unexpected library failures land here; the format readers classify the rest.
    return unreadable(error instanceof ReadError ? error.reason : "unsupported-format", messageOf(error));
  }
}

/**
 * Cheap sniff for directory walks: a PEM BEGIN line (also in UTF-16), DER/BER's SEQUENCE tag, or a
 * Java keystore's magic number.
 */
export function looksLikeCertificateMaterial(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x30 || keystoreTypeOf(bytes)) return true;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (
    buffer.includes("-----BEGIN ", 0, "latin1") ||
    buffer.includes("-----BEGIN ", 0, "utf16le") ||
    buffer.includes(Buffer.from("-----BEGIN ", "utf16le").swap16())
  );
}

async function read(bytes: Uint8Array, file: string, options: ReadOptions): Promise<ReadResult> {
  const blank = blankness(bytes);
  if (blank) return unreadable("empty", blank);
  const keystore = keystoreTypeOf(bytes);
  if (keystore) {
    const format = keystore === "JKS" ? "jks" : "jceks";
    // Imported for a keystore only: its parsers (jks-js, java-deserialization, long) are a chunk of
    // their own in the Lambda bundle (lib/bundling.ts), which most stores never need.
    const { readKeystore } = await import("./reader-keystore");
    return guarded("bad-keystore", format, () => readKeystore(bytes, file, format, options));
  }

  // A SEQUENCE is how every DER container starts.
  const der = bytes[0] === 0x30 ? await readDerFile(bytes, file, options) : undefined;
  if (der && "result" in der) return der.result;
  const text = pemText(bytes);
  if (hasPemMarker(text)) return guarded("bad-pem", "pem", () => readPem(text, file));
  if (der) return der.otherwise;
  return unreadable("unsupported-format", describeUnknown(bytes, text));
}

function describeUnknown(bytes: Uint8Array, text: string): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = text.slice(0, 64).trimStart();
  if (head.startsWith("openssh-key-v1") || /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-)/.test(head))
    return "an OpenSSH key";
  if (head.startsWith("PuTTY-User-Key-File")) return "a PuTTY private key";
  if (buffer[0] === 0x1f && buffer[1] === 0x8b) return "gzip-compressed data";
  if (head.startsWith("PK\u0003\u0004")) return "a ZIP archive";
  if (head.startsWith("%PDF")) return "a PDF document";
  const compact = text.replace(/\s+/g, "");
  if (compact.length >= 16 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.startsWith("MI")) {
    return "base64 text without PEM BEGIN/END lines (wrap it in -----BEGIN CERTIFICATE----- / -----END CERTIFICATE-----)";
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting binary content
  if (/^[^\u0000-\u0008\u000e-\u001f]*$/.test(text.slice(0, 4096)))
    return "text without any PEM block (no -----BEGIN line)";
  const start = [...buffer.subarray(0, 4)].map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(" ");
  return `binary data of unknown format (starts with ${start})`;
}
