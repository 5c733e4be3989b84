/**
 * Reads every certificate a file holds, whatever the container: PEM (one or many blocks, with
 * text around them), DER, PKCS#7 in PEM or DER, PKCS#12, Java keystores (JKS, JCEKS). The format
 * is decided from the content, never from the file name.
 *
 * Two promises: no certificate is lost (a broken block next to good ones yields the good ones
 * plus a `problems` entry for the broken one), and no input makes it throw or hang (every
 * exception becomes an `unreadable` result; key derivations have an iteration budget).
 */
import type { UnreadableReason } from "../contracts";
import { type ParsedCertificate, parseCertificate } from "./certificate";
import { decodeBer, encodingOf } from "./formats/ber";
import { classifyDer, type DerKind } from "./formats/der";
import { type KeystoreIntegrity, keystoreTypeOf, readJavaKeystore } from "./formats/java-keystore";
import { hasPemMarker, type PemBlock, pemBlocks, pemText } from "./formats/pem";
import { readPkcs12 } from "./formats/pkcs12";
import type { KdfBudget } from "./formats/pkcs12-budget";
import { messageOf, ReadError, type ReadProblem } from "./formats/read-error";

export type CertificateFormat = "pem" | "der" | "pkcs7-pem" | "pkcs7-der" | "pkcs12" | "jks" | "jceks";

/** Formats whose reading depends on a password (an inventory keeps their verdicts with its fingerprint). */
export const PASSWORD_FORMATS: readonly CertificateFormat[] = ["pkcs12", "jks", "jceks"];

/** Default size cap callers apply before reading a file; the reader itself reads what it is given. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

export interface ReadOptions {
  /** The password of PKCS#12 files and Java keystores. */
  pkcs12Password?: string;
  /** Key-derivation iterations the whole scan may still spend on PKCS#12 files. */
  kdfBudget?: KdfBudget;
  /**
   * Where a PKCS#12 password comes from, for the message when none was given: the CLI's variables by
   * default; the deployed scan names the source's secret instead.
   */
  pkcs12PasswordHint?: string;
}

export const CLI_PKCS12_PASSWORD_HINT =
  "set WATCHPOST_KEYSTORE_PASSWORD or WATCHPOST_KEYSTORE_PASSWORD_FILE, or name it in a --password-map";

export type { ReadProblem };

export type ReadResult =
  | {
      status: "ok";
      format: CertificateFormat;
      certificates: ParsedCertificate[];
      /** Parts of the file that could not be read next to the certificates that could; each one
       * becomes an `unreadable` finding for the file. */
      problems?: ReadProblem[];
      /** Java keystores: whether the store password verified the file's integrity. */
      integrity?: KeystoreIntegrity;
    }
  | { status: "unreadable"; format?: CertificateFormat; reason: UnreadableReason; detail: string }
  // Recognised material that holds no certificate (PEM/DER private key, CSR, CRL): nothing to judge.
  | { status: "not-certificate"; detail: string };

const PKCS7_LABELS = new Set(["PKCS7", "CMS", "PKCS #7 SIGNED DATA"]);
const CERTIFICATE_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);
const NON_CERTIFICATE_LABEL = /PRIVATE KEY|PUBLIC KEY|PARAMETERS|CERTIFICATE REQUEST|CRL/;
const MAX_LISTED_PROBLEMS = 5;

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
    return guarded("bad-keystore", format, () => readKeystore(bytes, file, format, options));
  }

  // A SEQUENCE is how every DER container starts.
  const kind = bytes[0] === 0x30 ? classifyFile(bytes) : undefined;
  if (kind && kind.kind !== "unknown" && kind.kind !== "not-der") return readDer(kind, bytes, file, options);
  const text = pemText(bytes);
  if (hasPemMarker(text)) return guarded("bad-pem", "pem", () => readPem(text, file));
  if (kind) return readDer(kind, bytes, file, options);
  return unreadable("unsupported-format", describeUnknown(bytes, text));
}

