import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  IMAGES,
  NOTIFICATION_DOCS_PATH,
  renderNotificationDocs,
} from "../../../scripts/generate-notification-docs";

describe("docs/notifications.md", () => {
  it("shows every destination for every transition of both alarms", () => {
    // Act
    const page = renderNotificationDocs();

    // Assess
    const transitions = page.match(/^### \d+\. Alarm (Raised|Severity Changed|Reminder|Cleared) /gm) ?? [];
    expect(transitions.map((t) => t.replace(/^### \d+\. /, "").trim())).toEqual([
      "Alarm Raised",
      "Alarm Severity Changed",
      "Alarm Reminder",
      "Alarm Cleared",
      "Alarm Raised",
      "Alarm Reminder",
      "Alarm Cleared",
    ]);
    for (const destination of [
      "#### Email",
      "#### Slack or Microsoft Teams through AWS Chatbot",
      "#### Slack incoming webhook",
      "#### Microsoft Teams incoming webhook",
      "#### Webhook (`format: json`)",
    ]) {
      expect(page.split(destination).length - 1, destination).toBe(7);
    }
  });

  it("points at rendered pictures that are committed", () => {
    // Assess
    for (const image of IMAGES) {
      expect(existsSync(join(dirname(NOTIFICATION_DOCS_PATH), image.file)), image.file).toBe(true);
    }
  });
});
