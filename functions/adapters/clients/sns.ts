/** The SNS client the notifier publishes with; a hung publish must fail well inside the function timeout. */
import { SNSClient } from "@aws-sdk/client-sns";
import { boundedClientFactory } from "./bounded";

export const snsClient = boundedClientFactory(SNSClient, {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
});
