/**
 * The scan engine shared by `watchpost scan` and the scan Lambda: files in, certificates and
 * findings out. Where the bytes come from (local disk, S3) is the caller's business; this module
 * never touches the file system or AWS, so both front ends judge a file in exactly the same way.
 */

import type { ParsedCertificate } from "../certificates/certificate";
import { compareFindings } from "../certificates/checks/finding";
import {
  type EvaluationPolicy,
  judgeCertificates,
  judgeFacts,
  unreadableFinding,
} from "../certificates/evaluate";
import type { CertificateFacts } from "../certificates/facts";
import type { KeystoreIntegrity } from "../certificates/formats/java-keystore";
import { declaredKdfCost, type KdfCost } from "../certificates/formats/pkcs12";
import { KdfBudget } from "../certificates/formats/pkcs12-budget";
import {
  type CertificateFormat,
  looksLikeCertificateMaterial,
  PASSWORD_FORMATS,
  readCertificates,
} from "../certificates/reader";
import { mapBounded } from "../concurrency";
import type { Finding, UnreadableReason } from "../contracts";

export type LoadResult =
  | {
      ok: true;
      bytes: Uint8Array;
      /** The stored version read, when the store has versions (S3's ETag). */
      etag?: string;
      size?: number;
      /** The object's user metadata, when the store keeps some (S3: x-amz-meta-*, names lower-cased). */
      metadata?: Record<string, string>;
      /** When the store wrote this version, on the store's clock (S3's Last-Modified). */
      lastModified?: Date;
    }
  | {
      ok: false;
      reason: UnreadableReason;
      detail: string;
      /**
       * The object does not exist (any more): nothing was there to read. A file a listing named and
       * that is gone by the time it is read is not unreadable, it is gone; a named file that was
       * never there (a CA bundle, a CLI argument) is still reported by whoever needs it.
       */
      gone?: boolean;
      /**
       * The failure says nothing about the object and the next attempt may well succeed: a timeout,
       * a network error, throttling, a server error. The object is not examined and gets no finding
       * (its alarms stand); a load that is refused for good (access denied) is `unreadable`.
       */
      transient?: boolean;
    };

/**
 * Certificates a source described without handing out their bytes (an API's description, such as
 * ACM's DescribeCertificate): judged from their facts, with no chain verdict, as a record is.
 */
export interface DescribedCertificates {
  ok: true;
  facts: CertificateFacts[];
  /** The version described, when the source says. */
  etag?: string;
}

/** What a load gives: bytes (or why none), or certificates already described. */
export type Loaded = LoadResult | DescribedCertificates;

function hasBytes(loaded: Loaded): loaded is LoadResult & { ok: true } {
  return loaded.ok && "bytes" in loaded;
}

export interface ScanInput {
  /** Name used in reports: a path as the operator typed it, or `s3://bucket/key`. */
  file: string;
  load: () => Promise<Loaded>;
  /**
   * Named by the operator rather than found by walking a directory. A named file that holds no
   * certificate (a private key, say) is a finding; one met during a walk is simply skipped.
   */
  explicit: boolean;
  /** Skip the file quietly unless its bytes look like PEM or DER (for files met in a walk). */
  onlyIfCertificateLike?: boolean;
  /** Names this file's end-entity certificates must cover, overriding the scan-wide list. */
  expectedHosts?: string[];
  /** This file's password (a per-file password map), overriding the scan-wide one. */
  password?: FilePassword;
  /**
   * The file is one of a listing (a store's objects): if it is gone when read, it was deleted
   * meanwhile and simply is no more. Otherwise a missing file is `unreadable` (io-error).
   */
  goneIsAbsent?: boolean;
}

/** The password of PKCS#12 files and Java keystores, with what identifies it and where it comes from. */
export interface FilePassword {
  value?: string;
  /** inventory.ts `secretFingerprint` of the value, never the value. */
  fingerprint?: string;
  /** Where the password comes from, said when a file needs one and has none (reader.ts). */
  hint?: string;
}

