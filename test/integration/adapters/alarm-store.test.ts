import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALARM_TABLE_KEYS, type AlarmStore, createAlarmStore } from "../../../functions/adapters/alarm-store";
import { documentClient } from "../../../functions/adapters/clients/dynamodb";
import { alarmIdFor } from "../../../functions/core/alarm-ids";
import {
  type AlarmTransition,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
  decideAlarm,
} from "../../../functions/core/alarms/lifecycle";
import type { AlarmPublisherPort } from "../../../functions/core/alarms/ports";
import { processCheckRun } from "../../../functions/core/alarms/process-run";
import type { Finding } from "../../../functions/core/contracts";
import { type LocalDynamo, startDynalite } from "../../support/emulators";

const HOUR = 3_600_000;
const T0 = new Date("2030-05-01T01:00:00.000Z");
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

let dynamo: LocalDynamo;
let tableCount = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

/** A fresh table per test, created the way the stack creates it: from ALARM_TABLE_KEYS. */
async function freshStore(): Promise<AlarmStore> {
  tableCount += 1;
  const tableName = await dynamo.createAlarmTable(`watchpost-alarms-${tableCount}`);
  return createAlarmStore({ tableName, client: documentClient(dynamo.client) });
}

const SCOPE = "credentials:backup";

function unreachable(): Finding {
  return {
    check: "storage-unreachable",
    alarmId: alarmIdFor("storage-unreachable"),
    severity: "major",
    source: "credentials:backup",
    message: "HeadBucket timed out after 5000 ms",
  };
}

function certificateRun(findings: Finding[], now: Date): CheckRun {
  return {
    scope: "s3://certs/",
    complete: true,
    examinedSources: [],
    findings,
    now,
    parameters: { ServiceName: "ha" },
  };
}

function expired(): Finding {
  return {
    check: "expired",
    alarmId: "1001",
    severity: "critical",
    source: "s3://certs/ha.pem#0",
    message: "expired",
  };
}

function recorder(fail?: (call: number) => boolean) {
  const delivered: AlarmTransition[] = [];
  let calls = 0;
  const publisher: AlarmPublisherPort = {
    async publish(transitions) {
      calls += 1;
      if (fail?.(calls)) throw new Error("EventBridge unavailable");
      delivered.push(...transitions);
      return transitions.map((t) => ({ id: t.id, delivered: true }));
    },
  };
  return { publisher, delivered };
}

/** An expired certificate raised at 01:00 by run A, whose event is left pending, leased until 01:10. */
async function decideRaised(store: AlarmStore) {
  const run = certificateRun([expired()], at(0));
  const decision = decideAlarm(run, run.findings, undefined, DEFAULT_LIFECYCLE_POLICY);
  const added = decision.transitions.map((transition) => ({
    transition,
    owner: "run-a",
    until: at(1 / 6).getTime(),
  }));
  expect(await store.decide(decision.state!, undefined, added)).toBe(true);
  return store.load(run.scope);
}

/**
 * Two certificates raised, one of them cleared an hour later (renewed), and a credential alarm;
 * with `recurring`, the other certificate's fault also clears and returns (a history item).
 */
async function raiseMixed(store: AlarmStore, options: { recurring?: boolean } = {}): Promise<void> {
  const { publisher } = recorder();
  const deps = {
    store,
    publisher,
    policy: { ...DEFAULT_LIFECYCLE_POLICY, damping: { "storage-unreachable": 1 } },
  };
  const renewed = { ...expired(), source: "s3://certs/renewed.pem#0" };
  await processCheckRun(certificateRun([expired(), renewed], at(0)), deps);
  await processCheckRun(certificateRun([expired()], at(1)), deps);
  if (options.recurring) {
    await processCheckRun(certificateRun([], at(2)), deps);
    await processCheckRun(certificateRun([expired()], at(3)), deps);
  }
  await processCheckRun(
    { scope: SCOPE, complete: true, examinedSources: [], findings: [unreachable()], now: at(3) },
    deps,
  );
}

