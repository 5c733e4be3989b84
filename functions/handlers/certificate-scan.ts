/**
 * Certificate scan: the whole store on a schedule (and once after each deployment), or just the
 * object an S3 event names, so that an uploaded renewal clears its alarm within seconds. A source
 * too large for one invocation is listed here and judged in batches that come back to this same
 * function from the scan queue (core/certificates/fan-out.ts, docs/architecture.md).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import * as z from "zod";
import { createObjectInventory } from "../adapters/object-inventory";
import { s3CertificateStore } from "../adapters/s3-certificate-store";
import { certificateStoreS3Client } from "../adapters/s3-client";
import { createScanBatchQueue } from "../adapters/scan-batch-queue";
import { createScanRuns } from "../adapters/scan-runs";
import { type SecretReader, secretReader } from "../adapters/secrets";
import { fetchPresentedChain } from "../adapters/tls-endpoint";
import type { CheckRun } from "../core/alarms/lifecycle";
import { daysBetween } from "../core/certificates/certificate";
import {
  type FanOut,
  listSource,
  type RunToSettle,
  ScanBatch,
  scanBatch,
} from "../core/certificates/fan-out";
import type { ObjectInventoryPort } from "../core/certificates/inventory";
import {
  type CertificateStorePort,
  checkPeerGroup,
  type EndpointChain,
  planObjectEvent,
  recheckObject,
  type StoreCheck,
  type StoreScanContext,
  scanSource,
} from "../core/certificates/store-scan";
import type { WatchpostConfig } from "../core/config";
import type { Finding } from "../core/contracts";
import { DIMENSION, METRIC } from "../core/metrics";
import { forInvocation, productionSettleDeps, type SettleDeps, settleRuns } from "./shared/alarm-runs";
import { deployedConfig } from "./shared/deployed-config";
import { ENV, requireEnv } from "./shared/environment";
import { instrumented, logger, metrics } from "./shared/powertools";

/** EventBridge's S3 notification (the bucket has `eventBridgeEnabled`). */
const ObjectEvent = z.object({
  source: z.literal("aws.s3"),
  "detail-type": z.enum(["Object Created", "Object Deleted"]),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string() }),
  }),
});
type ObjectEvent = z.infer<typeof ObjectEvent>;

/** SQS's event for the scan queue; each message body is one ScanBatch. */
const QueueEvent = z.object({
  Records: z
    .array(z.object({ messageId: z.string(), body: z.string(), eventSource: z.literal("aws:sqs") }))
    .min(1),
});
type QueueEvent = z.infer<typeof QueueEvent>;

const ENDPOINT_TIMEOUT_MS = 10_000;
const DEFAULT_BATCH_SIZE = 500;

export interface CertificateScanDeps {
  config: WatchpostConfig;
  store: CertificateStorePort;
  alarms: SettleDeps;
  secrets: SecretReader;
  fetchEndpoint: StoreScanContext["fetchEndpoint"];
  /** What earlier scans learned per object; without it every object is downloaded every time. */
  inventory?: ObjectInventoryPort;
  /** Hands large sources out in batches; without it every source is judged in this invocation. */
  fanOut?: FanOut;
  /** Whether an object exists (undefined: S3 would not say); decides how an event's key is read. */
  objectExists?: (key: string) => Promise<boolean | undefined>;
  now?: () => Date;
}

export interface ScanOutcome {
  mode: "full" | "object" | "batch";
  /** Check runs settled by this invocation. */
  runs: number;
  certificates: number;
  findings: number;
  complete: boolean;
  /** Objects downloaded, and objects judged again from the inventory without a download. */
  objects: { downloaded: number; reused: number };
  /** Sources handed out to workers: their alarms are settled when the last batch reports. */
  fannedOut: { runId: string; scope: string; batches: number; objects: number }[];
  /** SQS messages to be delivered again (partial batch response), batch mode only. */
  batchItemFailures?: { itemIdentifier: string }[];
}

let productionDeps: CertificateScanDeps | undefined;

export const handler = instrumented((event, context) => {
  productionDeps ??= createProductionDeps();
  return runCertificateScan(event, forInvocation(productionDeps, context?.awsRequestId));
});

