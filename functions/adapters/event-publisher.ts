/**
 * Publishes alarm transitions to the watchpost EventBridge bus.
 *
 * PutEvents takes at most 10 entries and 256 KB per call, and may accept some entries and refuse
 * others (FailedEntryCount, per-entry ErrorCode). Only refused entries are retried, with
 * exponential backoff, and only when the refusal is transient (throttling, internal failure);
 * anything else (access denied, validation, malformed detail) is reported once per run and left
 * pending in the state table, so it goes out when the fault is fixed instead of looping now.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import { DETAIL_TYPES, EVENT_SOURCE, type EventOptions, toEventDetail } from "../core/alarms/events";
import type { AlarmTransition } from "../core/alarms/lifecycle";
import type { AlarmPublisherPort, PublishResult } from "../core/alarms/ports";
import { sharedEventBusClient } from "./clients/eventbridge";

export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_CALL_BYTES = 256 * 1024;

const RETRYABLE_CODES = new Set([
  "ThrottlingException",
  "InternalException",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
]);

export function isRetryableCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_CODES.has(code);
}

export interface EventPublisherOptions extends EventOptions {
  eventBusName: string;
  client?: EventBridgeClient;
  /** Calls per batch, the first included (default 4). */
  maxAttempts?: number;
  /** First backoff; doubles per attempt (default 200 ms). */
  baseDelayMs?: number;
  /** Injected so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** Size of one entry as EventBridge counts it: Time (14 bytes if set), Source, DetailType, Detail, Resources. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text) size += Buffer.byteLength(text, "utf8");
  }
  return size;
}

interface Pending {
  transition: AlarmTransition;
  entry: PutEventsRequestEntry;
  size: number;
}

/** Packs entries in order into calls of at most 10 entries and 256 KB. */
export function batchEntries<T extends { size: number }>(items: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (
      current.length === MAX_ENTRIES_PER_CALL ||
      (current.length > 0 && bytes + item.size > MAX_CALL_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function createEventPublisher(options: EventPublisherOptions): AlarmPublisherPort {
  const client = options.client ?? sharedEventBusClient();
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function sendBatch(batch: Pending[], results: PublishResult[]): Promise<void> {
    let remaining = batch;
    for (let attempt = 1; remaining.length > 0; attempt++) {
      const retry: Pending[] = [];
      let lastError: PublishResult["error"];
      try {
        const response = await client.send(new PutEventsCommand({ Entries: remaining.map((p) => p.entry) }));
        // Entries come back in request order, one per request entry.
        remaining.forEach((pending, index) => {
          const answer: PutEventsResultEntry | undefined = response.Entries?.[index];
          if (answer?.EventId && !answer.ErrorCode) {
            results.push({ id: pending.transition.id, delivered: true });
            return;
          }
          const code = answer?.ErrorCode ?? "MissingResultEntry";
          const error = {
            code,
            message: answer?.ErrorMessage ?? "no result for this entry",
            retryable: isRetryableCode(code),
          };
          if (error.retryable) {
            retry.push(pending);
            lastError = error;
          } else {
            results.push({ id: pending.transition.id, delivered: false, error });
          }
        });
      } catch (caught) {
        const code = caught instanceof Error ? caught.name : "UnknownError";
        const message = caught instanceof Error ? caught.message : String(caught);
        lastError = { code, message, retryable: isRetryableCode(code) };
        if (!lastError.retryable) {
          for (const pending of remaining)
            results.push({ id: pending.transition.id, delivered: false, error: lastError });
          return;
        }
        retry.push(...remaining);
      }
      if (retry.length === 0) return;
      if (attempt >= maxAttempts) {
        for (const pending of retry)
          results.push({ id: pending.transition.id, delivered: false, error: lastError });
        return;
      }
      await sleep(baseDelayMs * 2 ** (attempt - 1));
      remaining = retry;
    }
  }

  return {
    async publish(transitions) {
      const results: PublishResult[] = [];
      const sendable: Pending[] = [];
      for (const transition of transitions) {
        const entry: PutEventsRequestEntry = {
          EventBusName: options.eventBusName,
          Source: EVENT_SOURCE,
          DetailType: DETAIL_TYPES[transition.kind],
          Detail: JSON.stringify(toEventDetail(transition, options)),
          Time: new Date(transition.at),
        };
        const size = entrySize(entry);
        if (size > MAX_CALL_BYTES) {
          const message = `event of ${size} bytes exceeds the ${MAX_CALL_BYTES}-byte PutEvents limit`;
          results.push({
            id: transition.id,
            delivered: false,
            error: { code: "EntryTooLarge", message, retryable: false },
          });
        } else {
          sendable.push({ transition, entry, size });
        }
      }
      for (const batch of batchEntries(sendable)) await sendBatch(batch, results);
      return results;
    },
  };
}
