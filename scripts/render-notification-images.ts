/**
 * Draws the pictures in docs/notifications/ from the very payloads the Slack and Teams renderers
 * produce for the sample alarms: a small HTML approximation of Block Kit (inside a coloured
 * attachment) and of an Adaptive Card, screenshotted in headless Chromium at a phone's width.
 * It is not Slack's or Teams' own renderer; docs/notifications.md says so.
 *
 * Needs Chromium (Debian: `apt-get install chromium fonts-noto-color-emoji`).
 * Run: `npm run generate` (or `npx tsx scripts/render-notification-images.ts [path-to-chromium]`).
 * CI does not compare them: a screenshot's bytes depend on the Chromium build and the fonts.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { alarmView } from "../functions/core/notifications/alarm-view";
import { type SlackBlock, type SlackMessage, slackMessage } from "../functions/core/notifications/slack";
import { type CardElement, type TeamsMessage, teamsMessage } from "../functions/core/notifications/teams";
import { type IMAGES, NOTIFICATION_DOCS_PATH } from "./generate-notification-docs";
import { certificateScenario, credentialScenario, SAMPLE_DEPLOYMENT } from "./notification-scenarios";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const esc = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Slack mrkdwn as Slack shows it: *bold*, `code`, line breaks; its &lt; &gt; &amp; are already escaped. */
function mrkdwn(text: string): string {
  return text
    .replace(/`([^`]*)`/g, "<code>$1</code>")
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>")
    .replaceAll("\n", "<br>");
}

function slackBlock(block: SlackBlock): string {
  switch (block.type) {
    case "header":
      return `<div class="header">${esc(block.text.text)}</div>`;
    case "section": {
      const text = block.text ? `<div class="text">${mrkdwn(block.text.text)}</div>` : "";
      const fields = block.fields
        ? `<div class="fields">${block.fields.map((f) => `<div>${mrkdwn(f.text)}</div>`).join("")}</div>`
        : "";
      return `<div class="section">${text}${fields}</div>`;
    }
    case "actions":
      return `<div class="actions">${block.elements.map((b) => `<span class="button">${esc(b.text.text)}</span>`).join("")}</div>`;
    case "context":
      return `<div class="context">${block.elements.map((e) => mrkdwn(e.text)).join(" ")}</div>`;
    case "divider":
      return "<hr>";
  }
}

function slackHtml(message: SlackMessage): string {
  const [attachment] = message.attachments;
  return `<html><head><style>
    body { margin: 0; padding: 16px; font: 15px/1.45 "Noto Sans", "DejaVu Sans", sans-serif; color: #1d1c1d; background: #fff; width: 358px; }
    .who { display: flex; gap: 8px; align-items: baseline; margin-bottom: 4px; }
    .avatar { width: 36px; height: 36px; border-radius: 6px; background: #4a154b; color: #fff; font-weight: 700; display: flex; align-items: center; justify-content: center; align-self: flex-start; }
    .name { font-weight: 800; } .app { font-size: 11px; background: #e8e8e8; border-radius: 3px; padding: 0 3px; color: #616061; } .time { color: #616061; font-size: 12px; }
    .attachment { border-left: 4px solid ${attachment.color}; border-radius: 4px; padding: 2px 0 2px 12px; margin-top: 6px; }
    .header { font-size: 17px; font-weight: 800; margin: 4px 0 8px; }
    .section { margin: 6px 0; } .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 12px; margin-top: 6px; }
    code { font: 12px "DejaVu Sans Mono", monospace; color: #e01e5a; background: #f6f6f6; border: 1px solid #e1e1e1; border-radius: 3px; padding: 0 2px; word-break: break-all; }
    .actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0; }
    .button { border: 1px solid #bbb; border-radius: 4px; padding: 4px 12px; font-weight: 700; font-size: 14px; }
    .context { color: #616061; font-size: 12px; margin-top: 8px; }
  </style></head><body>
    <div class="who"><div class="avatar">W</div><div><span class="name">watchpost</span> <span class="app">APP</span> <span class="time">09:30</span></div></div>
    <div class="attachment">${attachment.blocks.map(slackBlock).join("")}</div>
  </body></html>`;
}

const CONTAINER_BACKGROUND: Record<string, string> = {
  attention: "#fde7e9",
  warning: "#fff4ce",
  good: "#dff6dd",
  accent: "#deecf9",
  emphasis: "#f3f2f1",
};

/** Adaptive Card TextBlock markdown: **bold**, `code`; list items separated by \r. */
function cardMarkdown(text: string): string {
  const lines = text.split(/\r|\n/);
  return lines
    .map((line) =>
      esc(line)
        .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
        .replace(/`([^`]*)`/g, "<code>$1</code>"),
    )
    .join("<br>");
}

function cardElement(element: CardElement): string {
  switch (element.type) {
    case "TextBlock": {
      const classes = [
        element.weight === "Bolder" ? "bold" : "",
        element.size === "Medium" ? "medium" : element.size === "Small" ? "small" : "",
        element.isSubtle ? "subtle" : "",
        element.spacing === "Medium" ? "spaced" : "",
      ].join(" ");
      return `<div class="tb ${classes}">${cardMarkdown(element.text)}</div>`;
    }
    case "Container":
      return `<div class="container" style="background:${CONTAINER_BACKGROUND[element.style]}">${element.items.map(cardElement).join("")}</div>`;
    case "FactSet":
      return `<table class="facts">${element.facts.map((f) => `<tr><td class="title">${esc(f.title)}</td><td>${cardMarkdown(f.value)}</td></tr>`).join("")}</table>`;
  }
}

function teamsHtml(message: TeamsMessage): string {
  const card = message.attachments[0].content;
  return `<html><head><style>
    body { margin: 0; padding: 16px; font: 14px/1.45 "Noto Sans", "DejaVu Sans", sans-serif; color: #242424; background: #f5f5f5; width: 358px; }
    .card { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.2); padding: 0 14px 14px; overflow: hidden; }
    .container { margin: 0 -14px 10px; padding: 12px 14px; }
    .tb { margin: 4px 0; overflow-wrap: anywhere; } .bold { font-weight: 700; } .medium { font-size: 17px; } .small { font-size: 12px; } .subtle { color: #616161; } .spaced { margin-top: 12px; }
    .facts { border-collapse: collapse; margin: 8px 0; } .facts td { padding: 2px 10px 2px 0; vertical-align: top; overflow-wrap: anywhere; } .facts .title { font-weight: 700; white-space: nowrap; }
    code { font: 12px "DejaVu Sans Mono", monospace; background: #f0f0f0; border-radius: 3px; padding: 0 2px; word-break: break-all; }
    .actions { display: flex; flex-direction: column; gap: 6px; margin-top: 12px; }
    .action { border: 1px solid #d1d1d1; border-radius: 4px; padding: 6px; text-align: center; font-weight: 600; color: #5b5fc7; }
    .who { color: #616161; font-size: 12px; margin-bottom: 6px; }
  </style></head><body>
    <div class="who"><b>Workflows</b> 09:30</div>
    <div class="card">${card.body.map(cardElement).join("")}
      <div class="actions">${card.actions.map((a) => `<div class="action">${esc(a.title)}</div>`).join("")}</div>
    </div>
  </body></html>`;
}

export async function renderImages(executablePath = "/usr/bin/chromium"): Promise<string[]> {
  const certificate = certificateScenario().map((s) => alarmView(s.event.detail, SAMPLE_DEPLOYMENT));
  const credential = credentialScenario().map((s) => alarmView(s.event.detail, SAMPLE_DEPLOYMENT));
  const pages: Record<(typeof IMAGES)[number]["file"], string> = {
    "notifications/slack-certificate-raised.png": slackHtml(slackMessage(certificate[0]!)),
    "notifications/slack-certificate-cleared.png": slackHtml(slackMessage(certificate.at(-1)!)),
    "notifications/teams-certificate-raised.png": teamsHtml(teamsMessage(certificate[0]!)),
    "notifications/teams-credential-cleared.png": teamsHtml(teamsMessage(credential.at(-1)!)),
  };
  const browser = await chromium.launch({ executablePath, args: FLAGS });
  const written: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 400 }, deviceScaleFactor: 2 });
    for (const [file, html] of Object.entries(pages)) {
      await page.setContent(html);
      const path = join(dirname(NOTIFICATION_DOCS_PATH), file);
      mkdirSync(dirname(path), { recursive: true });
      await page.screenshot({ path, fullPage: true });
      written.push(path);
    }
  } finally {
    await browser.close();
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const path of await renderImages(process.argv[2])) console.log(`wrote ${path}`);
}
