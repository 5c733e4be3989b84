import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { ALARM_CATALOG, MAX_STEP_CHARS } from "../../../functions/core/alarms/catalog";
import { AlarmEventDetail, DETAIL_TYPES } from "../../../functions/core/alarms/events";
import {
  MAX_SNS_MESSAGE_BYTES,
  routingSeverity,
  snsAlarmMessage,
} from "../../../functions/core/notifications/alarm-message";
import { type AlarmEvent, alarmView } from "../../../functions/core/notifications/alarm-view";
import { chatbotNotification } from "../../../functions/core/notifications/chatbot";
import { emailBody } from "../../../functions/core/notifications/email";
import { fillPlaceholders } from "../../../functions/core/notifications/remediation";
import { SEVERITY_COLOR, slackMessage } from "../../../functions/core/notifications/slack";
import { summaryLine } from "../../../functions/core/notifications/summary-line";
import { teamsMessage } from "../../../functions/core/notifications/teams";
import { TRUNCATION_MARK, truncate } from "../../../functions/core/notifications/text";
import { webhookPayload } from "../../../functions/core/notifications/webhook-payload";
import {
  certificateScenario,
  credentialScenario,
  SAMPLE_DEPLOYMENT,
} from "../../../scripts/notification-scenarios";
import { REPO_ROOT } from "../../support/paths";

const [certRaised, certChanged, certReminder, certCleared] = certificateScenario().map((s) => s.event);
const [credRaised, , credCleared] = credentialScenario().map((s) => s.event);
const BASE = "https://github.com/acme/watchpost/blob/main/";

/** Everything a destination receives for one event, as text, for "is it there anywhere" checks. */
function everyDestination(event: AlarmEvent) {
  const view = alarmView(event.detail, SAMPLE_DEPLOYMENT);
  return {
    email: `${summaryLine(view)}\n${emailBody(view)}`,
    chatbot: JSON.stringify(chatbotNotification(event, view)),
    slack: JSON.stringify(slackMessage(view)),
    teams: JSON.stringify(teamsMessage(view)),
    webhook: JSON.stringify(webhookPayload(view)),
  };
}

function allStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === "object") return Object.values(value).flatMap(allStrings);
  return [];
}

function hostileEvent(overrides: Partial<AlarmEventDetail> = {}): AlarmEvent {
  const detail = AlarmEventDetail.parse({ ...certRaised!.detail, ...overrides });
  return { ...certRaised!, "detail-type": DETAIL_TYPES[detail.kind], detail };
}

describe("which deployment paged", () => {
  it.each([
    ["certificate raised", certRaised!],
    ["certificate reminder", certReminder!],
    ["certificate cleared", certCleared!],
    ["credential raised", credRaised!],
  ])("names stack, account and region in every destination (%s)", (_name, event) => {
    // Act
    const sent = everyDestination(event);

    // Assess
    for (const [destination, text] of Object.entries(sent)) {
      expect(text, destination).toContain("Watchpost");
      expect(text, destination).toContain("123456789012");
      expect(text, destination).toContain("eu-west-1");
    }
    expect(summaryLine(alarmView(event.detail, SAMPLE_DEPLOYMENT))).toMatch(
      / \[Watchpost 123456789012 eu-west-1\]$/,
    );
  });
});

describe("the runbook, on a phone", () => {
  it("by default carries the runbook's steps in the message and names the page, with no link that cannot open", () => {
    // Act
    const view = alarmView(certRaised!.detail, SAMPLE_DEPLOYMENT);
    const body = emailBody(view);

    // Assess
    expect(certRaised!.detail.doc).toBe("docs/alarms/1002.md");
    expect(body).toMatch(
      /What to do:\n1\. Fetch it with `aws s3 cp s3:\/\/acme-certs\/clusters\/prod\/api\.pem cert\.pem`\./,
    );
    expect(body).toContain("Runbook: docs/alarms/1002.md in the watchpost repository (its steps are above)");
    expect(JSON.stringify(slackMessage(view))).not.toContain("Open the runbook");
    expect(webhookPayload(view).links).not.toHaveProperty("runbook");
  });

  it("links the page everywhere once runbookBaseUrl is set", () => {
    // Prepare
    const event = certificateScenario(SAMPLE_DEPLOYMENT, BASE)[0]!.event;
    const view = alarmView(event.detail, SAMPLE_DEPLOYMENT);
    const url = `${BASE}docs/alarms/1002.md`;

    // Act / Assess
    expect(emailBody(view)).toContain(`Runbook: ${url}`);
    expect(chatbotNotification(event, view).content.nextSteps).toContain(`Runbook: ${url}`);
    expect(slackMessage(view).attachments[0].blocks).toContainEqual(
      expect.objectContaining({
        type: "actions",
        elements: expect.arrayContaining([expect.objectContaining({ url, text: expect.anything() })]),
      }),
    );
    expect(teamsMessage(view).attachments[0].content.actions).toContainEqual({
      type: "Action.OpenUrl",
      title: "Open the runbook",
      url,
    });
    expect(webhookPayload(view).links.runbook).toBe(url);
  });

  it("keeps the example configuration free of a placeholder runbook URL", () => {
    // Prepare
    const example = JSON.parse(readFileSync(join(REPO_ROOT, "watchpost.config.json"), "utf8"));

    // Assess
    expect(example.notifications.runbookBaseUrl).toBeUndefined();
  });
});

