/**
 * SQS has no local implementation: this loopback server speaks the JSON protocol of `SendMessage`
 * and `SendMessageBatch` (awsJson1_0, `X-Amz-Target: AmazonSQS.SendMessage`), so the real
 * SQSClient and the real adapters (functions/adapters/webhook-queue.ts, scan-batch-queue.ts) run
 * unchanged. A batch answers `Successful` entries with each body's MD5 (SQS API Reference,
 * "SendMessageBatch": Successful and Failed; at most ten entries, each Id unique in the request). Queues must be known, by name; a send to any
 * other is refused with QueueDoesNotExist, as SQS would. A FIFO queue (name ending in `.fifo`)
 * refuses a message without a group ID, and keeps one message per deduplication ID (SQS Developer
 * Guide, "Exactly-once processing in Amazon SQS"). The answer carries the body's MD5, which the SDK
 * checks. Every accepted message is kept; nothing is delivered further.
 */
import { createHash, randomUUID } from "node:crypto";
import { awsJson, awsJsonError, startLoopbackServer } from "./http";

export interface SentMessage {
  queue: string;
  body: string;
  groupId?: string;
  deduplicationId?: string;
  attributes: Record<string, string>;
}

export interface LocalSqs {
  endpoint: string;
  /** The URL a function must be given for `queue` (the SDK sends to the URL's host). */
  queueUrl(queue: string): string;
  sent: SentMessage[];
  close(): Promise<void>;
}

interface SendMessageInput {
  QueueUrl?: string;
  MessageBody?: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string }>;
}

interface SendMessageBatchInput {
  QueueUrl?: string;
  Entries?: { Id: string; MessageBody?: string }[];
}

const ACCOUNT = "123456789012";

export async function startLocalSqs(queueNames: readonly string[]): Promise<LocalSqs> {
  const queues = new Set(queueNames);
  const sent: SentMessage[] = [];
  const server = await startLoopbackServer(({ headers, body }) => {
    const target = headers["x-amz-target"];
    if (target === "AmazonSQS.SendMessageBatch") return sendBatch(JSON.parse(body) as SendMessageBatchInput);
    if (target !== "AmazonSQS.SendMessage") {
      return awsJsonError(
        "1.0",
        400,
        "com.amazonaws.sqs#UnsupportedOperation",
        `the local SQS answers SendMessage and SendMessageBatch only, not ${target}`,
      );
    }
    const input = JSON.parse(body) as SendMessageInput;
    const queue = (input.QueueUrl ?? "").split("/").pop() ?? "";
    if (!queues.has(queue))
      return awsJsonError(
        "1.0",
        400,
        "com.amazonaws.sqs#QueueDoesNotExist",
        "The specified queue does not exist.",
      );
    const messageBody = input.MessageBody ?? "";
    if (queue.endsWith(".fifo") && !input.MessageGroupId) {
      return awsJsonError(
        "1.0",
        400,
        "com.amazonaws.sqs#MissingParameter",
        "The request must contain the parameter MessageGroupId.",
      );
    }
    const duplicate =
      input.MessageDeduplicationId !== undefined &&
      sent.some((m) => m.queue === queue && m.deduplicationId === input.MessageDeduplicationId);
    if (!duplicate) {
      sent.push({
        queue,
        body: messageBody,
        ...(input.MessageGroupId ? { groupId: input.MessageGroupId } : {}),
        ...(input.MessageDeduplicationId ? { deduplicationId: input.MessageDeduplicationId } : {}),
        attributes: Object.fromEntries(
          Object.entries(input.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            value.StringValue ?? "",
          ]),
        ),
      });
    }
    return awsJson("1.0", {
      MessageId: randomUUID(),
      MD5OfMessageBody: createHash("md5").update(messageBody, "utf8").digest("hex"),
    });
  });
  /** Standard queues only: a batch for a FIFO queue is refused, as nothing here sends one. */
  function sendBatch(input: SendMessageBatchInput) {
    const queue = (input.QueueUrl ?? "").split("/").pop() ?? "";
    if (!queues.has(queue) || queue.endsWith(".fifo")) {
      return awsJsonError(
        "1.0",
        400,
        "com.amazonaws.sqs#QueueDoesNotExist",
        "The specified queue does not exist.",
      );
    }
    const entries = input.Entries ?? [];
    if (entries.length === 0 || entries.length > 10) {
      return awsJsonError(
        "1.0",
        400,
        entries.length === 0
          ? "com.amazonaws.sqs#EmptyBatchRequest"
          : "com.amazonaws.sqs#TooManyEntriesInBatchRequest",
        "A batch holds 1 to 10 entries.",
      );
    }
    if (new Set(entries.map((e) => e.Id)).size !== entries.length) {
      return awsJsonError(
        "1.0",
        400,
        "com.amazonaws.sqs#BatchEntryIdsNotDistinct",
        "Two entries share an Id.",
      );
    }
    const successful = entries.map((entry) => {
      const messageBody = entry.MessageBody ?? "";
      sent.push({ queue, body: messageBody, attributes: {} });
      return {
        Id: entry.Id,
        MessageId: randomUUID(),
        MD5OfMessageBody: createHash("md5").update(messageBody, "utf8").digest("hex"),
      };
    });
    return awsJson("1.0", { Successful: successful, Failed: [] });
  }
  return {
    endpoint: server.endpoint,
    queueUrl: (queue) => `${server.endpoint}/${ACCOUNT}/${queue}`,
    sent,
    close: () => server.close(),
  };
}
