/**
 * The notification topic model, in one place: which SNS topics a deployment has, what the stack
 * calls them, which of them an event of a given routing severity goes to (and with what subject),
 * and how the list of their ARNs travels from the stack to the notifier (an environment variable)
 * and to `watchpost verify-deployment` (the AlarmTopicArns stack output). The construct
 * (lib/constructs/alarm-notifications.ts), the watchdog, the notifier and verify-deployment all use
 * it; nothing else spells these out.
 *
 * A topic is one (minimum severity, email subject prefix) that some email recipient or chat channel
 * asked for, plus `warning` without a prefix, which carries every alarm event. SNS sends one
 * subject to every subscriber of a topic, so recipients who want another subject need a topic of
 * their own; each subscriber subscribes to exactly one topic, without a filter policy.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { compareSeverity, isAtLeast, SEVERITIES, Severity } from "../contracts";
import { truncate } from "./text";

/** The topic every alarm event reaches: subscribers who want everything, warning and worse. */
export const EVERY_EVENT_MINIMUM = "warning" satisfies Severity;

/** What a subscriber asks of its topic: events of this severity and worse, under this subject prefix. */
export interface TopicWish {
  minimumSeverity: Severity;
  subjectPrefix?: string | undefined;
}

export interface AlarmTopic {
  minimumSeverity: Severity;
  subjectPrefix?: string;
  /** The construct id in the stack (so the logical ID, which must not change between releases). */
  id: string;
  displayName: string;
}

/** The topic a subscriber with this wish subscribes to, as a key of `alarmTopics`' result. */
export function topicKey(wish: TopicWish): string {
  return wish.subjectPrefix === undefined
    ? wish.minimumSeverity
    : `${wish.minimumSeverity} ${wish.subjectPrefix}`;
}

/** The topics a deployment has, by `topicKey`: worst minimum first, then prefixed after plain. */
export function alarmTopics(wishes: Iterable<TopicWish>): Map<string, AlarmTopic> {
  const all = [{ minimumSeverity: EVERY_EVENT_MINIMUM } as TopicWish, ...wishes];
  const unique = new Map(all.map((wish) => [topicKey(wish), wish]));
  const ordered = [...unique.values()].sort(
    (a, b) =>
      compareSeverity(a.minimumSeverity, b.minimumSeverity) ||
      Number(a.subjectPrefix !== undefined) - Number(b.subjectPrefix !== undefined) ||
      (a.subjectPrefix ?? "").localeCompare(b.subjectPrefix ?? ""),
  );
  return new Map(ordered.map((wish) => [topicKey(wish), topicOf(wish)]));
}

function topicOf({ minimumSeverity, subjectPrefix }: TopicWish): AlarmTopic {
  const plain =
    minimumSeverity === EVERY_EVENT_MINIMUM
      ? { id: "AlarmTopic", displayName: "watchpost alarms" }
      : {
          id: `SeverityTopic-${minimumSeverity}`,
          displayName: `watchpost alarms, ${minimumSeverity} and worse`,
        };
  if (subjectPrefix === undefined) return { minimumSeverity, ...plain };
  // A hash, not the prefix: construct ids allow few characters, and two prefixes must not collide.
  const hash = createHash("sha256").update(subjectPrefix).digest("hex").slice(0, 8);
  return {
    minimumSeverity,
    subjectPrefix,
    id: `${plain.id}-Prefix${hash}`,
    // SNS display names: at most 100 characters.
    displayName: truncate(`${plain.displayName} (${subjectPrefix})`, 100),
  };
}

/** A deployed topic: its ARN and what its subscribers asked for. */
export interface TopicRoute {
  minimumSeverity: Severity;
  subjectPrefix?: string | undefined;
  arn: string;
}

