/**
 * A Slack incoming-webhook message in Block Kit, for teams that post to Slack without AWS Chatbot.
 * The blocks sit in an attachment, because an attachment's `color` is the only way Slack offers to
 * give a message a coloured edge (the severity). Limits respected: header text 150 characters,
 * section text 3,000, a field 2,000, a button label 75, a button URL 3,000, at most 50 blocks.
 * https://api.slack.com/reference/block-kit/blocks and …/messaging/attachments
 */
import { type AlarmView, markOf, readableTime, severityText } from "./alarm-view";
import { summaryLine } from "./summary-line";
import { slackEscape, slackText, truncate } from "./text";

export const SEVERITY_COLOR = {
  critical: "#C62828",
  major: "#EF6C00",
  minor: "#F9A825",
  warning: "#1565C0",
  cleared: "#2E7D32",
} as const;

export interface SlackMessage {
  text: string;
  attachments: [{ color: string; fallback: string; blocks: SlackBlock[] }];
}

type Text =
  | { type: "mrkdwn"; text: string; verbatim: true }
  | { type: "plain_text"; text: string; emoji?: boolean };
export type SlackBlock =
  | { type: "header"; text: Text }
  | { type: "section"; text?: Text; fields?: Text[] }
  | { type: "context"; elements: Text[] }
  | { type: "divider" }
  | {
      type: "actions";
      elements: {
        type: "button";
        text: Text;
        url: string;
        action_id: string;
        style?: "primary" | "danger";
      }[];
    };

/**
 * `verbatim: true`: Slack then turns no URL into a link and parses no mention of its own accord
 * (https://api.slack.com/reference/block-kit/composition-objects#text, `verbatim`).
 */
const mrkdwn = (text: string, max = 3_000): Text => ({
  type: "mrkdwn",
  text: truncate(text, max),
  verbatim: true,
});

export function slackMessage(view: AlarmView): SlackMessage {
  const { detail } = view;
  const cleared = detail.kind === "cleared";
  // Everything shown comes from a certificate, an uploader or a host, or carries what they wrote.
  const esc = slackText;
  const blocks: SlackBlock[] = [
    {
      type: "header",
      text: { type: "plain_text", text: truncate(`${markOf(detail)} ${view.headline}`, 150), emoji: true },
    },
    {
      type: "section",
      text: mrkdwn(
        cleared ? `*Now:* ${esc(view.now ?? "")}\n*Was:* ${esc(view.was ?? "")}` : esc(view.message),
      ),
    },
  ];
  const fields = [
    mrkdwn(`*Object*\n${code(view.object)}`, 2_000),
    ...(view.location ? [mrkdwn(`*Location*\n${esc(view.location)}`, 2_000)] : []),
    mrkdwn(`*Severity*\n${severityText(detail)}`, 2_000),
    ...(view.certificate && !cleared ? [mrkdwn(`*Certificate*\n${esc(view.certificate)}`, 2_000)] : []),
    cleared
      ? mrkdwn(
          `*Raised → cleared*\n${readableTime(detail.firstSeen)} → ${readableTime(detail.clearedAt ?? detail.at)}`,
          2_000,
        )
      : mrkdwn(`*First seen*\n${readableTime(detail.firstSeen)}`, 2_000),
  ];
  blocks.push({ type: "section", fields });
  if (!cleared && view.steps.length > 0) {
    blocks.push({
      type: "section",
      text: mrkdwn(`*What to do*\n${view.steps.map((step, i) => `${i + 1}. ${esc(step)}`).join("\n")}`),
    });
  }
  const buttons = [
    ...(view.runbook.url ? [{ label: "Open the runbook", url: view.runbook.url }] : []),
    ...(view.console ? [{ label: view.console.label, url: view.console.url }] : []),
  ].filter((b) => b.url.length <= 3_000);
  if (buttons.length > 0) {
    blocks.push({
      type: "actions",
      elements: buttons.map((b, i) => ({
        type: "button",
        text: { type: "plain_text", text: truncate(b.label, 75) },
        url: b.url,
        action_id: `watchpost-link-${i}`,
      })),
    });
  }
  blocks.push({
    type: "context",
    elements: [
      mrkdwn(
        `${esc(view.where)} · alarm ${detail.alarmId} · occurrence ${detail.occurrenceId}` +
          (view.runbook.url ? "" : ` · runbook ${view.runbook.path} in the watchpost repository`),
      ),
    ],
  });
  // The top-level text is mrkdwn too (it is the notification's preview on phones).
  const summary = slackText(summaryLine(view));
  return {
    text: summary,
    attachments: [
      {
        color: cleared ? SEVERITY_COLOR.cleared : SEVERITY_COLOR[detail.severity],
        fallback: summary,
        blocks,
      },
    ],
  };
}

function code(text: string): string {
  return `\`${slackEscape(truncate(text, 1_000).replace(/`/g, "'"))}\``;
}
