import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AccessDeniedException,
  EventBridgeClient,
  InternalException,
  PutEventsCommand,
  type PutEventsRequestEntry,
  ThrottlingException,
} from "@aws-sdk/client-eventbridge";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { createEventPublisher, entrySize, MAX_CALL_BYTES } from "../../../functions/adapters/event-publisher";
import type { AlarmTransition } from "../../../functions/core/alarms/lifecycle";
import { REPO_ROOT } from "../../support/paths";

const schema = JSON.parse(
  readFileSync(join(REPO_ROOT, "schemas", "alarm-event.schema.json"), "utf8"),
) as object;
const ajv = new Ajv2020({ allErrors: true });
addFormats(ajv);
const validateDetail = ajv.compile(schema);

const BUS = "watchpost-alarms";
const client = new EventBridgeClient({
  region: "eu-west-1",
  maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" },
});
const eventBridge = mockClient(client);
afterEach(() => eventBridge.reset());

let serial = 0;
function transition(overrides: Partial<AlarmTransition> = {}): AlarmTransition {
  serial += 1;
  const hex = serial.toString(16).padStart(12, "0");
  return {
    id: `5f0c1f4e-8c55-4d6a-9a43-${hex}`,
    kind: "raised",
    fingerprint: `fp${hex}`,
    occurrenceId: `0d7f5a86-2b1e-4f37-8a6c-${hex}`,
    alarmId: "1001",
    check: "expired",
    severity: "critical",
    scope: "s3://certs/",
    source: `s3://certs/host-${serial}.pem#0`,
    message: "certificate expired 2 days ago",
    parameters: { Source: `s3://certs/host-${serial}.pem#0`, ServiceName: "ha" },
    firstSeen: "2030-01-01T01:00:00.000Z",
    lastSeen: "2030-01-01T01:00:00.000Z",
    silenced: false,
    at: "2030-01-01T01:00:00.000Z",
    ...overrides,
  };
}

