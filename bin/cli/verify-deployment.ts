/**
 * `watchpost verify-deployment`: proves a fresh deployment end to end, from the outside, with the
 * operator's own AWS credentials. It puts a synthetic alarm event on the watchpost bus (a raise,
 * then, seconds later and in a call of its own, its clear, so chat threads and webhook incidents
 * close again), asks EventBridge which rules
 * match it (TestEventPattern on every rule of the bus) and where those rules deliver, and lists
 * every subscription of every alarm topic with its state: a subscription still pending
 * confirmation receives nothing. With `--remind` it also re-sends a reminder of every active alarm,
 * for recipients who confirmed their subscription after the deploy-time check had already raised
 * (README, "Deploy"). Exit 0 when every destination is ready, 1 when some are not (pending
 * subscriptions, no matching rule, a certificate bucket that sends no events to EventBridge or
 * is in another region), 2 when the event could not be put on the bus, 3 usage.
 *
 *   npx cdk deploy --outputs-file cdk-outputs.json
 *   npm run -s cli -- verify-deployment --outputs cdk-outputs.json [--remind]
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type ParseArgsConfig, styleText } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import {
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import * as z from "zod";
import { createAlarmStore } from "../../functions/adapters/alarm-store";
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import { alarmIdFor } from "../../functions/core/alarm-ids";
import { transitionOf } from "../../functions/core/alarms/alarm-content";
import { detailTypeOf, EVENT_SOURCE, toEventDetail } from "../../functions/core/alarms/events";
import type { AlarmState, AlarmTransition } from "../../functions/core/alarms/lifecycle";
import { isSilenced, type Silence } from "../../functions/core/alarms/silences";
import { parseConfigText } from "../../functions/core/config";
import { EXIT, Severity } from "../../functions/core/contracts";
import { type CliIo, type Command, UsageError } from "./io";
import { OutputFormat, parseCommandLine, validateOptions } from "./options";

const FLAGS = {
  outputs: { type: "string" },
  stack: { type: "string" },
  region: { type: "string" },
  severity: { type: "string" },
  remind: { type: "boolean" },
  config: { type: "string" },
  format: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

export const VERIFY_DEPLOYMENT_USAGE = `usage: watchpost verify-deployment --outputs FILE [options]

Puts a synthetic alarm event (raised, then cleared 5 s later) on the deployed watchpost bus and
reports where it goes: the rules that match it and their targets, and every alarm-topic
subscription with its state (a subscription pending confirmation receives nothing). Checks that
the certificate bucket is in the stack's region and sends its events to EventBridge (without them
an upload is re-checked only by the next scheduled scan).

options:
  --outputs FILE        the file 'npx cdk deploy --outputs-file FILE' wrote (required)
  --stack NAME          the stack in that file (default: the only one)
  --region R            region of the stack (default: AWS_REGION)
  --severity S          severity of the synthetic alarm (default critical: every recipient's minimum)
  --remind              also re-send a reminder of every active alarm (after confirming subscriptions)
  --config FILE         the deployed configuration, whose silences --remind honours
                        (default: ./watchpost.config.json when it exists)
  --format table|json   output format (default table)
`;

const Flags = z.object({
  severity: Severity.default("critical"),
  format: OutputFormat.default("table"),
});

const StackOutputs = z.object({
  AlarmBusName: z.string().min(1),
  AlarmTopicArns: z.string().min(1),
  AlarmTableName: z.string().min(1),
  CertificateBucketName: z.string().min(1).optional(),
});

export interface VerifyClients {
  events: Pick<EventBridgeClient, "send">;
  sns: Pick<SNSClient, "send">;
  dynamodb: DynamoDBClient;
  s3: Pick<S3Client, "send">;
}

/**
 * How long the clear waits after its raise. EventBridge does not order the events of one PutEvents
 * call and each event is a notifier invocation of its own, so a clear sent with its raise may be
 * queued for a webhook first. Seconds are plenty: the notifier handles an event in well under one.
 */
export const CLEAR_AFTER_MS = 5_000;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface VerifyReport {
  bus: string;
  eventIds: string[];
  /** Rules on the bus the synthetic raise matches, and where each delivers. */
  rules: { name: string; targets: string[] }[];
  subscriptions: {
    topic: string;
    minimumSeverity: string;
    protocol: string;
    endpoint: string;
    state: "confirmed" | "pending";
  }[];
  reminders: number;
  /** The certificate bucket as S3 reports it; absent when the outputs do not name one. */
  bucket?: BucketReport;
  problems: string[];
}

