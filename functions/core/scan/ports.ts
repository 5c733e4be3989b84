/**
 * What the certificate scan talks to. The core drives the scan; adapters in functions/adapters
 * implement these ports with S3, DynamoDB, SQS and TLS, the unit tests with in-memory ones
 * (test/support/in-memory-ports.ts).
 */

import type { KdfBudget } from "../certificates/formats/pkcs12-budget";
import type { CertificateSource, WatchpostConfig } from "../config";
import type { EndpointFetch } from "../endpoints/probe";
import type { BatchReport, ScanBatch } from "./fan-out-messages";
import type { InventoryRecord, InventoryRecordInput } from "./inventory";
import type { LoadResult } from "./read-files";

export interface StoredObjectInfo {
  key: string;
  size: number;
  etag?: string;
}

/** The certificate bucket (functions/adapters/s3-certificate-store.ts). */
export interface CertificateStorePort {
  list(prefixes: readonly string[]): AsyncGenerator<StoredObjectInfo>;
  load(key: string, options: { maxBytes: number; knownSize?: number; etag?: string }): Promise<LoadResult>;
  /**
   * The version the store holds now under `key`: its ETag, ABSENT (core/alarms/lifecycle.ts), or
   * undefined when the store will not say. Alarm decisions confirm with it that the version a run
   * judged is still current.
   */
  currentVersion(key: string): Promise<string | undefined>;
  uri(key: string): string;
  readonly bucket: string;
}

/** What earlier scans learned per object (functions/adapters/object-inventory.ts, in DynamoDB). */
export interface ObjectInventoryPort {
  /** The records of these keys within a scope; missing keys are simply absent from the map. */
  get(scope: string, keys: readonly string[]): Promise<Map<string, InventoryRecord>>;
  put(records: readonly InventoryRecordInput[]): Promise<void>;
}

/** The chain a live peer presents (functions/adapters/tls-endpoint.ts). */
export type { EndpointChain } from "../endpoints/probe";

/** Where a large source's batches go (SQS: functions/adapters/scan-batch-queue.ts). */
export interface ScanBatchQueuePort {
  send(batches: readonly ScanBatch[]): Promise<void>;
}

/** What started a fanned-out run: only a scheduled scan's run proves the store was scanned. */
export type ScanTrigger = "schedule" | "object-change";

export interface ScanRunRecord {
  runId: string;
  scope: string;
  bucket: string;
  prefix: string;
  now: string;
  /** Absent on runs recorded before the trigger was kept: those were scheduled. */
  trigger?: ScanTrigger;
}

export interface RunProgress {
  run: ScanRunRecord;
  /** Every batch has reported and the lister has sealed the run. */
  allReported: boolean;
  settled: boolean;
}

/** Bookkeeping of fanned-out runs (DynamoDB: functions/adapters/scan-runs.ts). */
export interface ScanRunsPort {
  /** Records the run before its first batch is sent. */
  start(run: ScanRunRecord): Promise<void>;
  /** Stores a batch's report (again, harmlessly, when redelivered); returns the run's progress. */
  report(runId: string, index: number, report: BatchReport): Promise<RunProgress>;
  /** Sent all `batches`; the lister's own report (trust bundle, listing trouble) goes with it. */
  seal(runId: string, batches: number, lister: BatchReport): Promise<RunProgress>;
  /** True for exactly one caller at a time; the claim lapses `leaseSeconds` after `now`, the caller's clock. */
  claimSettlement(runId: string, now: Date, leaseSeconds: number): Promise<boolean>;
  /** Gives back the claim whose lease ends at `until` (as claimed), unless the run was settled or claimed again since. */
  releaseSettlement(runId: string, until: number): Promise<void>;
  /** The lister's report and every batch report. */
  reports(runId: string): Promise<BatchReport[]>;
  settled(runId: string, now: Date): Promise<void>;
}

/**
 * Hands large sources out in batches; without it (as in `npm start`, which has no queue) every
 * source is judged where it is listed.
 */
export interface FanOut {
  queue: ScanBatchQueuePort;
  runs: ScanRunsPort;
  /** Objects per batch; a source listing at most this many is judged inline. */
  batchSize: number;
  /** How long a settler may take before another may take over (default: Lambda's limit plus twice the clock skew). */
  settleLeaseSeconds?: number;
  newRunId?: () => string;
}

/** Where progress and degraded-but-survivable trouble are told (the handler's logger); never secrets. */
export interface ScanLog {
  info(message: string, detail: Record<string, unknown>): void;
  warn(message: string, detail: Record<string, unknown>): void;
  error(message: string, detail: Record<string, unknown>): void;
}

/** Everything a store scan is given, once per invocation. */
export interface StoreScanContext {
  store: CertificateStorePort;
  certificates: WatchpostConfig["certificates"];
  now: Date;
  /** The value of a keystore password secret (Secrets Manager); throws when it cannot be read. */
  keystorePassword: (secretName: string) => Promise<string>;
  /**
   * Where a source's password comes from (`secretName`, or none configured), said when a PKCS#12
   * file or keystore needs one and has none; default: the secret in the deployed stack.
   */
  keystorePasswordHint?: (source: CertificateSource, secretName: string | undefined) => string;
  fetchEndpoint: EndpointFetch;
  /** Without it every object is downloaded on every scan. */
  inventory?: ObjectInventoryPort;
  /** Objects downloaded and judged at once (operations.scanDownloadConcurrency); default 8. */
  downloadConcurrency?: number;
  log?: ScanLog;
  /** The key-derivation budget of one source's scan (formats/pkcs12-budget.ts); default: its limits. */
  kdfBudget?: () => KdfBudget;
}
