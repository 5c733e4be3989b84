/**
 * EventBridge refusing alarm events — throttling the whole PutEvents call, or accepting some
 * entries of a batch and refusing others — while alarm state lives in dynalite. Across runs,
 * every transition must reach the bus exactly once: what one run could not deliver stays pending
 * in the alarm item and goes out with the next run, and what was delivered is never sent again.
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  ThrottlingException,
} from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AlarmStore, createAlarmStore } from "../../../functions/adapters/alarm-store";
import { documentClient } from "../../../functions/adapters/clients/dynamodb";
import { createEventPublisher } from "../../../functions/adapters/event-publisher";
import { type CheckRun, DEFAULT_LIFECYCLE_POLICY } from "../../../functions/core/alarms/lifecycle";
import { processCheckRun } from "../../../functions/core/alarms/process-run";
import type { Finding } from "../../../functions/core/contracts";
import { AlarmDeliveryError, applyAlarmLifecycle } from "../../../functions/handlers/shared/alarm-runs";
import { type LocalDynamo, startDynalite } from "../../support/emulators";

const HOUR = 3_600_000;
const T0 = new Date("2031-06-01T01:00:00.000Z");
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
const SCOPE = "s3://certs/prod/";
/** More than one PutEvents call (10 entries at most per call). */
const CERTIFICATES = 13;

const client = new EventBridgeClient({
  region: "eu-west-1",
  maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" },
});
const eventBridge = mockClient(client);
const publisher = createEventPublisher({ eventBusName: "watchpost", client, sleep: async () => {} });

/** How the fake EventBridge answers one entry: accept it, refuse it with a code, or throw for the call. */
type Answer = "accept" | { refuse: string } | "throttle-call";
let answer: (entry: PutEventsRequestEntry, call: number) => Answer;
/** Events EventBridge accepted, i.e. that reached the bus and its rules. */
let accepted: { eventId: string; type: string }[];
let calls: number;

let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});

beforeEach(() => {
  accepted = [];
  calls = 0;
  answer = () => "accept";
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
    calls += 1;
    const answers = input.Entries.map((entry) => answer(entry, calls));
    if (answers.includes("throttle-call")) {
      throw new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });
    }
    const response: PutEventsResponse = { FailedEntryCount: 0, Entries: [] };
    input.Entries.forEach((entry, i) => {
      const verdict = answers[i];
      if (verdict === "accept") {
        const { eventId } = JSON.parse(entry.Detail ?? "{}") as { eventId: string };
        accepted.push({ eventId, type: entry.DetailType ?? "" });
        response.Entries!.push({ EventId: `event-${calls}-${i}` });
      } else if (typeof verdict === "object") {
        response.FailedEntryCount! += 1;
        response.Entries!.push({ ErrorCode: verdict.refuse, ErrorMessage: `${verdict.refuse} (test)` });
      }
    });
    return response;
  });
});

afterAll(async () => {
  eventBridge.restore();
  await dynamo?.stop();
});

async function freshStore(): Promise<AlarmStore> {
  tables += 1;
  const tableName = await dynamo.createAlarmTable(`faults-bus-${tables}`);
  return createAlarmStore({ tableName, client: documentClient(dynamo.client) });
}

const sourceOf = (i: number) => `${SCOPE}host-${i}.pem#0`;

function expiredEverywhere(now: Date): CheckRun {
  const findings: Finding[] = Array.from({ length: CERTIFICATES }, (_, i) => ({
    check: "expired",
    alarmId: "1001",
    severity: "critical",
    source: sourceOf(i),
    message: "certificate expired",
  }));
  return {
    scope: SCOPE,
    complete: true,
    examinedSources: findings.map((f) => f.source),
    findings,
    now,
  };
}

const eventIdOf = (entry: PutEventsRequestEntry) =>
  (JSON.parse(entry.Detail ?? "{}") as { eventId: string }).eventId;

/** How many times the bus accepted each transition. */
function timesAccepted(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { eventId } of accepted) counts.set(eventId, (counts.get(eventId) ?? 0) + 1);
  return counts;
}

