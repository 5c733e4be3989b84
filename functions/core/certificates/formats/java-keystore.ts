/**
 * Java keystores and truststores, JKS (magic 0xFEEDFEED) and JCEKS (0xCECECECE): every certificate
 * of every entry, trusted-certificate entries and the chains of private-key entries alike. Both
 * formats store certificates in clear, so they are read with or without the store password; the
 * password only verifies the file's integrity (a SHA-1 digest keyed with the password and the
 * phrase "Mighty Aphrodite", over the whole file). Private keys are never decrypted.
 *
 * JKS is read by jks-js, its parser module only (the package's index pulls in all of node-forge and
 * node-rsa for key decryption, 370 kB of bundle). jks-js refuses JCEKS, whose layout is JKS
 * version 2's plus one entry type, the secret key (tag 3), stored as a serialized Java object
 * (javax.crypto.SealedObject) with no length in front: the subclass below accepts JCEKS's magic
 * and steps over secret-key entries with java-deserialization, which parses Java's object
 * serialization stream. Hadoop credential stores are JCEKS files of secret keys only.
 *
 * Cost is bounded by the file's size: there is no key derivation (one SHA-1 pass), each entry
 * consumes bytes of the file, and the entry count in the header is refused up front beyond
 * `MAX_KEYSTORE_ENTRIES`.
 */
import JavaDeserializationParser from "java-deserialization/src/parser.js";
import JavaKeyStoreParser, {
  type KeyEntry,
  type TrustedKeyEntry,
} from "jks-js/lib/keystore/JavaKeyStoreParser.js";
import type { KeystoreEntry } from "../certificate";
import { JCEKS_MAGIC, type KeystoreType, keystoreTypeOf } from "./keystore-type";
import { quoted, ReadError, type ReadProblem } from "./read-error";

/** Java's own cacerts holds about 150 entries; big corporate truststores a few thousand. */
export const MAX_KEYSTORE_ENTRIES = 10_000;

/**
 * What the store password proved: `verified` (the digest matches), `not-checked` (no password
 * given), `mismatch` (it does not match: a wrong password, or a file altered since it was written).
 */
export type KeystoreIntegrity = "verified" | "not-checked" | "mismatch";

export interface KeystoreContent {
  type: KeystoreType;
  certificates: { der: Uint8Array; origin: string; entry: KeystoreEntry }[];
  problems: ReadProblem[];
  integrity: KeystoreIntegrity;
  entries: { privateKey: number; trustedCertificate: number; secretKey: number };
}

interface SecretKeyEntry {
  alias: string;
  secretKey: true;
}

type Entry = KeyEntry | TrustedKeyEntry | SecretKeyEntry;

/** JCEKS: JKS version 2's layout, plus secret-key entries (com.sun.crypto.provider.JceKeyStore). */
class JceksParser extends JavaKeyStoreParser {
  protected override assertMagic(magic: number): void {
    if (magic !== JCEKS_MAGIC) throw new Error("Invalid keystore format");
  }

  /** jks-js's parse(), with JCEKS's magic and its third entry type. */
  parseJceks(): Entry[] {
    const stream = this.dataInputStream;
    const magic = stream.readInt();
    const version = stream.readInt();
    this.assertMagic(magic);
    if (version !== JavaKeyStoreParser.VERSION_2) throw new Error("Invalid keystore format");
    const count = stream.readInt();
    const entries: Entry[] = [];
    for (let i = 0; i < count; i += 1) {
      const tag = stream.readInt();
      const alias = stream.readUTF();
      stream.readLong(); // creation date
      if (tag === JavaKeyStoreParser.PRIVATE_KEY_TAG) {
        const protectedPrivateKey = this.getPrivateKeyEntry();
        entries.push({ alias, protectedPrivateKey, chain: this.readCertificateChain(version) });
      } else if (tag === JavaKeyStoreParser.TRUSTED_CERT_TAG) {
        entries.push({ alias, cert: this.readCert(version) });
      } else if (tag === SECRET_KEY_TAG) {
        // Read through the stream, so that a password's digest covers these bytes too.
        stream.read(serializedObjectLength(stream.buffer.subarray(stream.offset)));
        entries.push({ alias, secretKey: true });
      } else {
        throw new Error("Unrecognized keystore entry");
      }
    }
    this.validateChecksum();
    return entries;
  }
}

const SECRET_KEY_TAG = 3;

/** Bytes taken by one serialized Java object (stream header included), as java-deserialization reads it. */
function serializedObjectLength(bytes: Uint8Array): number {
  const parser = Object.create(JavaDeserializationParser.prototype);
  Object.assign(parser, {
    buf: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    pos: 0,
    nextHandle: 0x7e0000,
    handles: [],
    contents: [],
  });
  try {
    parser.magic();
    parser.version();
    parser.content();
  } catch (error) {
    throw new ReadError(
      "bad-keystore",
      `a JCEKS secret-key entry is not a readable serialized Java object (${error instanceof Error ? error.message : String(error)}), so the entries after it cannot be found`,
    );
  }
  return parser.pos as number;
}

/**
 * Reads every certificate of a JKS or JCEKS file. With a password that does not match, the
 * certificates are still read (they are stored in clear) and the mismatch is a problem of its own.
 * Throws ReadError for a malformed or truncated file.
 */