/** Clients are created once per execution environment and reused by every invocation. */
function createProductionDeps(): CertificateScanDeps {
  const config = deployedConfig();
  const scanStateTable = requireEnv(ENV.scanStateTable);
  const store = s3CertificateStore({
    client: certificateStoreS3Client(),
    bucket: requireEnv(ENV.certificateBucket),
  });
  return {
    config,
    store,
    objectExists: (key) => store.exists(key),
    alarms: productionSettleDeps(config),
    secrets: secretReader(),
    fetchEndpoint,
    inventory: createObjectInventory({ tableName: scanStateTable }),
    fanOut: {
      queue: createScanBatchQueue({ client: new SQSClient({}), queueUrl: requireEnv(ENV.scanQueueUrl) }),
      runs: createScanRuns({ tableName: scanStateTable }),
      batchSize: Number(process.env[ENV.scanBatchSize] ?? DEFAULT_BATCH_SIZE) || DEFAULT_BATCH_SIZE,
    },
  };
}

export async function runCertificateScan(event: unknown, deps: CertificateScanDeps): Promise<ScanOutcome> {
  const started = Date.now();
  const ctx: StoreScanContext = {
    store: deps.store,
    certificates: deps.config.certificates,
    now: deps.now?.() ?? new Date(),
    pkcs12Password: async (source) =>
      source.pkcs12PasswordSecretName ? deps.secrets.read(source.pkcs12PasswordSecretName) : undefined,
    fetchEndpoint: deps.fetchEndpoint,
    ...(deps.inventory ? { inventory: deps.inventory } : {}),
    warn: (message, detail) => logger.warn(message, detail),
  };
  const queueEvent = QueueEvent.safeParse(event);
  if (queueEvent.success) return batchScan(queueEvent.data, ctx, deps, started);

  const objectEvent = ObjectEvent.safeParse(event);
  const mode = objectEvent.success ? "object" : "full";
  const { checks, failures, fannedOut, settle } = objectEvent.success
    ? { ...(await objectChecks(objectEvent.data, ctx, deps.objectExists)), fannedOut: [], settle: [] }
    : await fullScan(ctx, deps.fanOut);
  const complete = failures.length === 0 && checks.every((c) => c.run.complete);
  recordScanMetrics(checks, ctx.now, Date.now() - started);
  for (const check of checks.filter((c) => c.error)) logger.warn("partial scan", { error: check.error });

  await settleRuns([...checks.map((c) => c.run), ...settle.map((s) => s.run)], deps.alarms);
  await markSettled(settle, deps.fanOut, ctx.now);
  // Only a complete scan of the whole store proves nothing went unnoticed (26 h watchdog); a
  // fanned-out source proves it when its last batch settles the run.
  if (mode === "full" && complete && settle.every((s) => s.run.complete)) {
    if (fannedOut.length === settle.length) scanSucceeded();
  }
  // Fail the invocation so Lambda retries it and the error alarm fires; the others were settled.
  if (failures.length > 0) throw new Error(`certificate checks failed: ${failures.join("; ")}`);
  return {
    ...outcomeOf(
      mode,
      checks,
      settle.map((s) => s.run),
      complete,
    ),
    fannedOut,
  };
}

/** Judges the batches SQS delivered; a batch that failed is handed back for redelivery alone. */
async function batchScan(
  event: QueueEvent,
  ctx: StoreScanContext,
  deps: CertificateScanDeps,
  started: number,
): Promise<ScanOutcome> {
  const { fanOut } = deps;
  if (!fanOut) throw new Error("scan batch received, but this deployment has no scan queue");
  const checks: StoreCheck[] = [];
  const settle: RunToSettle[] = [];
  const failed: { itemIdentifier: string }[] = [];
  let findings = 0;
  for (const record of event.Records) {
    try {
      const batch = ScanBatch.parse(JSON.parse(record.body));
      const source = deps.config.certificates.sources.find((s) => s.prefix === batch.prefix);
      const result = await scanBatch(batch, source, { ...ctx, now: new Date(batch.now) }, fanOut);
      findings += result.report.findings.length;
      checks.push({
        run: {
          scope: batch.prefix,
          complete: result.report.complete,
          examinedSources: [],
          findings: [],
          now: ctx.now,
        },
        certificates: { count: 0 },
        objects: { downloaded: result.report.downloaded, reused: result.report.reused },
      });
      metrics.addMetric(METRIC.certificatesScanned, MetricUnit.Count, result.report.certificates);
      if (result.report.error)
        logger.warn("partial batch", { runId: batch.runId, batch: batch.index, error: result.report.error });
      if (result.settle) settle.push(result.settle);
    } catch (error) {
      logger.error("scan batch failed; SQS delivers it again", {
        messageId: record.messageId,
        error: describeError(error),
      });
      failed.push({ itemIdentifier: record.messageId });
    }
  }
  metrics.addMetric(METRIC.scanDurationMs, MetricUnit.Milliseconds, Date.now() - started);
  recordObjectMetrics(checks);
  if (settle.length > 0) {
    await settleRuns(
      settle.map((s) => s.run),
      deps.alarms,
    );
    await markSettled(settle, fanOut, ctx.now);
    recordFindingMetrics(settle.flatMap((s) => s.run.findings));
    if (settle.every((s) => s.run.complete)) scanSucceeded();
  }
  return {
    mode: "batch",
    runs: settle.length,
    certificates: 0,
    findings,
    complete: failed.length === 0 && checks.every((c) => c.run.complete),
    objects: sumObjects(checks),
    fannedOut: [],
    batchItemFailures: failed,
  };
}

