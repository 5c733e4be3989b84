/** The deployed webhook function's dependencies, built once per execution environment. */
import { sqsClient } from "../../adapters/clients/sqs";
import { secretReader } from "../../adapters/secrets";
import { postJson } from "../../adapters/webhook-http";
import { createWebhookDeadLetters } from "../../adapters/webhook-queue";
import { deployedConfig } from "../shared/deployed-config";
import { ENV, requireEnv } from "../shared/environment";
import type { WebhookDeliveryDeps } from "./deliver";

/** Longest wait for a webhook's answer (two attempts fit in the function's timeout, lib/constructs/webhook-delivery.ts). */
const POST_TIMEOUT_MS = 10_000;

export function productionWebhookDeps(): WebhookDeliveryDeps {
  const config = deployedConfig();
  return {
    webhooks: config.notifications.webhooks,
    stackName: config.stackName,
    secrets: secretReader(),
    post: (url, body, headers) => postJson(url, body, headers, { timeoutMs: POST_TIMEOUT_MS }),
    deadLetters: createWebhookDeadLetters({
      client: sqsClient(),
      queueUrl: requireEnv(ENV.webhookDeadLetterQueueUrl),
    }),
  };
}
