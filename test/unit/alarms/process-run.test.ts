import { describe, expect, it } from "vitest";
import { alarmIdFor } from "../../../functions/core/alarm-ids";
import {
  type AlarmTransition,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
} from "../../../functions/core/alarms/lifecycle";
import type { AlarmPublisherPort, AlarmStorePort, PublishResult } from "../../../functions/core/alarms/ports";
import { processCheckRun } from "../../../functions/core/alarms/process-run";
import type { Finding } from "../../../functions/core/contracts";
import { memoryAlarmStore } from "../../support/in-memory-ports";

const HOUR = 3_600_000;
const T0 = new Date("2030-03-01T01:00:00.000Z");
const SCOPE = "s3://certs/cluster-b/";
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

function expired(file: string): Finding {
  return {
    check: "expired",
    alarmId: alarmIdFor("expired"),
    severity: "critical",
    source: `${SCOPE}${file}#0`,
    message: "expired",
  };
}

function run(findings: Finding[], now: Date): CheckRun {
  return { scope: SCOPE, complete: true, examinedSources: [], findings, now };
}

/** A store with the same conditional-write semantics as the DynamoDB adapter. */
function memoryStore() {
  const { store, items, hooks } = memoryAlarmStore();
  return Object.assign(store, {
    items,
    set beforeLoad(hook: () => Promise<void>) {
      hooks.beforeLoad = hook;
    },
  });
}

/** Records what reached the bus; `failWith` decides per call which transitions fail (or throws). */
function recordingPublisher(failWith?: (batch: AlarmTransition[], call: number) => Set<string> | "throw") {
  const delivered: AlarmTransition[] = [];
  let calls = 0;
  const publisher: AlarmPublisherPort = {
    async publish(transitions) {
      calls += 1;
      const failing = failWith?.(transitions, calls) ?? new Set<string>();
      if (failing === "throw") throw new Error("connect ETIMEDOUT events.eu-west-1.amazonaws.com");
      return transitions.map((t): PublishResult => {
        if (failing.has(t.id)) {
          return {
            id: t.id,
            delivered: false,
            error: { code: "AccessDeniedException", message: "not allowed", retryable: false },
          };
        }
        delivered.push(t);
        return { id: t.id, delivered: true };
      });
    },
  };
  return { publisher, delivered };
}

const deps = (store: AlarmStorePort, publisher: AlarmPublisherPort) => ({
  store,
  publisher,
  policy: DEFAULT_LIFECYCLE_POLICY,
});

