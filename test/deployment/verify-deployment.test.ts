/**
 * `watchpost verify-deployment` against a stack as synthesized: EventBridge and SNS have no local
 * implementation, so their clients are mocked, answering from the synthesized template (the rules
 * of the bus, judged by TestEventPattern with EventBridge's documented semantics, and their
 * targets) and with subscriptions in both states; the alarm table is dynalite; S3 is s3rver behind
 * a front that answers the bucket settings s3rver lacks (location, notification configuration).
 */
import {
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import { ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkCertificateBucket,
  createVerifyDeploymentCommand,
  verifyDeployment,
} from "../../bin/cli/verify-deployment";
import { createAlarmStore } from "../../functions/adapters/alarm-store";
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import { alarmIdFor } from "../../functions/core/alarm-ids";
import { AlarmEventDetail } from "../../functions/core/alarms/events";
import { DEFAULT_LIFECYCLE_POLICY, decideTransitions } from "../../functions/core/alarms/lifecycle";
import { fullConfig, synth } from "../infra/support";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../support/emulators";
import { matchesEventPattern } from "../support/event-pattern";
import { type S3WithBucketSettings, startS3WithBucketSettings } from "../support/s3-bucket-settings";
import { ResolvedTemplate } from "../support/template";

const events = new EventBridgeClient({ region: "eu-west-1", maxAttempts: 1 });
const sns = new SNSClient({ region: "eu-west-1", maxAttempts: 1 });
const eventsMock = mockClient(events);
const snsMock = mockClient(sns);
let dynamo: LocalDynamo;
let s3rver: LocalS3;
let s3: S3WithBucketSettings;
let stack: ResolvedTemplate;
let outputs: {
  AlarmBusName: string;
  AlarmTopicArns: string;
  AlarmTableName: string;
  CertificateBucketName: string;
};
const OWNER_QUEUE = "arn:aws:sqs:eu-west-1:123456789012:owner-uploads";
const put: PutEventsRequestEntry[] = [];
/** Each PutEvents call's entries, and the waits between them, in the order they happened. */
const steps: (string[] | { sleptMs: number })[] = [];
const sleep = async (ms: number) => {
  steps.push({ sleptMs: ms });
};

beforeAll(async () => {
  stack = new ResolvedTemplate(synth(fullConfig()).toJSON() as never);
  dynamo = await startDynalite();
  s3rver = await startS3rver();
  s3 = await startS3WithBucketSettings(s3rver.server);
  s3.buckets.set("acme-certs", { region: "eu-west-1", eventBridge: true, queueArns: [OWNER_QUEUE] });
  const bus = stack.ref(stack.ofType("AWS::Events::EventBus")[0]!);
  const table = await dynamo.createAlarmTable("verify-alarms");
  const topics = Object.fromEntries(
    stack.ofType("AWS::SNS::Topic").map((id) => {
      const name = String(stack.properties(id).DisplayName);
      return [/(\w+) and worse/.exec(name)?.[1] ?? "warning", stack.ref(id)];
    }),
  );
  outputs = {
    AlarmBusName: bus,
    AlarmTopicArns: JSON.stringify(topics),
    AlarmTableName: table,
    CertificateBucketName: "acme-certs",
  };

  const rules = stack
    .ofType("AWS::Events::Rule")
    .map((id) => ({ id, props: stack.properties(id) }))
    .filter(({ props }) => props.EventBusName === bus);
  eventsMock.on(ListRulesCommand).resolves({
    Rules: rules.map(({ id, props }) => ({ Name: id, EventPattern: JSON.stringify(props.EventPattern) })),
  });
  eventsMock.on(TestEventPatternCommand).callsFake(({ EventPattern, Event }) => ({
    Result: matchesEventPattern(JSON.parse(EventPattern), JSON.parse(Event)),
  }));
  eventsMock.on(ListTargetsByRuleCommand).callsFake(({ Rule }) => ({
    Targets: (rules.find((r) => r.id === Rule)!.props.Targets as { Id: string; Arn: string }[]).map((t) => ({
      Id: t.Id,
      Arn: t.Arn,
    })),
  }));
  eventsMock.on(PutEventsCommand).callsFake(({ Entries }) => {
    put.push(...Entries);
    steps.push(Entries.map((e: PutEventsRequestEntry) => e.DetailType));
    return {
      FailedEntryCount: 0,
      Entries: Entries.map((_: unknown, i: number) => ({ EventId: `e-${put.length}-${i}` })),
    };
  });
  snsMock.on(ListSubscriptionsByTopicCommand).callsFake(({ TopicArn }) => ({
    Subscriptions:
      TopicArn === topics.major
        ? [
            {
              Protocol: "email",
              Endpoint: "oncall@example.com",
              SubscriptionArn: "PendingConfirmation",
              TopicArn,
            },
            {
              Protocol: "https",
              Endpoint: "https://global.sns-api.chatbot.amazonaws.com",
              SubscriptionArn: `${TopicArn}:1`,
              TopicArn,
            },
          ]
        : [{ Protocol: "email", Endpoint: "team@example.com", SubscriptionArn: `${TopicArn}:2`, TopicArn }],
  }));

  // One active alarm, written by the real store.
  const run = {
    scope: "s3://certs/prod/",
    complete: true,
    examinedSources: [],
    findings: [
      {
        check: "expired" as const,
        alarmId: alarmIdFor("expired"),
        severity: "critical" as const,
        source: "s3://certs/prod/api.pem#0",
        message: "expired",
      },
    ],
    now: new Date(),
  };
  const [state] = decideTransitions(run, [], DEFAULT_LIFECYCLE_POLICY).next;
  const store = createAlarmStore({ tableName: table, client: documentClient(dynamo.client) });
  await store.decide(state!, undefined, []);
});

afterAll(async () => {
  eventsMock.restore();
  snsMock.restore();
  await dynamo.stop();
  await s3.stop();
  await s3rver.stop();
});

const clients = () => ({ events, sns, dynamodb: dynamo.client, s3: s3.client("eu-west-1") });

describe("verify-deployment", () => {
  it("marks the reminder of a silenced alarm silenced, so the notifier stays quiet", async () => {
    // Prepare
    put.length = 0;
    const silences = [
      {
        alarmId: alarmIdFor("expired"),
        startsAt: "2000-01-01T00:00:00Z",
        endsAt: "2999-01-01T00:00:00Z",
        reason: "planned renewal",
      },
    ];

    // Act
    await verifyDeployment(
      outputs,
      { severity: "critical", remind: true, silences, sleep, region: "eu-west-1" },
      clients(),
    );

    // Assess
    const reminder = put.find((e) => e.DetailType === "Alarm Reminder")!;
    expect(JSON.parse(reminder.Detail!)).toMatchObject({ kind: "reminder", silenced: true });
    put.length = 0;
  });

  it("puts a raise and its clear on the bus, reports the rules and the subscriptions, and re-sends active alarms", async () => {
    // Prepare
    steps.length = 0;

    // Act
    const report = await verifyDeployment(
      outputs,
      { severity: "critical", remind: true, sleep, region: "eu-west-1" },
      clients(),
    );

    // Assess: the events are valid alarm events
    const details = put.map((e) => AlarmEventDetail.parse(JSON.parse(e.Detail!)));
    expect(put.map((e) => [e.DetailType, e.EventBusName])).toEqual([
      ["Alarm Raised", outputs.AlarmBusName],
      ["Alarm Cleared", outputs.AlarmBusName],
      ["Alarm Reminder", outputs.AlarmBusName],
    ]);
    expect(details[0]!.source).toMatch(/^watchpost-verification\//);
    // The clear goes in its own PutEvents, seconds after the raise: EventBridge does not order the
    // events of one call, and each is a separate notifier invocation (Amazon EventBridge User Guide,
    // "Ordering and deduplicating events on a Custom Event Bus": an unordered subscriber delivers
    // events in parallel), so a clear in the raise's call may reach a webhook's queue first.
    expect(steps).toEqual([["Alarm Raised"], { sleptMs: 5000 }, ["Alarm Cleared"], ["Alarm Reminder"]]);
    expect(report.eventIds).toHaveLength(2);
    expect(details[2]!).toMatchObject({
      kind: "reminder",
      check: "expired",
      source: "s3://certs/prod/api.pem#0",
    });
    // the notifier's rule matches the raise (webhooks have no rule: the notifier queues their deliveries)
    expect(report.rules).toHaveLength(1);
    expect(report.rules[0]!.targets).toEqual([expect.stringMatching(/:function:/)]);
    expect(report.subscriptions.filter((s) => s.state === "pending").map((s) => s.endpoint)).toEqual([
      "oncall@example.com",
    ]);
    expect(report.reminders).toBe(1);
    expect(report.bucket).toEqual({ name: "acme-certs", region: "eu-west-1", eventBridge: true });
    expect(report.problems).toEqual([
      "email oncall@example.com has not confirmed its subscription: it receives nothing until it does",
    ]);
  });

  it("as a command: reads the outputs file, prints the report and exits 1 while a subscription is pending", async () => {
    // Prepare
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "watchpost-verify-"));
    writeFileSync(join(dir, "cdk-outputs.json"), JSON.stringify({ Watchpost: outputs }));
    let out = "";
    const command = createVerifyDeploymentCommand(clients, { sleep });

    // Act
    const code = await command(["--outputs", "cdk-outputs.json", "--region", "eu-west-1"], {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
      env: {},
      isTTY: false,
      cwd: dir,
    });

    // Assess
    expect(code).toBe(1);
    expect(out).toContain("rules that deliver it:");
    expect(out).toContain("major    email oncall@example.com  pending");
    expect(out).toContain("certificate bucket:\n  ✓ acme-certs in eu-west-1, EventBridge notifications on\n");
  });
});

