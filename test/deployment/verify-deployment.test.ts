/**
 * `watchpost verify-deployment` against a stack as synthesized: EventBridge and SNS have no local
 * implementation, so their clients are mocked, answering from the synthesized template (the rules
 * of the bus, judged by TestEventPattern with EventBridge's documented semantics, and their
 * targets) and with subscriptions in both states; the alarm table is dynalite.
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
import { createVerifyDeploymentCommand, verifyDeployment } from "../../bin/cli/verify-deployment";
import { createAlarmStore } from "../../functions/adapters/alarm-store";
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import { alarmIdFor } from "../../functions/core/alarms/alarm-ids";
import { AlarmEventDetail } from "../../functions/core/alarms/events";
import { DEFAULT_LIFECYCLE_POLICY, decideTransitions } from "../../functions/core/alarms/lifecycle";
import { fullConfig, synth } from "../infra/support";
import { type LocalDynamo, startDynalite } from "../support/emulators";
import { matchesEventPattern } from "../support/event-pattern";
import { ResolvedTemplate } from "../support/template";

const events = new EventBridgeClient({ region: "eu-west-1", maxAttempts: 1 });
const sns = new SNSClient({ region: "eu-west-1", maxAttempts: 1 });
const eventsMock = mockClient(events);
const snsMock = mockClient(sns);
let dynamo: LocalDynamo;
let stack: ResolvedTemplate;
let outputs: { AlarmBusName: string; AlarmTopicArns: string; AlarmTableName: string };
const put: PutEventsRequestEntry[] = [];
/** Each PutEvents call's entries, and the waits between them, in the order they happened. */
const steps: (string[] | { sleptMs: number })[] = [];
const sleep = async (ms: number) => {
  steps.push({ sleptMs: ms });
};

beforeAll(async () => {
  stack = new ResolvedTemplate(synth(fullConfig()).toJSON() as never);
  dynamo = await startDynalite();
  const bus = stack.ref(stack.ofType("AWS::Events::EventBus")[0]!);
  const table = await dynamo.createAlarmTable("verify-alarms");
  const topics = Object.fromEntries(
    stack.ofType("AWS::SNS::Topic").map((id) => {
      const name = String(stack.properties(id).DisplayName);
      return [/(\w+) and worse/.exec(name)?.[1] ?? "warning", stack.ref(id)];
    }),
  );
  outputs = { AlarmBusName: bus, AlarmTopicArns: JSON.stringify(topics), AlarmTableName: table };

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
});

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
      { severity: "critical", remind: true, silences, sleep },
      { events, sns, dynamodb: dynamo.client },
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
      { severity: "critical", remind: true, sleep },
      { events, sns, dynamodb: dynamo.client },
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
    const command = createVerifyDeploymentCommand(() => ({ events, sns, dynamodb: dynamo.client }), {
      sleep,
    });

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
  });
});