function blankness(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return "the file is empty (0 bytes)";
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3; // UTF-8 byte order mark
  let whitespace = 0;
  for (let i = start; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b || byte === 0x0c) {
      whitespace += 1;
    } else if (byte !== 0) {
      return undefined;
    }
  }
  // A file of zero bytes is what a crash leaves behind a preallocated write.
  return whitespace === 0 && bytes.length > start
    ? "the file holds only NUL bytes"
    : "the file holds only whitespace";
}

async function guarded(
  reason: UnreadableReason,
  format: CertificateFormat,
  body: () => Promise<ReadResult> | ReadResult,
): Promise<ReadResult> {
  try {
    return await body();
  } catch (error) {
    return unreadable(error instanceof ReadError ? error.reason : reason, messageOf(error), format);
  }
}

// ---------------------------------------------------------------------------------------------
// PEM

interface Found {
  der: Uint8Array;
  /** Where the certificate came from, for problem details: "PEM block 3 (CERTIFICATE)". */
  origin: string;
  fromPkcs7: boolean;
}

function readPem(text: string, file: string): ReadResult {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) {
    return unreadable("bad-pem", "the file has a PEM marker but no well-formed BEGIN/END block", "pem");
  }
  const found: Found[] = [];
  const problems: ReadProblem[] = [];
  const otherLabels: string[] = [];
  const unknownLabels: string[] = [];
  let emptyPkcs7 = false;

  for (const block of blocks) {
    const origin = `PEM block ${block.number} (${block.label})`;
    const isCertificate = CERTIFICATE_LABELS.has(block.label);
    const isPkcs7 = PKCS7_LABELS.has(block.label);
    if (!isCertificate && !isPkcs7) {
      (NON_CERTIFICATE_LABEL.test(block.label) ? otherLabels : unknownLabels).push(block.label);
      continue;
    }
    const der = blockDer(block, origin, problems);
    if (!der) continue;
    if (isCertificate) {
      found.push({ der, origin, fromPkcs7: false });
      continue;
    }
    const kind = classifyFile(der);
    const certificates = kind.kind === "pkcs7" ? kind.certificates : undefined;
    if (!certificates) {
      problems.push({ reason: "bad-pem", detail: `${origin} does not hold a PKCS#7 SignedData structure` });
      continue;
    }
    if (certificates.length === 0) emptyPkcs7 = true;
    certificates.forEach((certificate, i) => {
      found.push({ der: certificate, origin: `${origin}, certificate ${i + 1}`, fromPkcs7: true });
    });
  }

  const certificates = describeAll(found, file, problems, "bad-pem");
  const format: CertificateFormat = found.length > 0 && found.every((f) => f.fromPkcs7) ? "pkcs7-pem" : "pem";
  if (certificates.length > 0) return ok(format, certificates, problems);
  if (problems.length > 0) return unreadable("bad-pem", joinProblems(problems), format);
  if (otherLabels.length > 0 || emptyPkcs7) {
    const labels = [...new Set([...otherLabels, ...(emptyPkcs7 ? ["PKCS7 without certificates"] : [])])];
    return { status: "not-certificate", detail: `PEM with ${labels.join(", ")} and no certificate` };
  }
  return unreadable(
    "unsupported-format",
    `PEM block(s) labelled ${[...new Set(unknownLabels)].join(", ")} hold no certificate`,
  );
}

/**
 * The first DER element of a block, or a problem entry explaining why there is none. Taking the
 * first element is what reads TRUSTED CERTIFICATE: OpenSSL appends aux data after the certificate.
 */
function blockDer(block: PemBlock, origin: string, problems: ReadProblem[]): Uint8Array | undefined {
  if (!block.der) {
    problems.push({ reason: "bad-pem", detail: `${origin} is broken: ${block.problem ?? "unreadable"}` });
    return undefined;
  }
  const parsed = decodeBer(block.der);
  if ("error" in parsed) {
    problems.push({ reason: "bad-pem", detail: `${origin} is not valid DER: ${parsed.error}` });
    return undefined;
  }
  return encodingOf(parsed.element);
}

