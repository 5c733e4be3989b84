/**
 * Credential check, every few minutes: assume each configured role, prove the temporary
 * credentials reach their bucket, and turn what broke into alarms. Secrets never leave the probe:
 * results carry step names, timings, error codes and plain-word causes only.
 *
 * Where this sits among the rooms and how its runs are settled: docs/architecture.md, "The rooms"
 * and "Words used for settling".
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { awsCredentialProbe } from "../adapters/credential-probe";
import type { WatchpostConfig } from "../core/config";
import { checkCredentialTargets } from "../core/credentials/check";
import { credentialCheckRun } from "../core/credentials/check-run";
import type { CredentialCheckDeps } from "../core/credentials/ports";
import { DIMENSION, METRIC } from "../core/metrics";
import {
  type AlarmLifecycleDeps,
  applyAlarmLifecycle,
  productionAlarmLifecycleDeps,
  withClaimOwner,
} from "./shared/alarm-runs";
import { deployedConfig } from "./shared/deployed-config";
import { instrumented, logger, metrics } from "./shared/powertools";

const CONCURRENCY = 4;

export interface CredentialCheckHandlerDeps {
  config: WatchpostConfig;
  probe: CredentialCheckDeps;
  alarms: AlarmLifecycleDeps;
  now?: () => Date;
}

let productionDeps: CredentialCheckHandlerDeps | undefined;

export const handler = instrumented((_event, context) => {
  productionDeps ??= createProductionDeps();
  return runCredentialChecks(withClaimOwner(productionDeps, context?.awsRequestId));
});

/** One probe per execution environment: its STS and S3 clients are reused across invocations. */
function createProductionDeps(): CredentialCheckHandlerDeps {
  const config = deployedConfig();
  return {
    config,
    probe: awsCredentialProbe({
      logger: {
        debug: (message, fields) => logger.debug(message, { ...fields }),
        info: (message, fields) => logger.info(message, { ...fields }),
        warn: (message, fields) => logger.warn(message, { ...fields }),
      },
    }),
    alarms: productionAlarmLifecycleDeps(config),
  };
}

export async function runCredentialChecks(deps: CredentialCheckHandlerDeps) {
  const { targets } = deps.config.credentials;
  const now = deps.now?.() ?? new Date();
  const results = await checkCredentialTargets(targets, deps.probe, { concurrency: CONCURRENCY });
  for (const result of results) {
    for (const step of result.steps) {
      const metric = metrics.singleMetric();
      metric.addDimension(DIMENSION.step, step.step);
      metric.addMetric(METRIC.credentialStepLatencyMs, MetricUnit.Milliseconds, step.ms);
    }
    logger.info("credential target checked", {
      target: result.target,
      steps: result.steps,
      findings: result.findings.map((f) => ({ check: f.check, message: f.message })),
    });
  }
  const summary = await applyAlarmLifecycle(
    results.map((result, index) => credentialCheckRun(targets[index]!, result, now)),
    { ...deps.alarms, clock: deps.now ?? (() => new Date()) },
  );
  return {
    targets: results.length,
    healthy: results.filter((r) => r.findings.length === 0).length,
    ...summary,
  };
}