async function fullScan(
  ctx: StoreScanContext,
  fanOut: FanOut | undefined,
): Promise<Checked & { fannedOut: ScanOutcome["fannedOut"]; settle: RunToSettle[] }> {
  const fannedOut: ScanOutcome["fannedOut"] = [];
  const settle: RunToSettle[] = [];
  // One scope at a time: each already reads several objects at once, and memory stays bounded.
  const checked = await isolated([
    ...ctx.certificates.sources.map((source) => ({
      scope: source.prefix,
      check: async (): Promise<StoreCheck | undefined> => {
        if (!fanOut) return scanSource(source, ctx);
        const listed = await listSource(source, ctx, fanOut);
        if (listed.mode === "inline") return listed.check;
        fannedOut.push({
          runId: listed.runId,
          scope: source.prefix,
          batches: listed.batches,
          objects: listed.objects,
        });
        if (listed.settle) settle.push(listed.settle);
        return undefined;
      },
    })),
    ...ctx.certificates.peerGroups.map((group) => ({
      scope: `peer-group:${group.name}`,
      check: () => checkPeerGroup(group, ctx),
    })),
  ]);
  return { ...checked, fannedOut, settle };
}

async function objectChecks(
  event: ObjectEvent,
  ctx: StoreScanContext,
  exists: CertificateScanDeps["objectExists"],
): Promise<Checked> {
  const key = await resolveObjectKey(event, exists);
  const change = event["detail-type"] === "Object Created" ? "created" : "deleted";
  const plan = planObjectEvent(ctx.certificates, key);
  logger.info("object changed", { key, change, ...summarizePlan(plan) });
  return isolated([
    ...plan.objectIn.map((source) => ({
      scope: source.prefix,
      check: () => recheckObject(source, key, change, ctx),
    })),
    ...plan.rescan.map((source) => ({ scope: source.prefix, check: () => scanSource(source, ctx) })),
    ...plan.peerGroups.map((group) => ({
      scope: `peer-group:${group.name}`,
      check: () => checkPeerGroup(group, ctx),
    })),
  ]);
}

interface Checked {
  checks: StoreCheck[];
  /** Scopes whose check threw: they produce no run, so none of their alarms is touched. */
  failures: string[];
}

/** One scope's failure must not cost the others their checks and alarms. */
async function isolated(
  work: { scope: string; check: () => Promise<StoreCheck | undefined> }[],
): Promise<Checked> {
  const result: Checked = { checks: [], failures: [] };
  for (const { scope, check } of work) {
    try {
      const checked = await check();
      if (checked) result.checks.push(checked);
    } catch (error) {
      const why = describeError(error);
      logger.error("check failed; its alarms are left as they were", { scope, error: why });
      result.failures.push(`${scope}: ${why}`);
    }
  }
  return result;
}

/**
 * The key as the event delivers it. EventBridge delivers S3 keys as stored (S3 User Guide,
 * "EventBridge event message structure"), not URL-encoded like the S3 → SQS/SNS/Lambda notification
 * format ("Event message structure": spaces as '+'); see `resolveObjectKey` for events in that form.
 */
export function objectKeyOf(event: Pick<ObjectEvent, "detail">): string {
  return event.detail.object.key;
}

/**
 * The object an event is about: its key as delivered, unless that object does not exist while the
 * URL-decoded form of the key does — then the event came URL-encoded, and the decoded key is the
 * object's. A deletion is read as delivered (the object is gone under either reading, and its
 * alarms are the ones to settle). When S3 will not say whether an object exists, the key stays as
 * delivered: the re-check then reports what S3 says about it.
 */
