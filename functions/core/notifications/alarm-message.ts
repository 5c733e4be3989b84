/**
 * What the notifier publishes for one alarm event: one SNS message with `MessageStructure: "json"`:
 * - `email`: plain text for a phone (email.ts), under a subject that names the deployment;
 * - `https`: an AWS Chatbot custom notification (chatbot.ts), which Slack and Teams channels get;
 * - `default`: the EventBridge event itself, for every other protocol (SQS, Lambda).
 * The `severity` message attribute carries the routing severity (`routingSeverity`), which chose the
 * topics; subscriptions need no filter policy, since each topic serves one minimum severity.
 *
 * Pure: no SDK, no clock. Long free text is cut cleanly so the whole message stays under the SNS
 * limit of 256 KB.
 */
import type { AlarmEventDetail } from "../alarms/events";
import { compareSeverity, type Severity } from "../contracts";
import { type AlarmEvent, alarmView } from "./alarm-view";
import { chatbotNotification } from "./chatbot";
import type { Deployment } from "./deployment";
import { emailBody } from "./email";
import { prefixedSummaryLine, summaryLine } from "./summary-line";
import { byteLength, MAX_FINDING_MESSAGE_CHARS, MAX_PARAMETER_VALUE_CHARS, truncate } from "./text";

export type { AlarmEvent } from "./alarm-view";

/** SNS accepts 262,144 bytes for the message and its attributes together; keep a margin. */
export const MAX_SNS_MESSAGE_BYTES = 250_000;

export interface SnsAlarmMessage {
  /** The summary line, SNS's `Subject` for subscribers who asked for no prefix. */
  subject: string;
  /** The `Subject` for subscribers of a topic with this prefix (functions/core/notifications/topics.ts). */
  prefixedSubject(prefix: string): string;
  /** The `Message` to publish with `MessageStructure: "json"`. */
  message: string;
  /** Which topics and webhooks get the message: see `routingSeverity`. */
  severity: Severity;
  attributes: Record<string, string>;
}

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

/**
 * The complete SNS message. If the event is still too large after cutting free text (a huge
 * parameter map), the `default` copy keeps its envelope and drops parameter values rather than
 * failing to publish.
 */
export function snsAlarmMessage(event: AlarmEvent, deployment: Deployment): SnsAlarmMessage {
  const detail = boundedDetail(event.detail);
  const bounded: AlarmEvent = { ...event, detail };
  const view = alarmView(detail, deployment);
  const subject = summaryLine(view);
  let message = JSON.stringify({
    default: JSON.stringify(bounded),
    email: emailBody(view),
    https: JSON.stringify(chatbotNotification(bounded, view)),
  });
  if (byteLength(message) > MAX_SNS_MESSAGE_BYTES) {
    const lean: AlarmEvent = {
      ...bounded,
      detail: { ...detail, parameters: {}, message: truncate(detail.message, 1_000) },
    };
    const leanView = alarmView(lean.detail, deployment);
    message = JSON.stringify({
      default: JSON.stringify(lean),
      email: emailBody(leanView),
      https: JSON.stringify(chatbotNotification(lean, leanView)),
    });
  }
  const severity = routingSeverity(detail);
  return {
    subject,
    prefixedSubject: (prefix) => prefixedSummaryLine(prefix, view),
    message,
    severity,
    attributes: { severity, kind: detail.kind, alarmId: detail.alarmId, check: detail.check },
  };
}

/** Free text and parameter values cut to lengths every destination can carry. */
export function boundedDetail(detail: AlarmEventDetail): AlarmEventDetail {
  const parameters = Object.fromEntries(
    Object.entries(detail.parameters).map(([name, value]) => [
      truncate(name, 100),
      truncate(value, MAX_PARAMETER_VALUE_CHARS),
    ]),
  );
  return { ...detail, message: truncate(detail.message, MAX_FINDING_MESSAGE_CHARS), parameters };
}
