import { describe, expect, it } from "vitest";
import { AlarmEventDetail, DETAIL_TYPES } from "../../../functions/core/alarms/events";
import {
  type AlarmEvent,
  type ChatbotCustomNotification,
  chatbotNotification,
  emailBody,
  emailSubject,
  MAX_SNS_MESSAGE_BYTES,
  routingSeverity,
  snsAlarmMessage,
} from "../../../functions/core/notifications/alarm-message";
import { TRUNCATION_MARK, truncate } from "../../../functions/core/notifications/text";

function alarmEvent(overrides: Partial<AlarmEventDetail> = {}): AlarmEvent {
  const detail = AlarmEventDetail.parse({
    schemaVersion: "1",
    eventId: "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f",
    kind: "raised",
    alarmId: "1001",
    title: "Certificate expired",
    severity: "critical",
    check: "expired",
    fingerprint: "1001|s3://certs/prod/|s3://certs/prod/api.pem#0",
    occurrenceId: "0d9b8c7a-6e5f-4a3b-8c1d-2e3f4a5b6c7d",
    scope: "s3://certs/prod/",
    source: "s3://certs/prod/api.pem#0",
    parameters: { Source: "s3://certs/prod/api.pem#0", HostName: "api.prod.example.com" },
    message: "Certificate CN=api.prod.example.com expired on 2025-01-01T00:00:00Z (3 days ago).",
    firstSeen: "2025-01-04T01:00:00.000Z",
    lastSeen: "2025-01-04T01:00:00.000Z",
    at: "2025-01-04T01:00:00.000Z",
    doc: "https://github.com/example/watchpost/blob/main/docs/alarms/1001.md",
    silenced: false,
    ...overrides,
  });
  return {
    id: "e2a7c1d0-1111-2222-3333-444455556666",
    "detail-type": DETAIL_TYPES[detail.kind],
    source: "watchpost",
    time: detail.at,
    detail,
  };
}

