/**
 * What people receive for one alarm event, as the SNS message the notifier publishes with
 * `MessageStructure: "json"`:
 * - `email`: plain text that reads well on a phone, under a subject of severity, alarm ID, title
 *   and object;
 * - `https`: an AWS Chatbot (Amazon Q Developer in chat applications) custom notification, threaded
 *   by the alarm's fingerprint so raise, reminders and clear land in one thread;
 * - `default`: the EventBridge event itself, for every other protocol (SQS, Lambda, HTTP hooks).
 * The `severity` message attribute lets each subscription filter by minimum severity.
 *
 * Pure: no SDK, no clock. Long free text is cut cleanly so the whole message stays under the SNS
 * limit of 256 KB.
 */
import { alarmDefinitionById } from "../alarms/catalog";
import type { AlarmEventDetail } from "../alarms/events";
import { compareSeverity, type Severity } from "../contracts";
import { byteLength, MAX_SUBJECT_LENGTH, toAsciiLine, truncate, truncateStart } from "./text";

/** SNS accepts 262,144 bytes for the message and its attributes together; keep a margin. */
export const MAX_SNS_MESSAGE_BYTES = 250_000;
/** Free text (the finding message, parameter values) is cut to these lengths before assembly. */
export const MAX_MESSAGE_CHARS = 8_000;
export const MAX_PARAMETER_CHARS = 500;
/** Chat messages longer than a screen or two are not read; the runbook and the email carry the rest. */
export const MAX_CHAT_DESCRIPTION_CHARS = 3_000;
export const MAX_CHAT_TITLE_CHARS = 250;

/** The EventBridge envelope around an alarm detail, as the notifier receives it. */
export interface AlarmEvent {
  id: string;
  "detail-type": string;
  source: string;
  time: string;
  detail: AlarmEventDetail;
}