const TopicRoutes = z
  .array(
    z.strictObject({
      minimumSeverity: Severity,
      subjectPrefix: z.string().optional(),
      arn: z.string().startsWith("arn:"),
    }),
  )
  .refine(
    (routes) =>
      routes.some((r) => r.minimumSeverity === EVERY_EVENT_MINIMUM && r.subjectPrefix === undefined),
    `expected the topic of every alarm event (${EVERY_EVENT_MINIMUM})`,
  );

/** Before subject prefixes: a JSON object of minimum severity → ARN (the AlarmTopicArns output of older stacks). */
const LegacyTopicArns = z.partialRecord(Severity, z.string().startsWith("arn:"));

/**
 * The one text form of the topic list (a JSON array of routes). `toJson` is `JSON.stringify`
 * except in the stack, where the ARNs are still CloudFormation tokens and `Stack.toJsonString` has
 * to write them.
 */
export function serializeTopicRoutes(
  routes: readonly TopicRoute[],
  toJson: (value: unknown) => string = JSON.stringify,
): string {
  return toJson(
    routes.map(({ minimumSeverity, subjectPrefix, arn }) => ({ minimumSeverity, subjectPrefix, arn })),
  );
}

/** Reads the text form back (or an older stack's object form), refusing anything else. */
export function parseTopicRoutes(text: string): TopicRoute[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) && typeof value === "object" && value !== null) {
    const legacy = LegacyTopicArns.parse(value);
    return TopicRoutes.parse(
      SEVERITIES.flatMap((minimumSeverity) =>
        legacy[minimumSeverity] === undefined ? [] : [{ minimumSeverity, arn: legacy[minimumSeverity] }],
      ),
    );
  }
  return TopicRoutes.parse(value);
}

/** The topics that receive an event of this routing severity, each once, in the list's order. */
export function topicsFor(severity: Severity, routes: readonly TopicRoute[]): TopicRoute[] {
  const seen = new Set<string>();
  return routes.filter((route) => {
    if (!isAtLeast(severity, route.minimumSeverity) || seen.has(route.arn)) return false;
    seen.add(route.arn);
    return true;
  });
}

/** The SNS subject for a topic's subscribers: their prefix, if they asked for one, then the summary line. */
export function subjectFor(
  route: Pick<TopicRoute, "subjectPrefix">,
  message: { subject: string; prefixedSubject(prefix: string): string },
): string {
  return route.subjectPrefix === undefined ? message.subject : message.prefixedSubject(route.subjectPrefix);
}

/**
 * CloudWatch takes at most five actions per alarm state: PutMetricAlarm's AlarmActions, OKActions
 * and InsufficientDataActions are each "Array Members: Maximum number of 5 items" (Amazon
 * CloudWatch API Reference, PutMetricAlarm; the CLI reference says "The actions (up to five)").
 * CloudFormation would fail the deployment halfway; synth refuses it instead.
 */
export const MAX_ACTIONS_PER_ALARM_STATE = 5;

/** Why a deployment with this many topics cannot be built, or undefined when it can. */
export function topicCountProblem(count: number): string | undefined {
  if (count <= MAX_ACTIONS_PER_ALARM_STATE) return undefined;
  return `email / slack / teams: their minimumSeverity and subjectPrefix values need ${count} SNS topics, but watchpost's health alarms notify every topic and CloudWatch takes at most ${MAX_ACTIONS_PER_ALARM_STATE} actions per alarm state (PutMetricAlarm AlarmActions/OKActions); use at most ${MAX_ACTIONS_PER_ALARM_STATE} distinct combinations (the "warning" topic without a prefix always exists)`;
}

/**
 * The topics a CloudWatch alarm about watchpost itself notifies: all of them, so every recipient
 * hears (an alarm notification carries no severity to route by). Refuses more than CloudWatch takes.
 */
export function healthAlarmTopics<T>(topics: readonly T[]): readonly T[] {
  const problem = topicCountProblem(topics.length);
  if (problem) throw new Error(problem);
  return topics;
}
