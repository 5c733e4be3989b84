/**
 * Certificate scan: the whole store on a schedule (and once after each deployment), or just the
 * object an S3 event names, so that an uploaded renewal clears its alarm within seconds.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { s3CertificateStore } from "../adapters/s3-certificate-store";
import { type SecretReader, secretReader } from "../adapters/secrets";
import { fetchPresentedChain } from "../adapters/tls-endpoint";
import { daysBetween } from "../core/certificates/certificate";
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
import { DIMENSION, METRIC } from "../core/metrics";
import { productionSettleDeps, type SettleDeps, settleRuns } from "./shared/alarm-runs";
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

const ENDPOINT_TIMEOUT_MS = 10_000;

export interface CertificateScanDeps {
  config: WatchpostConfig;
  store: CertificateStorePort;
  alarms: SettleDeps;
  secrets: SecretReader;
  fetchEndpoint: StoreScanContext["fetchEndpoint"];
  now?: () => Date;
}

export interface ScanOutcome {
  mode: "full" | "object";
  runs: number;
  certificates: number;
  findings: number;
  complete: boolean;
}

let productionDeps: CertificateScanDeps | undefined;

export const handler = instrumented((event) => {
  productionDeps ??= createProductionDeps();
  return runCertificateScan(event, productionDeps);
});

/** Clients are created once per execution environment and reused by every invocation. */
function createProductionDeps(): CertificateScanDeps {
  const config = deployedConfig();
  return {
    config,
    store: s3CertificateStore({ client: new S3Client({}), bucket: requireEnv(ENV.certificateBucket) }),
    alarms: productionSettleDeps(config),
    secrets: secretReader(),
    fetchEndpoint,
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
  };
  const objectEvent = ObjectEvent.safeParse(event);
  const mode = objectEvent.success ? "object" : "full";
  const { checks, failures } = objectEvent.success
    ? await objectChecks(objectEvent.data, ctx)
    : await fullScan(ctx);
  const complete = failures.length === 0 && checks.every((c) => c.run.complete);
  recordScanMetrics(checks, ctx.now, Date.now() - started);
  for (const check of checks.filter((c) => c.error)) logger.warn("partial scan", { error: check.error });

  await settleRuns(
    checks.map((c) => c.run),
    deps.alarms,
  );
  // Only a complete scan of the whole store proves nothing went unnoticed (26 h watchdog).
  if (mode === "full" && complete) metrics.addMetric(METRIC.scanSucceeded, MetricUnit.Count, 1);
  // Fail the invocation so Lambda retries it and the error alarm fires; the others were settled.
  if (failures.length > 0) throw new Error(`certificate checks failed: ${failures.join("; ")}`);
  return {
    mode,
    runs: checks.length,
    certificates: checks.reduce((n, c) => n + c.certificates.length, 0),
    findings: checks.reduce((n, c) => n + c.run.findings.length, 0),
    complete,
  };
}

async function fullScan(ctx: StoreScanContext): Promise<Checked> {
  // One scope at a time: each already reads several objects at once, and memory stays bounded.
  return isolated([
    ...ctx.certificates.sources.map((source) => ({
      scope: source.prefix,
      check: () => scanSource(source, ctx),
    })),
    ...ctx.certificates.peerGroups.map((group) => ({
      scope: `peer-group:${group.name}`,
      check: () => checkPeerGroup(group, ctx),
    })),
  ]);
}

async function objectChecks(event: ObjectEvent, ctx: StoreScanContext): Promise<Checked> {
  const key = objectKeyOf(event);
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
async function isolated(work: { scope: string; check: () => Promise<StoreCheck> }[]): Promise<Checked> {
  const result: Checked = { checks: [], failures: [] };
  for (const { scope, check } of work) {
    try {
      result.checks.push(await check());
    } catch (error) {
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      logger.error("check failed; its alarms are left as they were", { scope, error: why });
      result.failures.push(`${scope}: ${why}`);
    }
  }
  return result;
}

/**
 * S3 writes object keys into notifications URL-encoded, spaces as '+'; GetObject wants the key
 * itself. A malformed escape is kept as it came rather than guessed at.
 */
export function objectKeyOf(event: ObjectEvent): string {
  const raw = event.detail.object.key;
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
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
  const certificates = checks.flatMap((c) => c.certificates);
  metrics.addMetric(METRIC.scanDurationMs, MetricUnit.Milliseconds, durationMs);
  metrics.addMetric(METRIC.certificatesScanned, MetricUnit.Count, certificates.length);
  if (certificates.length > 0) {
    const soonest = Math.min(...certificates.map((c) => daysBetween(now, c.notAfter)));
    metrics.addMetric(METRIC.soonestDaysToExpiry, MetricUnit.Count, soonest);
  }
  const byCheck = new Map<string, number>();
  for (const finding of checks.flatMap((c) => c.run.findings)) {
    byCheck.set(finding.check, (byCheck.get(finding.check) ?? 0) + 1);
  }
  for (const [check, count] of byCheck) {
    const metric = metrics.singleMetric();
    metric.addDimension(DIMENSION.check, check);
    metric.addMetric(METRIC.findings, MetricUnit.Count, count);
  }
}

function summarizePlan(plan: ReturnType<typeof planObjectEvent>) {
  return {
    recheckIn: plan.objectIn.map((s) => s.prefix),
    rescan: plan.rescan.map((s) => s.prefix),
    peerGroups: plan.peerGroups.map((g) => g.name),
  };
}