/** What a fresh read of an object leaves for the next scan (`FileOutcome.verdict`; inventory.ts keeps it). */
export interface ObjectVerdict {
  certificates: CertificateFacts[];
  /** Findings decided by the bytes alone: unreadable blocks or files, untrusted chains. */
  bytesFindings: Finding[];
  /** For a PKCS#12 file or keystore: the fingerprint of the password it was read with (see secretFingerprint). */
  secret?: string;
  /** For a Java keystore: whether the password verified its integrity. */
  integrity?: KeystoreIntegrity;
  /** The format the bytes were read as, which findings judged afresh carry too. */
  format?: CertificateFormat;
}

export interface ScanOptions {
  policy: EvaluationPolicy;
  /** The password of PKCS#12 files and Java keystores (JKS, JCEKS), unless a file has its own. */
  pkcs12Password?: string;
  /**
   * Fingerprint of the PKCS#12 password (inventory.ts `secretFingerprint`), never the password:
   * with it a PKCS#12 file's verdict is kept, to be reused while neither file nor password changes.
   */
  pkcs12PasswordFingerprint?: string;
  /** Key-derivation iterations left for PKCS#12 files; scanFiles gives each call one budget. */
  kdfBudget?: KdfBudget;
  /** Where the password comes from, for the message when there is none (reader.ts). */
  pkcs12PasswordHint?: string;
  /** Files read and judged at once; bounded so a bucket of thousands does not exhaust memory. */
  concurrency?: number;
}

export interface FileOutcome {
  file: string;
  certificates: ParsedCertificate[];
  /** The certificates' facts as judged (with what their chains go through), when any were read. */
  facts?: CertificateFacts[];
  findings: Finding[];
  /** Nothing to judge: recognised material that is not a certificate (key, CSR, CRL). */
  skipped?: string;
  /**
   * What the bytes alone decided, for an incremental scan to keep (inventory.ts). Absent when the
   * outcome depends on more than the bytes: a failed download, or a PKCS#12 password.
   */
  verdict?: ObjectVerdict;
  /** ETag and size of the version that was read, when the store reports an ETag. */
  etag?: string;
  size?: number;
  /**
   * The bytes could not be fetched (network, permissions, a timeout), or reading them was deferred
   * (the scan's key-derivation budget): the file was not examined, and alarms about its
   * certificates must stand until it can be read again.
   */
  unexamined?: boolean;
  /**
   * Why the file was not examined when no finding says so: a transient load failure or a deferral
   * stops work on the file, and says nothing about its certificates (no finding, no alarm).
   */
  notExamined?: string;
  /** A Java keystore: whether its password verified its integrity (reader.ts). */
  integrity?: KeystoreIntegrity;
  /** The user metadata the store returned with the bytes (location.ts reads parameters from it). */
  metadata?: Record<string, string>;
  /** The object went away before it could be read: examined, and found absent. */
  gone?: boolean;
}

/** Load failures that leave the file unexamined: its alarms stand until it can be read again. */
export const TRANSIENT_LOAD_FAILURES: readonly UnreadableReason[] = ["io-error", "timeout", "unreachable"];

export interface ScanResult {
  files: FileOutcome[];
  certificates: ParsedCertificate[];
  findings: Finding[];
}

export async function scanFile(input: ScanInput, options: ScanOptions): Promise<FileOutcome> {
  const loaded = await input.load();
  if (hasBytes(loaded)) {
    const cost = pkcs12CostOf(loaded.bytes, input, options);
    const deferral = cost && options.kdfBudget?.deferral(cost);
    if (deferral) return deferred(input.file, deferral);
  }
  return judgeLoaded(input, loaded, options);
}

/** What the file's password is: its own, else the scan's. */
function passwordOf(input: ScanInput, options: ScanOptions): FilePassword {
  return (
    input.password ?? {
      value: options.pkcs12Password,
      fingerprint: options.pkcs12PasswordFingerprint,
      hint: options.pkcs12PasswordHint,
    }
  );
}

