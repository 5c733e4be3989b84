/**
 * Concurrent runs against the alarm table (dynalite, conditional writes): a scheduled scan, an S3
 * object event and a Lambda retry may all judge the same certificate at the same moment. Whatever
 * order their writes land in, each transition reaches the bus once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AlarmStore, createAlarmStore } from "../../../functions/adapters/alarm-store";
import { documentClient } from "../../../functions/adapters/clients/dynamodb";
import {
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
  type LifecyclePolicy,
} from "../../../functions/core/alarms/lifecycle";
import { processCheckRun } from "../../../functions/core/alarms/process-run";
import type { Finding, Severity } from "../../../functions/core/contracts";
import { type LocalDynamo, startDynalite } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";

const HOUR = 3_600_000;
const T0 = new Date("2031-03-01T01:00:00.000Z");
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
const SCOPE = "s3://certs/prod/";
const SOURCE = "s3://certs/prod/api.pem#0";
/** Runs started at once: the schedule, an object event, and Lambda retries of both. */
const CONCURRENT = 4;

let dynamo: LocalDynamo;
let tables = 0;
const bus = recordingEventBus();

beforeAll(async () => {
  dynamo = await startDynalite();
});

beforeEach(() => bus.clear());

afterAll(async () => {
  bus.restore();
  await dynamo?.stop();
});

async function freshStore(): Promise<AlarmStore> {
  tables += 1;
  const tableName = await dynamo.createAlarmTable(`faults-concurrent-${tables}`);
  return createAlarmStore({ tableName, client: documentClient(dynamo.client) });
}

function expiring(severity: Severity): Finding {
  return {
    check: "expiring",
    alarmId: "1002",
    severity,
    source: SOURCE,
    message: `certificate expires soon (${severity})`,
  };
}

function run(findings: Finding[], now: Date): CheckRun {
  return { scope: SCOPE, complete: true, examinedSources: [SOURCE], findings, now };
}

/** The same run started `CONCURRENT` times at once; every settled outcome, fulfilled or not. */
async function concurrently(checkRun: CheckRun, store: AlarmStore, policy: LifecyclePolicy) {
  return Promise.allSettled(
    Array.from({ length: CONCURRENT }, () =>
      processCheckRun(checkRun, { store, publisher: bus.publisher, policy }),
    ),
  );
}

/** Detail-types put on the bus, one per event, with how often each transition id was sent. */
function sentEvents() {
  const details = bus.sent.map((e) => ({
    type: e.DetailType,
    ...(JSON.parse(e.Detail ?? "{}") as { eventId: string }),
  }));
  const perId = new Map<string, number>();
  for (const d of details) perId.set(d.eventId, (perId.get(d.eventId) ?? 0) + 1);
  return { types: details.map((d) => d.type), timesSent: [...perId.values()] };
}

describe("concurrent runs on the alarm table", () => {
  it("raise a fault that all of them see exactly once", async () => {
    // Prepare
    const store = await freshStore();

    // Act
    const outcomes = await concurrently(run([expiring("minor")], at(0)), store, DEFAULT_LIFECYCLE_POLICY);

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(Array(CONCURRENT).fill("fulfilled"));
    expect(sentEvents()).toEqual({ types: ["Alarm Raised"], timesSent: [1] });
    expect(await store.load(SCOPE)).toMatchObject([{ status: "active", pending: {} }]);
  });

  it("clear a fault that all of them find fixed exactly once", async () => {
    // Prepare
    const store = await freshStore();
    await processCheckRun(run([expiring("minor")], at(0)), {
      store,
      publisher: bus.publisher,
      policy: DEFAULT_LIFECYCLE_POLICY,
    });
    bus.clear();

    // Act
    const outcomes = await concurrently(run([], at(1)), store, DEFAULT_LIFECYCLE_POLICY);

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(Array(CONCURRENT).fill("fulfilled"));
    expect(sentEvents()).toEqual({ types: ["Alarm Cleared"], timesSent: [1] });
    expect(await store.load(SCOPE)).toMatchObject([{ status: "cleared", pending: {} }]);
  });

  it("raise and clear 3 faults once when 8 runs observed a minute apart all settle at the same moment", async () => {
    // Prepare: a scheduled scan, S3 events and redelivered batches that listed at different times
    const store = await freshStore();
    const RUNS = 8;
    const sources = ["api", "web", "etcd"].map((name) => `s3://certs/prod/${name}.pem#0`);
    const faults = sources.map((source) => ({ ...expiring("major"), source }));
    const settleAll = (findings: Finding[], from: Date) =>
      Promise.allSettled(
        Array.from({ length: RUNS }, (_, i) =>
          processCheckRun(
            {
              scope: SCOPE,
              complete: true,
              examinedSources: [],
              findings,
              now: new Date(from.getTime() + i * 60_000),
            },
            { store, publisher: bus.publisher, policy: DEFAULT_LIFECYCLE_POLICY },
          ),
        ),
      );

    // Act
    const raising = await settleAll(faults, at(0));
    const clearing = await settleAll([], at(1));

    // Assess
    const settled = [...raising, ...clearing];
    expect(settled.filter((o) => o.status === "rejected")).toEqual([]);
    expect(
      settled.flatMap((o) => (o.status === "fulfilled" ? [...o.value.pending, ...o.value.errors] : [])),
    ).toEqual([]);
    const { types, timesSent } = sentEvents();
    expect(types.sort()).toEqual([...Array(3).fill("Alarm Cleared"), ...Array(3).fill("Alarm Raised")]);
    expect(timesSent).toEqual(Array(6).fill(1));
  });

  it("send one severity change and one reminder when all of them see the fault get worse a day later", async () => {
    // Prepare
    const store = await freshStore();
    await processCheckRun(run([expiring("minor")], at(0)), {
      store,
      publisher: bus.publisher,
      policy: DEFAULT_LIFECYCLE_POLICY,
    });
    bus.clear();

    // Act
    const worse = await concurrently(run([expiring("major")], at(2)), store, DEFAULT_LIFECYCLE_POLICY);
    const dayLater = await concurrently(run([expiring("major")], at(30)), store, DEFAULT_LIFECYCLE_POLICY);

    // Assess
    expect([...worse, ...dayLater].every((o) => o.status === "fulfilled")).toBe(true);
    expect(sentEvents()).toEqual({ types: ["Alarm Severity Changed", "Alarm Reminder"], timesSent: [1, 1] });
  });
});
