/**
 * EventBridge has no local implementation: this is an in-process bus behind a loopback endpoint
 * speaking the JSON protocol of `PutEvents` (awsJson1_1, `X-Amz-Target: AWSEvents.PutEvents`), so
 * the real EventBridgeClient and the real publisher (functions/adapters/event-publisher.ts) run
 * unchanged. Every accepted entry is handed to `onEvent` as it arrives; nothing is routed further.
 */
import { randomUUID } from "node:crypto";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { awsJson, awsJsonError, startLoopbackServer } from "./http";

/** One entry as it reached the bus. */
export interface BusEvent {
  id: string;
  eventBusName: string;
  source: string;
  detailType: string;
  time: Date;
  detail: Record<string, unknown>;
}

export interface LocalEventBus {
  endpoint: string;
  /** An EventBridge client whose PutEvents goes to this bus. */
  client: EventBridgeClient;
  events: BusEvent[];
  close(): Promise<void>;
}

interface PutEventsEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: number | string;
}

export async function startLocalEventBus(
  onEvent: (event: BusEvent) => void = () => {},
): Promise<LocalEventBus> {
  const events: BusEvent[] = [];
  const server = await startLoopbackServer(({ headers, body }) => {
    const target = headers["x-amz-target"];
    if (target !== "AWSEvents.PutEvents") {
      return awsJsonError(
        "1.1",
        400,
        "UnknownOperationException",
        `the local bus answers PutEvents only, not ${target}`,
      );
    }
    const { Entries = [] } = JSON.parse(body) as { Entries?: PutEventsEntry[] };
    const results = Entries.map((entry) => {
      let detail: Record<string, unknown>;
      try {
        detail = JSON.parse(entry.Detail ?? "");
      } catch {
        return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is not valid JSON" };
      }
      if (!entry.Source || !entry.DetailType) {
        return { ErrorCode: "InvalidArgument", ErrorMessage: "Source and DetailType are required" };
      }
      const event: BusEvent = {
        id: randomUUID(),
        eventBusName: entry.EventBusName ?? "default",
        source: entry.Source,
        detailType: entry.DetailType,
        time: entry.Time === undefined ? new Date() : new Date(Number(entry.Time) * 1000),
        detail,
      };
      events.push(event);
      onEvent(event);
      return { EventId: event.id };
    });
    const failed = results.filter((r) => "ErrorCode" in r).length;
    return awsJson("1.1", { FailedEntryCount: failed, Entries: results });
  });
  const client = new EventBridgeClient({
    endpoint: server.endpoint,
    region: "us-east-1",
    maxAttempts: 1,
    credentials: { accessKeyId: "LOCALBUS", secretAccessKey: "local-bus-accepts-any-signature" },
  });
  return {
    endpoint: server.endpoint,
    client,
    events,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}