export function readJavaKeystore(bytes: Uint8Array, password: string | undefined): KeystoreContent {
  const type = keystoreTypeOf(bytes);
  if (!type) throw new ReadError("bad-keystore", "the file is not a JKS or JCEKS keystore");
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12) throw new ReadError("bad-keystore", `the ${type} keystore ends within its header`);
  const declared = buffer.readUInt32BE(8);
  if (declared > MAX_KEYSTORE_ENTRIES) {
    throw new ReadError(
      "bad-keystore",
      `the ${type} keystore claims ${declared.toLocaleString("en-US")} entries, more than the reader's limit of ${MAX_KEYSTORE_ENTRIES.toLocaleString("en-US")}`,
    );
  }
  const withPassword = password !== undefined && password !== "";
  let integrity: KeystoreIntegrity = withPassword ? "verified" : "not-checked";
  let entries: Entry[];
  try {
    entries = parse(type, buffer, withPassword ? password : undefined);
  } catch (error) {
    if (!withPassword || !isDigestMismatch(error)) throw asReadError(type, error);
    integrity = "mismatch";
    entries = parse(type, buffer, undefined);
  }
  return contentOf(type, entries, integrity);
}

/** The keyed SHA-1 digest that ends every JKS and JCEKS file. */
const DIGEST_BYTES = 20;

function parse(type: KeystoreType, buffer: Buffer, password: string | undefined): Entry[] {
  const parser =
    type === "JKS" ? new JavaKeyStoreParser(buffer, password) : new JceksParser(buffer, password);
  let entries: Entry[];
  try {
    entries = parser instanceof JceksParser ? parser.parseJceks() : parser.parse();
  } catch (error) {
    throw isDigestMismatch(error) ? error : asReadError(type, error);
  }
  // jks-js reads a length-prefixed field by slicing, which past the end of the file yields what is
  // left instead of failing: a certificate declaring 0x7fffffff bytes in a truncated file would be
  // read from the bytes that remain. Every field and the digest after them must fit in the file.
  const end = (parser as unknown as { dataInputStream: { offset: number } }).dataInputStream.offset;
  if (end + DIGEST_BYTES > buffer.length) {
    throw new ReadError(
      "bad-keystore",
      `the ${type} keystore ends before all its entries are read (truncated?): they declare ${(end + DIGEST_BYTES).toLocaleString("en-US")} bytes, the file has ${buffer.length.toLocaleString("en-US")}`,
    );
  }
  return entries;
}

function isDigestMismatch(error: unknown): boolean {
  return error instanceof Error && error.message === "Password verification failed";
}

function asReadError(type: KeystoreType, error: unknown): ReadError {
  if (error instanceof ReadError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  if (error instanceof RangeError || code === "ERR_OUT_OF_RANGE" || code === "ERR_BUFFER_OUT_OF_BOUNDS") {
    return new ReadError(
      "bad-keystore",
      `the ${type} keystore ends before all its entries are read (truncated?)`,
    );
  }
  if (message === "Invalid keystore format") {
    return new ReadError("bad-keystore", `a ${type} keystore of a version this reader does not know`);
  }
  if (message === "Unrecognized keystore entry") {
    return new ReadError("bad-keystore", `the ${type} keystore holds an entry of unknown type (damaged?)`);
  }
  return new ReadError("bad-keystore", `the ${type} keystore cannot be read: ${message.slice(0, 200)}`);
}

function contentOf(type: KeystoreType, entries: Entry[], integrity: KeystoreIntegrity): KeystoreContent {
  const content: KeystoreContent = {
    type,
    certificates: [],
    problems: [],
    integrity,
    entries: { privateKey: 0, trustedCertificate: 0, secretKey: 0 },
  };
  for (const entry of entries) {
    const alias = `entry '${quoted(entry.alias)}'`;
    if ("secretKey" in entry) {
      content.entries.secretKey += 1;
    } else if ("cert" in entry) {
      content.entries.trustedCertificate += 1;
      add(content, entry.cert, `${type} ${alias} (trusted certificate)`, {
        alias: entry.alias,
        kind: "trusted-certificate",
        position: 0,
      });
    } else {
      content.entries.privateKey += 1;
      entry.chain.forEach((certificate, i) => {
        add(content, certificate, `${type} ${alias} (private key), chain certificate ${i + 1}`, {
          alias: entry.alias,
          kind: "private-key",
          position: i,
        });
      });
    }
  }
  if (integrity === "mismatch") {
    content.problems.push({
      reason: "bad-password",
      detail: `the ${type} keystore's integrity check fails with the password given (a wrong password, or a file changed since it was written); its certificates were read without the check`,
    });
  }
  return content;
}

function add(
  content: KeystoreContent,
  certificate: { certType: string; value: Uint8Array },
  origin: string,
  entry: KeystoreEntry,
) {
  if (certificate.certType !== "X.509") {
    content.problems.push({
      reason: "unsupported-format",
      detail: `${origin} is a certificate of type ${quoted(certificate.certType)}, not X.509`,
    });
    return;
  }
  content.certificates.push({ der: certificate.value, origin, entry });
}
