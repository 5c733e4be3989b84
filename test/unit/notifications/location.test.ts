import { describe, expect, it } from "vitest";
import { AlarmEventDetail, DETAIL_TYPES } from "../../../functions/core/alarms/events";
import { type AlarmEvent, alarmView } from "../../../functions/core/notifications/alarm-view";
import { chatbotNotification } from "../../../functions/core/notifications/chatbot";
import { emailBody } from "../../../functions/core/notifications/email";
import { slackMessage } from "../../../functions/core/notifications/slack";
import { teamsMessage } from "../../../functions/core/notifications/teams";
import { webhookPayload } from "../../../functions/core/notifications/webhook-payload";
import { certificateScenario, SAMPLE_DEPLOYMENT } from "../../../scripts/notification-scenarios";

const [raised, , , cleared] = certificateScenario().map((s) => s.event);

/** The sample alarm as a keystore pushed from a Flink host would raise and clear it. */
function fromHost(event: AlarmEvent): AlarmEvent {
  const detail = AlarmEventDetail.parse({
    ...event.detail,
    parameters: {
      ...event.detail.parameters,
      HostPath: "/opt/flink/ha/local/cert/flink.keystore",
      HostName: "flink01.prod.example.com",
      ServiceName: "Flink",
      Cluster: "prod",
    },
  });
  return { ...event, "detail-type": DETAIL_TYPES[detail.kind], detail };
}

const LINE =
  "HostName: flink01.prod.example.com · ServiceName: Flink · Cluster: prod · HostPath: /opt/flink/ha/local/cert/flink.keystore";

describe("where the certificate lives, in every destination", () => {
  it.each([
    ["raised", raised!],
    ["cleared", cleared!],
  ])(
    "the %s alarm names the host, service, cluster and path in email, Chatbot, Slack, Teams and the webhook",
    (_kind, event) => {
      // Prepare
      const located = fromHost(event);
      const view = alarmView(located.detail, SAMPLE_DEPLOYMENT);

      // Act
      const email = emailBody(view);
      const chatbot = chatbotNotification(located, view).content.description;
      const slack = JSON.stringify(slackMessage(view));
      const teams = JSON.stringify(teamsMessage(view));
      const webhook = webhookPayload(view);

      // Assess
      expect(email).toContain(`Location: ${LINE}`);
      expect(chatbot).toContain(`*Location:* ${LINE}`);
      expect(slack).toContain(JSON.stringify(`*Location*\n${LINE}`).slice(1, -1));
      expect(teams).toContain(JSON.stringify({ title: "Location", value: LINE }));
      expect(webhook.parameters).toMatchObject({ HostName: "flink01.prod.example.com", Cluster: "prod" });
    },
  );

  it("fills the runbook's HOST with the host the certificate lives on", () => {
    const view = alarmView(fromHost(raised!).detail, SAMPLE_DEPLOYMENT);
    expect(view.steps.join("\n")).toContain("/CN=flink01.prod.example.com");
  });

  it("shows no location line for an alarm without location parameters", () => {
    const view = alarmView(AlarmEventDetail.parse({ ...raised!.detail, parameters: {} }), SAMPLE_DEPLOYMENT);
    expect(view.location).toBeUndefined();
    expect(emailBody(view)).not.toContain("Location:");
  });
});
