/**
 * Alarm events from the watchpost bus → SNS. Formatting is pure (core/notifications); this handler
 * validates the event, skips silenced ones and publishes one message per topic. Any publish
 * failure throws, so EventBridge's async invocation retries and finally parks the event in the
 * dead-letter queue: nothing is dropped silently.
 */

import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import * as z from "zod";
import { AlarmEventDetail, EVENT_SOURCE } from "../core/alarms/events";
import { isAtLeast, Severity } from "../core/contracts";
import { METRIC } from "../core/metrics";
import { type AlarmEvent, snsAlarmMessage } from "../core/notifications/alarm-message";
import { ENV, requireEnv } from "./shared/environment";
import { instrumented, logger, metrics } from "./shared/powertools";

const AlarmEventEnvelope = z.object({
  id: z.string(),
  "detail-type": z.string(),
  source: z.literal(EVENT_SOURCE),
  time: z.string(),
  detail: AlarmEventDetail,
});

const SeverityTopics = z
  .partialRecord(Severity, z.string().startsWith("arn:"))
  .refine((topics) => topics.warning !== undefined, "expected the topic of every alarm event (warning)");

export interface NotifierDeps {
  sns: Pick<SNSClient, "send">;
  /**
   * Topics by the minimum severity of their subscribers (email and chat subscribe without a filter
   * policy); `warning` receives every alarm event.
   */
  topicArns: Partial<Record<Severity, string>>;
}

export interface NotifyResult {
  published: string[];
  skipped?: "silenced";
}

/** Topics that receive an event of this routing severity, each once. */
export function topicsFor(severity: Severity, deps: Pick<NotifierDeps, "topicArns">): string[] {
  return [
    ...new Set(
      Object.entries(deps.topicArns)
        .filter(([minimum]) => isAtLeast(severity, minimum as Severity))
        .map(([, arn]) => arn),
    ),
  ];
}

export async function notify(raw: unknown, deps: NotifierDeps): Promise<NotifyResult> {
  const event: AlarmEvent = AlarmEventEnvelope.parse(raw);
  const { detail } = event;
  const about = {
    alarmId: detail.alarmId,
    kind: detail.kind,
    severity: detail.severity,
    eventId: detail.eventId,
  };
  if (detail.silenced) {
    logger.info("Alarm event is silenced; nobody is notified", about);
    return { published: [], skipped: "silenced" };
  }
  const message = snsAlarmMessage(event);
  const topics = topicsFor(message.severity, deps);
  // Sequential and fail-fast: a retry re-sends to every topic, which is better than losing one.
  for (const topicArn of topics) {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: message.subject,
        Message: message.message,
        MessageStructure: "json",
        MessageAttributes: Object.fromEntries(
          Object.entries(message.attributes).map(([name, value]) => [
            name,
            { DataType: "String", StringValue: value },
          ]),
        ),
      }),
    );
  }
  logger.info("Alarm notification published", { ...about, topics: topics.length });
  return { published: topics };
}

let defaultDeps: NotifierDeps | undefined;

/** The topics the stack put in the function's environment (lib/constructs/alarm-notifications.ts). */
export function topicArnsFrom(env: NodeJS.ProcessEnv): NotifierDeps["topicArns"] {
  return SeverityTopics.parse(JSON.parse(requireEnv(ENV.severityTopicArns, env)));
}

function deployedDeps(): NotifierDeps {
  defaultDeps ??= {
    // The SDK sets no request timeout by default; a hung publish must fail well inside the function timeout.
    sns: new SNSClient({
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
    }),
    topicArns: topicArnsFrom(process.env),
  };
  return defaultDeps;
}

export const handler = instrumented(async (event): Promise<NotifyResult> => {
  try {
    const result = await notify(event, deployedDeps());
    metrics.addMetric(METRIC.notificationsPublished, MetricUnit.Count, result.published.length);
    return result;
  } catch (error) {
    logger.error("Alarm notification failed; the invocation will be retried", error as Error);
    throw error;
  }
});
