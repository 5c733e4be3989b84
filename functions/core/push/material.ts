/**
 * Which files `watchpost push` carries to the bucket: certificate material as the scan reads it
 * (PEM, DER, PKCS#7, PKCS#12, JKS, JCEKS), decided from the content like everything else; never a
 * private key in clear, whatever the file is called. Keystores and PKCS#12 files hold their keys
 * encrypted under the store password, which is how every Java service and the scan use them.
 */
import { readCertificates } from "../certificates/reader";

export type Pushable = { push: true; format: string } | { push: false; reason: string };

/** A PEM private key of any kind, encrypted or not: RSA, EC, DSA, PKCS#8, OpenSSH. */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Files named like certificate containers are pushed even when they cannot be read, so that the
 * scan raises `unreadable` for a truncated or damaged one instead of it going unnoticed.
 */
export const CERTIFICATE_FILE_NAME =
  /\.(pem|crt|cer|cert|der|p7b|p7c|p12|pfx|jks|jceks|keystore|truststore|ca-bundle|chain)$/i;

export async function pushable(bytes: Uint8Array, file: string): Promise<Pushable> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024 * 1024)).toString(
    "latin1",
  );
  if (PEM_PRIVATE_KEY.test(text)) {
    return { push: false, reason: "holds a private key in clear; push a file with the certificates only" };
  }
  // No password: keystores and PKCS#12 files are recognised without one (the scan has the secret).
  const read = await readCertificates(bytes, file);
  switch (read.status) {
    case "ok":
    case "deferred":
      return { push: true, format: read.format };
    case "not-certificate":
      return { push: false, reason: read.detail };
    case "unreadable":
      if (read.format === "pkcs12" || read.format === "jks" || read.format === "jceks") {
        return { push: true, format: read.format };
      }
      if (CERTIFICATE_FILE_NAME.test(file)) return { push: true, format: read.format ?? "unreadable" };
      return { push: false, reason: `not certificate material (${read.reason}: ${read.detail})` };
  }
}