export interface BucketReport {
  name: string;
  /** Where S3 says the bucket is; undefined when it could not be asked. */
  region?: string;
  /** Whether the bucket sends its events to EventBridge; undefined when it could not be asked. */
  eventBridge?: boolean;
}

/** The synthetic raise and clear, built by the real event builder so every consumer accepts them. */
export function syntheticEvents(severity: Severity, now: Date): PutEventsRequestEntry[] {
  const at = now.toISOString();
  const occurrenceId = randomUUID();
  const base: Omit<AlarmTransition, "id" | "kind"> = {
    fingerprint: `verify-${occurrenceId.slice(0, 8)}`,
    occurrenceId,
    alarmId: alarmIdFor("expiring"),
    check: "expiring",
    severity,
    peakSeverity: severity,
    scope: "watchpost-verification",
    source: `watchpost-verification/${occurrenceId}`,
    message:
      "Deployment check sent by 'watchpost verify-deployment': no certificate is affected and no action is needed. It clears right away.",
    parameters: { Source: "watchpost verify-deployment" },
    firstSeen: at,
    lastSeen: at,
    silenced: false,
    at,
  };
  const transitions: AlarmTransition[] = [
    { ...base, id: randomUUID(), kind: "raised" },
    { ...base, id: randomUUID(), kind: "cleared", clearedAt: at },
  ];
  return transitions.map((t) => ({
    Source: EVENT_SOURCE,
    DetailType: detailTypeOf(t.kind),
    Detail: JSON.stringify(toEventDetail(t)),
  }));
}

/** A reminder of an active alarm, as the lifecycle would send it (silenced when a silence matches). */
export function reminderEvent(
  state: AlarmState,
  now: Date,
  silences: readonly Silence[] = [],
): PutEventsRequestEntry {
  const transition = transitionOf(state, "reminder", {
    id: randomUUID(),
    at: now.toISOString(),
    silenced: isSilenced(silences, state, now),
  });
  return {
    Source: EVENT_SOURCE,
    DetailType: detailTypeOf("reminder"),
    Detail: JSON.stringify(toEventDetail(transition)),
  };
}

/**
 * The certificate bucket's region and EventBridge notifications. S3 sends a bucket's events only
 * once its notification configuration has an EventBridgeConfiguration, and only to the default bus
 * of the bucket's own region (S3 User Guide, "Using EventBridge"): the stack's rule is in the
 * stack's region. GetBucketLocation answers no LocationConstraint for us-east-1 and "EU" for the
 * oldest eu-west-1 buckets (S3 API Reference, GetBucketLocation).
 */
export async function checkCertificateBucket(
  name: string,
  stackRegion: string,
  s3: Pick<S3Client, "send">,
): Promise<{ bucket: BucketReport; problems: string[] }> {
  const bucket: BucketReport = { name };
  const problems: string[] = [];
  const ask = async <T>(what: string, permission: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      const code = error instanceof S3ServiceException ? error.name : (error as Error).name;
      problems.push(
        code === "AccessDenied"
          ? `cannot read the ${what} of bucket ${name}: your credentials lack ${permission}`
          : code === "NoSuchBucket"
            ? `bucket ${name} does not exist: the scan has nothing to read; check certificates.bucket.existingBucketName`
            : `cannot read the ${what} of bucket ${name}: ${code}`,
      );
      return undefined;
    }
  };
  const location = await ask("location", "s3:GetBucketLocation", () =>
    s3.send(new GetBucketLocationCommand({ Bucket: name })),
  );
  if (location) {
    const constraint = location.LocationConstraint as string | undefined;
    bucket.region = !constraint ? "us-east-1" : constraint === "EU" ? "eu-west-1" : constraint;
    if (bucket.region !== stackRegion) {
      problems.push(
        `bucket ${name} is in ${bucket.region}, the stack in ${stackRegion}: S3 sends the bucket's events only to the default event bus of ${bucket.region}, so uploads are never re-checked, and the scan reads through ${stackRegion}; deploy the stack to ${bucket.region}`,
      );
    }
  }
  if (problems.some((p) => p.startsWith(`bucket ${name} does not exist`))) return { bucket, problems };
  const notifications = await ask("notification configuration", "s3:GetBucketNotification", () =>
    s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: name })),
  );
  if (notifications) {
    bucket.eventBridge = notifications.EventBridgeConfiguration !== undefined;
    if (!bucket.eventBridge) {
      problems.push(
        `bucket ${name} sends no events to EventBridge: an upload is re-checked only by the next scheduled scan. Let the stack turn them on (certificates.bucket.eventBridgeNotifications absent or true, then deploy), or have the bucket's owner add EventBridgeConfiguration to its notification configuration, keeping the notifications it has (README, "Deploy")`,
      );
    }
  }
  return { bucket, problems };
}