describe("alarm store on DynamoDB (dynalite)", () => {
  it("writes a decision only on the revision the writer read", async () => {
    // Prepare
    const store = await freshStore();
    const { publisher } = recorder();
    await processCheckRun(certificateRun([expired()], at(0)), {
      store,
      publisher,
      policy: DEFAULT_LIFECYCLE_POLICY,
    });
    const [read] = await store.load("s3://certs/");

    // Act
    const first = await store.decide(
      { ...read!, message: "first writer", version: read!.version + 1 },
      read,
      [],
    );
    const second = await store.decide(
      { ...read!, message: "second writer", version: read!.version + 1 },
      read,
      [],
    );
    const create = await store.decide({ ...read!, version: 1 }, undefined, []);

    // Assess
    expect([first, second, create]).toEqual([true, false, false]);
    expect(await store.get("s3://certs/", read!.fingerprint)).toMatchObject({ message: "first writer" });
  });

  it("writes a run that sees an active alarm again as its four moved attributes, and reads back the whole decision", async () => {
    // Prepare: an expired certificate raised at 01:00, its event delivered
    const store = await freshStore();
    const { publisher } = recorder();
    const policy = DEFAULT_LIFECYCLE_POLICY;
    const fault = { ...expired(), details: { subject: "CN=ha", notAfter: "2030-04-01T00:00:00.000Z" } };
    await processCheckRun(certificateRun([fault], at(0)), { store, publisher, policy });
    const [raised] = await store.load("s3://certs/");
    // What each UpdateItem sets and removes, by attribute name.
    const updates: { set: string[]; remove: string[] }[] = [];
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as {
          UpdateExpression?: string;
          ExpressionAttributeNames?: Record<string, string>;
        };
        if (context.commandName === "UpdateItemCommand") {
          const [set = "", remove = ""] = (input.UpdateExpression ?? "").split(" REMOVE ");
          const named = (clause: string) =>
            [...clause.matchAll(/(#\w+)(?: = |,|$)/g)]
              .map(([, alias]) => input.ExpressionAttributeNames?.[alias!] ?? "")
              .sort();
          updates.push({ set: named(set), remove: named(remove) });
        }
        return next(args);
      },
      { step: "initialize", name: "recordUpdates" },
    );

    // Act: the next run, an hour later, sees the same fault
    const result = await processCheckRun(certificateRun([fault], at(1)), { store, publisher, policy });
    dynamo.client.middlewareStack.remove("recordUpdates");

    // Assess
    expect(result.transitions).toEqual([]);
    expect(updates).toEqual([
      { set: ["consecutiveFailures", "evidence", "lastSeen", "version"], remove: [] },
    ]);
    expect(await store.get("s3://certs/", raised!.fingerprint)).toEqual({
      ...raised,
      lastSeen: at(1).toISOString(),
      consecutiveFailures: 2,
      evidence: { at: at(1).toISOString() },
      version: 2,
    });
  });

  it("records delivery and leases without touching the revision, so a decision read before them still lands", async () => {
    // Prepare: a raised alarm whose event is still pending, leased to run A until 01:10
    const store = await freshStore();
    const [read] = await decideRaised(store);
    const [id] = Object.keys(read!.pending);

    // Act: another run takes a look at 01:05 (too early), A forgets the delivered event, then
    // a decision made on the revision read before all that is written
    const early = await store.takeOver(read!, id!, { owner: "run-b", until: at(2).getTime() }, at(0.08));
    await store.forget(read!, [id!]);
    const decided = await store.decide(
      { ...read!, message: "decided meanwhile", version: read!.version + 1 },
      read,
      [],
    );

    // Assess
    expect(early).toBe(false);
    expect(decided).toBe(true);
    expect(await store.get("s3://certs/", read!.fingerprint)).toMatchObject({
      message: "decided meanwhile",
      pending: {},
      version: read!.version + 1,
    });
  });

  it("leases a pending event to another run only once the holder's lease has lapsed, or again to the holder", async () => {
    // Prepare: leased to run A until 01:10
    const store = await freshStore();
    const [read] = await decideRaised(store);
    const [id] = Object.keys(read!.pending);

    // Act
    const holderAgain = await store.takeOver(read!, id!, { owner: "run-a", until: at(1).getTime() }, at(0.5));
    const beforeLapse = await store.takeOver(read!, id!, { owner: "run-b", until: at(2).getTime() }, at(0.9));
    const afterLapse = await store.takeOver(read!, id!, { owner: "run-b", until: at(2).getTime() }, at(1.1));
    await store.release(read!, id!, "run-a");
    const released = (await store.get("s3://certs/", read!.fingerprint))!.pending[id!];

    // Assess
    expect([holderAgain, beforeLapse, afterLapse]).toEqual([true, false, true]);
    expect(released).toMatchObject({ owner: "run-b", until: at(2).getTime() }); // only the holder releases
  });

  it("reads an item written before pending events were a map, and lets the next run send them at once", async () => {
    // Prepare: the shape the previous release wrote, a list and an item-wide claim long lapsed
    const tableName = await dynamo.createAlarmTable(`watchpost-alarms-${++tableCount}`);
    const client = documentClient(dynamo.client);
    const store = createAlarmStore({ tableName, client });
    const [state] = await decideRaised(store);
    const transition = Object.values(state!.pending)[0]!.transition;
    const { pending: _pending, ...rest } = state!;
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...rest,
          pk: state!.scope,
          sk: `alarm#${state!.fingerprint}`,
          pending: [transition],
          claim: { runId: "old-run", expiresAt: at(0.1).toISOString() },
        },
      }),
    );
    const { publisher, delivered } = recorder();

    // Act
    const [converted] = await store.load(state!.scope);
    const next = await processCheckRun(certificateRun([expired()], at(1)), {
      store,
      publisher,
      policy: DEFAULT_LIFECYCLE_POLICY,
    });

    // Assess
    expect(converted!.pending).toEqual({ [transition.id]: { transition, owner: "", until: 0 } });
    expect(converted).not.toHaveProperty("claim");
    expect(next.published.map((t) => t.id)).toEqual([transition.id]);
    expect(delivered.map((t) => t.id)).toEqual([transition.id]);
    expect((await store.load(state!.scope))[0]!.pending).toEqual({});
  });

  it("raises a fault once when two runs see it at the same time", async () => {
    // Prepare
    const store = await freshStore();
    const { publisher, delivered } = recorder();
    const policy = { ...DEFAULT_LIFECYCLE_POLICY, damping: { "storage-unreachable": 1 } };
    const sameFault: CheckRun = {
      scope: SCOPE,
      complete: true,
      examinedSources: [],
      findings: [unreachable()],
      now: at(0),
    };

    // Act
    const results = await Promise.all([
      processCheckRun(sameFault, { store, publisher, policy }),
      processCheckRun(sameFault, { store, publisher, policy }),
    ]);

    // Assess
    expect(results.flatMap((r) => r.transitions).map((t) => t.kind)).toEqual(["raised"]);
    expect(delivered.map((t) => t.kind)).toEqual(["raised"]);
    const states = await store.load(SCOPE);
    expect(states).toHaveLength(1);
    // The same instant seen twice is one observation.
    expect(states[0]).toMatchObject({ status: "active", pending: {}, consecutiveFailures: 1 });
  });

  it("delivers events left pending by a failed publish exactly once, on the next run", async () => {
    // Prepare
    const store = await freshStore();
    const { publisher, delivered } = recorder((call) => call === 1);
    const policy = DEFAULT_LIFECYCLE_POLICY;

    // Act
    const failed = await processCheckRun(certificateRun([expired()], at(0)), { store, publisher, policy });
    const storedAfterFailure = await store.load("s3://certs/");
    const next = await processCheckRun(certificateRun([expired()], at(1)), { store, publisher, policy });
    const later = await processCheckRun(certificateRun([expired()], at(2)), { store, publisher, policy });

    // Assess
    expect(failed.pending.map((t) => t.kind)).toEqual(["raised"]);
    expect(Object.keys(storedAfterFailure[0]!.pending)).toEqual(failed.pending.map((t) => t.id));
    // Given back: the next run sends it without waiting out the failed run's lease.
    expect(Object.values(storedAfterFailure[0]!.pending).map((p) => p.until)).toEqual([0]);
    expect(next.published.map((t) => t.id)).toEqual(failed.pending.map((t) => t.id));
    expect(later.published).toEqual([]);
    expect(delivered.map((t) => t.kind)).toEqual(["raised"]);
  });

  it("keeps a cleared occurrence as history, with its TTL, when the fault returns as a new occurrence", async () => {
    // Prepare
    const store = await freshStore();
    const { publisher, delivered } = recorder();
    const policy = { ...DEFAULT_LIFECYCLE_POLICY, historyDays: 90 };
    await processCheckRun(certificateRun([expired()], at(0)), { store, publisher, policy });
    await processCheckRun(certificateRun([], at(1)), { store, publisher, policy });

    // Act
    await processCheckRun(certificateRun([expired()], at(2)), { store, publisher, policy });

    // Assess
    expect(delivered.map((t) => t.kind)).toEqual(["raised", "cleared", "raised"]);
    const [first, , again] = delivered;
    const history = await store.history("s3://certs/");
    expect(history).toMatchObject([
      { occurrenceId: first!.occurrenceId, status: "cleared", clearedAt: at(1).toISOString(), pending: {} },
    ]);
    expect(history[0]!.expiresAt).toBe(at(1).getTime() / 1000 + 90 * 86_400);
    const [live] = await store.load("s3://certs/");
    expect(live).toMatchObject({ occurrenceId: again!.occurrenceId, status: "active" });
    expect(live).not.toHaveProperty(ALARM_TABLE_KEYS.timeToLiveAttribute);
  });

  it("counts active alarms across scopes by severity, leaving cleared ones and history out", async () => {
    // Prepare
    const store = await freshStore();
    await raiseMixed(store);

    // Act
    const counts = await store.countActive();

    // Assess
    expect(counts).toEqual({ critical: 1, major: 1, minor: 0, warning: 0 });
  });

  it("lists the live alarm of every scope, cleared ones included, and no history", async () => {
    // Prepare
    const store = await freshStore();
    await raiseMixed(store, { recurring: true });

    // Act
    const live = await store.liveAlarms();

    // Assess
    expect(await store.history("s3://certs/")).toHaveLength(1);
    expect(live.map((a) => `${a.scope} ${a.source} ${a.status}`).sort()).toEqual([
      "credentials:backup credentials:backup active",
      "s3://certs/ s3://certs/ha.pem#0 active",
      "s3://certs/ s3://certs/renewed.pem#0 cleared",
    ]);
  });

  it("pages through a scope with more alarms than one query returns", async () => {
    // Prepare
    const store = await freshStore();
    const { publisher } = recorder();
    const findings = Array.from({ length: 60 }, (_, i) => ({
      ...expired(),
      source: `s3://certs/${"x".repeat(8000)}-${i}.pem#0`,
      message: "m".repeat(4000),
    }));
    await processCheckRun(certificateRun(findings, at(0)), {
      store,
      publisher,
      policy: DEFAULT_LIFECYCLE_POLICY,
    });
    const queries: string[] = [];
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "QueryCommand") queries.push(context.commandName);
        return next(args);
      },
      { step: "initialize", name: "countQueries" },
    );

    // Act
    const states = await store.load("s3://certs/");
    dynamo.client.middlewareStack.remove("countQueries");

    // Assess
    expect(queries.length).toBeGreaterThan(1);
    expect(states).toHaveLength(60);
  });
});