describe("processCheckRun", () => {
  it("writes, publishes and then forgets the transitions of a run", async () => {
    // Prepare
    const store = memoryStore();
    const { publisher, delivered } = recordingPublisher();

    // Act
    const result = await processCheckRun(run([expired("ha.pem")], at(0)), deps(store, publisher));

    // Assess
    expect(result.transitions.map((t) => t.kind)).toEqual(["raised"]);
    expect(result.published).toEqual(result.transitions);
    expect(result).toMatchObject({ pending: [], partial: false, errors: [] });
    expect(delivered.map((t) => t.kind)).toEqual(["raised"]);
    const [state] = store.items.values();
    expect(state).toMatchObject({ status: "active", pending: {} });
  });

  it("keeps the transitions when publishing fails and delivers them exactly once on the next run", async () => {
    // Prepare
    const store = memoryStore();
    const { publisher, delivered } = recordingPublisher((_batch, call) => (call === 1 ? "throw" : new Set()));
    const finding = expired("ha.pem");

    // Act
    const failed = await processCheckRun(run([finding], at(0)), deps(store, publisher));
    const recovered = await processCheckRun(run([finding], at(1)), deps(store, publisher));
    const quiet = await processCheckRun(run([finding], at(2)), deps(store, publisher));

    // Assess
    expect(failed.published).toEqual([]);
    expect(failed.pending.map((t) => t.kind)).toEqual(["raised"]);
    expect(failed.errors).toEqual([
      "publish failed: Error: connect ETIMEDOUT events.eu-west-1.amazonaws.com",
    ]);
    expect(recovered.transitions).toEqual([]);
    expect(recovered.published.map((t) => t.id)).toEqual(failed.pending.map((t) => t.id));
    expect(quiet.published).toEqual([]);
    expect(delivered.map((t) => t.kind)).toEqual(["raised"]);
  });

  it("on a partial publish failure retries only the undelivered transitions next time", async () => {
    // Prepare
    const store = memoryStore();
    let refuse = "";
    const { publisher, delivered } = recordingPublisher((batch, call) => {
      if (call === 1) refuse = batch[1]!.id;
      return new Set(call === 1 ? [refuse] : []);
    });

    // Act
    const first = await processCheckRun(
      run([expired("a.pem"), expired("b.pem")], at(0)),
      deps(store, publisher),
    );
    const second = await processCheckRun(
      run([expired("a.pem"), expired("b.pem")], at(1)),
      deps(store, publisher),
    );

    // Assess
    expect(first.published).toHaveLength(1);
    expect(first.pending.map((t) => t.id)).toEqual([refuse]);
    expect(first.errors).toEqual(["AccessDeniedException: not allowed"]);
    expect(second.published.map((t) => t.id)).toEqual([refuse]);
    expect(delivered.map((t) => t.source).sort()).toEqual([`${SCOPE}a.pem#0`, `${SCOPE}b.pem#0`]);
  });

  it("leaves pending transitions leased to another live run alone until the lease lapses on its own clock", async () => {
    // Prepare: a run decided and died before publishing; its lease runs to 00:30
    const store = memoryStore();
    const blocked = recordingPublisher((_b, call) => (call === 1 ? "throw" : new Set()));
    await processCheckRun(run([expired("ha.pem")], at(0)), deps(store, blocked.publisher));
    const [state] = store.items.values();
    for (const entry of Object.values(state!.pending))
      Object.assign(entry, { owner: "other-run", until: at(0.5).getTime() });
    const { publisher, delivered } = recordingPublisher();
    // The runs' own instant is long past: leases are judged on the clock of whoever holds or takes them.
    const settling = (clock: Date) => ({ ...deps(store, publisher), clock: () => clock });

    // Act
    const whileLeased = await processCheckRun(run([expired("ha.pem")], at(-5)), settling(at(0.25)));
    const afterLapse = await processCheckRun(run([expired("ha.pem")], at(-5)), settling(at(0.75)));

    // Assess
    expect(whileLeased.published).toEqual([]);
    expect(store.items.size).toBe(1);
    expect(afterLapse.published.map((t) => t.kind)).toEqual(["raised"]);
    expect(delivered).toHaveLength(1);
  });

  it("raises a fault once when two runs see it at the same time", async () => {
    // Prepare
    const store = memoryStore();
    let release: () => void = () => {};
    const bothLoaded = new Promise<void>((resolve) => {
      let loaded = 0;
      release = () => {
        loaded += 1;
        if (loaded === 2) resolve();
      };
    });
    store.beforeLoad = async () => {
      release();
      await bothLoaded;
    };
    const { publisher, delivered } = recordingPublisher();

    // Act
    const results = await Promise.all([
      processCheckRun(run([expired("ha.pem")], at(0)), deps(store, publisher)),
      processCheckRun(run([expired("ha.pem")], at(0)), deps(store, publisher)),
    ]);

    // Assess
    expect(results.flatMap((r) => r.transitions).map((t) => t.kind)).toEqual(["raised"]);
    expect(delivered.map((t) => t.kind)).toEqual(["raised"]);
    // The same instant seen twice is one observation: the second run has nothing to write.
    expect([...store.items.values()]).toMatchObject([
      { status: "active", consecutiveFailures: 1, pending: {} },
    ]);
  });

  it("changes an alarm only on a version S3 still holds: a run that judged a replaced object changes nothing", async () => {
    // Prepare: ha.pem was raised from version "v1"; it has been replaced by "v2" since
    const store = memoryStore();
    const { publisher, delivered } = recordingPublisher();
    const file = `${SCOPE}ha.pem`;
    const held = new Map([[file, '"v1"']]);
    const settle = (now: Date, seen: string, findings: Finding[]) =>
      processCheckRun(
        { ...run(findings, now), versions: { seen: new Map([[file, seen]]) } },
        { ...deps(store, publisher), currentVersion: async (object) => held.get(object) },
      );
    await settle(at(0), '"v1"', [expired("ha.pem")]);
    held.set(file, '"v2"');

    // Act: a run that judged v0, the clean version before v1 (settling late, on a later clock), then
    // one that judged v2
    const stale = await settle(at(2), '"v0"', []);
    const current = await settle(at(1), '"v2"', []);

    // Assess
    expect(stale.transitions).toEqual([]);
    expect(current.transitions.map((t) => t.kind)).toEqual(["cleared"]);
    expect(delivered.map((t) => t.kind)).toEqual(["raised", "cleared"]);
  });

  it("writes nothing when a decision changes nothing", async () => {
    // Prepare
    const store = memoryStore();
    const { publisher } = recordingPublisher();
    await processCheckRun(run([expired("ha.pem")], at(0)), deps(store, publisher));
    let writes = 0;
    const counting = {
      ...store,
      decide: (...args: Parameters<AlarmStorePort["decide"]>) => {
        writes++;
        return store.decide(...args);
      },
    };

    // Act
    await processCheckRun(run([expired("ha.pem")], at(0)), deps(counting, publisher));

    // Assess
    expect(writes).toBe(0);
  });

  it("gives up on an alarm that keeps losing write conflicts after its time budget, and settles the others", async () => {
    // Prepare: every write of a.pem loses to another run
    const store = memoryStore();
    const { publisher, delivered } = recordingPublisher();
    const losing: AlarmStorePort = {
      ...store,
      decide: async (next, previous, added) =>
        next.source.includes("a.pem") ? false : store.decide(next, previous, added),
    };
    const waited: number[] = [];

    // Act
    const result = await processCheckRun(run([expired("a.pem"), expired("b.pem")], at(0)), {
      ...deps(losing, publisher),
      conflictBudgetMs: 30,
      sleep: async (ms) => {
        waited.push(ms);
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });

    // Assess
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^AlarmConflictError: alarm \w+ in s3:\/\/certs\/cluster-b\/: still conflicting after \d+ writes/,
      ),
    ]);
    expect(delivered.map((t) => t.source)).toEqual([`${SCOPE}b.pem#0`]);
    expect(waited.length).toBeGreaterThan(1);
    expect(new Set(waited).size).toBe(waited.length); // jittered: no two runs back off in step
  });
});
