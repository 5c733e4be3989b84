/**
 * The SQS client the scan hands batches out with (SendMessageBatch of ten messages of at most
 * 240 KiB), and the notifier and the webhook function put webhook deliveries on their queue with.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { boundedClientFactory } from "./bounded";

export const sqsClient = boundedClientFactory(SQSClient, {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
});
