/**
 * Anything a certificate, an uploader or a host controls is untrusted text in every message. One
 * alarm made the way the deployed scan makes it — a certificate whose subject a stranger chose,
 * under a key a host named, with the metadata `watchpost push --service '<!subteam^S0OPS>'` and
 * any uploader's `x-amz-meta-watchpost-*` write — goes through the real checks, the real alarm
 * lifecycle and the real event builder, then through every renderer. The exact output is asserted:
 * no mention pages anyone, no link points where the stranger wants, no text is formatted, no
 * control character acts, and our own runbook and console links still work.
 */
import { describe, expect, it } from "vitest";
import { toEventDetail } from "../../../functions/core/alarms/events";
import {
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
  decideAlarm,
} from "../../../functions/core/alarms/lifecycle";
import { DEFAULT_POLICY } from "../../../functions/core/certificates/evaluate";
import { locationParameters, metadataParameters } from "../../../functions/core/certificates/location";
import { type AlarmEvent, alarmView } from "../../../functions/core/notifications/alarm-view";
import { chatbotNotification } from "../../../functions/core/notifications/chatbot";
import { emailBody } from "../../../functions/core/notifications/email";
import { slackMessage } from "../../../functions/core/notifications/slack";
import { teamsMessage } from "../../../functions/core/notifications/teams";
import { webhookPayload } from "../../../functions/core/notifications/webhook-payload";
import { scanFile } from "../../../functions/core/scan/read-files";
import { issue } from "../../support/pki";

const BUCKET = "acme-certs";
const KEY = "hosts/<!here>/<!channel>.pem";
const SUBJECT = "CN=*bold* _it_ ~strike~ https://evil.example/login @here";
const DEPLOYMENT = { stackName: "Watchpost", account: "123456789012", region: "eu-west-1" };

async function hostileEvent(): Promise<AlarmEvent> {
  const cert = await issue({
    subject: SUBJECT,
    notBefore: new Date("2025-01-01T00:00:00Z"),
    notAfter: new Date("2026-01-01T00:00:00Z"),
  });
  const file = `s3://${BUCKET}/${KEY}`;
  const outcome = await scanFile(
    { file, explicit: true, load: async () => ({ ok: true, bytes: Buffer.from(cert.pem), etag: '"e1"' }) },
    { policy: { ...DEFAULT_POLICY, now: new Date("2026-03-01T00:00:00Z") } },
  );
  const parameters = locationParameters(
    { parameters: {}, parametersByKey: [] },
    KEY,
    metadataParameters({
      "watchpost-service": "<!subteam^S0OPS>",
      "watchpost-host": "<https://evil.example|Login to fix> *bold*\u0007",
      "watchpost-path": encodeURIComponent("/<!here>/<!channel>.pem"),
    }),
  );
  const run: CheckRun = {
    scope: `s3://${BUCKET}/hosts/`,
    complete: true,
    examinedSources: [file],
    findings: outcome.findings.map((f) => ({ ...f, parameters })),
    parameters: { Bucket: BUCKET, Prefix: "hosts/" },
    now: new Date("2026-03-01T01:00:00Z"),
  };
  let n = 0;
  const decision = decideAlarm(
    run,
    run.findings,
    undefined,
    DEFAULT_LIFECYCLE_POLICY,
    () => `00000000-0000-4000-8000-00000000000${++n}`,
  );
  const transition = decision.transitions[0]!;
  const detail = toEventDetail(transition, { docBaseUrl: "https://github.com/acme/watchpost/blob/main/" });
  return {
    id: "e1",
    "detail-type": "Alarm Raised",
    source: "watchpost",
    time: detail.at,
    ...DEPLOYMENT,
    detail,
  };
}

// What the renderers write instead of what a stranger wrote: a zero-width space (no link, no
// mention), look-alikes of * _ ~ (no formatting), and Slack's entities for < > &.
const Z = "\u200b";
const SLACK_SUBJECT = `CN=\u2217bold\u2217 \u02cdit\u02cd \u223cstrike\u223c https:${Z}//evil.example/login @${Z}here`;
const MESSAGE_TAIL =
  " expired on 2026-01-01T00:00:00Z, 59 days ago; clients reject it. Issue a new certificate and replace the file.";
