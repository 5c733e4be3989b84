/**
 * The settlement of a fanned-out run on its own, on the in-memory run table: who may claim it and
 * when, what is settled and marked, and when an invocation proves a complete scan of the store
 * (the success metric the 26-hour staleness alarm counts).
 */
import { describe, expect, it } from "vitest";
import type { CheckRun } from "../../../functions/core/alarms/lifecycle";
import { parseConfig } from "../../../functions/core/config";
import type { ScanRunRecord } from "../../../functions/core/scan/ports";
import {
  type ClaimedRun,
  claimFinishedRun,
  type InvocationRuns,
  settleInvocation,
} from "../../../functions/core/scan/settlement";
import { memoryRuns, recordingSettler } from "../../support/in-memory-ports";

const NOW = new Date("2031-03-01T01:00:00.000Z");
const LATER = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const RUN: ScanRunRecord = {
  runId: "run-1",
  scope: "s3://certs/big/",
  bucket: "certs",
  prefix: "big/",
  now: NOW.toISOString(),
  trigger: "schedule",
};
const REPORT = { complete: true, findings: [], certificates: 2, downloaded: 2, reused: 0 };
/** The claimant: its own clock, and the configured skew its lease must outlive. */
const holder = (now: Date) => ({
  now,
  certificates: parseConfig({ certificates: { sources: [{ prefix: "big/" }] } }).certificates,
});

function checkRun(complete = true): CheckRun {
  return { scope: "peer-group:etcd", complete, examinedSources: [], findings: [], now: NOW };
}

function claimed(complete = true, trigger: ClaimedRun["trigger"] = "schedule"): ClaimedRun {
  return { runId: "run-1", run: { ...checkRun(complete), scope: RUN.scope }, trigger, leaseUntil: 0 };
}

describe("claiming a fanned-out run's settlement", () => {
  it("is possible only once the run is sealed and every batch has reported", async () => {
    // Prepare
    const { runs } = memoryRuns();
    await runs.start(RUN);
    const fanOut = { runs };

    // Act
    const beforeSeal = await claimFinishedRun(await runs.report("run-1", 0, REPORT), fanOut, holder(NOW));
    const sealedShort = await claimFinishedRun(await runs.seal("run-1", 2, REPORT), fanOut, holder(NOW));
    const last = await claimFinishedRun(await runs.report("run-1", 1, REPORT), fanOut, holder(NOW));

    // Assess
    expect(beforeSeal).toBeUndefined();
    expect(sealedShort).toBeUndefined();
    expect(last).toMatchObject({
      runId: "run-1",
      trigger: "schedule",
      run: { scope: RUN.scope, complete: true },
    });
  });

  it("goes to one caller while the lease holds, and to the next once it has lapsed", async () => {
    // Prepare
    const { runs } = memoryRuns();
    await runs.start(RUN);
    const sealed = await runs.seal("run-1", 0, REPORT);
    const fanOut = { runs, settleLeaseSeconds: 60 };

    // Act
    const first = await claimFinishedRun(sealed, fanOut, holder(NOW));
    const during = await claimFinishedRun(sealed, fanOut, holder(LATER(59)));
    const after = await claimFinishedRun(sealed, fanOut, holder(LATER(61)));

    // Assess
    expect(first).toBeDefined();
    expect(during).toBeUndefined();
    expect(after).toBeDefined();
  });

  it("lasts Lambda's longest run plus twice the configured clock skew, on the claimant's clock", async () => {
    // Prepare: the run was listed a day ago; its settlers claim now, on their own clocks
    const { runs } = memoryRuns();
    await runs.start({ ...RUN, now: LATER(-86_400).toISOString() });
    const sealed = await runs.seal("run-1", 0, REPORT);
    const skewSeconds = holder(NOW).certificates.thresholds.skewSeconds;

    // Act
    const first = await claimFinishedRun(sealed, { runs }, holder(NOW));
    const during = await claimFinishedRun(sealed, { runs }, holder(LATER(900 + 2 * skewSeconds - 1)));
    const after = await claimFinishedRun(sealed, { runs }, holder(LATER(900 + 2 * skewSeconds + 1)));

    // Assess
    expect(first?.leaseUntil).toBe(LATER(900 + 2 * skewSeconds).getTime());
    expect(during).toBeUndefined();
    expect(after).toBeDefined();
  });

  it("is refused for good once the run was marked settled", async () => {
    // Prepare
    const { runs } = memoryRuns();
    await runs.start(RUN);
    const sealed = await runs.seal("run-1", 0, REPORT);
    await runs.settled("run-1", NOW);

    // Act
    const claim = await claimFinishedRun(sealed, { runs, settleLeaseSeconds: 1 }, holder(LATER(3600)));

    // Assess
    expect(claim).toBeUndefined();
  });

  it("makes the run partial when any batch or the listing was, keeping every finding", async () => {
    // Prepare
    const { runs } = memoryRuns();
    await runs.start(RUN);
    const finding = {
      check: "expired" as const,
      alarmId: "1001",
      severity: "critical" as const,
      source: "s3://certs/big/a.pem#0",
      message: "expired",
    };
    await runs.report("run-1", 0, { ...REPORT, findings: [finding] });
    const sealed = await runs.seal("run-1", 1, { ...REPORT, complete: false, error: "listing broke off" });

    // Act
    const claim = await claimFinishedRun(sealed, { runs }, holder(NOW));

    // Assess
    expect(claim?.run).toMatchObject({ complete: false, examinedSources: [], findings: [finding] });
  });
});

