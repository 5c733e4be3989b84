/**
 * Powertools logger and metrics, created once per execution environment and shared by a function's
 * modules. Every function logs and emits metrics under the same service name, so the dashboard's
 * queries (functions/core/metrics.ts) match what the handlers write.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../core/metrics";

export const logger = new Logger({ serviceName: SERVICE_NAME });

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