export async function verifyDeployment(
  outputs: z.infer<typeof StackOutputs>,
  options: {
    severity: Severity;
    remind: boolean;
    silences?: readonly Silence[];
    now?: Date;
    /** Waits between the raise and its clear (tests pass one that returns at once). */
    sleep?: (ms: number) => Promise<void>;
    /** The stack's region, which the certificate bucket must be in. */
    region: string;
  },
  clients: VerifyClients,
): Promise<VerifyReport> {
  const now = options.now ?? new Date();
  const bus = outputs.AlarmBusName;
  const problems: string[] = [];
  let bucket: BucketReport | undefined;
  if (outputs.CertificateBucketName) {
    const checked = await checkCertificateBucket(outputs.CertificateBucketName, options.region, clients.s3);
    bucket = checked.bucket;
    problems.push(...checked.problems);
  }
  const entries = syntheticEvents(options.severity, now).map((e) => ({ ...e, EventBusName: bus }));

  // Where the raise goes: EventBridge itself judges each rule's pattern against it.
  const rules: VerifyReport["rules"] = [];
  const raise = {
    id: randomUUID(),
    account: "000000000000",
    region: "us-east-1",
    time: now.toISOString(),
    resources: [],
  };
  const event = JSON.stringify({
    ...raise,
    source: entries[0]!.Source,
    "detail-type": entries[0]!.DetailType,
    detail: JSON.parse(entries[0]!.Detail!),
  });
  let NextToken: string | undefined;
  do {
    const page = await clients.events.send(new ListRulesCommand({ EventBusName: bus, NextToken }));
    for (const rule of page.Rules ?? []) {
      if (!rule.EventPattern || !rule.Name) continue;
      const { Result } = await clients.events.send(
        new TestEventPatternCommand({ EventPattern: rule.EventPattern, Event: event }),
      );
      if (!Result) continue;
      const targets = await clients.events.send(
        new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: bus }),
      );
      rules.push({ name: rule.Name, targets: (targets.Targets ?? []).map((t) => t.Arn ?? "?") });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  if (rules.length === 0) problems.push(`no rule on bus ${bus} matches an alarm event: nobody would be told`);

  const subscriptions: VerifyReport["subscriptions"] = [];
  const topics = z.record(z.string(), z.string()).parse(JSON.parse(outputs.AlarmTopicArns));
  for (const [minimumSeverity, topic] of Object.entries(topics)) {
    let token: string | undefined;
    do {
      const page = await clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topic, NextToken: token }),
      );
      for (const s of page.Subscriptions ?? []) {
        const pending = s.SubscriptionArn === "PendingConfirmation";
        subscriptions.push({
          topic,
          minimumSeverity,
          protocol: s.Protocol ?? "?",
          endpoint: s.Endpoint ?? "?",
          state: pending ? "pending" : "confirmed",
        });
        if (pending)
          problems.push(
            `${s.Protocol} ${s.Endpoint} has not confirmed its subscription: it receives nothing until it does`,
          );
      }
      token = page.NextToken;
    } while (token);
  }

  // The raise, then the clear in a call of its own once the notifier has had time to queue the raise.
  const eventIds: string[] = [];
  for (const [i, entry] of entries.entries()) {
    if (i > 0) await (options.sleep ?? sleepFor)(CLEAR_AFTER_MS);
    const put = await clients.events.send(new PutEventsCommand({ Entries: [entry] }));
    if ((put.FailedEntryCount ?? 0) > 0) {
      throw new Error(
        `the bus refused the synthetic event: ${(put.Entries ?? [])
          .map((e) => e.ErrorCode)
          .filter(Boolean)
          .join(", ")}`,
      );
    }
    eventIds.push(...(put.Entries ?? []).map((e) => e.EventId ?? "?"));
  }

  let reminders = 0;
  if (options.remind) {
    const alarms = createAlarmStore({
      tableName: outputs.AlarmTableName,
      client: documentClient(clients.dynamodb),
    });
    const active = (await alarms.liveAlarms()).filter((state) => state.status === "active");
    for (let i = 0; i < active.length; i += 10) {
      const batch = active
        .slice(i, i + 10)
        .map((s) => ({ ...reminderEvent(s, now, options.silences), EventBusName: bus }));
      const result = await clients.events.send(new PutEventsCommand({ Entries: batch }));
      reminders += batch.length - (result.FailedEntryCount ?? 0);
      if ((result.FailedEntryCount ?? 0) > 0)
        problems.push(`${result.FailedEntryCount} reminder(s) refused by the bus`);
    }
  }
  return {
    bus,
    eventIds,
    rules,
    subscriptions,
    reminders,
    ...(bucket ? { bucket } : {}),
    problems,
  };
}

