/**
 * The webhook queue and its dead-letter queue in front of SQS FIFO (no local implementation:
 * aws-sdk-client-mock, with SQS's own result shapes). What SQS requires of a FIFO send (Amazon SQS
 * Developer Guide, "Amazon SQS FIFO queue key terms"; API Reference, SendMessage): a message group
 * ID, and a deduplication ID of at most 128 characters; the same ID within five minutes is accepted
 * and not delivered twice. And what the webhook function relies on: a delivery refused for good
 * lands in the dead-letter queue with its reason, and never with the webhook's URL or key.
 */
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createWebhookDeadLetters, createWebhookQueue } from "../../../functions/adapters/webhook-queue";
import { parseConfig } from "../../../functions/core/config";
import { handleDeliveries } from "../../../functions/handlers/webhook-delivery";
import { certificateScenario } from "../../../scripts/notification-scenarios";

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
afterAll(() => sqs.restore());

const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/watchpost-webhooks.fifo";
const DEAD_LETTERS_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/watchpost-webhooks-dlq.fifo";
const SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3nInTheUrl";
const event = certificateScenario()[0]!.event;
const client = () => new SQSClient({ region: "eu-west-1", maxAttempts: 1 });

const config = parseConfig({
  certificates: { sources: [{ prefix: "certs/" }] },
  notifications: { webhooks: [{ name: "ops-slack", format: "slack", urlSecretName: "watchpost/slack" }] },
});

/** The webhook function with the real dead-letter adapter; the endpoint answers `status`. */
function deliverWith(status: number, records: SQSEvent) {
  return handleDeliveries(records, {
    webhooks: config.notifications.webhooks,
    stackName: config.stackName,
    secrets: { read: async () => SLACK_URL },
    post: async () => ({ status, retryAfter: null }),
    deadLetters: createWebhookDeadLetters({ client: client(), queueUrl: DEAD_LETTERS_URL }),
    sleep: async () => {},
  });
}

function sent(): SendMessageCommandInput[] {
  return sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
}

describe("webhook queue", () => {
  it("queues one message per webhook, grouped by the webhook, with a deduplication ID SQS accepts", async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });
    const queue = createWebhookQueue({ client: client(), queueUrl: QUEUE_URL });
    const longName = "w".repeat(128);

    // Act
    await queue.enqueue("ops-slack", event);
    await queue.enqueue("ops-slack", event);
    await queue.enqueue(longName, event);

    // Assess: a notifier retry sends the same ID, which SQS drops within its five minutes
    const [first, retry, long] = sent();
    expect(first).toMatchObject({ QueueUrl: QUEUE_URL, MessageGroupId: "ops-slack" });
    expect(retry!.MessageDeduplicationId).toBe(first!.MessageDeduplicationId);
    expect(long!.MessageDeduplicationId!.length).toBeLessThanOrEqual(128);
    expect(long!.MessageDeduplicationId).not.toBe(first!.MessageDeduplicationId);
    expect(JSON.parse(first!.MessageBody!)).toEqual({ webhook: "ops-slack", event });
  });
});

describe("webhook dead letters", () => {
  it("receive a delivery the endpoint refused for good, with the reason and without the URL", async () => {
    // Prepare: Slack answers 404 no_team
    sqs.on(SendMessageCommand).resolves({ MessageId: "d-1" });
    const body = JSON.stringify({ webhook: "ops-slack", event });
    const records = { Records: [{ messageId: "q-1", body }] } as unknown as SQSEvent;

    // Act
    const response = await deliverWith(404, records);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const [parked] = sent();
    expect(parked).toMatchObject({
      QueueUrl: DEAD_LETTERS_URL,
      MessageBody: body,
      MessageGroupId: "ops-slack",
      MessageAttributes: { reason: { DataType: "String", StringValue: "HTTP 404" } },
    });
    expect(parked!.MessageDeduplicationId!.length).toBeLessThanOrEqual(128);
    expect(JSON.stringify(parked)).not.toContain("s3cr3tT0k3n");
  });

  it("leave the delivery on its queue when they cannot take it, so it is tried again", async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejects(new Error("SQS is down"));
    const records = {
      Records: [{ messageId: "q-2", body: JSON.stringify({ webhook: "ops-slack", event }) }],
    } as unknown as SQSEvent;

    // Act
    const response = await deliverWith(410, records);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "q-2" }]);
  });
});
