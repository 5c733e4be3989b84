/**
 * The EventBridge client alarm events are published with. A run that hangs on a silent connection
 * while it holds the claim on its pending events would delay them until the claim lapses.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { boundedClientFactory } from "./bounded";

/** PutEvents answers in well under a second; the request timeout is to the headers, and socket idle. */
export const eventBusClient = boundedClientFactory(EventBridgeClient, {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
});

let shared: EventBridgeClient | undefined;

/** One client per execution environment. */
export function sharedEventBusClient(): EventBridgeClient {
  shared ??= eventBusClient();
  return shared;
}
