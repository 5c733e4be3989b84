/**
 * Reads every certificate a file holds, whatever the container: PEM (one or many blocks, with
 * text around them), DER, PKCS#7 in PEM or DER, PKCS#12. The format is decided from the content,
 * never from the file name.
 *
 * Two promises: no certificate is lost (a broken block next to good ones yields the good ones
 * plus a `problems` entry for the broken one), and no input makes it throw or hang (every
 * exception becomes an `unreadable` result; key derivations have an iteration budget).
 */
import type { UnreadableReason } from "../contracts";
import {
  NotDerError,
  type ParsedCertificate,
  parseCertificate,
  parseDecodedCertificate,
} from "./certificate";
import { type Decoded, decodeBer, type Element } from "./formats/ber";
import { classifyDer, type DerKind } from "./formats/der";
import { hasPemMarker, pemBlocks, pemText } from "./formats/pem";
import { type KdfBudget, readPkcs12 } from "./formats/pkcs12";
import { messageOf, ReadError, type ReadProblem } from "./formats/read-error";

export type CertificateFormat = "pem" | "der" | "pkcs7-pem" | "pkcs7-der" | "pkcs12";

/** Default size cap callers apply before reading a file; the reader itself reads what it is given. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

export interface ReadOptions {
  pkcs12Password?: string;
  /** Key-derivation iterations the whole scan may still spend on PKCS#12 files. */
  kdfBudget?: KdfBudget;
}

export type { ReadProblem };

export type ReadResult =
  | {
      status: "ok";
      format: CertificateFormat;
      certificates: ParsedCertificate[];
      /** Parts of the file that could not be read next to the certificates that could; each one
       * becomes an `unreadable` finding for the file. */
      problems?: ReadProblem[];
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

/** Cheap sniff for directory walks: a PEM BEGIN line (also in UTF-16), or DER/BER's SEQUENCE tag. */
export function looksLikeCertificateMaterial(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x30) return true;
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

  // A SEQUENCE is how every DER container starts.
  const der = bytes[0] === 0x30 ? await readDerFile(bytes, file, options) : undefined;
  if (der && "result" in der) return der.result;
  const text = pemText(bytes);
  if (hasPemMarker(text)) return guarded("bad-pem", "pem", () => readPem(text, file));
  if (der) return der.otherwise;
  return unreadable("unsupported-format", describeUnknown(bytes, text));
}

/**
 * A file that starts like DER, decoded once and read from that tree: a certificate straight away
 * (most DER files are one), a container after telling it apart (formats/der.ts). What is not
 * DER, or no known structure, is only the answer `otherwise`: the file may still be PEM.
 */