describe("settling", () => {
  it("settles the invocation's own runs and the claimed ones together, then marks the claimed ones settled", async () => {
    // Prepare
    const { runs, items } = memoryRuns();
    await runs.start(RUN);
    const settler = recordingSettler();

    // Act
    await settleInvocation(
      { checks: [checkRun()], claimed: [claimed()], proves: "store", unfinished: 0 },
      { applyAlarmLifecycle: settler.applyAlarmLifecycle, runs, now: NOW },
    );

    // Assess
    expect(settler.settled.map((batch) => batch.map((r) => r.scope))).toEqual([
      ["peer-group:etcd", RUN.scope],
    ]);
    expect(items.get("run-1")?.settledAt).toBe(NOW.toISOString());
  });

  it("leaves the run unmarked and gives its claim back when the alarms could not be settled, so that a redelivery settles it at once", async () => {
    // Prepare
    const { runs, items } = memoryRuns();
    await runs.start(RUN);
    const claim = await claimFinishedRun(await runs.seal("run-1", 0, REPORT), { runs }, holder(NOW));
    const failing = async () => {
      throw new Error("2 alarm event(s) pending after this run");
    };

    // Act
    const settling = settleInvocation(
      { checks: [], claimed: [claim!], proves: "claimed-runs", unfinished: 0 },
      { applyAlarmLifecycle: failing, runs, now: NOW },
    );
    await expect(settling).rejects.toThrow("pending");
    const redelivered = await claimFinishedRun(
      await runs.report("run-1", 0, REPORT),
      { runs },
      holder(LATER(1)),
    );

    // Assess
    expect(items.get("run-1")?.settledAt).toBeUndefined();
    expect(redelivered).toBeDefined();
  });

  it("tells, and survives, a run that could not be marked settled", async () => {
    // Prepare
    const told: string[] = [];
    const log = { info: () => {}, warn: (message: string) => told.push(message), error: () => {} };
    const runs = {
      settled: async () => {
        throw new Error("ProvisionedThroughputExceededException");
      },
      releaseSettlement: async () => {},
    };

    // Act
    const outcome = await settleInvocation(
      { checks: [], claimed: [claimed()], proves: "claimed-runs", unfinished: 0 },
      { applyAlarmLifecycle: recordingSettler().applyAlarmLifecycle, runs, log, now: NOW },
    );

    // Assess
    expect(outcome.scanSucceeded).toBe(true);
    expect(told).toEqual(["scan run not marked settled"]);
  });

  it.each<[string, InvocationRuns, boolean]>([
    [
      "a scheduled scan, all complete, nothing handed out",
      { checks: [checkRun()], claimed: [], proves: "store", unfinished: 0 },
      true,
    ],
    [
      "a scheduled scan with a partial run",
      { checks: [checkRun(false)], claimed: [], proves: "store", unfinished: 0 },
      false,
    ],
    [
      "a scheduled scan with a failed scope",
      { checks: [checkRun()], claimed: [], proves: "store", unfinished: 1 },
      false,
    ],
    [
      "a scheduled scan whose handed-out source it settled",
      { checks: [checkRun()], claimed: [claimed()], proves: "store", unfinished: 0 },
      true,
    ],
    [
      "a batch that settled a complete scheduled run",
      { checks: [], claimed: [claimed()], proves: "claimed-runs", unfinished: 0 },
      true,
    ],
    [
      "a batch that settled a partial run",
      { checks: [], claimed: [claimed(false)], proves: "claimed-runs", unfinished: 0 },
      false,
    ],
    [
      "a batch that settled a CA bundle's rescan",
      { checks: [], claimed: [claimed(true, "object-change")], proves: "claimed-runs", unfinished: 0 },
      false,
    ],
    [
      "a batch that settled nothing",
      { checks: [], claimed: [], proves: "claimed-runs", unfinished: 0 },
      false,
    ],
    ["one changed object", { checks: [checkRun()], claimed: [], proves: "nothing", unfinished: 0 }, false],
  ])("proves a complete scan of the store or not: %s", async (_case, settling, proves) => {
    // Act
    const outcome = await settleInvocation(settling, {
      applyAlarmLifecycle: recordingSettler().applyAlarmLifecycle,
      now: NOW,
    });

    // Assess
    expect(outcome.scanSucceeded).toBe(proves);
  });
});
