/**
 * The certificate scan's ports in memory, with the semantics of their AWS adapters (the bucket's
 * listing order and IfMatch reads, the inventory's serialised records, the run table's
 * conditional writes and idempotent report set, the alarm table's revisioned decisions and leased
 * pending transitions), so that the scan, the fan-out protocol and the settlement run in
 * milliseconds. The emulator tests (test/integration/) check the adapters themselves against
 * s3rver and dynalite.
 */
import { createHash } from "node:crypto";
import { ABSENT } from "../../functions/core/alarms/evidence";
import {
  type AlarmState,
  type AlarmTransition,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
} from "../../functions/core/alarms/lifecycle";
import type { AlarmKey, AlarmPublisherPort, AlarmStorePort } from "../../functions/core/alarms/ports";
import type { WatchpostConfig } from "../../functions/core/config";
import { SEVERITIES, type Severity } from "../../functions/core/contracts";
import { BatchReport, type ScanBatch } from "../../functions/core/scan/fan-out-messages";
import { InventoryRecord } from "../../functions/core/scan/inventory";
import type {
  CertificateStorePort,
  ObjectInventoryPort,
  RunProgress,
  ScanBatchQueuePort,
  ScanRunRecord,
  ScanRunsPort,
  StoredObjectInfo,
} from "../../functions/core/scan/ports";
import type { CertificateScanDeps } from "../../functions/handlers/certificate-scan/deps";
import type { AlarmLifecycleDeps } from "../../functions/handlers/shared/alarm-runs";

/** A bucket: objects listed in key order, ETags from content, IfMatch honoured, size caps applied. */
export function memoryStore(bucket = "certs") {
  const objects = new Map<string, Uint8Array>();
  const loads: string[] = [];
  const faults = {
    /** The listing throws after yielding this many objects. */
    listingBreaksAfter: undefined as number | undefined,
    /** Loads of these keys fail as a download that never completes (io-error). */
    unreachable: new Set<string>(),
  };
  const etagOf = (bytes: Uint8Array) => `"${createHash("md5").update(bytes).digest("hex")}"`;
  const store: CertificateStorePort = {
    bucket,
    uri: (key) => `s3://${bucket}/${key}`,
    async *list(prefixes) {
      let yielded = 0;
      for (const key of [...objects.keys()].sort()) {
        if (!prefixes.some((p) => key.startsWith(p))) continue;
        if (faults.listingBreaksAfter !== undefined && yielded >= faults.listingBreaksAfter)
          throw Object.assign(new Error("We encountered an internal error"), { name: "InternalError" });
        const bytes = objects.get(key) as Uint8Array;
        yielded++;
        yield { key, size: bytes.byteLength, etag: etagOf(bytes) } satisfies StoredObjectInfo;
      }
    },
    async load(key, { maxBytes, etag }) {
      loads.push(key);
      const bytes = objects.get(key);
      if (faults.unreachable.has(key))
        return { ok: false, reason: "io-error", detail: `${key}: SlowDown (HTTP 503)` };
      if (!bytes)
        return { ok: false, reason: "io-error", detail: `${key}: the object no longer exists`, gone: true };
      if (etag && etag !== etagOf(bytes))
        return {
          ok: false,
          reason: "io-error",
          detail: `${key}: the object changed while it was being read`,
        };
      if (bytes.byteLength > maxBytes) return { ok: false, reason: "too-large", detail: "over the limit" };
      return { ok: true, bytes, etag: etagOf(bytes), size: bytes.byteLength };
    },
    async currentVersion(key) {
      const bytes = objects.get(key);
      return bytes ? etagOf(bytes) : ABSENT;
    },
  };
  return {
    store,
    objects,
    loads,
    faults,
    put: (key: string, body: string | Uint8Array) =>
      objects.set(key, typeof body === "string" ? new TextEncoder().encode(body) : body),
  };
}