describe("remediation steps", () => {
  it("fill in the alarm's bucket, key, host and role, and leave no placeholder that could be filled", () => {
    // Act
    const certificate = alarmView(certRaised!.detail, SAMPLE_DEPLOYMENT).steps.join("\n");
    const credential = alarmView(credRaised!.detail, SAMPLE_DEPLOYMENT).steps.join("\n");

    // Assess
    expect(certificate).toContain("aws s3 cp s3://acme-certs/clusters/prod/api.pem cert.pem");
    expect(certificate).toContain("aws s3 cp host.pem s3://acme-certs/clusters/prod/api.pem");
    expect(certificate).toContain(
      "-subj /CN=api.prod.example.com -addext subjectAltName=DNS:api.prod.example.com",
    );
    expect(certificate).not.toMatch(/\b(BUCKET|KEY|HOST)\b/);
    expect(certificate).not.toContain("s_client"); // a stored file: the live-peer step is left out
    expect(credential).toContain("--role-arn arn:aws:iam::123456789012:role/metadata-service-agency");
    expect(credential).toContain("aws iam get-role --role-name metadata-service-agency");
    expect(credential).toContain("--bucket prod-cluster-data");
    expect(credential).not.toMatch(/\b(BUCKET|ROLE_ARN|ROLE_NAME|REGION)\b/);
  });

  it("quote a value the shell would split or expand, on its own", () => {
    // Act
    const step = fillPlaceholders("`aws s3 cp s3://BUCKET/KEY cert.pem`", {
      Bucket: "acme-certs",
      Key: "prod/it's $HOME; rm -rf ~.pem",
    });

    // Assess
    expect(step).toBe(`\`aws s3 cp s3://acme-certs/'prod/it'\\''s $HOME; rm -rf ~.pem' cert.pem\``);
  });

  it("are each short enough for a phone in the catalog (the ~330-character one-liner is gone)", () => {
    // Assess
    for (const alarm of ALARM_CATALOG) {
      for (const step of alarm.handlingProcedure)
        expect(step.length, step).toBeLessThanOrEqual(MAX_STEP_CHARS);
    }
  });
});

describe("a clear", () => {
  it("says what changed, what it was and how long it lasted, without repeating the raise's advice", () => {
    // Act
    const view = alarmView(certCleared!.detail, SAMPLE_DEPLOYMENT);
    const body = emailBody(view);

    // Assess
    expect(body.split("\n")[0]).toBe("Cleared after 19 days 8 hours: Certificate expiring soon (1002)");
    expect(body).toContain(
      "Now: CN=api.prod.example.com, valid 2026-03-20T09:00:00Z to 2027-03-20T09:00:00Z (364 days left)",
    );
    expect(body).toContain("Was: major: CN=api.prod.example.com expiring on 2026-03-25 12:00 UTC");
    expect(body).toContain("Cleared: 2026-03-20 09:30 UTC (lasted 19 days 8 hours)");
    expect(body).not.toContain("Renew it and replace the file");
    expect(body).not.toContain("What to do");
    for (const [destination, text] of Object.entries(everyDestination(certCleared!))) {
      expect(text, destination).toContain("2027-03-20");
      // The webhook keeps the fault's text as a data field (`message`); people are not shown it again.
      if (destination !== "webhook") expect(text, destination).not.toContain("Renew it and replace the file");
    }
  });

  it("of a credential alarm says which steps now pass", () => {
    // Act
    const body = emailBody(alarmView(credCleared!.detail, SAMPLE_DEPLOYMENT));

    // Assess
    expect(body).toContain(
      "Now: the check passes every step: assume-role, expiration, head-bucket, list-objects",
    );
    expect(body).toContain("Was: major: assume-role failed (AccessDenied)");
    expect(body).toContain("(lasted 1 day 4 hours)");
  });

  it("from a check that did not report the new state says only that the fault is gone", () => {
    // Prepare
    const { resolution: _none, ...detail } = certCleared!.detail;

    // Act
    const body = emailBody(alarmView(AlarmEventDetail.parse(detail), SAMPLE_DEPLOYMENT));

    // Assess
    expect(body).toContain("Now: the check at 2026-03-20 09:30 UTC no longer finds the fault");
  });
});