function pkcs12CostOf(bytes: Uint8Array, input: ScanInput, options: ScanOptions): KdfCost | undefined {
  const password = passwordOf(input, options).value;
  return declaredKdfCost(bytes, password !== undefined && password !== "");
}

function deferred(file: string, why: string): FileOutcome {
  return { ...outcome(file, [], []), unexamined: true, notExamined: `${why}; it is read in a later scan` };
}

async function judgeLoaded(input: ScanInput, loaded: Loaded, options: ScanOptions): Promise<FileOutcome> {
  if (!loaded.ok && loaded.gone && input.goneIsAbsent) return { ...outcome(input.file, [], []), gone: true };
  if (!loaded.ok) {
    // A timeout or a dropped connection says nothing about the certificates: no finding.
    if (loaded.transient) {
      return { ...outcome(input.file, [], []), unexamined: true, notExamined: loaded.detail };
    }
    const finding = unreadableFinding(input.file, loaded.reason, loaded.detail);
    return TRANSIENT_LOAD_FAILURES.includes(loaded.reason)
      ? { ...outcome(input.file, [], [finding]), unexamined: true }
      : outcome(input.file, [], [finding]);
  }
  if (!hasBytes(loaded)) return judgeDescribed(input, loaded, options);
  const stored = loaded.metadata ? { metadata: loaded.metadata } : {};
  if (input.onlyIfCertificateLike && !looksLikeCertificateMaterial(loaded.bytes)) {
    return { ...outcome(input.file, [], []), skipped: "does not look like certificate material" };
  }
  const password = passwordOf(input, options);
  const read = await readCertificates(loaded.bytes, input.file, {
    pkcs12Password: password.value,
    ...(options.kdfBudget ? { kdfBudget: options.kdfBudget } : {}),
    ...(password.hint ? { pkcs12PasswordHint: password.hint } : {}),
  });
  // The version read goes with every outcome (alarm decisions are ordered by it); the verdict only
  // when what decided it is known: the bytes, and for PKCS#12 and keystores the password too, kept
  // by its fingerprint.
  const protectedFormat =
    "format" in read && read.format !== undefined && PASSWORD_FORMATS.includes(read.format);
  const keep = (result: FileOutcome, verdict: ObjectVerdict): FileOutcome => ({
    ...result,
    ...stored,
    ...(protectedFormat && password.fingerprint === undefined
      ? {}
      : { verdict: protectedFormat ? { ...verdict, secret: password.fingerprint } : verdict }),
    ...(loaded.etag ? { etag: loaded.etag, size: loaded.bytes.byteLength } : {}),
  });
  switch (read.status) {
    case "deferred":
      // The scan's key-derivation budget ran out while this file was read: not examined, not kept.
      return deferred(input.file, read.detail);
    case "unreadable": {
      const finding = noteRead(unreadableFinding(input.file, read.reason, read.detail), read.format);
      return keep(outcome(input.file, [], [finding]), {
        certificates: [],
        bytesFindings: [finding],
        ...(read.format ? { format: read.format } : {}),
      });
    }
    case "not-certificate": {
      if (!input.explicit) return { ...outcome(input.file, [], []), skipped: read.detail };
      const finding = unreadableFinding(
        input.file,
        "unsupported-format",
        `holds no certificate: ${read.detail}`,
      );
      return keep(outcome(input.file, [], [finding]), { certificates: [], bytesFindings: [finding] });
    }
    case "ok": {
      const policy = input.expectedHosts
        ? { ...options.policy, expectedHosts: input.expectedHosts }
        : options.policy;
      const problems = (read.problems ?? []).map((p) => unreadableFinding(input.file, p.reason, p.detail));
      const judgement = judgeCertificates(read.certificates, policy);
      // Findings say what format the file was read as (the steps to fix it depend on it), and a
      // keystore's whether its password verified the file they were read from.
      const integrity = read.integrity;
      const note = (findings: Finding[]) => findings.map((f) => noteRead(f, read.format, integrity));
      return keep(
        {
          ...outcome(input.file, read.certificates, note([...problems, ...judgement.findings])),
          facts: judgement.facts,
          ...(integrity ? { integrity } : {}),
        },
        {
          certificates: judgement.facts,
          bytesFindings: note([...problems, ...judgement.chainFindings]),
          format: read.format,
          ...(integrity ? { integrity } : {}),
        },
      );
    }
  }
}

