/**
 * The last leg every check function shares: turn check runs into alarm transitions and events,
 * record how many alarms are active, and fail the invocation when events could not be delivered,
 * so that Lambda's retry (and finally the dead-letter queue) makes sure nobody is left unpaged.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type AlarmStore, createAlarmStore } from "../../adapters/alarm-store";
import { createEventPublisher } from "../../adapters/event-publisher";
import type { CheckRun, LifecyclePolicy } from "../../core/alarms/lifecycle";
import { lifecyclePolicyFrom } from "../../core/alarms/lifecycle-policy";
import type { AlarmPublisherPort, AlarmStorePort } from "../../core/alarms/ports";
import { leaseSecondsFor, type ProcessRunDeps, processCheckRun } from "../../core/alarms/process-run";
import type { WatchpostConfig } from "../../core/config";
import { SEVERITIES } from "../../core/contracts";
import { DIMENSION, METRIC } from "../../core/metrics";
import { ENV, requireEnv } from "./environment";
import { logger, metrics } from "./powertools";

export interface AlarmLifecycleDeps
  extends Pick<ProcessRunDeps, "clock" | "leaseSeconds" | "currentVersion" | "conflictBudgetMs"> {
  store: AlarmStorePort & Pick<AlarmStore, "countActive">;
  publisher: AlarmPublisherPort;
  policy: LifecyclePolicy;
  /** The invocation's request ID (see ProcessRunDeps.claimOwner). */
  claimOwner?: string;
}

/** The settle dependencies of one invocation: its claims carry the invocation's request ID. */
export function withClaimOwner<T extends { alarms: AlarmLifecycleDeps }>(
  deps: T,
  requestId: string | undefined,
): T {
  return requestId ? { ...deps, alarms: { ...deps.alarms, claimOwner: requestId } } : deps;
}

export interface AlarmLifecycleSummary {
  transitions: number;
  published: number;
  pending: number;
}

/** The alarm table, bus and policy a check function settles its runs with. */
export function alarmLifecycleDeps(options: {
  config: WatchpostConfig;
  alarmTable: string;
  eventBusName: string;
  /** Default: the execution environment's shared clients (functions/adapters/clients/). */
  dynamo?: DynamoDBDocumentClient;
  eventBridge?: EventBridgeClient;
}): AlarmLifecycleDeps {
  const { config } = options;
  return {
    store: createAlarmStore({ tableName: options.alarmTable, client: options.dynamo }),
    publisher: createEventPublisher({
      eventBusName: options.eventBusName,
      client: options.eventBridge,
      docBaseUrl: config.notifications.runbookBaseUrl,
    }),
    policy: lifecyclePolicyFrom(config.alarms),
    // Leases outlive their holder on every clock the deployment tolerates (the certificate skew).
    leaseSeconds: leaseSecondsFor(config.certificates.thresholds.skewSeconds),
  };
}

/** The deployed table and bus, from the environment the stack sets. */
export function productionAlarmLifecycleDeps(config: WatchpostConfig): AlarmLifecycleDeps {
  return alarmLifecycleDeps({
    config,
    alarmTable: requireEnv(ENV.alarmTable),
    eventBusName: requireEnv(ENV.eventBus),
  });
}

/** Thrown after every run was settled, when some events are still pending or a scope failed. */
export class AlarmDeliveryError extends Error {
  override readonly name = "AlarmDeliveryError";
}

export async function applyAlarmLifecycle(
  runs: readonly CheckRun[],
  deps: AlarmLifecycleDeps,
): Promise<AlarmLifecycleSummary> {
  const summary: AlarmLifecycleSummary = { transitions: 0, published: 0, pending: 0 };
  const problems: string[] = [];
  for (const run of runs) {
    try {
      const result = await processCheckRun(run, deps);
      summary.transitions += result.transitions.length;
      summary.published += result.published.length;
      summary.pending += result.pending.length;
      problems.push(...result.errors.map((e) => `${run.scope}: ${e}`));
      logger.info("check run settled", {
        scope: run.scope,
        partial: result.partial,
        findings: run.findings.length,
        transitions: result.transitions.map((t) => ({ kind: t.kind, alarmId: t.alarmId, source: t.source })),
        pending: result.pending.length,
      });
    } catch (error) {
      // One scope's trouble (a conflict storm, a throttled table) must not starve the others.
      problems.push(
        `${run.scope}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
  }

  try {
    const active = await deps.store.countActive();
    for (const severity of SEVERITIES) {
      const metric = metrics.singleMetric();
      metric.addDimension(DIMENSION.severity, severity);
      metric.addMetric(METRIC.activeAlarms, MetricUnit.Count, active[severity]);
    }
  } catch (error) {
    // The dashboard misses one point; the runs' own outcome is what must be reported.
    problems.push(`counting active alarms: ${error instanceof Error ? error.message : String(error)}`);
  }

  if (problems.length > 0 || summary.pending > 0) {
    logger.error("alarm events not delivered; they stay pending for the next run", { problems, ...summary });
    throw new AlarmDeliveryError(
      `${summary.pending} alarm event(s) pending after this run; ${problems.length} problem(s): ${problems.join("; ")}`,
    );
  }
  return summary;
}
