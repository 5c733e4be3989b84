/**
 * The AWS Chatbot (Amazon Q Developer in chat applications) custom notification that Slack and
 * Microsoft Teams channels receive through the alarm topics, threaded by the alarm's fingerprint so
 * raise, reminders and clear land in one thread.
 */
import { type AlarmEvent, type AlarmView, markOf, readableTime, severityText } from "./alarm-view";
import { summaryLine } from "./summary-line";
import { slackEscape, slackText, truncate } from "./text";

/** Chat messages longer than a screen or two are not read; the email carries the rest. */
export const MAX_CHAT_DESCRIPTION_CHARS = 3_000;
export const MAX_CHAT_TITLE_CHARS = 250;
const MAX_STEP_CHARS = 500;

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

export function chatbotNotification(event: AlarmEvent, view: AlarmView): ChatbotCustomNotification {
  const { detail } = view;
  const cleared = detail.kind === "cleared";
  // Chatbot renders the text as the chat's own markdown: in Slack, `<!here>` pages a channel
  // (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html, "Parameter details",
  // textType client-markdown). Everything shown but our own links is neutralised (text.ts).
  const safe = slackText;
  const lines = cleared
    ? [`*Now:* ${safe(view.now ?? "")}`, `*Was:* ${safe(view.was ?? "")}`]
    : [truncate(safe(view.message), MAX_CHAT_DESCRIPTION_CHARS - 1_000)];
  lines.push("", `*Object:* ${inlineCode(truncate(view.object, 300))}`);
  if (view.location) lines.push(`*Location:* ${safe(view.location)}`);
  if (view.certificate && !cleared) lines.push(`*Certificate:* ${safe(view.certificate)}`);
  lines.push(`*Severity:* ${severityText(detail)}`);
  lines.push(
    cleared
      ? `*Raised:* ${readableTime(detail.firstSeen)} · *Cleared:* ${readableTime(detail.clearedAt ?? detail.at)}`
      : `*First seen:* ${readableTime(detail.firstSeen)}`,
  );
  lines.push(`*Deployment:* ${safe(view.where)}`);
  const links = [
    ...(view.runbook.url ? [`Runbook: ${view.runbook.url}`] : []),
    ...(view.console ? [`${view.console.label}: ${view.console.url}`] : []),
  ];
  const nextSteps = cleared
    ? ["No action is needed.", ...links]
    : [...view.steps.map((step) => truncate(safe(step), MAX_STEP_CHARS)), ...links];
  if (!view.runbook.url) nextSteps.push(`Runbook: ${view.runbook.path} in the watchpost repository`);
  const relatedResources = [...new Set([detail.source, ...(detail.object ? [detail.object] : [])])].map((r) =>
    safe(truncate(r, 500)),
  );
  return {
    version: "1.0",
    source: "custom",
    id: event.id,
    content: {
      textType: "client-markdown",
      title: truncate(safe(`${markOf(detail)} ${view.headline}`), MAX_CHAT_TITLE_CHARS),
      description: truncate(lines.join("\n"), MAX_CHAT_DESCRIPTION_CHARS),
      nextSteps,
      keywords: [detail.severity, detail.check, `alarm-${detail.alarmId}`],
    },
    metadata: {
      threadId: detail.fingerprint,
      summary: safe(summaryLine(view)),
      eventType: event["detail-type"],
      relatedResources,
      additionalContext: {
        alarmId: detail.alarmId,
        occurrenceId: detail.occurrenceId,
        severity: detail.severity,
        kind: detail.kind,
        stack: view.deployment.stackName,
        ...(view.deployment.account ? { account: view.deployment.account } : {}),
        ...(view.deployment.region ? { region: view.deployment.region } : {}),
      },
    },
  };
}

function inlineCode(text: string): string {
  return `\`${slackEscape(text.replace(/`/g, "'"))}\``;
}