/** Records as the DynamoDB adapter keeps them: serialised, and read back through the schema. */
export function memoryInventory() {
  const records = new Map<string, string>();
  const inventory: ObjectInventoryPort = {
    async get(scope, keys) {
      const found = new Map<string, InventoryRecord>();
      for (const key of keys) {
        const stored = records.get(JSON.stringify([scope, key]));
        if (stored) found.set(key, InventoryRecord.parse(JSON.parse(stored)));
      }
      return found;
    },
    async put(written) {
      for (const record of written)
        records.set(JSON.stringify([record.scope, record.key]), JSON.stringify(record));
    },
  };
  return { inventory, records };
}

interface RunItem {
  record: ScanRunRecord;
  batches?: number;
  reported: Set<number>;
  reports: Map<number, string>;
  settlingUntil?: number;
  settledAt?: string;
}

/** The run table with functions/adapters/scan-runs.ts's conditions: idempotent reports, leased claims. */
export function memoryRuns() {
  const items = new Map<string, RunItem>();
  const LISTER = -1;
  const existing = (runId: string) => {
    const item = items.get(runId);
    if (!item)
      throw Object.assign(new Error("The conditional request failed"), { name: "ConditionalCheckFailed" });
    return item;
  };
  const progressOf = (item: RunItem): RunProgress => ({
    run: { ...item.record },
    allReported: item.batches !== undefined && item.reported.size >= item.batches,
    settled: item.settledAt !== undefined,
  });
  const runs: ScanRunsPort = {
    async start(record) {
      if (items.has(record.runId)) throw new Error(`run ${record.runId} exists`);
      items.set(record.runId, { record: { ...record }, reported: new Set(), reports: new Map() });
    },
    async report(runId, index, report) {
      const item = existing(runId);
      item.reports.set(index, JSON.stringify(report));
      item.reported.add(index);
      return progressOf(item);
    },
    async seal(runId, batches, lister) {
      const item = existing(runId);
      item.reports.set(LISTER, JSON.stringify(lister));
      item.batches = batches;
      return progressOf(item);
    },
    async claimSettlement(runId, now, leaseSeconds) {
      const item = items.get(runId);
      if (!item || item.settledAt !== undefined) return false;
      if (item.settlingUntil !== undefined && item.settlingUntil >= now.getTime()) return false;
      item.settlingUntil = now.getTime() + leaseSeconds * 1000;
      return true;
    },
    async releaseSettlement(runId, until) {
      const item = items.get(runId);
      if (item && item.settledAt === undefined && item.settlingUntil === until)
        item.settlingUntil = undefined;
    },
    async reports(runId) {
      return [...existing(runId).reports.values()].map((r) => BatchReport.parse(JSON.parse(r)));
    },
    async settled(runId, now) {
      existing(runId).settledAt = now.toISOString();
    },
  };
  return { runs, items };
}

/** SQS as the scan function sees it: messages in, the event that delivers one, and redelivery. */
export function memoryQueue() {
  const messages: { messageId: string; body: string }[] = [];
  let sent = 0;
  const port: ScanBatchQueuePort = {
    async send(batches: readonly ScanBatch[]) {
      for (const batch of batches) messages.push({ messageId: `m${sent++}`, body: JSON.stringify(batch) });
    },
  };
  return {
    port,
    messages,
    sqsEvent: (...delivered: { messageId: string; body: string }[]) => ({
      Records: delivered.map((m) => ({ ...m, eventSource: "aws:sqs" })),
    }),
  };
}

/**
 * The alarm table with functions/adapters/alarm-store.ts's conditions: a decision lands only on the
 * revision it read and adds to the pending transitions; leases and forgetting touch only those.
 * `beforeLoad` lets a test hold runs right after they read.
 */
