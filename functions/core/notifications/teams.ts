/**
 * A Microsoft Teams message carrying an Adaptive Card, as the Teams "Workflows" incoming webhook
 * ("Post to a channel when a webhook request is received") and the older Office 365 connector
 * accept it: `{ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive",
 * content: <card> }] }`. The severity colours the card's top container (Adaptive Cards offer the
 * container styles attention, warning, good, accent, emphasis — not free colours); a button opens
 * the runbook or the console. Card version 1.4, which Teams renders on desktop and mobile.
 * https://adaptivecards.io/explorer/ and https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-reference
 */
import type { Severity } from "../contracts";
import { type AlarmView, markOf, readableTime, severityText } from "./alarm-view";
import { teamsText, truncate } from "./text";

type ContainerStyle = "attention" | "warning" | "good" | "accent" | "emphasis";

export const SEVERITY_STYLE: Record<Severity | "cleared", ContainerStyle> = {
  critical: "attention",
  major: "attention",
  minor: "warning",
  warning: "accent",
  cleared: "good",
};

export interface TeamsMessage {
  type: "message";
  attachments: [
    {
      contentType: "application/vnd.microsoft.card.adaptive";
      contentUrl: null;
      content: AdaptiveCard;
    },
  ];
}

export interface AdaptiveCard {
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
  type: "AdaptiveCard";
  version: "1.4";
  msteams: { width: "Full" };
  body: CardElement[];
  actions: { type: "Action.OpenUrl"; title: string; url: string }[];
}

export type CardElement =
  | {
      type: "TextBlock";
      text: string;
      wrap: true;
      weight?: "Bolder";
      size?: "Small" | "Medium" | "Large";
      isSubtle?: boolean;
      spacing?: "Medium";
    }
  | { type: "Container"; style: ContainerStyle; bleed: true; items: CardElement[] }
  | { type: "FactSet"; facts: { title: string; value: string }[] };

const text = (
  value: string,
  extra: Partial<Extract<CardElement, { type: "TextBlock" }>> = {},
): CardElement => ({
  type: "TextBlock",
  text: teamsText(truncate(value, 3_000)),
  wrap: true,
  ...extra,
});

export function teamsMessage(view: AlarmView): TeamsMessage {
  const { detail } = view;
  const cleared = detail.kind === "cleared";
  const body: CardElement[] = [
    {
      type: "Container",
      style: cleared ? SEVERITY_STYLE.cleared : SEVERITY_STYLE[detail.severity],
      bleed: true,
      items: [
        text(`${markOf(detail)} ${view.headline}`, { weight: "Bolder", size: "Medium" }),
        text(view.where, { isSubtle: true, size: "Small" }),
      ],
    },
    cleared ? text(`**Now:** ${view.now ?? ""}\n\n**Was:** ${view.was ?? ""}`) : text(view.message),
  ];
  const facts = [
    { title: "Object", value: view.object },
    ...(view.location ? [{ title: "Location", value: view.location }] : []),
    ...(view.certificate && !cleared ? [{ title: "Certificate", value: view.certificate }] : []),
    { title: "Severity", value: severityText(detail) },
    ...(cleared
      ? [
          { title: "Raised", value: readableTime(detail.firstSeen) },
          { title: "Cleared", value: readableTime(detail.clearedAt ?? detail.at) },
        ]
      : [{ title: "First seen", value: readableTime(detail.firstSeen) }]),
    { title: "Alarm", value: `${detail.alarmId} (${detail.check})` },
  ];
  body.push({
    type: "FactSet",
    facts: facts.map((f) => ({ title: f.title, value: teamsText(truncate(f.value, 1_000)) })),
  });
  if (!cleared && view.steps.length > 0) {
    body.push(text("What to do", { weight: "Bolder", spacing: "Medium" }));
    // Adaptive Card markdown in Teams: list items are separated by \r (Microsoft Teams docs, "Format cards").
    body.push(text(view.steps.map((step, i) => `${i + 1}. ${step}`).join("\r")));
  }
  if (!view.runbook.url) {
    body.push(
      text(`Runbook: ${view.runbook.path} in the watchpost repository`, { isSubtle: true, size: "Small" }),
    );
  }
  const actions = [
    ...(view.runbook.url
      ? [{ type: "Action.OpenUrl" as const, title: "Open the runbook", url: view.runbook.url }]
      : []),
    ...(view.console
      ? [{ type: "Action.OpenUrl" as const, title: view.console.label, url: view.console.url }]
      : []),
  ];
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          msteams: { width: "Full" },
          body,
          actions,
        },
      },
    ],
  };
}
