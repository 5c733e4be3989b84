/** The SNS client the notifier publishes with; a hung publish must fail well inside the function timeout. */
import { SNSClient } from "@aws-sdk/client-sns";
import { type BoundedClientOptions, boundedClientConfig } from "./bounded";

export const SNS_CLIENT_DEFAULTS = {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
} as const;

export function snsClient(options: BoundedClientOptions = {}): SNSClient {
  return new SNSClient(boundedClientConfig(options, SNS_CLIENT_DEFAULTS));
}
