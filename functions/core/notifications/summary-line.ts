/**
 * The one-line summary of an alarm transition: the email's subject (the SNS `Subject`), and the
 * summary line of the Chatbot notification, the Slack and Teams messages and the JSON webhook
 * payload. One line everywhere, so a person who saw it in one place recognises it in another.
 */
import type { AlarmView } from "./alarm-view";
import { deploymentTag } from "./deployment";
import { toAsciiLine, truncate, truncateStart } from "./text";

/**
 * It is also the SNS subject, so it keeps to SNS's rules: ASCII, starting with a letter, digit or
 * punctuation, no line breaks or control characters, under 100 characters.
 */
export const MAX_SUMMARY_LINE_LENGTH = 99;

const KIND_WORD = {
  raised: "RAISED",
  "severity-changed": "CHANGED",
  reminder: "REMINDER",
  cleared: "CLEARED",
} as const;

/**
 * "CRITICAL RAISED 1001 Certificate expired: .../prod/api.pem#0 [Watchpost 123456789012 eu-west-1]",
 * at most 99 ASCII characters: the file name and the deployment survive, the path's start is cut.
 */
export function summaryLine(view: AlarmView, max = MAX_SUMMARY_LINE_LENGTH): string {
  const { detail } = view;
  const head = toAsciiLine(
    `${detail.severity.toUpperCase()} ${KIND_WORD[detail.kind]} ${detail.alarmId} ${detail.title}`,
  );
  const tag = toAsciiLine(deploymentTag(view.deployment));
  const object = toAsciiLine(detail.source);
  const room = max - head.length - tag.length - 3;
  if (room < 12) return truncate(`${head} ${tag}`, max);
  return `${head}: ${truncateStart(object, room)} ${tag}`;
}

/** The summary line after a subscriber's subject prefix, cut so the whole stays within the limit. */
export function prefixedSummaryLine(prefix: string, view: AlarmView): string {
  return `${prefix} ${summaryLine(view, MAX_SUMMARY_LINE_LENGTH - prefix.length - 1)}`;
}
