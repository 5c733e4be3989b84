/**
 * Webhook deliveries from the FIFO queue → HTTPS. One message per invocation: render the body for
 * the webhook's format (core/notifications), read the URL or key from Secrets Manager, POST it.
 * Delivered: done, paced to the webhook's rate limit. Transient failure: reported as a batch item
 * failure, so SQS offers the message again after the visibility timeout and finally moves it to
 * the dead-letter queue. Permanent failure (a 4xx, a webhook no longer configured): straight to the
 * dead-letter queue. URLs and keys are never logged.
 *
 * Where its deliveries come from: docs/architecture.md, "After the scan: from an alarm event to
 * people".
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { instrumented, logger } from "./shared/powertools";
import { deliver, type WebhookDeliveryDeps } from "./webhook-delivery/deliver";
import { productionWebhookDeps } from "./webhook-delivery/deps";

let productionDeps: WebhookDeliveryDeps | undefined;

export async function handleDeliveries(
  event: SQSEvent,
  deps: WebhookDeliveryDeps,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const webhook = (body as { webhook?: unknown } | undefined)?.webhook;
    const about = { webhook: typeof webhook === "string" ? webhook : undefined, messageId: record.messageId };
    const outcome = await deliver(body, deps);
    if (outcome.outcome === "delivered") {
      logger.info("Webhook delivered", about);
    } else if (outcome.outcome === "retry") {
      logger.warn("Webhook delivery failed; it will be tried again", { ...about, reason: outcome.reason });
      failures.push({ itemIdentifier: record.messageId });
    } else {
      logger.error("Webhook delivery refused for good; moved to the dead-letter queue", {
        ...about,
        reason: outcome.reason,
      });
      try {
        await deps.deadLetters.put(record.body, about.webhook ?? "unknown", outcome.reason);
      } catch (error) {
        logger.error("Could not dead-letter the delivery; it will be tried again", error as Error);
        failures.push({ itemIdentifier: record.messageId });
      }
    }
  }
  return { batchItemFailures: failures };
}

export const handler = instrumented(async (event): Promise<SQSBatchResponse> => {
  productionDeps ??= productionWebhookDeps();
  return handleDeliveries(event as SQSEvent, productionDeps);
});

export { deliver, type WebhookDeliveryDeps };
