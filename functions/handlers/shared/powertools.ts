/**
 * Powertools logger and metrics, created once per execution environment and shared by a function's
 * modules. Every function logs and emits metrics under the same service name, so the dashboard's
 * queries (functions/core/metrics.ts) match what the handlers write.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../core/metrics";

export const logger = new Logger({ serviceName: SERVICE_NAME });

/** The metrics' own warnings (an empty flush, a bad dimension) go through the logger, as JSON lines. */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });

/**
 * The Lambda entry point around a function's work: every log line carries the invocation's
 * context, and the metrics are flushed whether the work succeeded or threw.
 */
export function instrumented<R>(work: (event: unknown, context?: Context) => Promise<R>) {
  return async (event: unknown, context?: Context): Promise<R> => {
    if (context) logger.addContext(context);
    try {
      return await work(event, context);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
