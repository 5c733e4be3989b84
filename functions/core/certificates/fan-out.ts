/**
 * Scanning a source too large for one invocation (docs/architecture.md): the scheduled scan lists
 * the source and hands the objects out in batches over a queue; workers judge a batch each and
 * report; whoever reports last settles the alarms of the whole run, once.
 *
 * - Raising and clearing happen only when every batch of the run has reported, so a run that did
 *   not finish clears nothing. A run whose listing broke off, or any of whose batches could not
 *   read some object, is settled as partial: what was found is raised, nothing is cleared.
 * - Batches are delivered at least once. Reports are keyed by batch, so a redelivered batch
 *   overwrites nothing and is counted once; the right to settle is claimed, with a lease, so a
 *   settler that died is replaced by the next redelivery.
 * A small source (one batch or less) is judged inline, as before: no queue, no run record.
 *
 * SDK-free: the queue and the run records are ports (functions/adapters/scan-batch-queue.ts and
 * scan-runs.ts).
 */

import { randomUUID } from "node:crypto";
import * as z from "zod";
import type { CheckRun } from "../alarms/lifecycle";
import type { CertificateSource } from "../config";
import { Finding } from "../contracts";
import { oneFindingPerSourceAndCheck } from "./ca-lifecycle";
import {
  type StoreCheck,
  type StoredObjectInfo,
  type StoreScanContext,
  scanObjects,
  sourcePreamble,
  sourceScope,
} from "./store-scan";

export const SCAN_BATCH_KIND = "watchpost.scan-batch";

/** One queue message: a share of one source's listing. Keys only, never object contents. */
export const ScanBatch = z.object({
  kind: z.literal(SCAN_BATCH_KIND),
  runId: z.string().min(1),
  /** The source's prefix (unique per source in the configuration). */
  prefix: z.string(),
  index: z.number().int().nonnegative(),
  /** The run's evaluation instant: every batch judges against the same clock. */
  now: z.iso.datetime(),
  objects: z.array(z.object({ key: z.string(), size: z.number(), etag: z.string().optional() })),
});
export type ScanBatch = z.infer<typeof ScanBatch>;

/** What a batch (or the lister itself) found; stored until the run is settled. */
export const BatchReport = z.object({
  complete: z.boolean(),
  findings: z.array(Finding),
  certificates: z.number().int().nonnegative(),
  soonestNotAfter: z.iso.datetime().optional(),
  downloaded: z.number().int().nonnegative(),
  reused: z.number().int().nonnegative(),
  error: z.string().optional(),
});
export type BatchReport = z.infer<typeof BatchReport>;

export interface ScanRunRecord {
  runId: string;
  scope: string;
  bucket: string;
  prefix: string;
  now: string;
}

/** Where batches go (SQS in production; an in-process queue in tests and `npm start`). */
export interface ScanBatchQueuePort {
  send(batches: readonly ScanBatch[]): Promise<void>;
}

/** Run bookkeeping (DynamoDB in production). */
export interface ScanRunsPort {
  /** Records the run before its first batch is sent. */
  start(run: ScanRunRecord): Promise<void>;
  /** Stores a batch's report (again, harmlessly, when redelivered); returns the run's progress. */
  report(runId: string, index: number, report: BatchReport): Promise<RunProgress>;
  /** Sent all `batches`; the lister's own report (trust bundle, listing trouble) goes with it. */
  seal(runId: string, batches: number, lister: BatchReport): Promise<RunProgress>;
  /** True for exactly one caller at a time; the claim lapses after `leaseSeconds`. */
  claimSettlement(runId: string, now: Date, leaseSeconds: number): Promise<boolean>;
  /** The lister's report and every batch report. */
  reports(runId: string): Promise<BatchReport[]>;
  settled(runId: string, now: Date): Promise<void>;
}

export interface RunProgress {
  run: ScanRunRecord;
  /** Every batch has reported and the lister has sealed the run. */
  allReported: boolean;
  settled: boolean;
}

export interface FanOut {
  queue: ScanBatchQueuePort;
  runs: ScanRunsPort;
  /** Objects per batch; a source listing at most this many is judged inline. */
  batchSize: number;
  /** How long a settler may take before another may take over (default 900 s, Lambda's limit). */
  settleLeaseSeconds?: number;
  newRunId?: () => string;
}

/** A queue message holds 256 KiB; keys can be 1 KiB each, so batches close by size as well. */
const MAX_BATCH_BYTES = 200 * 1024;

function entryBytes(object: StoredObjectInfo): number {
  return Buffer.byteLength(object.key) + (object.etag?.length ?? 0) + 48;
}

/** What the lister did with one source. */
export type ListedSource =
  | { mode: "inline"; check: StoreCheck }
  | { mode: "fanned-out"; runId: string; batches: number; objects: number; settle?: RunToSettle };

/** A finished run, ready for the alarm lifecycle; mark it settled once its alarms are. */
export interface RunToSettle {
  runId: string;
  run: CheckRun;
}

/**
 * Lists a source. Up to one batch of objects is judged here and now; beyond that, batches are
 * sent as the listing goes, and the run is sealed with their number at the end.
 */
