import { InternalErrorException, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { handler, notify, topicsFor } from "../../functions/handlers/notifier";
import { ENV } from "../../functions/handlers/shared/environment";

const ALARM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms";
const CHAT_MAJOR = "arn:aws:sns:eu-west-1:123456789012:watchpost-chat-major";
const MINOR_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms-minor";

function alarmEvent(detail: Record<string, unknown> = {}) {
  return {
    version: "0",
    id: "e2a7c1d0-1111-2222-3333-444455556666",
    "detail-type": "Alarm Raised",
    source: "watchpost",
    account: "123456789012",
    time: "2025-01-04T01:00:00Z",
    region: "eu-west-1",
    resources: [],
    detail: {
      schemaVersion: "1",
      eventId: "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f",
      kind: "raised",
      alarmId: "1002",
      title: "Certificate expiring",
      severity: "minor",
      check: "expiring",
      fingerprint: "1002|s3://certs/prod/|s3://certs/prod/api.pem#0",
      occurrenceId: "0d9b8c7a-6e5f-4a3b-8c1d-2e3f4a5b6c7d",
      scope: "s3://certs/prod/",
      source: "s3://certs/prod/api.pem#0",
      parameters: {},
      message: "Certificate expires in 21 days.",
      firstSeen: "2025-01-04T01:00:00.000Z",
      lastSeen: "2025-01-04T01:00:00.000Z",
      at: "2025-01-04T01:00:00.000Z",
      doc: "docs/alarms/1002.md",
      silenced: false,
      ...detail,
    },
  };
}

const sns = mockClient(SNSClient);
afterEach(() => {
  sns.reset();
  vi.unstubAllEnvs();
});

function deps() {
  return {
    sns: new SNSClient({ region: "eu-west-1", maxAttempts: 1 }),
    topicArns: { warning: ALARM_TOPIC, major: CHAT_MAJOR },
  };
}

describe("notifier", () => {
  it("publishes a JSON-structured message with the severity attribute to the alarm topic", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });

    // Act
    const result = await notify(alarmEvent(), deps());

    // Assess
    const calls = sns.commandCalls(PublishCommand);
    const toAlarmTopic = calls.find((c) => c.args[0].input.TopicArn === ALARM_TOPIC)?.args[0].input;
    expect(toAlarmTopic).toMatchObject({
      MessageStructure: "json",
      Subject: "MINOR RAISED 1002 Certificate expiring: s3://certs/prod/api.pem#0",
      MessageAttributes: { severity: { DataType: "String", StringValue: "minor" } },
    });
    expect(Object.keys(JSON.parse(toAlarmTopic?.Message ?? "{}")).sort()).toEqual([
      "default",
      "email",
      "https",
    ]);
    expect(result.published).toEqual([ALARM_TOPIC]);
  });

  it("sends to the topics whose minimum the event meets, each once, and only those", () => {
    // Assess
    const routing = { topicArns: { warning: ALARM_TOPIC, major: CHAT_MAJOR, minor: MINOR_TOPIC } };
    expect(topicsFor("critical", routing)).toEqual([ALARM_TOPIC, CHAT_MAJOR, MINOR_TOPIC]);
    expect(topicsFor("major", routing)).toEqual([ALARM_TOPIC, CHAT_MAJOR, MINOR_TOPIC]);
    expect(topicsFor("minor", routing)).toEqual([ALARM_TOPIC, MINOR_TOPIC]);
    expect(topicsFor("warning", routing)).toEqual([ALARM_TOPIC]);
  });

  it("routes a drop and the clear after it by the occurrence's worst severity", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });

    // Act
    const dropped = await notify(
      alarmEvent({
        kind: "severity-changed",
        severity: "minor",
        previousSeverity: "major",
        peakSeverity: "major",
      }),
      deps(),
    );
    const cleared = await notify(
      alarmEvent({ kind: "cleared", severity: "minor", peakSeverity: "major" }),
      deps(),
    );

    // Assess
    expect(dropped.published).toEqual([ALARM_TOPIC, CHAT_MAJOR]);
    expect(cleared.published).toEqual([ALARM_TOPIC, CHAT_MAJOR]);
  });

  it("publishes nothing for a silenced alarm", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });

    // Act
    const result = await notify(alarmEvent({ silenced: true }), deps());

    // Assess
    expect(result).toEqual({ published: [], skipped: "silenced" });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("throws when a publish fails, so Lambda retries and the event ends in the DLQ rather than vanishing", async () => {
    // Prepare
    sns
      .on(PublishCommand)
      .rejects(new InternalErrorException({ message: "SNS is having a day", $metadata: {} }));

    // Act / Assess
    await expect(notify(alarmEvent(), deps())).rejects.toThrow(InternalErrorException);
  });

  it("rejects an event that is not a watchpost alarm event", async () => {
    // Act / Assess
    await expect(notify({ ...alarmEvent(), source: "aws.s3" }, deps())).rejects.toThrow();
    await expect(notify(alarmEvent({ severity: "urgent" }), deps())).rejects.toThrow();
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("as the Lambda handler, reads its topics from the environment and rethrows publish failures", async () => {
    // Prepare
    vi.stubEnv(ENV.severityTopicArns, JSON.stringify({ warning: ALARM_TOPIC, critical: CHAT_MAJOR }));
    vi.stubEnv("AWS_REGION", "eu-west-1");
    sns
      .on(PublishCommand)
      .resolvesOnce({ MessageId: "m-1" })
      .resolvesOnce({ MessageId: "m-2" })
      .rejects(new InternalErrorException({ message: "down", $metadata: {} }));

    // Act
    const first = await handler(alarmEvent({ severity: "critical", kind: "reminder" }));
    const second = handler(alarmEvent({ severity: "critical", kind: "reminder" }));

    // Assess
    expect(first.published).toEqual([ALARM_TOPIC, CHAT_MAJOR]);
    await expect(second).rejects.toThrow("down");
  });
});
