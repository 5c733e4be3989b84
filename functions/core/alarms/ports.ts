/**
 * What the alarm lifecycle talks to (process-run.ts): the alarm table and the event bus. Adapters
 * in functions/adapters implement them (alarm-store.ts with DynamoDB, event-publisher.ts with
 * EventBridge), the unit tests with in-memory ones (test/support/in-memory-ports.ts).
 */
import type { AlarmState, AlarmTransition, PendingTransition } from "./lifecycle";

export type AlarmKey = Pick<AlarmState, "scope" | "fingerprint">;

export interface Lease {
  owner: string;
  /** Epoch ms on the owner's clock. */
  until: number;
}

export interface AlarmStorePort {
  /** The live alarm items of a scope (not the archived occurrences). */
  load(scope: string): Promise<AlarmState[]>;
  get(scope: string, fingerprint: string): Promise<AlarmState | undefined>;
  /**
   * Writes a decision — `next`, except its pending transitions — and adds `added` to the item's
   * pending transitions, only if the item is still at `previous`'s revision (absent when
   * `previous` is undefined). False when another decision came first.
   */
  decide(
    next: AlarmState,
    previous: AlarmState | undefined,
    added: readonly PendingTransition[],
  ): Promise<boolean>;
  /** Leases a pending transition to `lease.owner` if its lease has lapsed at `now`, or is the owner's already. */
  takeOver(alarm: AlarmKey, id: string, lease: Lease, now: Date): Promise<boolean>;
  /** Forgets delivered transitions, whatever the item's revision. */
  forget(alarm: AlarmKey, ids: readonly string[]): Promise<void>;
  /** Ends `owner`'s lease on an undelivered transition, so the next run sends it without waiting. */
  release(alarm: AlarmKey, id: string, owner: string): Promise<void>;
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
