/**
 * Who receives what, judged on the synthesized template with AWS's documented matching semantics
 * (test/support/event-pattern.ts, sns-filter-policy.ts): every rule on the alarm bus, the real
 * notifier with the environment the stack gives it (its topics, and the webhook queue it puts one
 * delivery per webhook on, which the webhook function consumes), every SNS subscription's filter
 * policy, every Chatbot channel and every CloudWatch alarm action. The events are the ones the real lifecycle and
 * event builder produce (test/support/alarm-scenarios.ts).
 *
 * The promise under test: a recipient gets an event of an occurrence when the event is not silenced
 * and the worst severity the occurrence has had so far is at least the recipient's minimum — so
 * whoever got any event of an occurrence gets every later one (the drop below their minimum and
 * the clear included), and nobody gets one twice. CloudWatch alarms about watchpost itself (no
 * message attributes) reach every email recipient and chat channel once.
 */
import { PublishCommand, type PublishCommandInput } from "@aws-sdk/client-sns";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { createWebhookQueue } from "../../functions/adapters/webhook-queue";
import { parseConfig, type WatchpostConfigInput } from "../../functions/core/config";
import { compareSeverity, type Severity } from "../../functions/core/contracts";
import { notify, topicsFrom } from "../../functions/handlers/notifier";
import { ENV } from "../../functions/handlers/shared/environment";
import { fullConfig, synth } from "../infra/support";
import { type DeliveredEvent, occurrenceEvents, type Step } from "../support/alarm-scenarios";
import { matchesEventPattern } from "../support/event-pattern";
import { deliversMessage, type SnsMessageAttributes } from "../support/sns-filter-policy";
import { ResolvedTemplate } from "../support/template";

const jsonWebhook = (name: string, minimumSeverity: Severity) => ({
  name,
  url: `https://hooks.example.com/${name}`,
  minimumSeverity,
  auth: { type: "api-key" as const, headerName: "x-api-key", secretName: `watchpost/${name}` },
});
const chatWebhook = (name: string, format: "slack" | "teams", minimumSeverity: Severity) => ({
  name,
  format,
  urlSecretName: `watchpost/${name}`,
  minimumSeverity,
});

const config: WatchpostConfigInput = {
  certificates: { sources: [{ prefix: "prod/" }] },
  notifications: {
    email: [
      { address: "oncall@example.com", minimumSeverity: "major" },
      { address: "team@example.com", minimumSeverity: "warning" },
      { address: "cto@example.com", minimumSeverity: "critical" },
    ],
    // Slack channel "ops" at major, Teams channel "platform" at minor.
    slack: fullConfig().notifications?.slack,
    teams: fullConfig().notifications?.teams,
    webhooks: [
      jsonWebhook("pager", "critical"),
      chatWebhook("tickets", "slack", "major"),
      chatWebhook("archive", "teams", "warning"),
    ],
  },
};

/** Every recipient and its minimum severity, named as the deliveries below name them. */
const RECIPIENTS: Record<string, Severity> = {
  "email:oncall@example.com": "major",
  "email:team@example.com": "warning",
  "email:cto@example.com": "critical",
  "chat:ops": "major",
  "chat:platform": "minor",
  "webhook:pager": "critical",
  "webhook:tickets": "major",
  "webhook:archive": "warning",
};

let stack: ResolvedTemplate;

beforeAll(() => {
  stack = new ResolvedTemplate(synth(config).toJSON() as never);
});

/** The queue URL the webhook function consumes (its event source mapping), as the notifier must name it. */
function webhookQueueUrl(): string {
  const delivery = stack
    .ofType("AWS::Lambda::Function")
    .find((id) => String(stack.properties(id).Description).startsWith("Renders watchpost"))!;
  const mapping = stack
    .ofType("AWS::Lambda::EventSourceMapping")
    .map((id) => stack.properties(id))
    .find((m) => m.FunctionName === stack.ref(delivery))!;
  const queue = stack
    .ofType("AWS::SQS::Queue")
    .find((id) => stack.getAtt(id, "Arn") === mapping.EventSourceArn)!;
  return stack.ref(queue);
}