// ---------------------------------------------------------------------------------------------
// DER, PKCS#7, PKCS#12

type FileKind = DerKind | { kind: "not-der"; error: string };

/** Decodes and classifies in one frame, so the decoded tree is garbage once this returns. */
function classifyFile(bytes: Uint8Array): FileKind {
  const decoded = decodeBer(bytes);
  return "error" in decoded ? { kind: "not-der", error: decoded.error } : classifyDer(decoded.element);
}

async function readDer(
  kind: FileKind,
  bytes: Uint8Array,
  file: string,
  options: ReadOptions,
): Promise<ReadResult> {
  switch (kind.kind) {
    case "not-der":
      return unreadable("bad-der", `the file starts like DER but is not valid DER: ${kind.error}`, "der");
    case "certificate":
      return guarded("bad-der", "der", () => readDerCertificates(bytes, file));
    case "pkcs7":
      return guarded("bad-der", "pkcs7-der", () => readPkcs7Der(kind.certificates, file));
    case "pkcs12":
      return guarded("bad-der", "pkcs12", () => readPfx(kind.pfx, file, options));
    case "no-certificate":
      return { status: "not-certificate", detail: `DER-encoded ${kind.what}, which holds no certificate` };
    case "other-cms":
      return unreadable("unsupported-format", `${kind.what}, which holds no certificate list`, "pkcs7-der");
    case "unknown":
      return unreadable(
        "bad-der",
        `the file is DER but not a certificate or certificate container: ${kind.what}`,
        "der",
      );
  }
}

/** One DER certificate, or several written back to back (`cat a.der b.der`). */
function readDerCertificates(bytes: Uint8Array, file: string): ReadResult {
  const found: Found[] = [];
  const problems: ReadProblem[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const rest = bytes.subarray(offset);
    if (blankness(rest)) break; // trailing whitespace or NUL padding
    const parsed = decodeBer(rest);
    if ("error" in parsed || parsed.length === 0 || classifyDer(parsed.element).kind !== "certificate") {
      problems.push({
        reason: "bad-der",
        detail: `${rest.length} bytes at offset ${offset} are not a DER certificate`,
      });
      break;
    }
    found.push({
      der: encodingOf(parsed.element),
      origin: `DER certificate ${found.length + 1}`,
      fromPkcs7: false,
    });
    offset += parsed.length;
  }
  const certificates = describeAll(found, file, problems, "bad-der");
  if (certificates.length > 0) return ok("der", certificates, problems);
  return unreadable("bad-der", joinProblems(problems), "der");
}

function readPkcs7Der(extracted: Uint8Array[] | undefined, file: string): ReadResult {
  if (!extracted)
    return unreadable("bad-der", "a PKCS#7 SignedData structure that is malformed", "pkcs7-der");
  const problems: ReadProblem[] = [];
  const found = extracted.map((der, i) => ({
    der,
    origin: `PKCS#7 certificate ${i + 1}`,
    fromPkcs7: true,
  }));
  const certificates = describeAll(found, file, problems, "bad-der");
  if (certificates.length > 0) return ok("pkcs7-der", certificates, problems);
  if (problems.length > 0) return unreadable("bad-der", joinProblems(problems), "pkcs7-der");
  return { status: "not-certificate", detail: "a PKCS#7 SignedData structure without certificates" };
}

