import { InternalErrorException, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createWebhookQueue } from "../../../functions/adapters/webhook-queue";
import { parseConfig } from "../../../functions/core/config";
import { serializeTopicRoutes, type TopicRoute } from "../../../functions/core/notifications/topics";
import { deduplicationId } from "../../../functions/core/notifications/webhook";
import { handler, notify } from "../../../functions/handlers/notifier";
import { CONFIG_DEFINE, encodeConfig } from "../../../functions/handlers/shared/deployed-config";
import { ENV } from "../../../functions/handlers/shared/environment";

const ALARM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms";
const CHAT_MAJOR = "arn:aws:sns:eu-west-1:123456789012:watchpost-chat-major";

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

const WEBHOOK_QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/watchpost-webhooks.fifo";

const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  sns.reset();
  sqs.reset();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});
afterAll(() => {
  sns.restore();
  sqs.restore();
});

function deps() {
  return {
    sns: new SNSClient({ region: "eu-west-1", maxAttempts: 1 }),
    topics: [
      { minimumSeverity: "warning", arn: ALARM_TOPIC },
      { minimumSeverity: "major", arn: CHAT_MAJOR },
    ] as TopicRoute[],
    stackName: "Watchpost-prod",
  };
}

function withWebhooks() {
  return {
    ...deps(),
    webhooks: [
      { name: "pager", minimumSeverity: "critical" as const },
      { name: "ops-slack", minimumSeverity: "major" as const },
      { name: "everything", minimumSeverity: "warning" as const },
    ],
    webhookQueue: createWebhookQueue({
      client: new SQSClient({ region: "eu-west-1", maxAttempts: 1 }),
      queueUrl: WEBHOOK_QUEUE,
    }),
  };
}

describe("notifier", () => {
  it("puts each topic's subject prefix before the summary line, and none where it has none", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const prefixed = "arn:aws:sns:eu-west-1:123456789012:watchpost-alarms-prod";
    const topics: TopicRoute[] = [
      { minimumSeverity: "warning", arn: ALARM_TOPIC },
      { minimumSeverity: "minor", subjectPrefix: "[prod-eu]", arn: prefixed },
    ];

    // Act
    await notify(alarmEvent(), { ...deps(), topics });

    // Assess
    expect(
      sns
        .commandCalls(PublishCommand)
        .map((call) => [call.args[0].input.TopicArn, call.args[0].input.Subject]),
    ).toEqual([
      [
        ALARM_TOPIC,
        "MINOR RAISED 1002 Certificate expiring: ...s/prod/api.pem#0 [Watchpost-prod 123456789012 eu-west-1]",
      ],
      [prefixed, "[prod-eu] MINOR RAISED 1002 Certificate expiring [Watchpost-prod 123456789012 eu-west-1]"],
    ]);
  });

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
      Subject:
        "MINOR RAISED 1002 Certificate expiring: ...s/prod/api.pem#0 [Watchpost-prod 123456789012 eu-west-1]",
      MessageAttributes: { severity: { DataType: "String", StringValue: "minor" } },
    });
    expect(Object.keys(JSON.parse(toAlarmTopic?.Message ?? "{}")).sort()).toEqual([
      "default",
      "email",
      "https",
    ]);
    expect(result.published).toEqual([ALARM_TOPIC]);
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

  it("names the deployment from the event's account and region and the configured stack name", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });

    // Act
    await notify({ ...alarmEvent(), account: "210987654321", region: "ap-southeast-2" }, deps());

    // Assess
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    const email = JSON.parse(input.Message ?? "{}").email as string;
    expect(input.Subject).toMatch(/\[Watchpost-prod 210987654321 ap-southeast-2\]$/);
    expect(email.split("\n")[1]).toBe("Watchpost-prod · account 210987654321 · ap-southeast-2");
  });

  it("queues one delivery per webhook whose minimum the event meets, grouped by webhook and de-duplicated", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    sqs.on(SendMessageCommand).resolves({ MessageId: "q-1" });

    // Act
    const result = await notify(alarmEvent({ severity: "major" }), withWebhooks());

    // Assess
    expect(result.webhooks).toEqual(["ops-slack", "everything"]);
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent.map((m) => m.MessageGroupId)).toEqual(["ops-slack", "everything"]);
    expect(sent[0]).toMatchObject({
      QueueUrl: WEBHOOK_QUEUE,
      MessageDeduplicationId: deduplicationId("6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f", "ops-slack"),
    });
    expect(JSON.parse(sent[0]!.MessageBody ?? "{}")).toMatchObject({
      webhook: "ops-slack",
      event: { account: "123456789012", region: "eu-west-1", detail: { severity: "major" } },
    });
  });

  it("routes a downgrade to the webhooks that heard the raise, and a clear by the severity it had", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    sqs.on(SendMessageCommand).resolves({ MessageId: "q-1" });

    // Act
    const downgrade = await notify(
      alarmEvent({ kind: "severity-changed", severity: "minor", previousSeverity: "critical" }),
      withWebhooks(),
    );
    const cleared = await notify(
      alarmEvent({ kind: "cleared", severity: "critical", clearedAt: "2025-01-05T01:00:00.000Z" }),
      withWebhooks(),
    );

    // Assess
    expect(downgrade.webhooks).toEqual(["pager", "ops-slack", "everything"]);
    expect(cleared.webhooks).toEqual(["pager", "ops-slack", "everything"]);
  });

  it("queues the raise at major, the drop to minor and the clear after it for a webhook at major (peakSeverity)", async () => {
    // Prepare: the occurrence as the lifecycle reports it; the clear alone says only "minor"
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    sqs.on(SendMessageCommand).resolves({ MessageId: "q-1" });
    const occurrence = [
      { kind: "raised", severity: "major", peakSeverity: "major" },
      { kind: "severity-changed", severity: "minor", previousSeverity: "major", peakSeverity: "major" },
      { kind: "cleared", severity: "minor", peakSeverity: "major", clearedAt: "2025-01-05T01:00:00.000Z" },
    ];

    // Act
    const queued = [];
    for (const detail of occurrence) queued.push((await notify(alarmEvent(detail), withWebhooks())).webhooks);

    // Assess
    expect(queued).toEqual([
      ["ops-slack", "everything"],
      ["ops-slack", "everything"],
      ["ops-slack", "everything"],
    ]);
  });

  it("fails the invocation when a delivery cannot be queued, so the event is retried, not lost", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    sqs.on(SendMessageCommand).rejects(new Error("SQS is down"));

    // Act / Assess
    await expect(notify(alarmEvent({ severity: "critical" }), withWebhooks())).rejects.toThrow("SQS is down");
  });

  it("as the Lambda handler, reads its topics from the environment and rethrows publish failures", async () => {
    // Prepare
    vi.stubGlobal(
      CONFIG_DEFINE,
      encodeConfig(parseConfig({ certificates: { sources: [{ prefix: "certs/" }] } })),
    );
    vi.stubEnv(
      ENV.alarmTopics,
      serializeTopicRoutes([
        { minimumSeverity: "warning", arn: ALARM_TOPIC },
        { minimumSeverity: "critical", arn: CHAT_MAJOR },
      ]),
    );
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
