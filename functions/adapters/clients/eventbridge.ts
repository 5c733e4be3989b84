/**
 * The EventBridge client alarm events are published with. Bounded in time: a run that hangs on a
 * silent connection while it holds the claim on its pending events delays them until the claim
 * lapses, or past the function's timeout.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { type BoundedClientOptions, boundedClientConfig } from "./bounded";

export const EVENT_BUS_CLIENT_DEFAULTS = {
  connectionTimeoutMs: 3_000,
  /** PutEvents answers in well under a second; this is to the response headers, and socket idle. */
  requestTimeoutMs: 5_000,
} as const;

export function eventBusClient(options: BoundedClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient(boundedClientConfig(options, EVENT_BUS_CLIENT_DEFAULTS));
}

let shared: EventBridgeClient | undefined;

/** One client per execution environment. */
export function sharedEventBusClient(): EventBridgeClient {
  shared ??= eventBusClient();
  return shared;
}
