/**
 * The webhook delivery queue (SQS FIFO): the notifier puts one message per webhook and alarm event
 * on it; the webhook function takes them off one webhook at a time. The message group is the
 * webhook, so one slow or failing endpoint holds up only its own messages; the deduplication ID
 * is derived from the event and the webhook, so a notifier retry within SQS's five-minute window
 * does not deliver twice.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { deduplicationId, type WebhookDeliveryMessage } from "../core/notifications/webhook";

export interface WebhookQueue {
  enqueue(webhook: string, event: { id: string; detail: { eventId: string } }): Promise<void>;
}

export function createWebhookQueue(options: {
  client: Pick<SQSClient, "send">;
  queueUrl: string;
}): WebhookQueue {
  return {
    async enqueue(webhook, event) {
      const message: WebhookDeliveryMessage = { webhook, event: event as unknown as Record<string, unknown> };
      await options.client.send(
        new SendMessageCommand({
          QueueUrl: options.queueUrl,
          MessageBody: JSON.stringify(message),
          MessageGroupId: webhook,
          MessageDeduplicationId: deduplicationId(event.detail.eventId, webhook),
        }),
      );
    },
  };
}

/** Where a delivery that can never succeed goes at once, with why (never a secret). */
export interface WebhookDeadLetters {
  put(body: string, webhook: string, reason: string): Promise<void>;
}

export function createWebhookDeadLetters(options: {
  client: Pick<SQSClient, "send">;
  queueUrl: string;
}): WebhookDeadLetters {
  return {
    async put(body, webhook, reason) {
      await options.client.send(
        new SendMessageCommand({
          QueueUrl: options.queueUrl,
          MessageBody: body,
          MessageGroupId: webhook,
          MessageDeduplicationId: deduplicationId(body, `${webhook}:rejected`),
          MessageAttributes: { reason: { DataType: "String", StringValue: reason.slice(0, 256) } },
        }),
      );
    },
  };
}