export async function listSource(
  source: CertificateSource,
  ctx: StoreScanContext,
  fanOut: FanOut,
): Promise<ListedSource> {
  const first: StoredObjectInfo[] = [];
  const listing = ctx.store.list([source.prefix])[Symbol.asyncIterator]();
  let listingError: string | undefined;
  let exhausted = false;
  try {
    while (first.length <= fanOut.batchSize) {
      const next = await listing.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      first.push(next.value);
    }
  } catch (cause) {
    listingError = `listing ${ctx.store.uri(source.prefix)} broke off: ${describe(cause)}`;
    exhausted = true;
  }
  if (exhausted) {
    const check = await scanObjects(source, first, ctx);
    if (listingError) {
      check.run.complete = false;
      check.error = [listingError, check.error].filter(Boolean).join("; ");
    }
    return { mode: "inline", check };
  }

  const run: ScanRunRecord = {
    runId: (fanOut.newRunId ?? randomUUID)(),
    scope: sourceScope(ctx.store, source),
    bucket: ctx.store.bucket,
    prefix: source.prefix,
    now: ctx.now.toISOString(),
  };
  await fanOut.runs.start(run);
  let batches = 0;
  let objects = 0;
  // The listing looked one object past a batch to know it must fan out; that one opens batch two.
  let pending = first.slice(0, fanOut.batchSize);
  let pendingBytes = pending.reduce((n, o) => n + entryBytes(o), 0);
  const overflow = first.slice(fanOut.batchSize);
  const flush = async () => {
    if (pending.length === 0) return;
    pendingBytes = 0;
    await fanOut.queue.send([{ kind: SCAN_BATCH_KIND, ...omitScope(run), index: batches, objects: pending }]);
    batches++;
    objects += pending.length;
    pending = [];
  };
  try {
    await flush();
    pending = overflow;
    pendingBytes = overflow.reduce((n, o) => n + entryBytes(o), 0);
    for (;;) {
      if (pending.length >= fanOut.batchSize || pendingBytes >= MAX_BATCH_BYTES) await flush();
      const next = await listing.next();
      if (next.done) break;
      pending.push(next.value);
      pendingBytes += entryBytes(next.value);
    }
  } catch (cause) {
    listingError = `listing ${ctx.store.uri(source.prefix)} broke off: ${describe(cause)}`;
  }
  await flush();

  // The lister's own share: the trust bundle and password findings, and whether listing finished.
  const preamble = await sourcePreamble(source, ctx);
  const lister: BatchReport = {
    complete: listingError === undefined,
    findings: preamble.findings,
    certificates: 0,
    downloaded: 0,
    reused: 0,
    ...(listingError ? { error: listingError } : {}),
  };
  const progress = await fanOut.runs.seal(run.runId, batches, lister);
  const settle = progress.allReported ? await settleIfFirst(progress.run, fanOut, ctx.now) : undefined;
  return { mode: "fanned-out", runId: run.runId, batches, objects, ...(settle ? { settle } : {}) };
}

/**
 * A worker's share: judge the batch, report it, and settle the run if this was the last report.
 * Returns the run to settle, when this worker won that right.
 */
export async function scanBatch(
  batch: ScanBatch,
  source: CertificateSource | undefined,
  ctx: StoreScanContext,
  fanOut: FanOut,
): Promise<{ report: BatchReport; settle?: RunToSettle }> {
  const report = source
    ? reportOf(await scanObjects(source, batch.objects, ctx, { withPreamble: false }))
    : sourceGone(batch);
  const progress = await fanOut.runs.report(batch.runId, batch.index, report);
  const settle = progress.allReported ? await settleIfFirst(progress.run, fanOut, ctx.now) : undefined;
  return { report, ...(settle ? { settle } : {}) };
}

async function settleIfFirst(
  run: ScanRunRecord,
  fanOut: FanOut,
  now: Date,
): Promise<RunToSettle | undefined> {
  if (!(await fanOut.runs.claimSettlement(run.runId, now, fanOut.settleLeaseSeconds ?? 900)))
    return undefined;
  const reports = await fanOut.runs.reports(run.runId);
  return { runId: run.runId, run: runOf(run, reports) };
}

/** The whole run as one check run: complete only when the listing and every batch were. */
export function runOf(run: ScanRunRecord, reports: readonly BatchReport[]): CheckRun {
  return {
    scope: run.scope,
    complete: reports.every((r) => r.complete),
    // A partial fanned-out run clears nothing: the objects examined are not worth carrying along.
    examinedSources: [],
    // A trust bundle under the prefix is judged by the lister and by a batch: one finding each.
    findings: oneFindingPerSourceAndCheck(reports.flatMap((r) => r.findings)),
    parameters: { Bucket: run.bucket, Prefix: run.prefix },
    now: new Date(run.now),
  };
}

export function reportOf(check: StoreCheck): BatchReport {
  const soonest = check.certificates.soonestNotAfter;
  return {
    complete: check.run.complete,
    findings: check.run.findings,
    certificates: check.certificates.count,
    ...(soonest ? { soonestNotAfter: soonest.toISOString() } : {}),
    downloaded: check.objects.downloaded,
    reused: check.objects.reused,
    ...(check.error ? { error: check.error } : {}),
  };
}

function sourceGone(batch: ScanBatch): BatchReport {
  return {
    complete: false,
    findings: [],
    certificates: 0,
    downloaded: 0,
    reused: 0,
    error: `no configured source has the prefix "${batch.prefix}" any more; batch ${batch.index} not judged`,
  };
}

function omitScope(run: ScanRunRecord): Pick<ScanBatch, "runId" | "prefix" | "now"> {
  return { runId: run.runId, prefix: run.prefix, now: run.now };
}

function describe(cause: unknown): string {
  if (cause instanceof Error)
    return cause.name === "Error" ? cause.message : `${cause.name}: ${cause.message}`;
  return String(cause);
}
