/**
 * A fan-out worker's share of a source (source-scan.ts hands it out): judge the batch as the inline
 * scan would, inventory included, store the report under the run, and claim the run's settlement
 * when this was its last report. Every batch is judged against the run's instant, which travels in
 * the message, so a run that spans minutes judges expiry consistently.
 */
import * as z from "zod";
import type { CertificateSource } from "../config";
import { Finding } from "../contracts";
import { inChunks, judgeChunks, type StoreCheck, sourceCheck, sourceJudge } from "./judge-objects";
import type { FanOut, StoreScanContext } from "./ports";
import { s3Item } from "./s3-source";
import { claimSettlement, type RunToSettle } from "./settlement";

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
  /** The earliest and latest notBefore judged: a run where every certificate starts later blames the clock. */
  earliestNotBefore: z.iso.datetime().optional(),
  latestNotBefore: z.iso.datetime().optional(),
  /** The lister's: how many certificates the trust bundle holds, counted with the start dates above. */
  trustAnchors: z.number().int().nonnegative().optional(),
  downloaded: z.number().int().nonnegative(),
  reused: z.number().int().nonnegative(),
  error: z.string().optional(),
  /** Objects listed but not examined (not fetched, or deferred): their alarms stand. */
  unexamined: z.array(z.string()).optional(),
  /** `[object, version]` of every object judged (core/alarms/lifecycle.ts, ObjectVersions); absent on reports written before they were kept. */
  versions: z.array(z.tuple([z.string(), z.string()])).optional(),
});
export type BatchReport = z.infer<typeof BatchReport>;

/** `source` is the configured source with the batch's prefix; undefined when it is gone since. */
export async function scanBatch(
  batch: ScanBatch,
  source: CertificateSource | undefined,
  ctx: StoreScanContext,
  fanOut: FanOut,
): Promise<{ report: BatchReport; settle?: RunToSettle }> {
  const at = { ...ctx, now: new Date(batch.now) };
  const report = source ? reportOf(await judgeBatch(source, batch, at)) : sourceGone(batch);
  const progress = await fanOut.runs.report(batch.runId, batch.index, report);
  // The claim is this invocation's, on its own clock: the run's instant may be long past.
  const settle = await claimSettlement(progress, fanOut, ctx);
  return { report, ...(settle ? { settle } : {}) };
}

async function judgeBatch(
  source: CertificateSource,
  batch: ScanBatch,
  ctx: StoreScanContext,
): Promise<StoreCheck> {
  const judge = await sourceJudge(source, ctx);
  const tally = await judgeChunks(inChunks(batch.objects.map(s3Item)), judge, ctx);
  // The trust bundle and password are the lister's to report, once for the whole run.
  return sourceCheck(judge, tally, ctx, { preamble: false });
}

function reportOf(check: StoreCheck): BatchReport {
  const {
    soonestNotAfter: soonest,
    earliestNotBefore: earliest,
    latestNotBefore: latest,
  } = check.certificates;
  return {
    complete: check.run.complete,
    findings: check.run.findings,
    certificates: check.certificates.count,
    ...(soonest ? { soonestNotAfter: soonest.toISOString() } : {}),
    ...(earliest ? { earliestNotBefore: earliest.toISOString() } : {}),
    ...(latest ? { latestNotBefore: latest.toISOString() } : {}),
    downloaded: check.objects.downloaded,
    reused: check.objects.reused,
    ...(check.error ? { error: check.error } : {}),
    ...(check.unexamined?.length ? { unexamined: check.unexamined } : {}),
    versions: [...(check.run.versions?.seen ?? [])],
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