/** The SNS fan-out of one publish: subscriptions whose filter policy passes, and Chatbot channels. */
function snsDeliveries(topicArn: string, attributes: SnsMessageAttributes): string[] {
  const received: string[] = [];
  for (const id of stack.ofType("AWS::SNS::Subscription")) {
    const subscription = stack.properties(id);
    if (subscription.TopicArn !== topicArn) continue;
    if (deliversMessage(subscription.FilterPolicy as never, attributes)) {
      received.push(`${subscription.Protocol}:${subscription.Endpoint}`);
    }
  }
  // Chatbot owns its subscriptions, and they carry no filter policy.
  for (const type of [
    "AWS::Chatbot::SlackChannelConfiguration",
    "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
  ]) {
    for (const id of stack.ofType(type)) {
      const channel = stack.properties(id);
      if ((channel.SnsTopicArns as string[]).includes(topicArn)) {
        const name = Object.keys(RECIPIENTS).find((r) =>
          String(channel.ConfigurationName).startsWith(`Watchpost-${r.replace(/^chat:/, "")}-`),
        );
        received.push(name ?? `chat:?${String(channel.ConfigurationName)}`);
      }
    }
  }
  return received;
}

/**
 * The notifier invoked with the event, as deployed: its environment, the configuration compiled
 * into it, its real routing; what it publishes to the topics, and the webhooks it queues a delivery
 * for on the queue the webhook function consumes.
 */
async function notifierSends(
  event: DeliveredEvent,
  functionId: string,
): Promise<{ published: PublishCommandInput[]; webhooks: string[] }> {
  const environment = (stack.properties(functionId).Environment as { Variables: Record<string, string> })
    .Variables;
  const published: PublishCommandInput[] = [];
  const webhooks: string[] = [];
  const sns = {
    send: async (command: unknown) => {
      if (command instanceof PublishCommand) published.push(command.input);
      return {};
    },
  };
  const sqs = {
    send: async (command: unknown) => {
      if (command instanceof SendMessageCommand && command.input.QueueUrl === webhookQueueUrl()) {
        webhooks.push(command.input.MessageGroupId!);
      }
      return {};
    },
  };
  await notify(event, {
    sns: sns as never,
    topics: topicsFrom(environment),
    stackName: "Watchpost",
    webhooks: parseConfig(config).notifications.webhooks,
    webhookQueue: createWebhookQueue({ client: sqs, queueUrl: environment[ENV.webhookQueueUrl]! }),
  });
  return { published, webhooks };
}

/** Everyone who receives `event`, once per delivery (a duplicate shows as two entries). */
async function recipientsOf(event: DeliveredEvent): Promise<string[]> {
  const functionArns = new Map(
    stack.ofType("AWS::Lambda::Function").map((id) => [stack.getAtt(id, "Arn"), id]),
  );
  const received: string[] = [];
  for (const id of stack.ofType("AWS::Events::Rule")) {
    const rule = stack.properties(id);
    if (!rule.EventPattern || !matchesEventPattern(rule.EventPattern as never, { ...event })) continue;
    for (const target of rule.Targets as { Arn: string }[]) {
      const functionId = functionArns.get(target.Arn);
      if (!functionId) {
        received.push(`unknown target ${target.Arn}`);
        continue;
      }
      const { published, webhooks } = await notifierSends(event, functionId);
      for (const publish of published) {
        received.push(...snsDeliveries(publish.TopicArn!, (publish.MessageAttributes ?? {}) as never));
      }
      received.push(...webhooks.map((name) => `webhook:${name}`));
    }
  }
  return received.sort();
}

