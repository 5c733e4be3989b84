/**
 * EventBridge has no local implementation: a mocked client that accepts every entry and records
 * what was put, wired into the real publisher, so tests read the events an operator would get.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { createEventPublisher } from "../../functions/adapters/event-publisher";

export type RecordingEventBus = ReturnType<typeof recordingEventBus>;

export function recordingEventBus() {
  const client = new EventBridgeClient({
    region: "eu-west-1",
    maxAttempts: 1,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" },
  });
  const mock = mockClient(client);
  const sent: PutEventsRequestEntry[] = [];
  mock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
    sent.push(...input.Entries);
    return {
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${sent.length}-${i}` })),
    };
  });
  return {
    sent,
    /** The mocked client, for wiring that builds its own publisher (certificateScanDeps). */
    client,
    publisher: createEventPublisher({ eventBusName: "watchpost", client, sleep: async () => {} }),
    /**
     * "<detail-type> <check> <source>" for each event put, sorted; `strip` is taken off the front of
     * each source (a test's `s3://bucket/`), so a test reads its expectations as keys.
     */
    lines: (strip = ""): string[] =>
      sent
        .map((e) => {
          const detail = JSON.parse(e.Detail ?? "{}") as { check?: string; source?: string };
          const source = String(detail.source);
          return `${e.DetailType} ${detail.check} ${strip && source.startsWith(strip) ? source.slice(strip.length) : source}`;
        })
        .sort(),
    clear: () => {
      sent.length = 0;
    },
    restore: () => mock.restore(),
  };
}
