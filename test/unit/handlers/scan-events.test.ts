/**
 * Which trigger an invocation's event selects (handlers/certificate-scan/events.ts). An event of
 * ACM, Parameter Store or Secrets Manager is always an item's re-check, whatever its shape: one that
 * is malformed is ignored there (core/aws-certificates/change-events.ts says why), never taken for
 * the schedule, which would scan every store.
 */
import { describe, expect, it } from "vitest";
import { ScanEvent } from "../../../functions/handlers/certificate-scan/events";

const acm = {
  version: "0",
  id: "9c95e8e4-96a4-ef3f-b739-b6aa5b193afb",
  "detail-type": "ACM Certificate Approaching Expiration",
  source: "aws.acm",
  account: "111122223333",
  time: "2020-09-30T06:51:08Z",
  region: "eu-west-1",
  resources: ["arn:aws:acm:eu-west-1:111122223333:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b"],
  detail: { DaysToExpiry: 31, CommonName: "example.com" },
};

describe("the trigger an event selects", () => {
  it.each([
    [
      "the daily schedule",
      { source: "aws.events", "detail-type": "Scheduled Event", detail: {} },
      "full-scan",
    ],
    ["a manual invoke", {}, "full-scan"],
    ["an ACM certificate event", acm, "aws-item-change"],
    [
      "an ACM event without resources or detail",
      { source: "aws.acm", "detail-type": "x" },
      "aws-item-change",
    ],
    [
      "an ACM event with a detail that is not an object",
      { ...acm, detail: "x", resources: "y" },
      "aws-item-change",
    ],
    [
      "a Parameter Store change",
      {
        source: "aws.ssm",
        "detail-type": "Parameter Store Change",
        account: "1",
        region: "r",
        detail: { name: "/a", operation: "Update" },
      },
      "aws-item-change",
    ],
    [
      "a Secrets Manager call through CloudTrail with a huge account field",
      {
        source: "aws.secretsmanager",
        "detail-type": "AWS API Call via CloudTrail",
        account: "9".repeat(10_000),
        detail: {},
      },
      "aws-item-change",
    ],
    [
      "an S3 object event",
      {
        source: "aws.s3",
        "detail-type": "Object Created",
        detail: { bucket: { name: "b" }, object: { key: "k" } },
      },
      "object-change",
    ],
    ["the host check", { detail: { check: "host-heartbeats" } }, "host-check"],
  ])("%s → %s", (_case, event, trigger) => {
    // Act & Assess
    expect(ScanEvent.parse(event).trigger).toBe(trigger);
  });

  it("keeps an over-long account as nothing rather than as text (changeOf then ignores the event)", () => {
    // Act
    const parsed = ScanEvent.parse({ ...acm, account: "9".repeat(10_000) });

    // Assess
    expect(parsed).toMatchObject({ trigger: "aws-item-change", event: { account: "" } });
  });
});