const SLACK_LOCATION = `HostName: &lt;https:${Z}//evil.example|Login to fix&gt; \u2217bold\u2217 · ServiceName: &lt;!subteam^S0OPS&gt; · HostPath: /&lt;!here&gt;/&lt;!channel&gt;.pem`;
const SLACK_KEY = "'hosts/&lt;!here&gt;/&lt;!channel&gt;.pem'";
const SLACK_HOST = "'&lt;https://evil.example|Login to fix&gt; *bold*'";
/** Inside backticks Slack formats and links nothing: the commands stay as they paste. */
const SLACK_STEPS = [
  `Fetch it with \`aws s3 cp s3://acme-certs/${SLACK_KEY} cert.pem\`.`,
  "See its dates and names: `openssl x509 -noout -dates -subject -ext subjectAltName -in cert.pem` (`#N` in Source: the N-th certificate, from 0).",
  `Make a request: \`openssl req -new -key host.key -subj /CN=${SLACK_HOST} -addext subjectAltName=DNS:${SLACK_HOST} -out host.csr\`.`,
  "Sign it with your CA: `openssl x509 -req -in host.csr -CA ca.pem -CAkey ca.key -days 365 -copy_extensions copyall -out host.pem`.",
  `Check it before shipping: \`watchpost scan host.pem --ca ca.pem --expect-host ${SLACK_HOST}\` must exit 0.`,
  `Upload it with \`aws s3 cp host.pem s3://acme-certs/${SLACK_KEY}\`, then install it on the service and reload it.`,
  "The alarm clears by itself: an upload is re-checked within seconds, a peer at the next scheduled scan.",
];
const RUNBOOK = "https://github.com/acme/watchpost/blob/main/docs/alarms/1001.md";
const CONSOLE =
  "https://eu-west-1.console.aws.amazon.com/s3/object/acme-certs?region=eu-west-1&prefix=hosts%2F%3C%21here%3E%2F%3C%21channel%3E.pem";

