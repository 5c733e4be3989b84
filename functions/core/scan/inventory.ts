/**
 * The scan's memory of each stored object: its ETag and what its bytes alone decided (certificate
 * facts, unreadable blocks, chain verdicts). An unchanged object is judged again from its record
 * against the current time, thresholds and names, so expiry fires on the day it is due without a
 * download. When a record is not trusted, and why: docs/architecture.md, "Incremental scans".
 */
import { createHash, scrypt } from "node:crypto";
import { promisify } from "node:util";
import * as z from "zod";
import type { ParsedCertificate } from "../certificates/certificate";
import { compareFindings } from "../certificates/checks/finding";
import { type EvaluationPolicy, judgeFacts } from "../certificates/evaluate";
import { type CertificateFacts, StoredCertificateFacts } from "../certificates/facts";
import { Finding } from "../contracts";
import { noteRead, type ObjectVerdict } from "./read-files";

/**
 * Bump when a check's judgement of the same bytes changes, so old records are not reused. 3: Java
 * keystores and RC2-encrypted PKCS#12 files are read (format 2 recorded them as unreadable). 4:
 * keystore entries (alias, key or trusted) and the file's format are kept, since which certificate
 * is a file's end certificate and the repair steps depend on them. 5: each entry carries the
 * certificate page's attribute (core/report/page-entry.ts), which entries written before it lack;
 * reading every object once more writes it, instead of leaving the page empty until entries lapse
 * a month later.
 */
export const RECORD_FORMAT = 5;

export const InventoryRecord = z.object({
  format: z.literal(RECORD_FORMAT),
  /** `s3://bucket/prefix` of the source the object was judged for (its trust bundle, its names). */
  scope: z.string(),
  key: z.string(),
  etag: z.string(),
  size: z.number().int().nonnegative(),
  judgedAt: z.iso.datetime(),
  /** Fingerprint of the trust anchors the chain findings were decided against; "" without any. */
  trust: z.string(),
  /** The chain verdict may change from this instant on (next notBefore/notAfter crossed). */
  validUntil: z.iso.datetime().optional(),
  /** PKCS#12 and keystores: fingerprint of the password the object was read with; a new one reads it again. */
  secret: z.string().optional(),
  /** Java keystores: whether the password verified the file's integrity (reader.ts). */
  integrity: z.enum(["verified", "not-checked", "mismatch"]).optional(),
  /** The format the object was read as (reader.ts): what its findings' repair steps depend on. */
  fileFormat: z.enum(["pem", "der", "pkcs7-pem", "pkcs7-der", "pkcs12", "jks", "jceks"]).optional(),
  /**
   * Alarm parameters the object's own metadata declared when it was read (location.ts): a scan
   * that judges it from this record has no GetObject response to take them from.
   */
  parameters: z.record(z.string(), z.string()).optional(),
  certificates: z.array(StoredCertificateFacts),
  bytesFindings: z.array(Finding),
});
export type InventoryRecord = z.infer<typeof InventoryRecord>;
/** The record as written: instants are strings until read back. */
export type InventoryRecordInput = z.input<typeof InventoryRecord>;

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: string,
  length: number,
  options: object,
) => Promise<Buffer>;

/**
 * What identifies a PKCS#12 password in an inventory record without being it: scrypt (N = 2^14,
 * r = 8) of the password, salted with the source's scope. The file itself lets anyone who can read
 * it test passwords at the cost of its MAC (typically 2,048 hash iterations); this fingerprint
 * costs far more per guess, so keeping it gives away nothing the object did not. Computed once per
 * source and run. No password at all has the fingerprint "none".
 */
export async function secretFingerprint(password: string | undefined, scope: string): Promise<string> {
  if (password === undefined) return "none";
  const key = await scryptAsync(password, `watchpost pkcs12 verdict ${scope}`, 16, {
    N: 1 << 14,
    r: 8,
    p: 1,
  });
  return `scrypt:${key.toString("hex")}`;
}

export function trustFingerprint(anchors: readonly Pick<ParsedCertificate, "sha256">[] | undefined): string {
  if (!anchors || anchors.length === 0) return "";
  const hash = createHash("sha256");
  for (const sha of anchors.map((a) => a.sha256).sort()) hash.update(sha);
  return hash.digest("hex");
}

/**
 * The earliest instant after `now` at which any of these certificates starts or stops being valid
 * (with the skew tolerance the chain check applies): until then a chain verdict cannot change.
 */
export function nextValidityBoundary(
  certificates: readonly Pick<CertificateFacts, "notBefore" | "notAfter">[],
  now: Date,
  skewSeconds: number,
): Date | undefined {
  let next: number | undefined;
  const consider = (instant: number) => {
    if (instant > now.getTime() && (next === undefined || instant < next)) next = instant;
  };
  for (const cert of certificates) {
    consider(cert.notBefore.getTime() - skewSeconds * 1000);
    consider(cert.notBefore.getTime());
    consider(cert.notAfter.getTime() + 1000);
  }
  return next === undefined ? undefined : new Date(next);
}

export interface RecordContext {
  scope: string;
  trust: string;
  /** Validity boundaries of the trust anchors, which the chain verdict also depends on. */
  anchors: readonly Pick<CertificateFacts, "notBefore" | "notAfter">[];
  skewSeconds: number;
}

export function recordOf(
  object: { key: string; etag: string; size: number; parameters?: Record<string, string> },
  verdict: ObjectVerdict,
  context: RecordContext,
  judgedAt: Date,
): InventoryRecordInput {
  const until = nextValidityBoundary(
    [...verdict.certificates, ...context.anchors],
    judgedAt,
    context.skewSeconds,
  );
  return {
    format: RECORD_FORMAT,
    scope: context.scope,
    key: object.key,
    etag: object.etag,
    size: object.size,
    judgedAt: judgedAt.toISOString(),
    trust: context.trust,
    ...(until ? { validUntil: until.toISOString() } : {}),
    ...(verdict.secret !== undefined ? { secret: verdict.secret } : {}),
    ...(verdict.integrity ? { integrity: verdict.integrity } : {}),
    ...(verdict.format ? { fileFormat: verdict.format } : {}),
    ...(object.parameters && Object.keys(object.parameters).length > 0
      ? { parameters: object.parameters }
      : {}),
    certificates: verdict.certificates.map((cert) => ({
      ...cert,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
    })),
    bytesFindings: verdict.bytesFindings,
  };
}

/** Whether the record still describes the object as listed now (see the module comment). */
export function isReusable(
  record: InventoryRecord | undefined,
  object: { etag?: string },
  trust: string,
  now: Date,
  secret?: string,
): record is InventoryRecord {
  return (
    record !== undefined &&
    object.etag !== undefined &&
    record.etag === object.etag &&
    record.trust === trust &&
    (record.secret === undefined || record.secret === secret) &&
    (record.validUntil === undefined || now.getTime() < Date.parse(record.validUntil))
  );
}

/** The findings an unchanged object has now: its kept findings plus the facts judged afresh. */
export function rejudge(record: InventoryRecord, policy: EvaluationPolicy): Finding[] {
  const findings = [...record.bytesFindings, ...judgeFacts(record.certificates, policy)];
  return findings.map((f) => noteRead(f, record.fileFormat, record.integrity)).sort(compareFindings);
}