function render(report: VerifyReport, color: boolean): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    color ? styleText(style, text) : text;
  const lines = [
    `synthetic alarm put on bus ${report.bus} (events ${report.eventIds.join(", ")})`,
    "",
    "rules that deliver it:",
  ];
  for (const rule of report.rules)
    lines.push(`  ${paint("green", "✓")} ${rule.name} → ${rule.targets.join(", ")}`);
  if (report.rules.length === 0) lines.push(`  ${paint("red", "✗")} none`);
  lines.push("", "alarm topic subscriptions (topic of minimum severity):");
  for (const s of report.subscriptions) {
    const mark = s.state === "confirmed" ? paint("green", "✓") : paint("yellow", "…");
    lines.push(`  ${mark} ${s.minimumSeverity.padEnd(8)} ${s.protocol.padEnd(5)} ${s.endpoint}  ${s.state}`);
  }
  if (report.subscriptions.length === 0) lines.push("  (none)");
  if (report.bucket) {
    const { name, region, eventBridge } = report.bucket;
    const mark = eventBridge ? paint("green", "✓") : paint("yellow", "…");
    const state = eventBridge === undefined ? "unknown" : eventBridge ? "on" : "off";
    lines.push(
      "",
      "certificate bucket:",
      `  ${mark} ${name} in ${region ?? "an unknown region"}, EventBridge notifications ${state}`,
    );
  }
  if (report.reminders > 0) lines.push("", `re-sent ${report.reminders} reminder(s) of active alarms`);
  lines.push(
    "",
    report.problems.length === 0
      ? paint(
          "green",
          "every destination is ready: look for the CRITICAL RAISED / CLEARED verification messages",
        )
      : paint("yellow", `not ready:\n${report.problems.map((p) => `  - ${p}`).join("\n")}`),
  );
  return `${lines.join("\n")}\n`;
}

export function createVerifyDeploymentCommand(
  clientsFor?: (region: string) => VerifyClients,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): Command {
  return async (argv: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseCommandLine(argv, FLAGS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.help) {
      io.stdout(VERIFY_DEPLOYMENT_USAGE);
      return EXIT.ok;
    }
    const flags = validateOptions(Flags, values);
    if (!values.outputs)
      throw new UsageError("--outputs is required (the file of 'cdk deploy --outputs-file')");
    const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError("--region is required (or set AWS_REGION)");
    let file: Record<string, unknown>;
    try {
      file = JSON.parse(readFileSync(resolve(io.cwd, values.outputs), "utf8"));
    } catch (error) {
      throw new UsageError(`--outputs: cannot read ${values.outputs} (${(error as Error).message})`);
    }
    const stacks = Object.keys(file);
    const stack = values.stack ?? (stacks.length === 1 ? stacks[0] : undefined);
    if (!stack || !(stack in file))
      throw new UsageError(`--stack: name one of ${stacks.join(", ") || "(none in the file)"}`);
    const outputs = StackOutputs.safeParse(file[stack]);
    if (!outputs.success)
      throw new UsageError(
        `--outputs: stack ${stack} lacks ${outputs.error.issues.map((i) => i.path.join(".")).join(", ")}; redeploy this version of the stack`,
      );

    const configPath =
      values.config ??
      (existsSync(resolve(io.cwd, "watchpost.config.json")) ? "watchpost.config.json" : undefined);
    let silences: Silence[] = [];
    if (configPath) {
      try {
        silences = parseConfigText(readFileSync(resolve(io.cwd, configPath), "utf8"), configPath).alarms
          .silences;
      } catch (error) {
        throw new UsageError(`--config: ${(error as Error).message}`);
      }
    }
    const clients = clientsFor?.(region) ?? {
      events: new EventBridgeClient({ region }),
      sns: new SNSClient({ region }),
      dynamodb: new DynamoDBClient({ region }),
      // A bucket in another region answers with a redirect; following it lets the report say where.
      s3: new S3Client({ region, followRegionRedirects: true }),
    };
    let report: VerifyReport;
    try {
      report = await verifyDeployment(
        outputs.data,
        { severity: flags.severity, remind: Boolean(values.remind), silences, sleep: options.sleep, region },
        clients,
      );
    } catch (error) {
      io.stderr(`watchpost verify-deployment: ${(error as Error).message}\n`);
      return EXIT.majorOrWorse;
    }
    io.stdout(flags.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : render(report, io.isTTY));
    return report.problems.length === 0 ? EXIT.ok : EXIT.minorOnly;
  };
}

export const verifyDeploymentCommand = createVerifyDeploymentCommand();
