/**
 * One check run, end to end, alarm by alarm: read the scope's alarms → for each alarm, decide on
 * the run's evidence unless it is older than the alarm's last change (asking the store which
 * version of the object it holds when the run judged another one) → write the decision
 * conditionally on that alarm's own revision, its new transitions leased to this run → publish
 * them, with any an earlier run left behind whose lease has lapsed → forget what was delivered.
 * SDK-free: the store and the publisher are ports (ports.ts; functions/adapters/alarm-store.ts,
 * event-publisher.ts). docs/architecture.md, "Settling alarms", states the invariants and why
 * they hold.
 *
 * - A fault that concurrent runs all see is raised once: the loser of a conditional write reads
 *   that alarm again and decides again; a decision that changes nothing is not written.
 * - A transition is sent by the run that decided it, or by a later run once the decider's lease
 *   has lapsed on the later run's clock. A run that dies between publishing and recording it
 *   causes at most one re-send; events carry `eventId` for de-duplication.
 * - Recording delivery touches only the transitions delivered, never the revision: it does not
 *   conflict with decisions.
 * - Conflicts are retried with jittered backoff for a time budget, not a number of attempts.
 */
import { randomUUID } from "node:crypto";
import { mapBounded } from "../concurrency";
import { describeError } from "../errors";
import { freshness } from "./evidence";
import {
  type AlarmState,
  type AlarmTransition,
  type CheckRun,
  decideAlarm,
  findingsByFingerprint,
  type LifecyclePolicy,
} from "./lifecycle";
import type { AlarmKey, AlarmPublisherPort, AlarmStorePort, PublishResult } from "./ports";

/** Lambda's longest invocation: a holder that has not finished by then has died. */
export const LAMBDA_MAX_SECONDS = 900;

/** A lease that outlives its holder on any clock within `skewSeconds` of the holder's. */
export function leaseSecondsFor(skewSeconds: number): number {
  return LAMBDA_MAX_SECONDS + 2 * skewSeconds;
}

export interface ProcessRunDeps {
  store: AlarmStorePort;
  publisher: AlarmPublisherPort;
  policy: LifecyclePolicy;
  /**
   * The clock of whoever processes the run, for leases — never the run's own instant, which may
   * be long past when a fanned-out run settles. Default: this machine's.
   */
  clock?: () => Date;
  /** How long a transition stays leased to the run sending it (default leaseSecondsFor(300)). */
  leaseSeconds?: number;
  /** How long one alarm may keep losing write conflicts before the run reports it (default 60 s). */
  conflictBudgetMs?: number;
  /**
   * The version the store holds now of an object (`s3://bucket/key`): its ETag, ABSENT, or
   * undefined when it cannot tell. Without it, evidence is taken as current.
   */
  currentVersion?: (object: string) => Promise<string | undefined>;
  newId?: () => string;
  /**
   * Who leases transitions: the Lambda request ID, which stays the same across Lambda's own
   * retries of an invocation, so a retry takes over at once what its dead attempt had leased.
   * Absent: a fresh id per run.
   */
  claimOwner?: string;
  /** Injected so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ProcessRunResult {
  /** Transitions decided by this run. */
  transitions: AlarmTransition[];
  /** Transitions delivered by this run (its own and older pending ones). */
  published: AlarmTransition[];
  /** Transitions this run tried to deliver and could not; they stay pending for the next run. */
  pending: AlarmTransition[];
  partial: boolean;
  /** Why an alarm could not be settled or delivery failed, one line per distinct error. Never contains secrets. */
  errors: string[];
}

export class AlarmConflictError extends Error {
  override readonly name = "AlarmConflictError";
}

/** Alarms decided at once: each is a read, maybe a version check, and a write. */
const ALARM_CONCURRENCY = 8;
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 1_000;

/** "Full jitter": a random wait up to an exponentially growing cap, so losers do not collide again in step. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

interface Settled {
  /** The alarm as this run last read or wrote it. */
  state?: AlarmState;
  decided: AlarmTransition[];
}