describe("alarm events through a throttling, partially failing EventBridge", () => {
  it("delivers every transition exactly once when run 1 is throttled throughout and run 2 meets partial batch failures", async () => {
    // Prepare
    const store = await freshStore();
    const deps = { store, publisher, policy: DEFAULT_LIFECYCLE_POLICY };

    // Act 1: every PutEvents call is throttled, through all of the publisher's retries
    answer = () => "throttle-call";
    const run1 = await processCheckRun(expiredEverywhere(at(0)), deps);

    // Act 2: each batch's first call refuses some entries (transient codes); the retries take them
    const refusedOnce = new Set<string>();
    answer = (entry) => {
      const id = eventIdOf(entry);
      const index = run1.transitions.findIndex((t) => t.id === id);
      if (index % 3 === 0 && !refusedOnce.has(id)) {
        refusedOnce.add(id);
        return { refuse: index % 2 === 0 ? "ThrottlingException" : "InternalFailure" };
      }
      return "accept";
    };
    const run2 = await processCheckRun(expiredEverywhere(at(1)), deps);

    // Act 3: EventBridge healthy, nothing new to say
    answer = () => "accept";
    const run3 = await processCheckRun(expiredEverywhere(at(2)), deps);

    // Assess
    expect(run1.transitions).toHaveLength(CERTIFICATES);
    expect(run1.published).toEqual([]);
    expect(run1.pending).toHaveLength(CERTIFICATES);
    expect(run1.errors).toEqual(["ThrottlingException: Rate exceeded"]);
    expect(run2.transitions).toEqual([]);
    expect(run2.published.map((t) => t.id).sort()).toEqual(run1.transitions.map((t) => t.id).sort());
    expect(refusedOnce.size).toBeGreaterThan(1);
    expect(run3.published).toEqual([]);
    const times = timesAccepted();
    expect([...times.keys()].sort()).toEqual(run1.transitions.map((t) => t.id).sort());
    expect([...times.values()]).toEqual(Array(CERTIFICATES).fill(1));
    expect(accepted.every((e) => e.type === "Alarm Raised")).toBe(true);
    expect((await store.load(SCOPE)).every((a) => Object.keys(a.pending).length === 0)).toBe(true);
  });

  it("keeps entries refused beyond the retries pending, and delivers only those on the next run", async () => {
    // Prepare: run 1 delivers most, but two entries are refused on every attempt
    const store = await freshStore();
    const deps = { store, publisher, policy: DEFAULT_LIFECYCLE_POLICY };
    const stubborn = new Set([sourceOf(2), sourceOf(11)]);
    answer = (entry) =>
      stubborn.has((JSON.parse(entry.Detail ?? "{}") as { source: string }).source)
        ? { refuse: "ThrottlingException" }
        : "accept";

    // Act
    const run1 = await processCheckRun(expiredEverywhere(at(0)), deps);
    answer = () => "accept";
    const run2 = await processCheckRun(expiredEverywhere(at(1)), deps);

    // Assess
    expect(run1.pending.map((t) => t.source).sort()).toEqual([...stubborn].sort());
    expect(run1.published).toHaveLength(CERTIFICATES - stubborn.size);
    expect(run2.published.map((t) => t.source).sort()).toEqual([...stubborn].sort());
    expect([...timesAccepted().values()]).toEqual(Array(CERTIFICATES).fill(1));
    expect(timesAccepted().size).toBe(CERTIFICATES);
  });

  it("fails the invocation while events are pending, so Lambda retries it, and succeeds on the retry", async () => {
    // Prepare
    const store = await freshStore();
    const deps = { store, publisher, policy: DEFAULT_LIFECYCLE_POLICY };
    answer = () => "throttle-call";

    // Act
    const first = applyAlarmLifecycle([expiredEverywhere(at(0))], deps);
    await expect(first).rejects.toThrow(AlarmDeliveryError);
    answer = () => "accept";
    const retry = await applyAlarmLifecycle([expiredEverywhere(at(0))], deps);

    // Assess
    await expect(first).rejects.toThrow(`${CERTIFICATES} alarm event(s) pending after this run`);
    expect(retry).toMatchObject({ transitions: 0, published: CERTIFICATES, pending: 0 });
    expect([...timesAccepted().values()]).toEqual(Array(CERTIFICATES).fill(1));
  });
});
