/**
 * A fan-out worker's share of a source (source-scan.ts hands it out): judge the batch as the inline
 * scan would, inventory included, store the report under the run, and claim the run's settlement
 * when this was its last report. Every batch is judged against the run's instant, which travels in
 * the message, so a run that spans minutes judges expiry consistently.
 */
import type { CertificateSource } from "../config";
import type { BatchReport, ScanBatch } from "./fan-out-messages";
import { inChunks, judgeChunks, type StoreCheck, sourceCheck, sourceJudge } from "./judge-objects";
import type { FanOut, StoreScanContext } from "./ports";
import { s3Item } from "./s3-source";
import { type ClaimedRun, claimFinishedRun } from "./settlement";

/** `source` is the configured source with the batch's prefix; undefined when it is gone since. */
export async function scanBatch(
  batch: ScanBatch,
  source: CertificateSource | undefined,
  ctx: StoreScanContext,
  fanOut: FanOut,
): Promise<{ report: BatchReport; claimed?: ClaimedRun }> {
  const at = { ...ctx, now: new Date(batch.now) };
  const report = source ? reportOf(await judgeBatch(source, batch, at)) : sourceGone(batch);
  const progress = await fanOut.runs.report(batch.runId, batch.index, report);
  // The claim is this invocation's, on its own clock: the run's instant may be long past.
  const claimed = await claimFinishedRun(progress, fanOut, ctx);
  return { report, ...(claimed ? { claimed } : {}) };
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
