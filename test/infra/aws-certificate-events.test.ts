/**
 * The rules that re-check one AWS item on its store's event (lib/constructs/aws-certificate-events.ts):
 * one per kind configured, patterns as tight as the selections allow, each targeting the
 * certificate scan with its dead-letter queue; and the default bus's statement admitting the member
 * accounts' forwarded events. The documented example events (ACM User Guide, "Amazon EventBridge
 * support for ACM"; Systems Manager User Guide, "Parameter Store events"; Secrets Manager User
 * Guide, "AWS CloudTrail entries for Secrets Manager") are matched against the synthesized patterns
 * with the EventBridge matcher of test/support/event-pattern.ts.
 */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { matchesEventPattern } from "../support/event-pattern";
import { minimalConfig, synth } from "./support";

const OWN = "123456789012";
const MEMBER = "210987654321";
const REGION = "eu-west-1";

const configured = () =>
  synth({
    ...minimalConfig(),
    awsCertificates: {
      acm: [{ regions: [REGION] }, { regions: [REGION, "us-east-1"], accounts: [MEMBER] }],
      secretsManager: [{ regions: [REGION], namePrefix: "tls/" }],
      ssmParameters: [
        { regions: [REGION], path: "/tls" },
        { regions: [REGION], accounts: [MEMBER], path: "/certs/" },
      ],
    },
    accounts: { externalId: "wp-7f3c9a2b" },
  });

function rulesOf(template: ReturnType<typeof synth>) {
  const rules = template.findResources("AWS::Events::Rule", {
    Properties: { Description: Match.stringLikeRegexp("^watchpost: re-check an? (ACM|Parameter|Secrets)") },
  });
  return Object.fromEntries(
    Object.values(rules).map((r) => [
      String(r.Properties.Description),
      r.Properties as {
        EventPattern: Record<string, unknown>;
        Targets: Record<string, unknown>[];
        EventBusName?: unknown;
      },
    ]),
  );
}

