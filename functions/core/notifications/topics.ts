/**
 * The notification topic model, in one place: which SNS topics a deployment has (one per minimum
 * severity that some email recipient or chat channel asked for, plus `warning`, which carries every
 * alarm event), what the stack calls them, which of them an event of a given routing severity goes
 * to, and how the map of their ARNs travels from the stack to the notifier (an environment
 * variable) and to `watchpost verify-deployment` (the AlarmTopicArns stack output). The construct
 * (lib/constructs/alarm-notifications.ts), the watchdog, the notifier and verify-deployment all use
 * it; nothing else spells these out.
 */
import * as z from "zod";
import { isAtLeast, SEVERITIES, Severity } from "../contracts";

/** The topic every alarm event reaches: subscribers who want everything, warning and worse. */
export const EVERY_EVENT_MINIMUM = "warning" satisfies Severity;

export interface AlarmTopic {
  /** Subscribers of this topic want events of this severity and worse. */
  minimum: Severity;
  /** The construct id in the stack (so the logical ID, which must not change between releases). */
  id: string;
  displayName: string;
}

/** The topics a deployment has, worst minimum first, given the minimums its recipients asked for. */
export function alarmTopics(minimums: Iterable<Severity>): AlarmTopic[] {
  const wanted = new Set<Severity>([EVERY_EVENT_MINIMUM, ...minimums]);
  return SEVERITIES.filter((severity) => wanted.has(severity)).map((minimum) =>
    minimum === EVERY_EVENT_MINIMUM
      ? { minimum, id: "AlarmTopic", displayName: "watchpost alarms" }
      : { minimum, id: `SeverityTopic-${minimum}`, displayName: `watchpost alarms, ${minimum} and worse` },
  );
}

/** Topic ARNs by the minimum severity of their subscribers. */
export type TopicArns = Partial<Record<Severity, string>>;

const TopicArnsSchema = z
  .partialRecord(Severity, z.string().startsWith("arn:"))
  .refine(
    (topics) => topics[EVERY_EVENT_MINIMUM] !== undefined,
    `expected the topic of every alarm event (${EVERY_EVENT_MINIMUM})`,
  );

/**
 * The one text form of the ARN map (a JSON object, minimum severity → ARN). `toJson` is
 * `JSON.stringify` except in the stack, where the ARNs are still CloudFormation tokens and
 * `Stack.toJsonString` has to write them.
 */
export function serializeTopicArns(
  arns: TopicArns,
  toJson: (value: unknown) => string = JSON.stringify,
): string {
  return toJson(arns);
}

/** Reads the text form back, refusing anything that is not a map of severities to ARNs with `warning`. */
export function parseTopicArns(text: string): TopicArns {
  return TopicArnsSchema.parse(JSON.parse(text));
}

/** ARNs of the topics that receive an event of this routing severity, each once, in the map's order. */
export function topicsFor(severity: Severity, arns: TopicArns): string[] {
  return [
    ...new Set(
      Object.entries(arns)
        .filter(([minimum]) => isAtLeast(severity, minimum as Severity))
        .map(([, arn]) => arn),
    ),
  ];
}

/**
 * CloudWatch takes at most five actions per alarm state: PutMetricAlarm's AlarmActions, OKActions
 * and InsufficientDataActions are each "Array Members: Maximum number of 5 items" (Amazon
 * CloudWatch API Reference, PutMetricAlarm; the CLI reference says "The actions (up to five)").
 * CloudFormation would fail the deployment halfway; synth refuses it instead.
 */
export const MAX_ACTIONS_PER_ALARM_STATE = 5;

/**
 * The topics a CloudWatch alarm about watchpost itself notifies: all of them, so every recipient
 * hears (an alarm notification carries no severity to route by). Refuses more than CloudWatch takes.
 */
export function healthAlarmTopics<T>(
  topics: readonly T[],
  alarm = "watchpost's health alarms",
): readonly T[] {
  if (topics.length > MAX_ACTIONS_PER_ALARM_STATE) {
    throw new Error(
      `${alarm} would notify ${topics.length} SNS topics, but CloudWatch takes at most ${MAX_ACTIONS_PER_ALARM_STATE} actions per alarm state (PutMetricAlarm AlarmActions/OKActions); one topic per minimum severity fits only while there are at most ${MAX_ACTIONS_PER_ALARM_STATE} severities`,
    );
  }
  return topics;
}