export function memoryAlarmStore() {
  const items = new Map<string, AlarmState>();
  const key = (alarm: AlarmKey) => JSON.stringify([alarm.scope, alarm.fingerprint]);
  const hooks: { beforeLoad?: () => Promise<void> } = {};
  const store: AlarmStorePort & {
    countActive(): Promise<Record<Severity, number>>;
  } = {
    async load(scope) {
      await hooks.beforeLoad?.();
      return [...items.values()].filter((s) => s.scope === scope).map((s) => structuredClone(s));
    },
    async get(scope, fingerprint) {
      const item = items.get(key({ scope, fingerprint }));
      return item && structuredClone(item);
    },
    async decide(next, previous, added) {
      await Promise.resolve();
      const current = items.get(key(next));
      if (previous ? current?.version !== previous.version : current !== undefined) return false;
      const pending = { ...(current?.pending ?? {}) };
      for (const entry of added) pending[entry.transition.id] = entry;
      items.set(key(next), structuredClone({ ...next, pending }));
      return true;
    },
    async takeOver(alarm, id, lease, now) {
      const entry = items.get(key(alarm))?.pending[id];
      if (!entry || (entry.until >= now.getTime() && entry.owner !== lease.owner)) return false;
      Object.assign(entry, lease);
      return true;
    },
    async forget(alarm, ids) {
      const item = items.get(key(alarm));
      for (const id of ids) if (item) delete item.pending[id];
    },
    async release(alarm, id, owner) {
      const entry = items.get(key(alarm))?.pending[id];
      if (entry?.owner === owner) entry.until = 0;
    },
    async countActive() {
      const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
      for (const item of items.values()) if (item.status === "active") counts[item.severity] += 1;
      return counts;
    },
  };
  return { store, items, hooks };
}

/** The alarm table (memoryAlarmStore) and a bus that keeps every event. */
export function memoryAlarms(): AlarmLifecycleDeps & {
  items: Map<string, AlarmState>;
  published: AlarmTransition[];
} {
  const { store, items } = memoryAlarmStore();
  const published: AlarmTransition[] = [];
  const publisher: AlarmPublisherPort = {
    async publish(transitions) {
      published.push(...transitions);
      return transitions.map((t) => ({ id: t.id, delivered: true }));
    },
  };
  return { items, published, publisher, policy: DEFAULT_LIFECYCLE_POLICY, store };
}

/** "<Raised|Cleared|...> <check> <source>" of everything published, in order. */
export function eventsOf(published: readonly AlarmTransition[]): string[] {
  return published.map((t) => `${t.kind} ${t.check} ${t.source}`);
}

/** The whole certificate scan in memory: store, inventory, runs, queue, alarms, and a fixed clock. */
export function memoryScan(config: WatchpostConfig, options: { batchSize?: number; now?: Date } = {}) {
  const bucket = memoryStore();
  const { inventory } = memoryInventory();
  const runs = memoryRuns();
  const queue = memoryQueue();
  const alarms = memoryAlarms();
  const clock = { now: options.now ?? new Date() };
  let runIds = 0;
  const deps: CertificateScanDeps = {
    config,
    store: bucket.store,
    alarms,
    secrets: { read: async (name) => Promise.reject(new Error(`no secret ${name} here`)) },
    fetchEndpoint: async () => ({ ok: false, reason: "unreachable", detail: "no endpoints here" }),
    inventory,
    ...(options.batchSize
      ? {
          fanOut: {
            queue: queue.port,
            runs: runs.runs,
            batchSize: options.batchSize,
            newRunId: () => `run-${++runIds}`,
          },
        }
      : {}),
    now: () => clock.now,
  };
  return { deps, bucket, runs, queue, alarms, clock };
}

/** The check runs a settlement was asked for, for tests of the settlement alone. */
export function recordingSettler() {
  const settled: CheckRun[][] = [];
  return {
    settled,
    applyAlarmLifecycle: async (runs: readonly CheckRun[]) => {
      settled.push([...runs]);
    },
  };
}