describe("rules for ACM, Parameter Store and Secrets Manager events", () => {
  it("puts one rule per kind on the default bus, each as tight as the selections allow", () => {
    // Act
    const rules = rulesOf(configured());

    // Assess
    expect(Object.keys(rules).sort()).toEqual([
      "watchpost: re-check a Parameter Store parameter that was created, updated or deleted",
      "watchpost: re-check a Secrets Manager secret changed by an API call (CloudTrail)",
      "watchpost: re-check an ACM certificate ACM reports on",
    ]);
    const acm = rules["watchpost: re-check an ACM certificate ACM reports on"]!;
    expect(acm.EventBusName).toBeUndefined();
    expect(acm.EventPattern).toEqual({
      source: ["aws.acm"],
      "detail-type": [
        "ACM Certificate Approaching Expiration",
        "ACM Certificate Expired",
        "ACM Certificate Renewal Action Required",
        "ACM Certificate Available",
        "ACM Certificate Rotated",
        "ACM Certificate Revoked",
      ],
      account: [OWN, MEMBER].sort(),
      region: [REGION, "us-east-1"].sort(),
    });
    expect(
      rules["watchpost: re-check a Parameter Store parameter that was created, updated or deleted"]
        ?.EventPattern,
    ).toEqual({
      source: ["aws.ssm"],
      "detail-type": ["Parameter Store Change"],
      account: [OWN, MEMBER].sort(),
      region: [REGION],
      detail: {
        operation: ["Create", "Update", "Delete"],
        name: [{ prefix: "/certs/" }, { prefix: "/tls/" }],
      },
    });
    expect(
      rules["watchpost: re-check a Secrets Manager secret changed by an API call (CloudTrail)"]?.EventPattern,
    ).toEqual({
      source: ["aws.secretsmanager"],
      "detail-type": ["AWS API Call via CloudTrail"],
      account: [OWN],
      region: [REGION],
      detail: {
        eventSource: ["secretsmanager.amazonaws.com"],
        eventName: [
          "CreateSecret",
          "PutSecretValue",
          "UpdateSecret",
          "UpdateSecretVersionStage",
          "RotateSecret",
          "DeleteSecret",
          "RestoreSecret",
          "TagResource",
          "UntagResource",
        ],
        errorCode: [{ exists: false }],
        $or: [
          {
            requestParameters: {
              secretId: [{ prefix: "tls/" }, { wildcard: "arn:*:secretsmanager:*:*:secret:tls/*" }],
            },
          },
          { requestParameters: { name: [{ prefix: "tls/" }] } },
        ],
      },
    });
    for (const rule of Object.values(rules)) {
      expect(rule.Targets).toEqual([
        expect.objectContaining({
          Arn: { "Fn::GetAtt": [expect.stringMatching(/^CertificateScan/), "Arn"] },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [expect.stringMatching(/^CertificateScan/), "Arn"] } },
          RetryPolicy: expect.any(Object),
        }),
      ]);
    }
  });

  it("matches the documented events of selected items, and not those of others", () => {
    // Prepare
    const rules = Object.values(rulesOf(configured())).map((r) => r.EventPattern);
    const routed = (event: Record<string, unknown>) =>
      rules.filter((p) => matchesEventPattern(p as never, event)).length;
    const envelope = {
      version: "0",
      id: "9c95e8e4-96a4-ef3f-b739-b6aa5b193afb",
      account: OWN,
      region: REGION,
      time: "2026-12-07T06:51:08Z",
    };
    const acm = (type: string, account = OWN) => ({
      ...envelope,
      account,
      "detail-type": type,
      source: "aws.acm",
      resources: [`arn:aws:acm:${REGION}:${account}:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b`],
      detail: { DaysToExpiry: 31, CommonName: "example.com" },
    });
    const parameter = (name: string, operation: string, account = OWN) => ({
      ...envelope,
      account,
      "detail-type": "Parameter Store Change",
      source: "aws.ssm",
      resources: [`arn:aws:ssm:${REGION}:${account}:parameter${name}`],
      detail: { operation, name, type: "SecureString", description: "" },
    });
    const call = (
      eventName: string,
      requestParameters: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) => ({
      ...envelope,
      "detail-type": "AWS API Call via CloudTrail",
      source: "aws.secretsmanager",
      resources: [],
      detail: {
        eventSource: "secretsmanager.amazonaws.com",
        eventName,
        requestParameters,
        eventType: "AwsApiCall",
        ...extra,
      },
    });
    const secretArn = `arn:aws:secretsmanager:${REGION}:${OWN}:secret:tls/kafka-AbCdEf`;

    // Act & Assess: [event, rules it reaches]
    const cases: [string, Record<string, unknown>, number][] = [
      ["ACM Approaching Expiration", acm("ACM Certificate Approaching Expiration"), 1],
      ["ACM Certificate Available, member account", acm("ACM Certificate Available", MEMBER), 1],
      ["ACM, an account no selection names", acm("ACM Certificate Expired", "999988887777"), 0],
      ["parameter updated under /tls/", parameter("/tls/kafka", "Update"), 1],
      ["parameter deleted under /certs/ in the member", parameter("/certs/a", "Delete", MEMBER), 1],
      ["parameter updated under /db/", parameter("/db/password", "Update"), 0],
      ["parameter named /tlsx", parameter("/tlsx/a", "Update"), 0],
      ["parameter labelled", parameter("/tls/kafka", "LabelParameterVersion"), 0],
      ["PutSecretValue by name", call("PutSecretValue", { secretId: "tls/kafka" }), 1],
      ["PutSecretValue by ARN", call("PutSecretValue", { secretId: secretArn }), 1],
      ["CreateSecret", call("CreateSecret", { name: "tls/new" }), 1],
      ["PutSecretValue outside the prefix", call("PutSecretValue", { secretId: "db/password" }), 0],
      [
        "PutSecretValue that failed",
        call("PutSecretValue", { secretId: "tls/kafka" }, { errorCode: "AccessDenied" }),
        0,
      ],
      ["GetSecretValue", call("GetSecretValue", { secretId: "tls/kafka" }), 0],
    ];
    expect(cases.map(([name, event]) => [name, routed(event)])).toEqual(
      cases.map(([name, , n]) => [name, n]),
    );
  });

  it("admits the member accounts' forwarded events on the default bus, and only theirs", () => {
    // Act
    const template = configured();

    // Assess
    const policies = Object.values(template.findResources("AWS::Events::EventBusPolicy"));
    expect(policies.map((p) => p.Properties)).toEqual([
      {
        EventBusName: "default",
        StatementId: "watchpost-member-account-events",
        Statement: {
          Effect: "Allow",
          Principal: { AWS: [`arn:aws:iam::${MEMBER}:root`] },
          Action: "events:PutEvents",
          Resource: `arn:aws:events:${REGION}:${OWN}:event-bus/default`,
          Condition: {
            "ForAllValues:StringEquals": { "events:source": ["aws.acm", "aws.secretsmanager", "aws.ssm"] },
          },
        },
      },
    ]);
  });

  it("adds no rule and no bus policy when no AWS source is configured", () => {
    // Act
    const template = synth(minimalConfig());

    // Assess
    expect(Object.keys(rulesOf(template))).toEqual([]);
    expect(template.findResources("AWS::Events::EventBusPolicy")).toEqual({});
  });
});