describe("the webhook payload", () => {
  const SCHEMA_FILE = join(REPO_ROOT, "schemas", "webhook-payload.schema.json");

  it.each(
    [...certificateScenario(), ...credentialScenario()].map((s) => [
      s.event.detail.kind,
      s.event.detail.check,
      s.event,
    ]),
  )("is valid against the shipped schema (%s %s)", (_kind, _check, event) => {
    // Prepare
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as object);

    // Act
    const payload = webhookPayload(alarmView((event as AlarmEvent).detail, SAMPLE_DEPLOYMENT));

    // Assess
    expect(validate(payload), JSON.stringify(validate.errors)).toBe(true);
  });

  it("gives a severity change its stable fields", () => {
    // Act
    const payload = webhookPayload(alarmView(certChanged!.detail, SAMPLE_DEPLOYMENT));

    // Assess
    expect(payload).toMatchObject({
      schemaVersion: "1",
      kind: "severity-changed",
      alarm: { id: "1002", title: "Certificate expiring soon", check: "expiring" },
      severity: "major",
      previousSeverity: "minor",
      subject: "CN=api.prod.example.com",
      notAfter: "2026-03-25T12:00:00Z",
      daysLeft: 6.4,
      parameters: { Bucket: "acme-certs", Key: "clusters/prod/api.pem" },
      deployment: { stackName: "Watchpost", account: "123456789012", region: "eu-west-1" },
      links: {
        runbookPath: "docs/alarms/1002.md",
        console: expect.stringMatching(
          /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/s3\/object\/acme-certs\?/,
        ),
      },
    });
    expect(payload.remediation.length).toBeGreaterThan(3);
  });

  it("carries the error code of a credential alarm and the new state and duration of a clear", () => {
    // Act
    const raised = webhookPayload(alarmView(credRaised!.detail, SAMPLE_DEPLOYMENT));
    const cleared = webhookPayload(alarmView(certCleared!.detail, SAMPLE_DEPLOYMENT));

    // Assess
    expect(raised).toMatchObject({ errorCode: "AccessDenied", step: "assume-role", severity: "major" });
    expect(cleared).toMatchObject({
      kind: "cleared",
      clearedAt: "2026-03-20T09:30:00.000Z",
      durationSeconds: 1_672_200,
      resolution: { notAfter: "2027-03-20T09:00:00Z", daysLeft: 364.9 },
      remediation: [],
    });
  });
});

