/**
 * One check run, end to end: load the scope's alarm state → decide → conditional writes (new
 * transitions recorded as `pending` in the item) → publish everything pending, including what an
 * earlier failed run left behind → remove what was delivered. SDK-free: the store and the
 * publisher are ports, implemented by functions/adapters/alarm-store.ts and event-publisher.ts.
 *
 * Guarantees:
 * - Two runs that see the same fault at the same time raise it once: every write expects the
 *   version it read; the loser re-reads that alarm and re-decides.
 * - Nothing lost: a transition leaves `pending` only after the publisher confirmed it.
 * - No double send between concurrent runs: a run publishes an item's pending transitions only
 *   while it holds that item's claim (written together with the transitions); the claim is
 *   released after publishing, or expires if the run dies. A run that dies after publishing but
 *   before recording it may cause one re-send; events carry `eventId` for de-duplication.
 */
import { randomUUID } from "node:crypto";
import {
  type AlarmState,
  type AlarmTransition,
  type CheckRun,
  decideAlarm,
  findingsByFingerprint,
  type LifecyclePolicy,
} from "./lifecycle";

export interface AlarmStorePort {
  /** The live alarm items of a scope (not the archived occurrences). */
  load(scope: string): Promise<AlarmState[]>;
  get(scope: string, fingerprint: string): Promise<AlarmState | undefined>;
  /**
   * Writes `next` only if the stored item is still `previous` (same version; absent when
   * `previous` is undefined). Returns false on a version conflict.
   */
  save(next: AlarmState, previous: AlarmState | undefined): Promise<boolean>;
}

export interface PublishResult {
  /** The transition's id. */
  id: string;
  delivered: boolean;
  error?: { code: string; message: string; retryable: boolean };
}

export interface AlarmPublisherPort {
  /** One result per transition, in any order; throwing means nothing was delivered. */
  publish(transitions: AlarmTransition[]): Promise<PublishResult[]>;
}

export interface ProcessRunDeps {
  store: AlarmStorePort;
  publisher: AlarmPublisherPort;
  policy: LifecyclePolicy;
  /** How long a run may hold an item's pending transitions before another run may take them over. */
  claimSeconds?: number;
  /** Write attempts per alarm before giving up on conflicts. */
  maxConflictRetries?: number;
  newId?: () => string;
  /**
   * Who claims pending transitions: the Lambda request ID, which stays the same across Lambda's
   * own retries of an invocation, so a retry can take over what its dead attempt had claimed
   * instead of waiting out the claim. Absent: a fresh id per run.
   */
  claimOwner?: string;
}

export interface ProcessRunResult {
  /** Transitions decided by this run. */
  transitions: AlarmTransition[];
  /** Transitions delivered by this run (its own and older pending ones). */
  published: AlarmTransition[];
  /** Transitions this run tried to deliver and could not; they stay pending for the next run. */
  pending: AlarmTransition[];
  partial: boolean;
  /** Why delivery failed, one line per distinct error. Never contains secrets. */
  errors: string[];
}

export class AlarmConflictError extends Error {
  override readonly name = "AlarmConflictError";
}

export async function processCheckRun(run: CheckRun, deps: ProcessRunDeps): Promise<ProcessRunResult> {
  const { store, publisher, policy } = deps;
  const runId = deps.claimOwner ?? (deps.newId ?? randomUUID)();
  const maxAttempts = deps.maxConflictRetries ?? 5;
  const claim = {
    runId,
    expiresAt: new Date(run.now.getTime() + (deps.claimSeconds ?? 300) * 1000).toISOString(),
  };
  const mayClaim = (state: AlarmState) =>
    !state.claim || state.claim.runId === runId || Date.parse(state.claim.expiresAt) <= run.now.getTime();

  const groups = findingsByFingerprint(run);
  const stored = new Map((await store.load(run.scope)).map((state) => [state.fingerprint, state]));
  const transitions: AlarmTransition[] = [];
  const claimed: AlarmState[] = [];

  for (const fingerprint of new Set([...stored.keys(), ...groups.keys()])) {
    let current = stored.get(fingerprint);
    for (let attempt = 1; ; attempt++) {
      const decision = decideAlarm(run, groups.get(fingerprint) ?? [], current, policy, deps.newId);
      let next = decision.state;
      const subject = next ?? current;
      if (subject && subject.pending.length > 0 && mayClaim(subject)) {
        next = { ...(next ?? { ...subject, version: subject.version + 1 }), claim };
      }
      if (!next) break;
      if (await store.save(next, current)) {
        transitions.push(...decision.transitions);
        if (next.claim?.runId === runId) claimed.push(next);
        break;
      }
      if (attempt >= maxAttempts) {
        throw new AlarmConflictError(
          `alarm ${fingerprint} in ${run.scope}: still conflicting after ${attempt} writes`,
        );
      }
      current = await store.get(run.scope, fingerprint);
    }
  }

  const toSend = claimed.flatMap((state) => state.pending);
  const results = new Map<string, PublishResult>();
  const errors = new Set<string>();
  if (toSend.length > 0) {
    try {
      for (const result of await publisher.publish(toSend)) results.set(result.id, result);
    } catch (error) {
      errors.add(
        `publish failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
  }
  for (const result of results.values()) {
    if (result.error) errors.add(`${result.error.code}: ${result.error.message}`);
  }
  const delivered = new Set([...results.values()].filter((r) => r.delivered).map((r) => r.id));

  for (const state of claimed) await markSent(store, state, delivered, runId, maxAttempts);

  return {
    transitions,
    published: toSend.filter((t) => delivered.has(t.id)),
    pending: toSend.filter((t) => !delivered.has(t.id)),
    partial: !run.complete,
    errors: [...errors],
  };
}

/** Removes delivered transitions and releases this run's claim, re-reading on conflicts. */
async function markSent(
  store: AlarmStorePort,
  written: AlarmState,
  delivered: ReadonlySet<string>,
  runId: string,
  maxAttempts: number,
): Promise<void> {
  let current: AlarmState | undefined = written;
  for (let attempt = 1; current; attempt++) {
    const { claim, ...rest } = current;
    const next: AlarmState = {
      ...rest,
      ...(claim && claim.runId !== runId ? { claim } : {}),
      pending: current.pending.filter((t) => !delivered.has(t.id)),
      version: current.version + 1,
    };
    if (await store.save(next, current)) return;
    if (attempt >= maxAttempts) {
      throw new AlarmConflictError(`alarm ${written.fingerprint}: could not record delivered events`);
    }
    current = await store.get(written.scope, written.fingerprint);
  }
}