export async function resolveObjectKey(
  event: Pick<ObjectEvent, "detail" | "detail-type">,
  exists: CertificateScanDeps["objectExists"],
): Promise<string> {
  const delivered = objectKeyOf(event);
  if (event["detail-type"] !== "Object Created" || !exists) return delivered;
  const decoded = urlDecodedKey(delivered);
  if (decoded === undefined || decoded === delivered) return delivered;
  if ((await exists(delivered)) !== false) return delivered;
  return (await exists(decoded)) === true ? decoded : delivered;
}

/** The key as S3's notification format encodes it, decoded; undefined when it is not valid encoding. */
function urlDecodedKey(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

async function fetchEndpoint(endpoint: string): Promise<EndpointChain> {
  const at = endpoint.lastIndexOf(":");
  const host = endpoint.slice(0, at).replace(/^\[|\]$/g, "");
  const result = await fetchPresentedChain({
    host,
    port: Number(endpoint.slice(at + 1)),
    timeoutMs: ENDPOINT_TIMEOUT_MS,
  });
  return result.ok ? { ok: true, certificates: result.certificates } : result;
}

function recordScanMetrics(checks: readonly StoreCheck[], now: Date, durationMs: number): void {
  metrics.addMetric(METRIC.scanDurationMs, MetricUnit.Milliseconds, durationMs);
  metrics.addMetric(
    METRIC.certificatesScanned,
    MetricUnit.Count,
    checks.reduce((n, c) => n + c.certificates.count, 0),
  );
  const soonest = checks
    .map((c) => c.certificates.soonestNotAfter)
    .filter((d): d is Date => d !== undefined)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  if (soonest) metrics.addMetric(METRIC.soonestDaysToExpiry, MetricUnit.Count, daysBetween(now, soonest));
  recordObjectMetrics(checks);
  recordFindingMetrics(checks.flatMap((c) => c.run.findings));
}

function recordObjectMetrics(checks: readonly StoreCheck[]): void {
  const objects = sumObjects(checks);
  metrics.addMetric(METRIC.objectsDownloaded, MetricUnit.Count, objects.downloaded);
  metrics.addMetric(METRIC.objectsReused, MetricUnit.Count, objects.reused);
}

function recordFindingMetrics(findings: readonly Finding[]): void {
  const byCheck = new Map<string, number>();
  for (const finding of findings) byCheck.set(finding.check, (byCheck.get(finding.check) ?? 0) + 1);
  for (const [check, count] of byCheck) {
    const metric = metrics.singleMetric();
    metric.addDimension(DIMENSION.check, check);
    metric.addMetric(METRIC.findings, MetricUnit.Count, count);
  }
}

/** Marking is bookkeeping: a run left unmarked is only claimed again after its lease, harmlessly. */
async function markSettled(
  settle: readonly RunToSettle[],
  fanOut: FanOut | undefined,
  now: Date,
): Promise<void> {
  for (const { runId, run } of settle) {
    logger.info("fanned-out scan settled", {
      runId,
      scope: run.scope,
      complete: run.complete,
      findings: run.findings.length,
    });
    await fanOut?.runs
      .settled(runId, now)
      .catch((error: unknown) =>
        logger.warn("scan run not marked settled", { runId, error: describeError(error) }),
      );
  }
}

function scanSucceeded(): void {
  metrics.addMetric(METRIC.scanSucceeded, MetricUnit.Count, 1);
}

function sumObjects(checks: readonly StoreCheck[]): ScanOutcome["objects"] {
  return checks.reduce(
    (sum, c) => ({
      downloaded: sum.downloaded + c.objects.downloaded,
      reused: sum.reused + c.objects.reused,
    }),
    { downloaded: 0, reused: 0 },
  );
}

function outcomeOf(
  mode: "full" | "object",
  checks: readonly StoreCheck[],
  settle: readonly CheckRun[],
  complete: boolean,
): Omit<ScanOutcome, "fannedOut"> {
  return {
    mode,
    runs: checks.length + settle.length,
    certificates: checks.reduce((n, c) => n + c.certificates.count, 0),
    findings:
      checks.reduce((n, c) => n + c.run.findings.length, 0) +
      settle.reduce((n, r) => n + r.findings.length, 0),
    complete,
    objects: sumObjects(checks),
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function summarizePlan(plan: ReturnType<typeof planObjectEvent>) {
  return {
    recheckIn: plan.objectIn.map((s) => s.prefix),
    rescan: plan.rescan.map((s) => s.prefix),
    peerGroups: plan.peerGroups.map((g) => g.name),
  };
}