function publisher(sleeps: number[] = []) {
  return createEventPublisher({
    eventBusName: BUS,
    client,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

function sentEntries(): PutEventsRequestEntry[][] {
  return eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

const accepted = (entries: number) => ({
  FailedEntryCount: 0,
  Entries: Array.from({ length: entries }, (_, i) => ({ EventId: `event-${i}` })),
});

describe("EventBridge alarm publisher", () => {
  it("puts one schema-valid event per transition on the custom bus with the detail-type of its kind", async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves(accepted(4));
    const transitions = [
      transition({ kind: "raised" }),
      transition({ kind: "severity-changed", severity: "critical", previousSeverity: "major" }),
      transition({ kind: "reminder" }),
      transition({ kind: "cleared", clearedAt: "2030-01-02T01:00:00.000Z" }),
    ];

    // Act
    const results = await publisher().publish(transitions);

    // Assess
    expect(results).toEqual(transitions.map((t) => ({ id: t.id, delivered: true })));
    const [entries] = sentEntries();
    expect(entries!.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([
      [BUS, "watchpost", "Alarm Raised"],
      [BUS, "watchpost", "Alarm Severity Changed"],
      [BUS, "watchpost", "Alarm Reminder"],
      [BUS, "watchpost", "Alarm Cleared"],
    ]);
    for (const entry of entries!) {
      const detail = JSON.parse(entry.Detail!) as unknown;
      expect(validateDetail(detail), JSON.stringify(validateDetail.errors)).toBe(true);
    }
    expect(JSON.parse(entries![1]!.Detail!)).toMatchObject({
      previousSeverity: "major",
      title: "Certificate expired",
    });
  });

  it("sends at most 10 entries and at most 256 KB per call", async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: unknown[] }) => accepted(input.Entries.length));
    const small = Array.from({ length: 23 }, () => transition());
    const large = Array.from({ length: 9 }, () => transition({ message: "y".repeat(60_000) }));

    // Act
    const results = await publisher().publish([...small, ...large]);

    // Assess
    expect(results.every((r) => r.delivered)).toBe(true);
    const calls = sentEntries();
    expect(calls.flat()).toHaveLength(32);
    for (const entries of calls) {
      expect(entries.length).toBeLessThanOrEqual(10);
      expect(entries.reduce((sum, e) => sum + entrySize(e), 0)).toBeLessThanOrEqual(MAX_CALL_BYTES);
    }
    expect(calls.map((c) => c.length)).toEqual([10, 10, 7, 4, 1]);
  });

  it("retries only the entries that failed with a transient error code", async () => {
    // Prepare
    const sleeps: number[] = [];
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: "a" },
          { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" },
          { ErrorCode: "InternalFailure", ErrorMessage: "try again" },
        ],
      })
      .resolves(accepted(2));
    const transitions = [transition(), transition(), transition()];

    // Act
    const results = await publisher(sleeps).publish(transitions);

    // Assess
    expect(results.every((r) => r.delivered)).toBe(true);
    const [first, second] = sentEntries();
    expect(first).toHaveLength(3);
    expect(second!.map((e) => JSON.parse(e.Detail!).eventId)).toEqual([
      transitions[1]!.id,
      transitions[2]!.id,
    ]);
    expect(sleeps).toEqual([200]);
  });

  it("backs off and retries the call when EventBridge throttles it", async () => {
    // Prepare
    const sleeps: number[] = [];
    const throttled = () => new ThrottlingException({ message: "Rate exceeded", $metadata: {} });
    eventBridge.on(PutEventsCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves(accepted(1));

    // Act
    const results = await publisher(sleeps).publish([transition()]);

    // Assess
    expect(results).toMatchObject([{ delivered: true }]);
    expect(sentEntries()).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
  });

  it("reports transient failures that outlast the retries as retryable, without looping further", async () => {
    // Prepare
    const sleeps: number[] = [];
    eventBridge
      .on(PutEventsCommand)
      .rejects(new InternalException({ message: "internal error", $metadata: {} }));

    // Act
    const results = await publisher(sleeps).publish([transition()]);

    // Assess
    expect(results).toMatchObject([
      { delivered: false, error: { code: "InternalException", message: "internal error", retryable: true } },
    ]);
    expect(sentEntries()).toHaveLength(4);
    expect(sleeps).toEqual([200, 400, 800]);
  });

  it("does not retry a call refused for good (access denied)", async () => {
    // Prepare
    const sleeps: number[] = [];
    eventBridge
      .on(PutEventsCommand)
      .rejects(
        new AccessDeniedException({ message: "not authorized to perform events:PutEvents", $metadata: {} }),
      );

    // Act
    const results = await publisher(sleeps).publish([transition(), transition()]);

    // Assess
    expect(results).toHaveLength(2);
    expect(
      results.every((r) => !r.delivered && r.error?.code === "AccessDeniedException" && !r.error.retryable),
    ).toBe(true);
    expect(sentEntries()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("does not retry entries refused for good, and delivers the rest", async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 2,
      Entries: [
        { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
        { EventId: "b" },
        { ErrorCode: "ValidationException", ErrorMessage: "bad entry" },
      ],
    });
    const transitions = [transition(), transition(), transition()];

    // Act
    const results = await publisher().publish(transitions);

    // Assess
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(byId.get(transitions[0]!.id)).toMatchObject({
      delivered: false,
      error: { code: "MalformedDetail", retryable: false },
    });
    expect(byId.get(transitions[1]!.id)).toMatchObject({ delivered: true });
    expect(byId.get(transitions[2]!.id)).toMatchObject({
      delivered: false,
      error: { code: "ValidationException" },
    });
    expect(sentEntries()).toHaveLength(1);
  });

  it("refuses an event larger than the PutEvents limit instead of sending it", async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves(accepted(1));
    const huge = transition({ parameters: { Source: "s3://certs/x.pem", Note: "z".repeat(MAX_CALL_BYTES) } });
    const normal = transition();

    // Act
    const results = await publisher().publish([huge, normal]);

    // Assess
    expect(results).toEqual([
      {
        id: huge.id,
        delivered: false,
        error: expect.objectContaining({ code: "EntryTooLarge", retryable: false }),
      },
      { id: normal.id, delivered: true },
    ]);
    expect(sentEntries().flat()).toHaveLength(1);
  });
});