async function readDerFile(
  bytes: Uint8Array,
  file: string,
  options: ReadOptions,
): Promise<{ result: ReadResult } | { otherwise: ReadResult }> {
  let decoded: Decoded | undefined;
  {
    const attempt = decodeBer(bytes);
    if ("error" in attempt) {
      return {
        otherwise: unreadable(
          "bad-der",
          `the file starts like DER but is not valid DER: ${attempt.error}`,
          "der",
        ),
      };
    }
    decoded = attempt;
  }
  if (decoded.certificateLike) {
    const first = decoded;
    const result = await guarded("bad-der", "der", () => readDerCertificates(bytes, file, first, false));
    if (result) return { result };
  }
  const kind = classifyDer(decoded.element);
  // What a container holds was taken out by classifyDer; the rest of its tree can go.
  if (kind.kind !== "certificate") decoded = undefined;
  const result = await readDer(kind, decoded, bytes, file, options);
  return kind.kind === "unknown" ? { otherwise: result } : { result };
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

async function guarded<T extends ReadResult | undefined>(
  reason: UnreadableReason,
  format: CertificateFormat,
  body: () => Promise<T> | T,
): Promise<T | ReadResult> {
  try {
    return await body();
  } catch (error) {
    return unreadable(error instanceof ReadError ? error.reason : reason, messageOf(error), format);
  }
}

// ---------------------------------------------------------------------------------------------
// PEM

/**
 * Certificates as they are read, in file order: each takes the next index, and the parts that
 * fail are reported after the file's other problems, naming where they came from.
 */
class Described {
  readonly certificates: ParsedCertificate[] = [];
  /** "... does not hold a valid certificate" problems, listed after the file's other problems. */
  readonly failed: ReadProblem[] = [];
  candidates = 0;
  fromPkcs7 = 0;

  constructor(
    private readonly file: string,
    private readonly reason: UnreadableReason,
  ) {}

  /**
   * Parses one candidate with `read`. Returns why when its bytes are not even BER: then it is no
   * candidate, and the caller reports it as a broken part of the file.
   */
  add(origin: string, fromPkcs7: boolean, read: (index: number) => ParsedCertificate): string | undefined {
    try {
      const certificate = read(this.certificates.length);
      this.count(fromPkcs7);
      this.certificates.push(certificate);
    } catch (error) {
      if (error instanceof NotDerError) return error.message;
      this.count(fromPkcs7);
      this.failed.push({
        reason: this.reason,
        detail: `${origin} does not hold a valid certificate: ${messageOf(error)}`,
      });
    }
    return undefined;
  }

  decoded(origin: string, element: Element, fromPkcs7: boolean): void {
    this.add(origin, fromPkcs7, (index) => parseDecodedCertificate(element, this.file, index));
  }

  /** A certificate in bytes of its own (a PKCS#12 bag): bytes that are not BER are a bad certificate. */
  bytes(origin: string, der: Uint8Array): void {
    this.add(origin, false, (index) => {
      try {
        return parseCertificate(der, this.file, index);
      } catch (error) {
        throw error instanceof NotDerError ? new Error(error.message) : error;
      }
    });
  }

  private count(fromPkcs7: boolean): void {
    this.candidates += 1;
    if (fromPkcs7) this.fromPkcs7 += 1;
  }
}

function readPem(text: string, file: string): ReadResult {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) {
    return unreadable("bad-pem", "the file has a PEM marker but no well-formed BEGIN/END block", "pem");
  }
  const read = new Described(file, "bad-pem");
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
    const der = block.der;
    if (!der) {
      problems.push({ reason: "bad-pem", detail: `${origin} is broken: ${block.problem ?? "unreadable"}` });
      continue;
    }
    if (isCertificate) {
      // Decoded once, inside parseCertificate, which takes the block's first DER element: that is
      // what reads TRUSTED CERTIFICATE, where OpenSSL appends aux data after the certificate.
      const notDer = read.add(origin, false, (index) => parseCertificate(der, file, index));
      if (notDer) problems.push({ reason: "bad-pem", detail: `${origin} is not valid DER: ${notDer}` });
      continue;
    }
    const decoded = decodeBer(der);
    if ("error" in decoded) {
      problems.push({ reason: "bad-pem", detail: `${origin} is not valid DER: ${decoded.error}` });
      continue;
    }
    const kind = classifyDer(decoded.element);
    const certificates = kind.kind === "pkcs7" ? kind.certificates : undefined;
    if (!certificates) {
      problems.push({ reason: "bad-pem", detail: `${origin} does not hold a PKCS#7 SignedData structure` });
      continue;
    }
    if (certificates.length === 0) emptyPkcs7 = true;
    certificates.forEach((certificate, i) => {
      if (certificate) read.decoded(`${origin}, certificate ${i + 1}`, certificate, true);
    });
  }

  problems.push(...read.failed);
  const { certificates } = read;
  const format: CertificateFormat =
    read.candidates > 0 && read.fromPkcs7 === read.candidates ? "pkcs7-pem" : "pem";
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

// ---------------------------------------------------------------------------------------------
// DER, PKCS#7, PKCS#12