describe("hostile values through every renderer", () => {
  it("Chatbot: pages nobody, links nowhere, formats nothing; our links still work", async () => {
    // Prepare
    const event = await hostileEvent();
    const view = alarmView(event.detail, DEPLOYMENT);

    // Act
    const { content, metadata } = chatbotNotification(event, view);

    // Assess
    expect(content.description).toBe(
      [
        `Certificate "${SLACK_SUBJECT}"${MESSAGE_TAIL}`,
        "",
        "*Object:* `s3://acme-certs/hosts/&lt;!here&gt;/&lt;!channel&gt;.pem#0`",
        `*Location:* ${SLACK_LOCATION}`,
        `*Certificate:* ${SLACK_SUBJECT}, not after 2026-01-01 00:00 UTC (59.1 days ago)`,
        "*Severity:* critical",
        "*First seen:* 2026-03-01 01:00 UTC",
        "*Deployment:* Watchpost · account 123456789012 · eu-west-1",
      ].join("\n"),
    );
    expect(content.nextSteps).toEqual([
      ...SLACK_STEPS,
      `Runbook: ${RUNBOOK}`,
      `Open the object in the S3 console: ${CONSOLE}`,
    ]);
    expect(metadata.summary).toBe(
      "CRITICAL RAISED 1001 Certificate expired: ...e&gt;/&lt;!channel&gt;.pem#0 [Watchpost 123456789012 eu-west-1]",
    );
    expect(metadata.relatedResources).toEqual(["s3://acme-certs/hosts/&lt;!here&gt;/&lt;!channel&gt;.pem#0"]);
  });

  it("Slack: escaped, verbatim (no auto-links, no mentions), no formatting of what a stranger wrote", async () => {
    // Prepare
    const event = await hostileEvent();

    // Act
    const message = slackMessage(alarmView(event.detail, DEPLOYMENT));

    // Assess
    const [, section, fields, steps, actions, context] = message.attachments[0].blocks;
    expect(section).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: `Certificate "${SLACK_SUBJECT}"${MESSAGE_TAIL}`, verbatim: true },
    });
    expect(fields).toEqual({
      type: "section",
      fields: [
        "*Object*\n`s3://acme-certs/hosts/&lt;!here&gt;/&lt;!channel&gt;.pem#0`",
        `*Location*\n${SLACK_LOCATION}`,
        "*Severity*\ncritical",
        `*Certificate*\n${SLACK_SUBJECT}, not after 2026-01-01 00:00 UTC (59.1 days ago)`,
        "*First seen*\n2026-03-01 01:00 UTC",
      ].map((text) => ({ type: "mrkdwn", text, verbatim: true })),
    });
    expect(steps).toEqual({
      type: "section",
      text: {
        type: "mrkdwn",
        text: `*What to do*\n${SLACK_STEPS.map((step, i) => `${i + 1}. ${step}`).join("\n")}`,
        verbatim: true,
      },
    });
    expect(actions).toMatchObject({ elements: [{ url: RUNBOOK }, { url: CONSOLE }] });
    expect(context).toEqual({
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: "Watchpost · account 123456789012 · eu-west-1 · alarm 1001 · occurrence 00000000-0000-4000-8000-000000000001",
          verbatim: true,
        },
      ],
    });
    expect(message.text).toBe(
      "CRITICAL RAISED 1001 Certificate expired: ...e&gt;/&lt;!channel&gt;.pem#0 [Watchpost 123456789012 eu-west-1]",
    );
  });

  it("Teams: no Markdown link, no formatting, no live URL in any text block or fact", async () => {
    // Prepare
    const event = await hostileEvent();

    // Act
    const card = teamsMessage(alarmView(event.detail, DEPLOYMENT)).attachments[0].content;

    // Assess
    const teamsSubject = `CN=\u2217bold\u2217 \u02cdit\u02cd \u223cstrike\u223c https:${Z}//evil.example/login @${Z}here`;
    const host = `'<https:${Z}//evil.example|Login to fix> \u2217bold\u2217'`;
    expect(card.body[1]).toEqual({
      type: "TextBlock",
      text: `Certificate "${teamsSubject}"${MESSAGE_TAIL}`,
      wrap: true,
    });
    expect(card.body[2]).toEqual({
      type: "FactSet",
      facts: [
        { title: "Object", value: "s3://acme-certs/hosts/<!here>/<!channel>.pem#0" },
        {
          title: "Location",
          value: `HostName: <https:${Z}//evil.example|Login to fix> \u2217bold\u2217 · ServiceName: <!subteam^S0OPS> · HostPath: /<!here>/<!channel>.pem`,
        },
        { title: "Certificate", value: `${teamsSubject}, not after 2026-01-01 00:00 UTC (59.1 days ago)` },
        { title: "Severity", value: "critical" },
        { title: "First seen", value: "2026-03-01 01:00 UTC" },
        { title: "Alarm", value: "1001 (expired)" },
      ],
    });
    expect(card.body[4]).toMatchObject({
      text: expect.stringContaining(
        `3. Make a request: \`openssl req -new -key host.key -subj /CN=${host} -addext subjectAltName=DNS:${host} -out host.csr\`.`,
      ),
    });
    expect(card.actions.map((a) => a.url)).toEqual([RUNBOOK, CONSOLE]);
  });

  it("email: plain text with no live link a stranger wrote; parameters as written", async () => {
    // Prepare
    const event = await hostileEvent();

    // Act
    const body = emailBody(alarmView(event.detail, DEPLOYMENT)).split("\n");

    // Assess
    expect(body[3]).toBe(
      `Certificate "CN=*bold* _it_ ~strike~ https:${Z}//evil.example/login @here"${MESSAGE_TAIL}`,
    );
    expect(body).toContain(
      `Location: HostName: <https:${Z}//evil.example|Login to fix> *bold* · ServiceName: <!subteam^S0OPS> · HostPath: /<!here>/<!channel>.pem`,
    );
    expect(body).toContain(`  HostName: <https:${Z}//evil.example|Login to fix> *bold*`);
    expect(body).toContain(`Runbook: ${RUNBOOK}`);
    expect(body).toContain(`Open the object in the S3 console: ${CONSOLE}`);
  });

  it("webhook (json): the values exactly as written, as data; the receiver renders them", async () => {
    // Prepare
    const event = await hostileEvent();

    // Act
    const payload = webhookPayload(alarmView(event.detail, DEPLOYMENT));

    // Assess
    expect(payload.subject).toBe(SUBJECT);
    expect(payload.parameters).toMatchObject({
      HostName: "<https://evil.example|Login to fix> *bold*",
      ServiceName: "<!subteam^S0OPS>",
      HostPath: "/<!here>/<!channel>.pem",
      Key: KEY,
    });
  });
});