export async function processCheckRun(run: CheckRun, deps: ProcessRunDeps): Promise<ProcessRunResult> {
  const { store, publisher, policy } = deps;
  const owner = deps.claimOwner ?? (deps.newId ?? randomUUID)();
  const clock = deps.clock ?? (() => new Date());
  const leaseMs = (deps.leaseSeconds ?? leaseSecondsFor(300)) * 1000;
  const budgetMs = deps.conflictBudgetMs ?? 60_000;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const errors = new Set<string>();

  const groups = findingsByFingerprint(run);
  const loaded = new Map((await store.load(run.scope)).map((state) => [state.fingerprint, state]));
  // Versions asked right after the load are good for every first decision; a retry asks again.
  const versionsAfterLoad = new Map<string, Promise<string | undefined>>();
  const versionAfterLoad = (object: string) => {
    let version = versionsAfterLoad.get(object);
    if (!version) {
      version = deps.currentVersion?.(object) ?? Promise.resolve(undefined);
      versionsAfterLoad.set(object, version);
    }
    return version;
  };

  /** Decides one alarm until its write lands, its evidence turns out stale, or the budget is spent. */
  async function settleAlarm(fingerprint: string): Promise<Settled> {
    const findings = groups.get(fingerprint) ?? [];
    let current = loaded.get(fingerprint);
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      const source = findings[0]?.source ?? current?.source;
      const fresh = source === undefined ? "stale" : freshness(run, current, source);
      if (fresh === "stale") return { state: current, decided: [] };
      const decision = decideAlarm(run, findings, current, policy, deps.newId);
      if (!decision.state) return { state: current, decided: [] };
      if (typeof fresh === "object") {
        const held =
          attempt === 0 ? await versionAfterLoad(fresh.confirm) : await deps.currentVersion?.(fresh.confirm);
        // The object changed since the run judged it: the change's own check decides.
        if (held !== undefined && held !== fresh.seen) return { state: current, decided: [] };
        // The store cannot tell: order by instants, as for evidence without versions.
        if (held === undefined && current?.evidence && run.now.getTime() < Date.parse(current.evidence.at))
          return { state: current, decided: [] };
      }
      const until = clock().getTime() + leaseMs;
      const added = decision.transitions.map((transition) => ({ transition, owner, until }));
      if (await store.decide(decision.state, current, added)) {
        const pending = { ...decision.state.pending };
        for (const entry of added) pending[entry.transition.id] = entry;
        return { state: { ...decision.state, pending }, decided: decision.transitions };
      }
      if (performance.now() - started >= budgetMs) {
        throw new AlarmConflictError(
          `alarm ${fingerprint} in ${run.scope}: still conflicting after ${attempt + 1} writes in ${Math.round(performance.now() - started)} ms`,
        );
      }
      await sleep(backoffMs(attempt));
      current = await store.get(run.scope, fingerprint);
    }
  }

  const settled = await mapBounded(
    [...new Set([...loaded.keys(), ...groups.keys()])],
    ALARM_CONCURRENCY,
    (fp) =>
      settleAlarm(fp).catch((error: unknown): Settled => {
        errors.add(describeError(error));
        return { state: loaded.get(fp), decided: [] };
      }),
  );
  const transitions = settled.flatMap((s) => s.decided);

  // What this run sends: what it decided (leased to it on writing), and what earlier runs left
  // behind whose lease has lapsed on this run's clock (or is this run's own: a Lambda retry).
  const toSend: { alarm: AlarmKey; transition: AlarmTransition }[] = [];
  const decidedIds = new Set(transitions.map((t) => t.id));
  await mapBounded(
    settled.flatMap(({ state }) =>
      state ? Object.values(state.pending).map((entry) => ({ state, entry })) : [],
    ),
    ALARM_CONCURRENCY,
    async ({ state, entry }) => {
      const { transition } = entry;
      if (decidedIds.has(transition.id)) {
        toSend.push({ alarm: state, transition });
        return;
      }
      const now = clock();
      if (entry.owner !== owner && entry.until >= now.getTime()) return;
      try {
        if (await store.takeOver(state, transition.id, { owner, until: now.getTime() + leaseMs }, now))
          toSend.push({ alarm: state, transition });
      } catch (error) {
        errors.add(`taking over a pending event: ${describeError(error)}`);
      }
    },
  );

  const results = new Map<string, PublishResult>();
  if (toSend.length > 0) {
    try {
      for (const result of await publisher.publish(toSend.map((s) => s.transition)))
        results.set(result.id, result);
    } catch (error) {
      errors.add(`publish failed: ${describeError(error)}`);
    }
  }
  for (const result of results.values()) {
    if (result.error) errors.add(`${result.error.code}: ${result.error.message}`);
  }
  const delivered = toSend.filter((s) => results.get(s.transition.id)?.delivered === true);
  const undelivered = toSend.filter((s) => results.get(s.transition.id)?.delivered !== true);

  const byAlarm = new Map<string, { alarm: AlarmKey; ids: string[] }>();
  for (const { alarm, transition } of delivered) {
    const entry = byAlarm.get(alarm.fingerprint) ?? { alarm, ids: [] };
    entry.ids.push(transition.id);
    byAlarm.set(alarm.fingerprint, entry);
  }
  await mapBounded([...byAlarm.values()], ALARM_CONCURRENCY, ({ alarm, ids }) =>
    store.forget(alarm, ids).catch((error: unknown) => {
      // Delivered but still recorded as pending: the next run after the lease sends it once more.
      errors.add(`recording delivered events: ${describeError(error)}`);
    }),
  );
  await mapBounded(undelivered, ALARM_CONCURRENCY, ({ alarm, transition }) =>
    store.release(alarm, transition.id, owner).catch(() => {
      // The lease then runs out on its own; the events wait for it.
    }),
  );

  return {
    transitions,
    published: delivered.map((s) => s.transition),
    pending: undelivered.map((s) => s.transition),
    partial: !run.complete,
    errors: [...errors],
  };
}
