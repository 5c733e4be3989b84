/**
 * InvocationRuns a fanned-out run, in one place. Whoever sees the run sealed and every batch reported
 * (the last worker, or the lister if the workers were faster) claims the settlement with a lease
 * on its own clock, so a settler that died is replaced on redelivery; reads every report into one
 * check run; the alarm lifecycle settles it with the invocation's other runs; the run is marked
 * settled, or its claim given back when settling failed, so the redelivery settles it at once;
 * and the outcome says whether the invocation proves a complete scan of the store (the success
 * metric the staleness alarm watches). Raising and clearing wait for the last batch: a run that
 * never finishes clears nothing, and one that finished partially raises and clears nothing else.
 */
import type { CheckRun } from "../alarms/lifecycle";
import { leaseSecondsFor } from "../alarms/process-run";
import { oneFindingPerSourceAndCheck } from "../certificates/ca-lifecycle";
import { describeError } from "../errors";
import type { BatchReport } from "./fan-out-messages";
import type {
  FanOut,
  RunProgress,
  ScanLog,
  ScanRunRecord,
  ScanRunsPort,
  ScanTrigger,
  StoreScanContext,
} from "./ports";
import { mergeStartDates, type StartDates, wholeScanFindings } from "./run-findings";

/** A finished run whose settlement this invocation holds. */
export interface ClaimedRun {
  runId: string;
  run: CheckRun;
  trigger: ScanTrigger;
  /** The claim's lease, as written (epoch ms on the claimant's clock): what gives it back. */
  leaseUntil: number;
}

/**
 * The run, when every batch has reported and this caller won the claim. The lease is taken on the
 * claimant's clock (`holder.now`, its invocation's start) and outlives the invocation on any clock
 * within the configured skew: Lambda's longest run plus twice the skew.
 */
export async function claimFinishedRun(
  progress: RunProgress,
  fanOut: Pick<FanOut, "runs" | "settleLeaseSeconds">,
  holder: Pick<StoreScanContext, "now" | "certificates">,
): Promise<ClaimedRun | undefined> {
  if (!progress.allReported) return undefined;
  const { runId } = progress.run;
  const lease = fanOut.settleLeaseSeconds ?? leaseSecondsFor(holder.certificates.thresholds.skewSeconds);
  if (!(await fanOut.runs.claimSettlement(runId, holder.now, lease))) return undefined;
  const leaseUntil = holder.now.getTime() + lease * 1000;
  try {
    const run = runOf(
      progress.run,
      await fanOut.runs.reports(runId),
      holder.certificates.thresholds.skewSeconds,
    );
    return { runId, run, trigger: progress.run.trigger ?? "schedule", leaseUntil };
  } catch (error) {
    await fanOut.runs.releaseSettlement(runId, leaseUntil).catch(() => {});
    throw error;
  }
}

/**
 * The whole run as one check run: complete only when the listing and every batch were. Its
 * instant is the lister's (taken before listing), and it knows the version of every object the
 * batches judged — unless a report predates versions, when its evidence is ordered by instant.
 */
export function runOf(run: ScanRunRecord, reports: readonly BatchReport[], skewSeconds: number): CheckRun {
  const versioned = reports.every((r) => r.versions !== undefined);
  const dates: StartDates = { count: 0 };
  for (const report of reports) {
    const parse = (text: string | undefined) => (text ? new Date(text) : undefined);
    const earliest = parse(report.earliestNotBefore);
    const latest = parse(report.latestNotBefore);
    mergeStartDates(dates, {
      count: report.certificates + (report.trustAnchors ?? 0),
      ...(earliest ? { earliestNotBefore: earliest } : {}),
      ...(latest ? { latestNotBefore: latest } : {}),
    });
  }
  return {
    scope: run.scope,
    complete: reports.every((r) => r.complete),
    // A partial run clears what it examined: every object a batch judged, as its versions say,
    // but those it could not fetch or deferred, whose alarms stand. Without versions, nothing.
    examinedSources: versioned ? examinedIn(reports) : [],
    // A trust bundle under the prefix is judged by the lister and by a batch: one finding each.
    findings: wholeScanFindings(
      oneFindingPerSourceAndCheck(reports.flatMap((r) => r.findings)),
      dates,
      new Date(run.now),
      skewSeconds,
      "group",
    ),
    parameters: { Bucket: run.bucket, Prefix: run.prefix },
    now: new Date(run.now),
    ...(versioned
      ? { versions: { seen: new Map(reports.flatMap((r) => r.versions ?? [])), listed: run.scope } }
      : {}),
  };
}

function examinedIn(reports: readonly BatchReport[]): string[] {
  const unexamined = new Set(reports.flatMap((r) => r.unexamined ?? []));
  return reports
    .flatMap((r) => (r.versions ?? []).map(([object]) => object))
    .filter((o) => !unexamined.has(o));
}

/** What one invocation settles. */
export interface InvocationRuns {
  /** Runs the invocation judged itself (sources judged inline, peer groups, one object). */
  checks: readonly CheckRun[];
  /** Fanned-out runs whose settlement it claimed. */
  claimed: readonly ClaimedRun[];
  /**
   * What a complete settlement proves: the whole store, for a scheduled scan; the claimed runs,
   * for a batch worker (a fanned-out source proves itself when its last batch settles it);
   * nothing, for one changed object.
   */
  proves: "store" | "claimed-runs" | "nothing";
  /** Scopes whose check failed, and sources handed out whose runs are still open. */
  unfinished: number;
}

export interface InvocationSettlementPorts {
  /** The alarm lifecycle over check runs; throws, after settling all it could, when events stay pending. */
  applyAlarmLifecycle(runs: readonly CheckRun[]): Promise<unknown>;
  runs?: Pick<ScanRunsPort, "settled" | "releaseSettlement">;
  log?: ScanLog;
  now: Date;
}

export async function settleInvocation(
  settling: InvocationRuns,
  ports: InvocationSettlementPorts,
): Promise<{ scanSucceeded: boolean }> {
  const { checks, claimed } = settling;
  try {
    await ports.applyAlarmLifecycle([...checks, ...claimed.map((c) => c.run)]);
  } catch (error) {
    // Settled in part at most: the redelivery settles the run again at once (decisions already
    // written are not made twice), instead of waiting out this invocation's lease.
    for (const { runId, leaseUntil } of claimed) {
      await ports.runs
        ?.releaseSettlement(runId, leaseUntil)
        .catch((cause: unknown) =>
          ports.log?.warn("scan run claim not given back", { runId, error: describeError(cause) }),
        );
    }
    throw error;
  }
  for (const { runId, run } of claimed) {
    ports.log?.info("fanned-out scan settled", {
      runId,
      scope: run.scope,
      complete: run.complete,
      findings: run.findings.length,
    });
    // Bookkeeping: a run left unmarked is only claimed again after its lease, harmlessly.
    await ports.runs
      ?.settled(runId, ports.now)
      .catch((error: unknown) =>
        ports.log?.warn("scan run not marked settled", { runId, error: describeError(error) }),
      );
  }
  return { scanSucceeded: provesScan(settling) };
}

function provesScan({ checks, claimed, proves, unfinished }: InvocationRuns): boolean {
  const scheduledAndComplete = (c: ClaimedRun) => c.run.complete && c.trigger === "schedule";
  switch (proves) {
    case "store":
      return unfinished === 0 && checks.every((c) => c.complete) && claimed.every(scheduledAndComplete);
    case "claimed-runs":
      return claimed.length > 0 && claimed.every(scheduledAndComplete);
    case "nothing":
      return false;
  }
}