async function readPfx(
  pfx: Parameters<typeof readPkcs12>[0],
  file: string,
  options: ReadOptions,
): Promise<ReadResult> {
  const outcome = await readPkcs12(pfx, options.pkcs12Password, options.kdfBudget);
  if (!outcome.ok) {
    // The detail never holds the password, only whether one was given.
    const detail = {
      "no-password":
        "the PKCS#12 file is password-protected and no password was given " +
        `(${options.pkcs12PasswordHint ?? CLI_PKCS12_PASSWORD_HINT}); the empty password does not match`,
      "wrong-password":
        outcome.provedBy === "decryption"
          ? "the PKCS#12 password given does not match the file (its safes do not decrypt with it)"
          : "the PKCS#12 password given does not match the file (MAC verification failed)",
      "safe-password-differs":
        "the PKCS#12 MAC matches, but an encrypted safe does not decrypt with the same password " +
        "(exported with separate MAC and encryption passwords?)",
    }[outcome.reason];
    return unreadable("bad-password", detail, "pkcs12");
  }
  const problems = [...outcome.content.problems];
  const found = outcome.content.certificates.map((der, i) => ({
    der,
    origin: `PKCS#12 certificate ${i + 1}`,
    fromPkcs7: false,
  }));
  const certificates = describeAll(found, file, problems, "bad-der");
  if (certificates.length > 0) return ok("pkcs12", certificates, problems);
  if (problems.length > 0) {
    return unreadable(problems[0]?.reason ?? "bad-der", joinProblems(problems), "pkcs12");
  }
  return { status: "not-certificate", detail: "a PKCS#12 file without certificates (keys only)" };
}

function readKeystore(
  bytes: Uint8Array,
  file: string,
  format: "jks" | "jceks",
  options: ReadOptions,
): ReadResult {
  const content = readJavaKeystore(bytes, options.pkcs12Password);
  const problems = [...content.problems];
  const certificates = describeAll(
    content.certificates.map(({ der, origin }) => ({ der, origin, fromPkcs7: false })),
    file,
    problems,
    "bad-keystore",
  );
  if (certificates.length > 0) {
    const result = ok(format, certificates, problems);
    return result.status === "ok" ? { ...result, integrity: content.integrity } : result;
  }
  if (problems.length > 0) {
    return unreadable(problems[0]?.reason ?? "bad-keystore", joinProblems(problems), format);
  }
  const { privateKey, secretKey } = content.entries;
  const held = secretKey > 0 ? `${secretKey} secret key(s)` : privateKey > 0 ? "keys" : "no entry";
  return {
    status: "not-certificate",
    detail: `a ${content.type} keystore holding ${held} and no certificate`,
  };
}

// ---------------------------------------------------------------------------------------------

function describeAll(found: Found[], file: string, problems: ReadProblem[], reason: UnreadableReason) {
  const certificates: ParsedCertificate[] = [];
  for (const { der, origin } of found) {
    try {
      certificates.push(parseCertificate(der, file, certificates.length));
    } catch (error) {
      problems.push({ reason, detail: `${origin} does not hold a valid certificate: ${messageOf(error)}` });
    }
  }
  return certificates;
}

function ok(
  format: CertificateFormat,
  certificates: ParsedCertificate[],
  problems: ReadProblem[],
): ReadResult {
  return problems.length > 0
    ? { status: "ok", format, certificates, problems: boundedProblems(problems) }
    : { status: "ok", format, certificates };
}

/**
 * Each problem becomes a finding of its own; a bundle with thousands of broken blocks next to good
 * ones would otherwise bury the report. Past the first few, the rest are counted in one entry.
 */
function boundedProblems(problems: ReadProblem[]): ReadProblem[] {
  if (problems.length <= MAX_LISTED_PROBLEMS) return problems;
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS - 1);
  const rest = problems.slice(MAX_LISTED_PROBLEMS - 1);
  const first = rest[0]!;
  return [
    ...listed,
    {
      reason: first.reason,
      detail: `${rest.length} more parts of the file cannot be read, the next being: ${first.detail}`,
    },
  ];
}

function unreadable(reason: UnreadableReason, detail: string, format?: CertificateFormat): ReadResult {
  return format ? { status: "unreadable", format, reason, detail } : { status: "unreadable", reason, detail };
}

function joinProblems(problems: ReadProblem[]): string {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => p.detail);
  const more = problems.length - listed.length;
  return more > 0 ? `${listed.join("; ")}; and ${more} more` : listed.join("; ");
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
