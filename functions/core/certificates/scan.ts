/**
 * The scan engine shared by `watchpost scan` and the scan Lambda: files in, certificates and
 * findings out. Where the bytes come from (local disk, S3) is the caller's business; this module
 * never touches the file system or AWS, so both front ends judge a file in exactly the same way.
 */
import { mapBounded } from "../concurrency";
import type { Finding, UnreadableReason } from "../contracts";
import type { ParsedCertificate } from "./certificate";
import { type EvaluationPolicy, evaluateCertificates, unreadableFinding } from "./evaluate";
import { looksLikeCertificateMaterial, readCertificates } from "./reader";

export type LoadResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: UnreadableReason; detail: string };

export interface ScanInput {
  /** Name used in reports: a path as the operator typed it, or `s3://bucket/key`. */
  file: string;
  load: () => Promise<LoadResult>;
  /**
   * Named by the operator rather than found by walking a directory. A named file that holds no
   * certificate (a private key, say) is a finding; one met during a walk is simply skipped.
   */
  explicit: boolean;
  /** Skip the file quietly unless its bytes look like PEM or DER (for files met in a walk). */
  onlyIfCertificateLike?: boolean;
  /** Names this file's end-entity certificates must cover, overriding the scan-wide list. */
  expectedHosts?: string[];
}

export interface ScanOptions {
  policy: EvaluationPolicy;
  pkcs12Password?: string;
  /** Files read and judged at once; bounded so a bucket of thousands does not exhaust memory. */
  concurrency?: number;
}

export interface FileOutcome {
  file: string;
  certificates: ParsedCertificate[];
  findings: Finding[];
  /** Nothing to judge: recognised material that is not a certificate (key, CSR, CRL). */
  skipped?: string;
}

export interface ScanResult {
  files: FileOutcome[];
  certificates: ParsedCertificate[];
  findings: Finding[];
}

export async function scanFile(input: ScanInput, options: ScanOptions): Promise<FileOutcome> {
  const loaded = await input.load();
  if (!loaded.ok) {
    return outcome(input.file, [], [unreadableFinding(input.file, loaded.reason, loaded.detail)]);
  }
  if (input.onlyIfCertificateLike && !looksLikeCertificateMaterial(loaded.bytes)) {
    return { ...outcome(input.file, [], []), skipped: "does not look like certificate material" };
  }
  const read = await readCertificates(loaded.bytes, input.file, { pkcs12Password: options.pkcs12Password });
  switch (read.status) {
    case "unreadable":
      return outcome(input.file, [], [unreadableFinding(input.file, read.reason, read.detail)]);
    case "not-certificate":
      if (!input.explicit) return { ...outcome(input.file, [], []), skipped: read.detail };
      return outcome(
        input.file,
        [],
        [unreadableFinding(input.file, "unsupported-format", `holds no certificate: ${read.detail}`)],
      );
    case "ok": {
      const policy = input.expectedHosts
        ? { ...options.policy, expectedHosts: input.expectedHosts }
        : options.policy;
      const findings = [
        ...(read.problems ?? []).map((p) => unreadableFinding(input.file, p.reason, p.detail)),
        ...evaluateCertificates(read.certificates, policy),
      ];
      return outcome(input.file, read.certificates, findings);
    }
  }
}

/** Scans every input with bounded concurrency; results keep the order of the inputs. */
export async function scanFiles(inputs: readonly ScanInput[], options: ScanOptions): Promise<ScanResult> {
  const files = await mapBounded(inputs, options.concurrency ?? 8, (input) => scanFile(input, options));
  return {
    files,
    certificates: files.flatMap((f) => f.certificates),
    findings: files.flatMap((f) => f.findings),
  };
}

function outcome(file: string, certificates: ParsedCertificate[], findings: Finding[]): FileOutcome {
  return { file, certificates, findings };
}
