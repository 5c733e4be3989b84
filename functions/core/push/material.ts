/**
 * Which files `watchpost push` carries to the bucket: files that are certificates or keystores by
 * their content (PEM, DER, PKCS#7, PKCS#12, JKS, JCEKS) — never by their name — and that hold no
 * private key anyone who reads them could use (private-keys.ts decides that from every byte).
 *
 * - A private key in clear, anywhere in the file and however encoded: not pushed.
 * - An encrypted private key in a keystore or PKCS#12 file: pushed. That is how Java services and
 *   the scan use them; the scan verifies the store with its password and never decrypts a key.
 * - An encrypted private key anywhere else (an `ENCRYPTED PRIVATE KEY` or legacy encrypted PEM
 *   block, with or without certificates beside it): not pushed, and said to be encrypted. It is not
 *   in clear, but a PEM key is not what the stack watches, and its protection (a password typed
 *   once, legacy PEM's single MD5 round) is not a keystore's.
 * - A file that is not certificate material (a README, a script, `/etc/shadow` behind a link
 *   named `*.crt`): not pushed, with the reason.
 * - A damaged keystore, PKCS#12 file or PEM certificate is pushed, so that the scan raises
 *   `unreadable` for it instead of it going unnoticed.
 */
import type { ParsedCertificate } from "../certificates/certificate";
import { pemBlocks, pemText } from "../certificates/formats/pem";
import { type ReadResult, readCertificates } from "../certificates/reader";
import { inspectPrivateKeys } from "./private-keys";

export type Pushable =
  | { push: true; format: string; certificates: ParsedCertificate[] }
  | {
      push: false;
      reason: string;
      /** Why it stays on the host: a private key (in clear, encrypted, or not ruled out), or not certificate material. */
      kind: "private-key" | "not-material";
    };

/** Containers whose keys are encrypted under the store password by design. */
const KEYSTORE_FORMATS = new Set(["pkcs12", "jks", "jceks"]);
const CERTIFICATE_LABEL = /CERTIFICATE|PKCS7|CMS/;

export async function pushable(
  bytes: Uint8Array,
  file: string,
  options: { keystorePassword?: string } = {},
): Promise<Pushable> {
  const inspection = await inspectPrivateKeys(bytes);
  const clear = inspection.keys.find((k) => k.protection === "clear");
  if (clear) {
    return {
      push: false,
      kind: "private-key",
      reason: `holds a private key in clear: ${clear.what}; push a file with the certificates only, or the keystore the service reads`,
    };
  }
  if (inspection.incomplete) {
    return {
      push: false,
      kind: "private-key",
      reason: `could not be inspected to its end (${inspection.incomplete}), so a private key in it cannot be ruled out`,
    };
  }
  // Keystores and PKCS#12 files are recognised without their password; with one, their certificates are read too.
  const read = await readCertificates(
    bytes,
    file,
    options.keystorePassword !== undefined ? { pkcs12Password: options.keystorePassword } : {},
  );
  const format = read.status === "not-certificate" ? undefined : read.format;
  const keystore = format !== undefined && KEYSTORE_FORMATS.has(format);
  const encrypted = inspection.keys.find((k) => k.protection === "encrypted");
  if (encrypted && !keystore) {
    return {
      push: false,
      kind: "private-key",
      reason: `holds ${encrypted.what}: not in clear, but only certificates and keystores are pushed; put the certificates in a file of their own`,
    };
  }
  return materialVerdict(read, bytes, keystore);
}

function materialVerdict(read: ReadResult, bytes: Uint8Array, keystore: boolean): Pushable {
  switch (read.status) {
    case "ok":
      return { push: true, format: read.format, certificates: read.certificates };
    case "deferred":
      // A PKCS#12 file past the read's key-derivation budget is still material: the scan reads it.
      return { push: true, format: read.format, certificates: [] };
    case "not-certificate":
      return { push: false, kind: "not-material", reason: read.detail };
    case "unreadable":
      if (keystore || (read.format === "pem" && hasCertificateBlock(bytes))) {
        return { push: true, format: read.format ?? "unreadable", certificates: [] };
      }
      return {
        push: false,
        kind: "not-material",
        reason: `not certificate material (${read.reason}: ${read.detail})`,
      };
  }
}

function hasCertificateBlock(bytes: Uint8Array): boolean {
  return pemBlocks(pemText(bytes)).some((block) => CERTIFICATE_LABEL.test(block.label));
}