describe("verify-deployment on the certificate bucket", () => {
  // S3 User Guide, "Using EventBridge" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html):
  // S3 sends a bucket's events to EventBridge only with EventBridgeConfiguration in its notification
  // configuration, and only to the default event bus of the bucket's own Region. GetBucketLocation
  // answers an empty LocationConstraint for us-east-1 (S3 API Reference, GetBucketLocation).
  it.each<
    [
      string,
      string,
      { region: string; eventBridge: boolean; denied?: boolean } | undefined,
      unknown,
      string[],
    ]
  >([
    [
      "on, in the stack's region, beside the owner's queue notification",
      "eu-west-1",
      { region: "eu-west-1", eventBridge: true },
      { region: "eu-west-1", eventBridge: true },
      [],
    ],
    [
      "off",
      "eu-west-1",
      { region: "eu-west-1", eventBridge: false },
      { region: "eu-west-1", eventBridge: false },
      [
        'bucket owned-certs sends no events to EventBridge: an upload is re-checked only by the next scheduled scan. Let the stack turn them on (certificates.bucket.eventBridgeNotifications absent or true, then deploy), or have the bucket\'s owner add EventBridgeConfiguration to its notification configuration, keeping the notifications it has (README, "Deploy")',
      ],
    ],
    [
      "in us-east-1 while the stack is in eu-west-1",
      "eu-west-1",
      { region: "us-east-1", eventBridge: true },
      { region: "us-east-1", eventBridge: true },
      [
        "bucket owned-certs is in us-east-1, the stack in eu-west-1: S3 sends the bucket's events only to the default event bus of us-east-1, so uploads are never re-checked, and the scan reads through eu-west-1; deploy the stack to us-east-1",
      ],
    ],
    [
      "not readable with the operator's credentials",
      "eu-west-1",
      { region: "eu-west-1", eventBridge: true, denied: true },
      {},
      [
        "cannot read the location of bucket owned-certs: your credentials lack s3:GetBucketLocation",
        "cannot read the notification configuration of bucket owned-certs: your credentials lack s3:GetBucketNotification",
      ],
    ],
    [
      "missing",
      "eu-west-1",
      undefined,
      {},
      [
        "bucket owned-certs does not exist: the scan has nothing to read; check certificates.bucket.existingBucketName",
      ],
    ],
  ])("is reported when its notifications are %s", async (_case, stackRegion, settings, seen, problems) => {
    // Prepare
    s3.buckets.delete("owned-certs");
    if (settings) s3.buckets.set("owned-certs", { ...settings, queueArns: [OWNER_QUEUE] });

    // Act
    const checked = await checkCertificateBucket("owned-certs", stackRegion, s3.client(stackRegion));

    // Assess
    expect(checked).toEqual({ bucket: { name: "owned-certs", ...(seen as object) }, problems });
  });
});