/** What the promise says each event's recipients are. */
function expectedRecipients(events: readonly DeliveredEvent[]): string[][] {
  let worst: Severity | undefined;
  return events.map((event) => {
    for (const seen of [event.detail.severity, event.detail.previousSeverity]) {
      if (seen && (worst === undefined || compareSeverity(seen, worst) < 0)) worst = seen;
    }
    if (event.detail.silenced || worst === undefined) return [];
    const peak = worst;
    return Object.entries(RECIPIENTS)
      .filter(([, minimum]) => compareSeverity(peak, minimum) <= 0)
      .map(([name]) => name)
      .sort();
  });
}

const SCENARIOS: [string, Step[]][] = [
  ["raised at major, dropped to minor, cleared", ["major", "minor", "clear"]],
  [
    "raised at minor, escalated to critical, dropped to warning, reminded, cleared",
    ["minor", "critical", "warning", "remind", "clear"],
  ],
  ["raised at warning, reminded, cleared", ["warning", "remind", "clear"]],
  ["raised at critical, reminded, cleared", ["critical", "remind", "clear"]],
  ["raised at warning, escalated to major, cleared", ["warning", "major", "clear"]],
];

describe("alarm events reach whoever got the occurrence's worst severity, to the end", () => {
  it.each(SCENARIOS)("%s", async (_name, steps) => {
    // Prepare
    const events = occurrenceEvents(steps);

    // Act
    const delivered = await Promise.all(events.map(recipientsOf));

    // Assess
    expect(delivered.map((r, i) => [events[i]!.detail.kind, events[i]!.detail.severity, r])).toEqual(
      expectedRecipients(events).map((r, i) => [events[i]!.detail.kind, events[i]!.detail.severity, r]),
    );
  });

  it("tells nobody about silenced events, in any destination", async () => {
    // Prepare
    const events = occurrenceEvents(["critical", "minor", "clear"], {
      reminderHours: 24,
      damping: {},
      historyDays: 90,
      silences: [
        {
          alarmId: "1002",
          startsAt: "2029-01-01T00:00:00Z",
          endsAt: "2031-01-01T00:00:00Z",
          reason: "maintenance",
        },
      ],
    });

    // Act
    const delivered = await Promise.all(events.map(recipientsOf));

    // Assess
    expect(events.every((e) => e.detail.silenced)).toBe(true);
    expect(delivered).toEqual(events.map(() => []));
  });
});

describe("the paging rule docs/events.md recommends", () => {
  it.each(SCENARIOS)("keeps a critical-and-major pager informed to the end: %s", async (_name, steps) => {
    // Prepare
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "events.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Rule patterns"));
    const pattern = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(section)![1]!);
    const events = occurrenceEvents(steps);

    // Act
    const matched = events.map((event) => matchesEventPattern(pattern, { ...event }));

    // Assess: the same promise, for a recipient whose minimum is major
    let worst: Severity | undefined;
    const expected = events.map((event) => {
      for (const seen of [event.detail.severity, event.detail.previousSeverity]) {
        if (seen && (worst === undefined || compareSeverity(seen, worst) < 0)) worst = seen;
      }
      return worst !== undefined && compareSeverity(worst, "major") <= 0;
    });
    expect(matched).toEqual(expected);
  });
});

describe("CloudWatch alarms about watchpost itself", () => {
  it("reach every email recipient and chat channel exactly once (their notifications carry no message attribute)", () => {
    // Prepare
    const alarms = stack.ofType("AWS::CloudWatch::Alarm");
    expect(alarms.length).toBeGreaterThan(3);

    for (const id of alarms) {
      // Act
      const received = (stack.properties(id).AlarmActions as string[])
        .flatMap((topicArn) => snsDeliveries(topicArn, {}))
        .sort();

      // Assess
      expect(received, id).toEqual(
        Object.keys(RECIPIENTS)
          .filter((name) => !name.startsWith("webhook:"))
          .sort(),
      );
    }
  });
});