export interface ChatbotCustomNotification {
  version: "1.0";
  source: "custom";
  id: string;
  content: {
    textType: "client-markdown";
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

export interface SnsAlarmMessage {
  subject: string;
  /** The `Message` to publish with `MessageStructure: "json"`. */
  message: string;
  /** Drives subscription filter policies; see `routingSeverity`. */
  severity: Severity;
  attributes: Record<string, string>;
}

const KIND_WORD: Record<AlarmEventDetail["kind"], string> = {
  raised: "RAISED",
  "severity-changed": "CHANGED",
  reminder: "REMINDER",
  cleared: "CLEARED",
};

const SEVERITY_MARK: Record<Severity, string> = {
  critical: "\u{1F534}",
  major: "\u{1F7E0}",
  minor: "\u{1F7E1}",
  warning: "\u{1F535}",
};
const CLEARED_MARK = "\u2705";

/**
 * The severity an event is routed by: the occurrence's worst severity so far (`peakSeverity`), so
 * a person who was told at `major` also hears that the alarm dropped to `minor`, and that it
 * cleared. Events without `peakSeverity` (from older versions) fall back to the worse of the
 * current and previous severity.
 */
export function routingSeverity(
  detail: Pick<AlarmEventDetail, "severity"> &
    Partial<Pick<AlarmEventDetail, "previousSeverity" | "peakSeverity">>,
): Severity {
  let worst = detail.severity;
  for (const other of [detail.previousSeverity, detail.peakSeverity]) {
    if (other && compareSeverity(other, worst) < 0) worst = other;
  }
  return worst;
}

/** "MAJOR RAISED 1001 Certificate expired: .../prod/api.pem", at most 99 ASCII characters. */
export function emailSubject(detail: AlarmEventDetail): string {
  const head = toAsciiLine(
    `${detail.severity.toUpperCase()} ${KIND_WORD[detail.kind]} ${detail.alarmId} ${detail.title}`,
  );
  const object = toAsciiLine(objectOf(detail));
  const room = MAX_SUBJECT_LENGTH - head.length - 2;
  if (room < 12) return truncate(head, MAX_SUBJECT_LENGTH);
  return `${head}: ${truncateStart(object, room)}`;
}

/** Short lines, most important first: what happened, to what, what to do. */
export function emailBody(detail: AlarmEventDetail): string {
  const lines: string[] = [];
  lines.push(headline(detail), "");
  lines.push(truncate(detail.message, MAX_MESSAGE_CHARS), "");
  lines.push(`Object: ${objectOf(detail)}`);
  lines.push(`Severity: ${severityText(detail)}`);
  lines.push(`First seen: ${readableTime(detail.firstSeen)}`);
  if (detail.kind === "cleared" && detail.clearedAt) {
    lines.push(`Cleared: ${readableTime(detail.clearedAt)}`);
  } else {
    lines.push(`Last seen: ${readableTime(detail.lastSeen)}`);
  }
  const parameters = Object.entries(detail.parameters);
  if (parameters.length > 0) {
    lines.push("", "Parameters:");
    for (const [name, value] of parameters) lines.push(`  ${name}: ${truncate(value, MAX_PARAMETER_CHARS)}`);
  }
  lines.push("");
  if (detail.kind === "cleared") {
    lines.push("No action is needed: a later check no longer found the fault.");
  } else {
    const steps = handlingSteps(detail.alarmId);
    if (steps.length > 0) {
      lines.push("What to do:");
      steps.forEach((step, index) => {
        lines.push(`  ${index + 1}. ${step}`);
      });
    }
  }
  lines.push(`Runbook: ${detail.doc}`, "");
  lines.push(`Alarm ID: ${detail.alarmId}`);
  lines.push(`Occurrence: ${detail.occurrenceId}`);
  lines.push(`Check: ${detail.check}`);
  lines.push(`Fingerprint: ${detail.fingerprint}`);
  return lines.join("\n");
}

export function chatbotNotification(event: AlarmEvent): ChatbotCustomNotification {
  const detail = event.detail;
  const mark = detail.kind === "cleared" ? CLEARED_MARK : SEVERITY_MARK[detail.severity];
  const description = [
    truncate(detail.message, MAX_CHAT_DESCRIPTION_CHARS - 600),
    "",
    `*Object:* ${inlineCode(truncate(objectOf(detail), 300))}`,
    `*Severity:* ${severityText(detail)}`,
    detail.kind === "cleared" && detail.clearedAt
      ? `*Cleared:* ${readableTime(detail.clearedAt)} (first seen ${readableTime(detail.firstSeen)})`
      : `*First seen:* ${readableTime(detail.firstSeen)}`,
  ].join("\n");
  const nextSteps =
    detail.kind === "cleared"
      ? ["No action needed: a later check no longer found the fault.", `Runbook: ${detail.doc}`]
      : [...handlingSteps(detail.alarmId).map((step) => truncate(step, 500)), `Runbook: ${detail.doc}`];
  const relatedResources = [...new Set([detail.source, ...(detail.object ? [detail.object] : [])])].map((r) =>
    truncate(r, MAX_PARAMETER_CHARS),
  );
  return {
    version: "1.0",
    source: "custom",
    id: event.id,
    content: {
      textType: "client-markdown",
      title: truncate(`${mark} ${headline(detail)}`, MAX_CHAT_TITLE_CHARS),
      description: truncate(description, MAX_CHAT_DESCRIPTION_CHARS),
      nextSteps,
      keywords: [detail.severity, detail.check, `alarm-${detail.alarmId}`],
    },
    metadata: {
      threadId: detail.fingerprint,
      summary: emailSubject(detail),
      eventType: event["detail-type"],
      relatedResources,
      additionalContext: {
        alarmId: detail.alarmId,
        occurrenceId: detail.occurrenceId,
        severity: detail.severity,
        kind: detail.kind,
      },
    },
  };
}

/**
 * The complete SNS message. If the event is still too large after cutting free text (a huge
 * parameter map), the `default` copy keeps its envelope and drops parameter values rather than
 * failing to publish.
 */
export function snsAlarmMessage(event: AlarmEvent): SnsAlarmMessage {
  const detail = boundedDetail(event.detail);
  const bounded: AlarmEvent = { ...event, detail };
  const subject = emailSubject(detail);
  const email = emailBody(detail);
  const https = JSON.stringify(chatbotNotification(bounded));
  let message = JSON.stringify({ default: JSON.stringify(bounded), email, https });
  if (byteLength(message) > MAX_SNS_MESSAGE_BYTES) {
    const lean: AlarmEvent = {
      ...bounded,
      detail: { ...detail, parameters: {}, message: truncate(detail.message, 1_000) },
    };
    message = JSON.stringify({
      default: JSON.stringify(lean),
      email: emailBody(lean.detail),
      https: JSON.stringify(chatbotNotification(lean)),
    });
  }
  const severity = routingSeverity(detail);
  return {
    subject,
    message,
    severity,
    attributes: { severity, kind: detail.kind, alarmId: detail.alarmId, check: detail.check },
  };
}

function boundedDetail(detail: AlarmEventDetail): AlarmEventDetail {
  const parameters = Object.fromEntries(
    Object.entries(detail.parameters).map(([name, value]) => [
      truncate(name, 100),
      truncate(value, MAX_PARAMETER_CHARS),
    ]),
  );
  return { ...detail, message: truncate(detail.message, MAX_MESSAGE_CHARS), parameters };
}

function headline(detail: AlarmEventDetail): string {
  const severity = detail.severity.toUpperCase();
  switch (detail.kind) {
    case "raised":
      return `${severity} alarm raised: ${detail.title} (${detail.alarmId})`;
    case "severity-changed":
      return `Alarm now ${severity}: ${detail.title} (${detail.alarmId})`;
    case "reminder":
      return `Still active, ${severity}: ${detail.title} (${detail.alarmId})`;
    case "cleared":
      return `Cleared: ${detail.title} (${detail.alarmId})`;
  }
}

function severityText(detail: AlarmEventDetail): string {
  return detail.previousSeverity ? `${detail.severity} (was ${detail.previousSeverity})` : detail.severity;
}

function objectOf(detail: AlarmEventDetail): string {
  return detail.object ? `${detail.source} (${detail.object})` : detail.source;
}

function handlingSteps(alarmId: string): string[] {
  return alarmDefinitionById(alarmId)?.handlingProcedure.slice(0, 3) ?? [];
}

/** Date and time to the minute, in UTC, which phones show without reflowing. */
function readableTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function inlineCode(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
