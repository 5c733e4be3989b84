/**
 * What reading a file yields (ReadResult), and what the format readers share to build it: the
 * certificates in file order with the parts that failed (Described), and bounded problem lists.
 */
import type { UnreadableReason } from "../contracts";
import {
  type KeystoreEntry,
  NotDerError,
  type ParsedCertificate,
  parseCertificate,
  parseDecodedCertificate,
} from "./certificate";
import type { Element } from "./formats/ber";
import type { KeystoreIntegrity } from "./formats/java-keystore";
import { type KdfBudget, KdfBudgetExhausted } from "./formats/pkcs12-budget";
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
  | { status: "not-certificate"; detail: string }
  // Not read: the scan's key-derivation budget ran out (formats/pkcs12-budget.ts). Says nothing
  // about the file, which a later scan reads.
  | { status: "deferred"; format: CertificateFormat; detail: string };

const MAX_LISTED_PROBLEMS = 5;

export function blankness(bytes: Uint8Array): string | undefined {
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

export async function guarded<T extends ReadResult | undefined>(
  reason: UnreadableReason,
  format: CertificateFormat,
  body: () => Promise<T> | T,
): Promise<T | ReadResult> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof KdfBudgetExhausted) return { status: "deferred", format, detail: error.detail };
    return unreadable(error instanceof ReadError ? error.reason : reason, messageOf(error), format);
  }
}

/**
 * Certificates as they are read, in file order: each takes the next index, and the parts that
 * fail are reported after the file's other problems, naming where they came from.
 */
export class Described {
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

  /**
   * A certificate in bytes of its own (a keystore entry, a PKCS#12 bag): bytes that are not BER are
   * a bad certificate.
   */
  bytes(origin: string, der: Uint8Array, entry?: KeystoreEntry): void {
    this.add(origin, false, (index) => {
      try {
        const certificate = parseCertificate(der, this.file, index);
        return entry ? { ...certificate, entry } : certificate;
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

export function ok(
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

export function unreadable(reason: UnreadableReason, detail: string, format?: CertificateFormat): ReadResult {
  return format ? { status: "unreadable", format, reason, detail } : { status: "unreadable", reason, detail };
}

export function joinProblems(problems: ReadProblem[]): string {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => p.detail);
  const more = problems.length - listed.length;
  return more > 0 ? `${listed.join("; ")}; and ${more} more` : listed.join("; ");
}