async function readDer(
  kind: DerKind,
  decoded: Decoded | undefined,
  bytes: Uint8Array,
  file: string,
  options: ReadOptions,
): Promise<ReadResult> {
  switch (kind.kind) {
    case "certificate": {
      const first = decoded as Decoded;
      const result = await guarded("bad-der", "der", () => readDerCertificates(bytes, file, first, true));
      return result ?? unreadable("bad-der", "the file is not a DER certificate", "der");
    }
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

/**
 * One DER certificate, or several written back to back (`cat a.der b.der`); `first` is the file's
 * first element, already decoded. Unless `classifiedFirst`, a first element that does not even
 * have a certificate's schema yields undefined: the file is then classified like any other DER.
 */
function readDerCertificates(
  bytes: Uint8Array,
  file: string,
  first: Decoded,
  classifiedFirst: boolean,
): ReadResult | undefined {
  const read = new Described(file, "bad-der");
  const problems: ReadProblem[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const rest = bytes.subarray(offset);
    if (blankness(rest)) break; // trailing whitespace or NUL padding
    const parsed = offset === 0 ? first : decodeBer(rest);
    const notCertificate = () => {
      problems.push({
        reason: "bad-der",
        detail: `${rest.length} bytes at offset ${offset} are not a DER certificate`,
      });
    };
    if ("error" in parsed || parsed.length === 0) {
      notCertificate();
      break;
    }
    const origin = `DER certificate ${read.candidates + 1}`;
    const failed = read.failed.length;
    read.decoded(origin, parsed.element, false);
    // A part that does not read is a certificate gone bad only if it has a certificate's schema.
    if (read.failed.length > failed && classifyDer(parsed.element).kind !== "certificate") {
      if (offset === 0 && !classifiedFirst) return undefined;
      read.failed.pop();
      read.candidates -= 1;
      notCertificate();
      break;
    }
    offset += parsed.length;
  }
  problems.push(...read.failed);
  if (read.certificates.length > 0) return ok("der", read.certificates, problems);
  return unreadable("bad-der", joinProblems(problems), "der");
}

/** The certificates of a SignedData, decoded with the bundle; each entry is let go once read. */
function readPkcs7Der(extracted: (Element | undefined)[] | undefined, file: string): ReadResult {
  if (!extracted)
    return unreadable("bad-der", "a PKCS#7 SignedData structure that is malformed", "pkcs7-der");
  const read = new Described(file, "bad-der");
  extracted.forEach((element, i) => {
    if (element) read.decoded(`PKCS#7 certificate ${i + 1}`, element, true);
    extracted[i] = undefined;
  });
  const problems = read.failed;
  if (read.certificates.length > 0) return ok("pkcs7-der", read.certificates, problems);
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
        "(set WATCHPOST_PKCS12_PASSWORD or WATCHPOST_PKCS12_PASSWORD_FILE); the empty password does not match",
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
  const read = new Described(file, "bad-der");
  outcome.content.certificates.forEach((der, i) => {
    read.bytes(`PKCS#12 certificate ${i + 1}`, der);
  });
  const problems = [...outcome.content.problems, ...read.failed];
  const { certificates } = read;
  if (certificates.length > 0) return ok("pkcs12", certificates, problems);
  if (problems.length > 0) {
    return unreadable(problems[0]?.reason ?? "bad-der", joinProblems(problems), "pkcs12");
  }
  return { status: "not-certificate", detail: "a PKCS#12 file without certificates (keys only)" };
}

// ---------------------------------------------------------------------------------------------

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
  const magic = buffer.length >= 4 ? buffer.readUInt32BE(0) : 0;
  if (magic === 0xfeedfeed) {
    return "a Java KeyStore (JKS): convert it with keytool -importkeystore -deststoretype PKCS12";
  }
  if (magic === 0xcececece) {
    return "a Java JCEKS keystore: convert it with keytool -importkeystore -deststoretype PKCS12";
  }
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
