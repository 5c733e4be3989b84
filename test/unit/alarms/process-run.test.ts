import { describe, expect, it } from "vitest";
import { alarmIdFor } from "../../../functions/core/alarms/alarm-ids";
import {
  type AlarmState,
  type AlarmTransition,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
} from "../../../functions/core/alarms/lifecycle";
import {
  type AlarmPublisherPort,
  type AlarmStorePort,
  type PublishResult,
  processCheckRun,
} from "../../../functions/core/alarms/process-run";
import type { Finding } from "../../../functions/core/contracts";

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
function memoryStore(): AlarmStorePort & {
  items: Map<string, AlarmState>;
  beforeLoad?: () => Promise<void>;
} {
  const items = new Map<string, AlarmState>();
  const store = {
    items,
    beforeLoad: undefined as undefined | (() => Promise<void>),
    async load(scope: string) {
      await store.beforeLoad?.();
      return [...items.values()].filter((s) => s.scope === scope).map((s) => structuredClone(s));
    },
    async get(_scope: string, fingerprint: string) {
      const item = items.get(fingerprint);
      return item && structuredClone(item);
    },
    async save(next: AlarmState, previous: AlarmState | undefined) {
      await Promise.resolve();
      const current = items.get(next.fingerprint);
      if (previous ? current?.version !== previous.version : current !== undefined) return false;
      items.set(next.fingerprint, structuredClone(next));
      return true;
    },
  };
  return store;
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
    expect(state).toMatchObject({ status: "active", pending: [] });
    expect(state).not.toHaveProperty("claim");
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

  it("leaves pending transitions claimed by another live run alone until the claim expires", async () => {
    // Prepare
    const store = memoryStore();
    const blocked = recordingPublisher((_b, call) => (call === 1 ? "throw" : new Set()));
    await processCheckRun(run([expired("ha.pem")], at(0)), deps(store, blocked.publisher));
    const [state] = store.items.values();
    store.items.set(state!.fingerprint, {
      ...state!,
      claim: { runId: "other-run", expiresAt: at(0.5).toISOString() },
    });
    const { publisher, delivered } = recordingPublisher();

    // Act
    const whileClaimed = await processCheckRun(run([expired("ha.pem")], at(0.25)), deps(store, publisher));
    const afterExpiry = await processCheckRun(run([expired("ha.pem")], at(0.75)), deps(store, publisher));

    // Assess
    expect(whileClaimed.published).toEqual([]);
    expect(store.items.size).toBe(1);
    expect(afterExpiry.published.map((t) => t.kind)).toEqual(["raised"]);
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
    expect([...store.items.values()]).toMatchObject([
      { status: "active", consecutiveFailures: 2, pending: [] },
    ]);
  });
});
