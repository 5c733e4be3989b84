/** What a scan invocation returns, and the metrics it emits: the dashboard and the staleness alarm read them. */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { daysBetween } from "../../core/certificates/certificate";
import type { Finding, PeerGroupReport } from "../../core/contracts";
import { DIMENSION, METRIC } from "../../core/metrics";
import type { StoreCheck } from "../../core/scan/judge-objects";
import type { HandedOut } from "../../core/scan/source-scan";
import { metrics } from "../shared/powertools";

export interface ScanOutcome {
  mode: "full" | "object" | "batch" | "hosts";
  /** Check runs settled by this invocation. */
  runs: number;
  certificates: number;
  findings: number;
  complete: boolean;
  /** Objects downloaded, and objects judged again from the inventory without a download. */
  objects: { downloaded: number; reused: number };
  /** Sources handed out to workers: their alarms are settled when the last batch reports. */
  fannedOut: { runId: string; scope: string; batches: number; objects: number }[];
  /** The peer groups checked: each peer's status line and who accepts whom, stored and live. */
  peerGroups?: PeerGroupReport[];
  /** SQS messages to be delivered again (partial batch response), batch mode only. */
  batchItemFailures?: { itemIdentifier: string }[];
}

export type Objects = ScanOutcome["objects"];

export function sumObjects(parts: readonly Objects[]): Objects {
  return parts.reduce(
    (sum, o) => ({ downloaded: sum.downloaded + o.downloaded, reused: sum.reused + o.reused }),
    {
      downloaded: 0,
      reused: 0,
    },
  );
}

export function handedOutOf(handedOut: readonly HandedOut[]): ScanOutcome["fannedOut"] {
  return handedOut.map(({ runId, scope, batches, objects }) => ({ runId, scope, batches, objects }));
}

export function recordChecks(checks: readonly StoreCheck[], now: Date, durationMs: number): void {
  metrics.addMetric(METRIC.scanDurationMs, MetricUnit.Milliseconds, durationMs);
  metrics.addMetric(
    METRIC.certificatesScanned,
    MetricUnit.Count,
    checks.reduce((n, c) => n + c.certificates.count, 0),
  );
  const soonest = checks
    .map((c) => c.certificates.soonestNotAfter)
    .filter((d): d is Date => d !== undefined)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  if (soonest) metrics.addMetric(METRIC.soonestDaysToExpiry, MetricUnit.Count, daysBetween(now, soonest));
  recordObjects(sumObjects(checks.map((c) => c.objects)));
  recordFindings(checks.flatMap((c) => c.run.findings));
}

export function recordObjects(objects: Objects): void {
  metrics.addMetric(METRIC.objectsDownloaded, MetricUnit.Count, objects.downloaded);
  metrics.addMetric(METRIC.objectsReused, MetricUnit.Count, objects.reused);
}

export function recordFindings(findings: readonly Finding[]): void {
  const byCheck = new Map<string, number>();
  for (const finding of findings) byCheck.set(finding.check, (byCheck.get(finding.check) ?? 0) + 1);
  for (const [check, count] of byCheck) {
    const metric = metrics.singleMetric();
    metric.addDimension(DIMENSION.check, check);
    metric.addMetric(METRIC.findings, MetricUnit.Count, count);
  }
}

/** What the 26-hour staleness alarm counts: a scan that proved the whole store was checked. */
export function recordScanSucceeded(): void {
  metrics.addMetric(METRIC.scanSucceeded, MetricUnit.Count, 1);
}