/** Described certificates are judged as a record's facts are: every check but the chain's, which needs bytes. */
function judgeDescribed(input: ScanInput, loaded: DescribedCertificates, options: ScanOptions): FileOutcome {
  const policy = input.expectedHosts
    ? { ...options.policy, expectedHosts: input.expectedHosts }
    : options.policy;
  return {
    ...outcome(input.file, [], judgeFacts(loaded.facts, policy).sort(compareFindings)),
    facts: loaded.facts,
    verdict: { certificates: loaded.facts, bytesFindings: [] },
    ...(loaded.etag ? { etag: loaded.etag } : {}),
  };
}

/** PKCS#12 bytes held back for reading in cost order, at most this much at once. */
const MAX_HELD_BYTES = 32 * 1024 * 1024;

/**
 * Scans every input with bounded concurrency; results keep the order of the inputs. PKCS#12 files
 * are read last and cheapest first, by the key-derivation cost they declare, each only while the
 * scan's budget has room for it (formats/pkcs12-budget.ts): a crafted file asking for a costly
 * derivation can then spend only what the files cheaper than itself left over, and never keeps a
 * file that real tools wrote, with its known password, from being read.
 */
export async function scanFiles(inputs: readonly ScanInput[], options: ScanOptions): Promise<ScanResult> {
  const shared = options.kdfBudget ? options : { ...options, kdfBudget: new KdfBudget() };
  const budget = shared.kdfBudget as KdfBudget;
  const concurrency = options.concurrency ?? 8;
  const files: FileOutcome[] = new Array(inputs.length);
  const held: { at: number; input: ScanInput; loaded: LoadResult & { ok: true }; cost: KdfCost }[] = [];
  let heldBytes = 0;
  await mapBounded([...inputs.keys()], concurrency, async (at) => {
    const input = inputs[at] as ScanInput;
    const loaded = await input.load();
    const cost = hasBytes(loaded) ? pkcs12CostOf(loaded.bytes, input, shared) : undefined;
    if (hasBytes(loaded) && cost && heldBytes + loaded.bytes.byteLength <= MAX_HELD_BYTES) {
      heldBytes += loaded.bytes.byteLength;
      held.push({ at, input, loaded, cost });
      return;
    }
    const deferral = cost && budget.deferral(cost);
    files[at] = deferral ? deferred(input.file, deferral) : await judgeLoaded(input, loaded, shared);
  });
  held.sort((a, b) => a.cost.total - b.cost.total || a.at - b.at);
  await mapBounded(held, concurrency, async ({ at, input, loaded, cost }) => {
    const deferral = budget.deferral(cost);
    files[at] = deferral ? deferred(input.file, deferral) : await judgeLoaded(input, loaded, shared);
  });
  return {
    files,
    certificates: files.flatMap((f) => f.certificates),
    findings: files.flatMap((f) => f.findings),
  };
}

/** The read's format and a keystore's integrity, in a finding's details. */
export function noteRead(
  finding: Finding,
  format: CertificateFormat | undefined,
  integrity?: KeystoreIntegrity,
): Finding {
  if (!format && !integrity) return finding;
  return {
    ...finding,
    details: { ...finding.details, ...(format ? { format } : {}), ...(integrity ? { integrity } : {}) },
  };
}

function outcome(file: string, certificates: ParsedCertificate[], findings: Finding[]): FileOutcome {
  return { file, certificates, findings };
}
