/**
 * Endpoint scan, hourly by default: connect to every configured endpoint (inside the cluster's VPC
 * when the stack places this function there), judge what it presents, compare it with the stored
 * copy, and settle one check run per endpoint. The only function that opens connections to
 * endpoints, so the only one that needs the cluster's network.
 *
 * Where this sits among the rooms and how its runs are settled: docs/architecture.md, "The rooms"
 * and "Words used for settling".
 */

import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { S3Client } from "@aws-sdk/client-s3";
import { certificateStoreS3Client } from "../adapters/clients/s3";
import { s3CertificateStore } from "../adapters/s3-certificate-store";
import { endpointFetcher, publicRootCertificates } from "../adapters/tls-endpoint";
import { mapBounded } from "../core/concurrency";
import type { WatchpostConfig } from "../core/config";
import type { EndpointFetch } from "../core/endpoints/probe";
import { describeError } from "../core/errors";
import { DIMENSION, METRIC } from "../core/metrics";
import { checkEndpoint, type EndpointScanContext } from "../core/scan/endpoint-check";
import type { CertificateStorePort } from "../core/scan/ports";
import {
  type AlarmLifecycleDeps,
  alarmLifecycleDeps,
  applyAlarmLifecycle,
  withClaimOwner,
} from "./shared/alarm-runs";
import { deployedConfig } from "./shared/deployed-config";
import { ENV, requireEnv } from "./shared/environment";
import { instrumented, logger, metrics } from "./shared/powertools";

/** Endpoints probed at once: each waits on the network, not the CPU. */
const CONCURRENCY = 8;

export interface EndpointScanDeps {
  config: WatchpostConfig;
  store: CertificateStorePort;
  fetchEndpoint: EndpointFetch;
  alarms: AlarmLifecycleDeps;
  now?: () => Date;
}

let productionDeps: EndpointScanDeps | undefined;

export const handler = instrumented((_event, context) => {
  productionDeps ??= productionEndpointScanDeps();
  return runEndpointScan(withClaimOwner(productionDeps, context?.awsRequestId));
});

export function endpointScanDeps(wiring: {
  config: WatchpostConfig;
  s3: Pick<S3Client, "send">;
  bucket: string;
  alarms: AlarmLifecycleDeps;
  now?: () => Date;
}): EndpointScanDeps {
  return {
    config: wiring.config,
    store: s3CertificateStore({ client: wiring.s3, bucket: wiring.bucket }),
    fetchEndpoint: endpointFetcher(wiring.config.endpoints.timeoutMs),
    alarms: wiring.alarms,
    ...(wiring.now ? { now: wiring.now } : {}),
  };
}

function productionEndpointScanDeps(): EndpointScanDeps {
  const config = deployedConfig();
  return endpointScanDeps({
    config,
    s3: certificateStoreS3Client(),
    bucket: requireEnv(ENV.certificateBucket),
    alarms: alarmLifecycleDeps({
      config,
      alarmTable: requireEnv(ENV.alarmTable),
      eventBusName: requireEnv(ENV.eventBus),
    }),
  });
}

export async function runEndpointScan(deps: EndpointScanDeps) {
  const { config } = deps;
  const now = deps.now?.() ?? new Date();
  const ctx: EndpointScanContext = {
    store: deps.store,
    certificates: config.certificates,
    now,
    // Endpoints and their CA bundles need no keystore password; this function is granted no secret.
    keystorePassword: async (secretName) => {
      throw new Error(`the endpoint scan reads no keystore password (asked for secret ${secretName})`);
    },
    fetchEndpoint: deps.fetchEndpoint,
    publicRoots: publicRootCertificates,
  };
  const failures: string[] = [];
  const checks = await mapBounded(config.endpoints.targets, CONCURRENCY, async (target) => {
    try {
      return await checkEndpoint(target, ctx);
    } catch (error) {
      // One endpoint's trouble leaves its alarms as they were and costs the others nothing.
      failures.push(`${target.endpoint}: ${describeError(error)}`);
      logger.error("endpoint check failed; its alarms are left as they were", {
        endpoint: target.endpoint,
        error: describeError(error),
      });
      return undefined;
    }
  });
  const done = checks.filter((check) => check !== undefined);
  for (const check of done) {
    logger.info("endpoint checked", {
      scope: check.run.scope,
      reached: check.reached,
      tls: check.tls,
      findings: check.run.findings.map((f) => ({ check: f.check, source: f.source, severity: f.severity })),
    });
    for (const finding of check.run.findings) {
      const metric = metrics.singleMetric();
      metric.addDimension(DIMENSION.check, finding.check);
      metric.addMetric(METRIC.findings, MetricUnit.Count, 1);
    }
  }
  const summary = await applyAlarmLifecycle(
    done.map((check) => check.run),
    deps.alarms,
  );
  if (failures.length > 0) throw new Error(`endpoint checks failed: ${failures.join("; ")}`);
  return {
    endpoints: config.endpoints.targets.length,
    reached: done.filter((check) => check.reached).length,
    ...summary,
  };
}
