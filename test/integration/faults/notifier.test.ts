/**
 * The notifier Lambda while SNS fails, raising SNS's own exception classes (aws-sdk-client-mock).
 * The handler must fail the invocation every time a notification did not go out, so that Lambda's
 * async retries run and, when they are used up, the event is parked in the dead-letter queue
 * (test/infra/faults-notifier-delivery.test.ts): no failure may end as a quiet success.
 */
import {
  AuthorizationErrorException,
  InternalErrorException,
  KMSThrottlingException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { serializeTopicRoutes } from "../../../functions/core/notifications/topics";
import { handler } from "../../../functions/handlers/notifier";
import { CONFIG_DEFINE, encodeConfig } from "../../../functions/handlers/shared/deployed-config";
import { ENV } from "../../../functions/handlers/shared/environment";

const ALARM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms";
const CHAT_MAJOR = "arn:aws:sns:eu-west-1:123456789012:watchpost-chat-major";

const sns = mockClient(SNSClient);

beforeAll(() => {
  // What the stack compiles into the bundle: the configuration (here, its stack name is what counts).
  vi.stubGlobal(
    CONFIG_DEFINE,
    encodeConfig(parseConfig({ certificates: { sources: [{ prefix: "certs/" }] } })),
  );
  vi.stubEnv(
    ENV.alarmTopics,
    serializeTopicRoutes([
      { minimumSeverity: "warning", arn: ALARM_TOPIC },
      { minimumSeverity: "major", arn: CHAT_MAJOR },
    ]),
  );
  vi.stubEnv("AWS_REGION", "eu-west-1");
});

beforeEach(() => sns.reset());

afterAll(() => {
  sns.restore();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

/** An alarm event as EventBridge hands it to the notifier. */
function alarmEvent(eventId: string) {
  return {
    version: "0",
    id: `bus-${eventId}`,
    "detail-type": "Alarm Raised",
    source: "watchpost",
    account: "123456789012",
    time: "2031-01-04T01:00:00Z",
    region: "eu-west-1",
    resources: [],
    detail: {
      schemaVersion: "1",
      eventId,
      kind: "raised",
      alarmId: "1001",
      title: "Certificate expired",
      severity: "critical",
      check: "expired",
      fingerprint: "1001|s3://certs/prod/|s3://certs/prod/api.pem#0",
      occurrenceId: "0d9b8c7a-6e5f-4a3b-8c1d-2e3f4a5b6c7d",
      scope: "s3://certs/prod/",
      source: "s3://certs/prod/api.pem#0",
      parameters: {},
      message: "Certificate expired 2 days ago.",
      firstSeen: "2031-01-04T01:00:00.000Z",
      lastSeen: "2031-01-04T01:00:00.000Z",
      at: "2031-01-04T01:00:00.000Z",
      doc: "docs/alarms/1001.md",
      silenced: false,
    },
  };
}

const meta = { $metadata: { httpStatusCode: 500 } };
const failures = [
  ["throttled", () => new ThrottledException({ message: "Rate exceeded", ...meta })],
  ["failing internally", () => new InternalErrorException({ message: "Internal error", ...meta })],
  [
    "unable to encrypt (KMS throttled)",
    () => new KMSThrottlingException({ message: "KMS throttled", ...meta }),
  ],
  ["refusing the role", () => new AuthorizationErrorException({ message: "not authorized", ...meta })],
] as const;

function publishedTo(): string[] {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input.TopicArn ?? "");
}

describe("notifier when SNS fails", () => {
  it.each(failures)("fails the invocation when SNS is %s, so Lambda retries it", async (_, error) => {
    // Prepare
    const thrown = error();
    sns.on(PublishCommand).rejects(thrown);

    // Act
    const invocation = handler(alarmEvent("5f0c1f4e-8c55-4d6a-9a43-000000000001"));

    // Assess
    await expect(invocation).rejects.toBe(thrown);
  });

  it("fails the invocation when one topic of several refuses, even after another accepted", async () => {
    // Prepare
    sns
      .on(PublishCommand, { TopicArn: ALARM_TOPIC })
      .resolves({ MessageId: "m-1" })
      .on(PublishCommand, { TopicArn: CHAT_MAJOR })
      .rejects(new ThrottledException({ message: "Rate exceeded", ...meta }));

    // Act
    const invocation = handler(alarmEvent("5f0c1f4e-8c55-4d6a-9a43-000000000002"));

    // Assess
    await expect(invocation).rejects.toThrow(ThrottledException);
    expect(publishedTo()).toEqual([ALARM_TOPIC, CHAT_MAJOR]);
  });

  it("delivers to every topic on the Lambda retry after SNS recovers", async () => {
    // Prepare
    const event = alarmEvent("5f0c1f4e-8c55-4d6a-9a43-000000000003");
    sns
      .on(PublishCommand)
      .rejectsOnce(new InternalErrorException({ message: "Internal error", ...meta }))
      .rejectsOnce(new ThrottledException({ message: "Rate exceeded", ...meta }))
      .resolves({ MessageId: "m-ok" });

    // Act: the invocation, then Lambda's two async retries of the same event
    const first = await handler(event).catch((error: unknown) => error);
    const second = await handler(event).catch((error: unknown) => error);
    const third = await handler(event);

    // Assess
    expect(first).toBeInstanceOf(InternalErrorException);
    expect(second).toBeInstanceOf(ThrottledException);
    expect(third.published).toEqual([ALARM_TOPIC, CHAT_MAJOR]);
    expect(publishedTo()).toEqual([ALARM_TOPIC, ALARM_TOPIC, ALARM_TOPIC, CHAT_MAJOR]);
  });

  it("fails the invocation for an event it cannot read, so it is parked rather than dropped", async () => {
    // Prepare
    const garbled = { ...alarmEvent("5f0c1f4e-8c55-4d6a-9a43-000000000004"), detail: { kind: "raised" } };

    // Act
    const invocation = handler(garbled);

    // Assess
    await expect(invocation).rejects.toThrow();
    expect(publishedTo()).toEqual([]);
  });
});
