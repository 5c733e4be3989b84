/**
 * Batches of a large source, delivered by the scan queue (SQS, one message per invocation): each
 * is judged and reported (core/scan/fan-out-batch.ts); the invocation that brings
 * a run's last report settles it. A batch that failed is handed back for redelivery alone.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { describeError } from "../../core/errors";
import { METRIC } from "../../core/metrics";
import { scanBatch } from "../../core/scan/fan-out-batch";
import { type BatchReport, ScanBatch } from "../../core/scan/fan-out-messages";
import { type ClaimedRun, settleInvocation } from "../../core/scan/settlement";
import { logger, metrics } from "../shared/powertools";
import type { CertificateScanDeps } from "./deps";
import type { QueueEvent } from "./events";
import { settlementPortsOf } from "./finish-invocation";
import { recordFindings, recordObjects, recordScanSucceeded, type ScanOutcome, sumObjects } from "./outcome";
import { scanContext } from "./scan-context";

export async function scanBatches(
  event: QueueEvent,
  deps: CertificateScanDeps,
  started: number,
): Promise<ScanOutcome> {
  const { fanOut } = deps;
  if (!fanOut) throw new Error("scan batch received, but this deployment has no scan queue");
  const ctx = scanContext(deps);
  const reports: BatchReport[] = [];
  const claimed: ClaimedRun[] = [];
  const failed: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const batch = ScanBatch.parse(JSON.parse(record.body));
      const source = deps.config.certificates.sources.find((s) => s.prefix === batch.prefix);
      const { report, claimed: claim } = await scanBatch(batch, source, ctx, fanOut);
      reports.push(report);
      metrics.addMetric(METRIC.certificatesScanned, MetricUnit.Count, report.certificates);
      if (report.error)
        logger.warn("partial batch", { runId: batch.runId, batch: batch.index, error: report.error });
      if (claim) claimed.push(claim);
    } catch (error) {
      logger.error("scan batch failed; SQS delivers it again", {
        messageId: record.messageId,
        error: describeError(error),
      });
      failed.push({ itemIdentifier: record.messageId });
    }
  }
  metrics.addMetric(METRIC.scanDurationMs, MetricUnit.Milliseconds, Date.now() - started);
  const objects = sumObjects(reports);
  recordObjects(objects);
  if (claimed.length > 0) {
    const settled = await settleInvocation(
      { checks: [], claimed, proves: "claimed-runs", unfinished: 0 },
      settlementPortsOf(deps, ctx),
    );
    recordFindings(claimed.flatMap((c) => c.run.findings));
    if (settled.scanSucceeded) recordScanSucceeded();
  }
  return {
    mode: "batch",
    runs: claimed.length,
    certificates: 0,
    findings: reports.reduce((n, r) => n + r.findings.length, 0),
    complete: failed.length === 0 && reports.every((r) => r.complete),
    objects,
    fannedOut: [],
    batchItemFailures: failed,
  };
}
