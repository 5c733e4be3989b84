/**
 * The member account's event forwarder (templates/member-account-events.template.json, generated from
 * lib/member-account-events-stack.ts): three rules on the member's default bus sending ACM's
 * certificate events, Parameter Store changes and Secrets Manager's write calls to the watchpost
 * account's default bus, through a role EventBridge assumes that may put events on that one bus and
 * nothing else (EventBridge User Guide, "Sending and receiving events between AWS accounts"). The
 * documented example events are matched against the committed patterns.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { matchesEventPattern } from "../support/event-pattern";

const template = JSON.parse(
  readFileSync(
    join(import.meta.dirname, "..", "..", "templates", "member-account-events.template.json"),
    "utf8",
  ),
) as {
  Parameters: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);
const BUS = {
  "Fn::Join": [
    "",
    [
      "arn:",
      { Ref: "AWS::Partition" },
      ":events:",
      { Ref: "WatchpostRegion" },
      ":",
      { Ref: "WatchpostAccountId" },
      ":event-bus/default",
    ],
  ],
};

describe("templates/member-account-events.template.json", () => {
  it("takes the watchpost account and Region, and holds a role and three rules only", () => {
    expect(Object.keys(template.Parameters).sort()).toEqual(["WatchpostAccountId", "WatchpostRegion"]);
    expect(
      Object.values(template.Resources)
        .map((r) => r.Type)
        .sort(),
    ).toEqual([
      "AWS::Events::Rule",
      "AWS::Events::Rule",
      "AWS::Events::Rule",
      "AWS::IAM::Policy",
      "AWS::IAM::Role",
    ]);
  });

  it("lets EventBridge, and only it, put events on the watchpost account's default bus, and nowhere else", () => {
    const [role] = ofType("AWS::IAM::Role");
    const [policy] = ofType("AWS::IAM::Policy");
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Statement: [
        { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "events.amazonaws.com" } },
      ],
      Version: "2012-10-17",
    });
    expect(role?.Properties.Policies).toBeUndefined();
    expect((policy?.Properties.PolicyDocument as { Statement: unknown[] } | undefined)?.Statement).toEqual([
      { Action: "events:PutEvents", Effect: "Allow", Resource: BUS },
    ]);
  });

  it("forwards the documented events of the three stores to that bus with the role, and no other event", () => {
    const rules = ofType("AWS::Events::Rule").map((r) => r.Properties);
    for (const rule of rules) {
      expect(rule.Targets).toEqual([
        {
          Arn: BUS,
          Id: "Target0",
          RoleArn: { "Fn::GetAtt": [expect.stringMatching(/^ForwardRole/), "Arn"] },
        },
      ]);
    }
    const forwarded = (event: Record<string, unknown>) =>
      rules.filter((r) => matchesEventPattern(r.EventPattern as never, event)).length;
    const envelope = {
      version: "0",
      id: "1",
      account: "210987654321",
      region: "eu-west-1",
      time: "2026-12-07T06:51:08Z",
    };
    const cases: [string, Record<string, unknown>, number][] = [
      [
        "ACM Certificate Approaching Expiration",
        {
          ...envelope,
          source: "aws.acm",
          "detail-type": "ACM Certificate Approaching Expiration",
          detail: { DaysToExpiry: 31, CommonName: "example.com" },
        },
        1,
      ],
      [
        "Parameter Store Change (Update)",
        {
          ...envelope,
          source: "aws.ssm",
          "detail-type": "Parameter Store Change",
          detail: { operation: "Update", name: "/tls/a", type: "SecureString" },
        },
        1,
      ],
      [
        "PutSecretValue via CloudTrail",
        {
          ...envelope,
          source: "aws.secretsmanager",
          "detail-type": "AWS API Call via CloudTrail",
          detail: {
            eventSource: "secretsmanager.amazonaws.com",
            eventName: "PutSecretValue",
            requestParameters: { secretId: "tls/a" },
          },
        },
        1,
      ],
      [
        "GetSecretValue via CloudTrail (a read)",
        {
          ...envelope,
          source: "aws.secretsmanager",
          "detail-type": "AWS API Call via CloudTrail",
          detail: {
            eventSource: "secretsmanager.amazonaws.com",
            eventName: "GetSecretValue",
            requestParameters: { secretId: "tls/a" },
          },
        },
        0,
      ],
      [
        "an EC2 state change",
        {
          ...envelope,
          source: "aws.ec2",
          "detail-type": "EC2 Instance State-change Notification",
          detail: {},
        },
        0,
      ],
    ];
    expect(cases.map(([name, event]) => [name, forwarded(event)])).toEqual(
      cases.map(([name, , n]) => [name, n]),
    );
  });
});