describe("email", () => {
  it("puts severity, transition, alarm ID, title and object in a subject under 100 characters", () => {
    // Act
    const subject = emailSubject(alarmEvent().detail);

    // Assess
    expect(subject).toBe("CRITICAL RAISED 1001 Certificate expired: s3://certs/prod/api.pem#0");
    expect(subject.length).toBeLessThan(100);
  });

  it("keeps a long object's file name and stays a valid SNS subject (ASCII, one line, < 100)", () => {
    // Prepare
    const source = `s3://certs/${"deeply/nested/".repeat(20)}säté\nfile.pem#3`;

    // Act
    const subject = emailSubject(alarmEvent({ source }).detail);

    // Assess
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toMatch(/^CRITICAL RAISED 1001 Certificate expired: \.\.\..*sate file\.pem#3$/);
  });

  it("reads top-down on a phone: headline, message, object, times, parameters, steps, runbook", () => {
    // Act
    const body = emailBody(alarmEvent().detail);

    // Assess
    const lines = body.split("\n");
    expect(lines[0]).toBe("CRITICAL alarm raised: Certificate expired (1001)");
    expect(lines[2]).toContain("expired on 2025-01-01");
    expect(body).toContain("Object: s3://certs/prod/api.pem#0");
    expect(body).toContain("First seen: 2025-01-04 01:00 UTC");
    expect(body).toContain("  HostName: api.prod.example.com");
    expect(body).toMatch(/What to do:\n {2}1\. /);
    expect(body).toContain("Runbook: https://github.com/example/watchpost/blob/main/docs/alarms/1001.md");
    expect(body).toContain("Occurrence: 0d9b8c7a-6e5f-4a3b-8c1d-2e3f4a5b6c7d");
  });

  it("says a cleared alarm needs no action and when it cleared", () => {
    // Act
    const body = emailBody(alarmEvent({ kind: "cleared", clearedAt: "2025-01-04T09:30:00.000Z" }).detail);

    // Assess
    expect(body.split("\n")[0]).toBe("Cleared: Certificate expired (1001)");
    expect(body).toContain("Cleared: 2025-01-04 09:30 UTC");
    expect(body).toContain("No action is needed");
    expect(body).not.toContain("What to do:");
  });

  it("shows where a severity came from", () => {
    // Act
    const body = emailBody(
      alarmEvent({
        kind: "severity-changed",
        alarmId: "1002",
        check: "expiring",
        title: "Certificate expiring",
        severity: "major",
        previousSeverity: "minor",
      }).detail,
    );

    // Assess
    expect(body.split("\n")[0]).toBe("Alarm now MAJOR: Certificate expiring (1002)");
    expect(body).toContain("Severity: major (was minor)");
  });
});

describe("AWS Chatbot custom notification", () => {
  it("follows the custom notification schema and threads by fingerprint", () => {
    // Prepare
    const event = alarmEvent();

    // Act
    const notification: ChatbotCustomNotification = chatbotNotification(event);

    // Assess
    expect(notification).toMatchObject({
      version: "1.0",
      source: "custom",
      id: event.id,
      content: { textType: "client-markdown" },
      metadata: {
        threadId: event.detail.fingerprint,
        eventType: "Alarm Raised",
        relatedResources: ["s3://certs/prod/api.pem#0"],
      },
    });
    expect(notification.content.title).toContain("CRITICAL alarm raised: Certificate expired (1001)");
    expect(notification.content.description).toContain("*Object:* `s3://certs/prod/api.pem#0`");
    expect(notification.content.nextSteps.at(-1)).toBe(`Runbook: ${event.detail.doc}`);
    expect(notification.metadata.summary).toBe(emailSubject(event.detail));
    expect(JSON.parse(JSON.stringify(notification))).toEqual(notification);
  });

  it("threads the clear with the raise", () => {
    // Act
    const raised = chatbotNotification(alarmEvent());
    const cleared = chatbotNotification(
      alarmEvent({ kind: "cleared", clearedAt: "2025-01-04T09:30:00.000Z" }),
    );

    // Assess
    expect(cleared.metadata.threadId).toBe(raised.metadata.threadId);
    expect(cleared.metadata.eventType).toBe("Alarm Cleared");
    expect(cleared.content.nextSteps[0]).toMatch(/^No action needed/);
  });
});

describe("the SNS message", () => {
  it("carries email, https and default variants and the severity attribute", () => {
    // Prepare
    const event = alarmEvent();

    // Act
    const message = snsAlarmMessage(event);

    // Assess
    const structure = JSON.parse(message.message);
    expect(Object.keys(structure).sort()).toEqual(["default", "email", "https"]);
    expect(JSON.parse(structure.default)).toEqual(event);
    expect(structure.email).toBe(emailBody(event.detail));
    expect(JSON.parse(structure.https)).toEqual(chatbotNotification(event));
    expect(message.attributes).toEqual({
      severity: "critical",
      kind: "raised",
      alarmId: "1001",
      check: "expired",
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
    const event = alarmEvent({ message: "😀".repeat(300_000), parameters });

    // Act
    const message = snsAlarmMessage(event);

    // Assess
    expect(Buffer.byteLength(message.message, "utf8")).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    const structure = JSON.parse(message.message);
    expect(structure.email).toContain(TRUNCATION_MARK);
    expect(JSON.parse(structure.https).content.description).toContain(TRUNCATION_MARK);
    expect(JSON.parse(structure.default).detail.alarmId).toBe("1001");
    expect(structure.email).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe("truncate", () => {
  it("leaves short text alone and never splits a surrogate pair", () => {
    // Assess
    expect(truncate("short", 10)).toBe("short");
    const cut = truncate(`${"a".repeat(20)}${"😀".repeat(10)}`, 33);
    expect(cut).toBe(`${"a".repeat(20)}${TRUNCATION_MARK}`);
    expect(cut.endsWith(TRUNCATION_MARK)).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
