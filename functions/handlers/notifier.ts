/**
 * Alarm events from the watchpost bus → SNS topics (email, chat) and the webhook queue. Formatting
 * is pure (core/notifications); this handler validates the event, skips silenced ones, queues one
 * delivery per webhook whose minimum the event meets (the webhook function posts them), and
 * publishes one message to each topic whose minimum it meets. Every destination is chosen by the
 * event's routing severity, the occurrence's worst so far (`routingSeverity`), so whoever got the
 * raise also gets the drop below their minimum and the clear. Any failure throws, so EventBridge's
 * async invocation retries and finally parks the event in the dead-letter queue: nothing is
 * dropped silently.
 *
 * Where the events it receives come from: docs/architecture.md, "Following one scheduled scan
 * through the code" (steps 21-24) and "After the scan: from an alarm event to people".
 */

import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import * as z from "zod";
import { snsClient } from "../adapters/clients/sns";
import { sqsClient } from "../adapters/clients/sqs";
import { createWebhookQueue, type WebhookQueue } from "../adapters/webhook-queue";
import { isAtLeast, Severity } from "../core/contracts";
import { METRIC } from "../core/metrics";
import { snsAlarmMessage } from "../core/notifications/alarm-message";
import { type AlarmEvent, AlarmEventEnvelope, deploymentOf } from "../core/notifications/alarm-view";
import { type WebhookConfig, webhooksFor } from "../core/notifications/webhook";
import { deployedConfig } from "./shared/deployed-config";
import { ENV, requireEnv } from "./shared/environment";
import { instrumented, logger, metrics } from "./shared/powertools";

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
  /** The stack name the configuration gave the deployment. */
  stackName: string;
  /** Configured webhooks; each gets the events its minimum severity asks for, through the queue. */
  webhooks?: readonly Pick<WebhookConfig, "name" | "minimumSeverity">[];
  webhookQueue?: WebhookQueue;
}

export interface NotifyResult {
  published: string[];
  /** Names of the webhooks a delivery was queued for. */
  webhooks?: string[];
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
  const message = snsAlarmMessage(event, deploymentOf(event, deps.stackName));
  // One routing rule for every destination: the occurrence's worst severity so far (peakSeverity).
  // Queued first: the queue de-duplicates a retry's second copy, SNS does not.
  const webhooks = webhooksFor(message.severity, (deps.webhooks ?? []) as WebhookConfig[]);
  if (webhooks.length > 0 && !deps.webhookQueue) {
    throw new Error("Webhooks are configured but no webhook queue is; redeploy the watchpost stack.");
  }
  for (const webhook of webhooks) await deps.webhookQueue!.enqueue(webhook.name, event);
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
  logger.info("Alarm notification published", { ...about, topics: topics.length, webhooks: webhooks.length });
  return { published: topics, ...(webhooks.length > 0 ? { webhooks: webhooks.map((w) => w.name) } : {}) };
}

let defaultDeps: NotifierDeps | undefined;

/** The topics the stack put in the function's environment (lib/constructs/alarm-notifications.ts). */
export function topicArnsFrom(env: NodeJS.ProcessEnv): NotifierDeps["topicArns"] {
  return SeverityTopics.parse(JSON.parse(requireEnv(ENV.severityTopicArns, env)));
}

function deployedDeps(): NotifierDeps {
  defaultDeps ??= {
    sns: snsClient(),
    topicArns: topicArnsFrom(process.env),
    stackName: deployedConfig().stackName,
    webhooks: deployedConfig().notifications.webhooks,
    ...(deployedConfig().notifications.webhooks.length > 0
      ? {
          webhookQueue: createWebhookQueue({
            client: sqsClient(),
            queueUrl: requireEnv(ENV.webhookQueueUrl),
          }),
        }
      : {}),
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
