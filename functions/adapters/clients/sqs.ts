/** The SQS client the scan hands batches out with; bounded in time like every other client. */
import { SQSClient } from "@aws-sdk/client-sqs";
import { type BoundedClientOptions, boundedClientConfig } from "./bounded";

export const SQS_CLIENT_DEFAULTS = {
  connectionTimeoutMs: 3_000,
  /** SendMessageBatch of ten messages of at most 240 KiB each. */
  requestTimeoutMs: 10_000,
} as const;

export function sqsClient(options: BoundedClientOptions = {}): SQSClient {
  return new SQSClient(boundedClientConfig(options, SQS_CLIENT_DEFAULTS));
}