describe("Slack and Teams incoming webhooks", () => {
  it.each([
    ["raised minor", certRaised!, SEVERITY_COLOR.minor, "warning"],
    ["changed to major", certChanged!, SEVERITY_COLOR.major, "attention"],
    ["cleared", certCleared!, SEVERITY_COLOR.cleared, "good"],
  ])("colour the message by severity (%s)", (_name, event, color, style) => {
    // Act
    const view = alarmView(event.detail, SAMPLE_DEPLOYMENT);
    const slack = slackMessage(view);
    const teams = teamsMessage(view);

    // Assess
    expect(slack.attachments[0].color).toBe(color);
    expect(teams.attachments[0].content.body[0]).toMatchObject({ type: "Container", style });
  });

  it("carry a link button to the object in the console", () => {
    // Act
    const view = alarmView(certRaised!.detail, SAMPLE_DEPLOYMENT);

    // Assess
    const console =
      "https://eu-west-1.console.aws.amazon.com/s3/object/acme-certs?region=eu-west-1&prefix=clusters%2Fprod%2Fapi.pem";
    expect(JSON.stringify(slackMessage(view))).toContain(`"url":"${console}"`);
    expect(teamsMessage(view).attachments[0].content.actions).toEqual([
      { type: "Action.OpenUrl", title: "Open the object in the S3 console", url: console },
    ]);
  });

  it("cannot be made to mention @channel, link elsewhere or move the cursor by a certificate's subject", () => {
    // Prepare
    const event = hostileEvent({
      message:
        "CN=<!channel> [open me](https://evil.example) <https://evil.example|open> \u001b]0;pwned\u0007\u202eSTOP",
      source: "s3://acme-certs/clusters/prod/<!here>.pem#0",
    });

    // Act
    const sent = everyDestination(event);

    // Assess
    expect(sent.slack).not.toMatch(/<!(channel|here)>/);
    expect(sent.slack).toContain("&lt;!channel&gt;");
    expect(sent.slack).not.toContain("<https://evil"); // Slack's own link syntax
    for (const destination of ["chatbot", "teams"] as const) {
      expect(sent[destination], destination).not.toContain("](https://evil.example)"); // Markdown links
    }
    // Line breaks are the renderers' own (Teams separates list items with \r); anything else is not.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters is the point
    const rawControls = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]/;
    for (const [destination, text] of Object.entries(sent)) {
      if (destination === "webhook") continue; // JSON stays exact; receivers render it
      const shown = destination === "email" ? text : JSON.stringify(JSON.parse(text), null, 0);
      const strings = destination === "email" ? [shown] : allStrings(JSON.parse(text));
      for (const value of strings) expect(value, destination).not.toMatch(rawControls);
      expect(strings.join("\n"), destination).toContain("\\x1b]0;pwned\\x07\\u202eSTOP");
    }
  });
});

describe("the SNS message", () => {
  it("carries email, https and default variants and the severity attribute", () => {
    // Act
    const message = snsAlarmMessage(certRaised!, SAMPLE_DEPLOYMENT);

    // Assess
    const view = alarmView(certRaised!.detail, SAMPLE_DEPLOYMENT);
    const structure = JSON.parse(message.message);
    expect(Object.keys(structure).sort()).toEqual(["default", "email", "https"]);
    expect(JSON.parse(structure.default)).toEqual(certRaised);
    expect(structure.email).toBe(emailBody(view));
    expect(JSON.parse(structure.https)).toEqual(chatbotNotification(certRaised!, view));
    expect(message.subject).toBe(summaryLine(view));
    expect(message.attributes).toEqual({
      severity: "minor",
      kind: "raised",
      alarmId: "1002",
      check: "expiring",
    });
  });

  it("routes a downgrade by the worse severity, so whoever saw the raise sees the change", () => {
    // Assess
    expect(routingSeverity({ severity: "minor", previousSeverity: "major" })).toBe("major");
    expect(routingSeverity({ severity: "critical", previousSeverity: "major" })).toBe("critical");
    expect(routingSeverity({ severity: "warning" })).toBe("warning");
  });

  it("stays under the SNS size limit with a huge message and many parameters, and says it was cut", () => {
    // Prepare
    const parameters = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`P${i}`, "x".repeat(2_000)]),
    );
    const event = hostileEvent({ message: "😀".repeat(300_000), parameters });

    // Act
    const message = snsAlarmMessage(event, SAMPLE_DEPLOYMENT);

    // Assess
    expect(Buffer.byteLength(message.message, "utf8")).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    const structure = JSON.parse(message.message);
    expect(structure.email).toContain(TRUNCATION_MARK);
    expect(JSON.parse(structure.https).content.description).toContain(TRUNCATION_MARK);
    expect(JSON.parse(structure.default).detail.alarmId).toBe("1002");
    expect(structure.email).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it("keeps the subject a valid SNS subject (ASCII, one line, < 100) with a long, odd object name", () => {
    // Prepare
    const event = hostileEvent({ source: `s3://certs/${"deeply/nested/".repeat(20)}säté\nfile.pem#3` });

    // Act
    const subject = snsAlarmMessage(event, SAMPLE_DEPLOYMENT).subject;

    // Assess
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toMatch(
      /^MINOR RAISED 1002 Certificate expiring soon: \.\.\..*file\.pem#3 \[Watchpost 123456789012 eu-west-1\]$/,
    );
  });
});

describe("truncate", () => {
  it("leaves short text alone and never splits a surrogate pair", () => {
    // Assess
    expect(truncate("short", 10)).toBe("short");
    const cut = truncate(`${"a".repeat(20)}${"😀".repeat(10)}`, 33);
    expect(cut).toBe(`${"a".repeat(20)}${TRUNCATION_MARK}`);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
