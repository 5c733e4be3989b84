/**
 * An AWS event → the one item watchpost re-checks, or why it is ignored; then whether a selection
 * may hold that item. Events are built from the documented examples: ACM User Guide, "Amazon
 * EventBridge support for ACM" (resources: the certificate ARN); Systems Manager User Guide,
 * "Parameter Store events" (detail.name, detail.operation); Secrets Manager User Guide, "Match AWS
 * Secrets Manager events with Amazon EventBridge" (CloudTrail's eventSource, eventName,
 * requestParameters.secretId, responseElements.arn).
 */
import { describe, expect, it } from "vitest";
import {
  type AwsStoreEvent,
  changeOf,
  coverage,
  underPath,
} from "../../../functions/core/aws-certificates/change-events";

const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const CERT = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0c6e3b5f-1111-2222-3333-444455556666`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/kafka-broker-AbCdEf`;

const acm = (
  type: string,
  resources: string[] = [CERT],
  over: Partial<AwsStoreEvent> = {},
): AwsStoreEvent => ({
  source: "aws.acm",
  "detail-type": type,
  account: ACCOUNT,
  region: REGION,
  resources,
  detail: { DaysToExpiry: 31, CommonName: "example.com" },
  ...over,
});
const ssm = (detail: Record<string, unknown>, type = "Parameter Store Change"): AwsStoreEvent => ({
  source: "aws.ssm",
  "detail-type": type,
  account: ACCOUNT,
  region: REGION,
  resources: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/tls/kafka`],
  detail,
});
const secret = (detail: Record<string, unknown>): AwsStoreEvent => ({
  source: "aws.secretsmanager",
  "detail-type": "AWS API Call via CloudTrail",
  account: ACCOUNT,
  region: REGION,
  detail: { eventSource: "secretsmanager.amazonaws.com", ...detail },
});

describe("an AWS event → the item it names, or why it is ignored", () => {
  it.each([
    [
      "ACM Approaching Expiration",
      acm("ACM Certificate Approaching Expiration"),
      {
        kind: "acm",
        account: ACCOUNT,
        region: REGION,
        arn: CERT,
        reason: "ACM Certificate Approaching Expiration",
      },
    ],
    [
      "ACM Certificate Available",
      acm("ACM Certificate Available"),
      { kind: "acm", account: ACCOUNT, region: REGION, arn: CERT, reason: "ACM Certificate Available" },
    ],
    [
      "ACM Certificate Rotated",
      acm("ACM Certificate Rotated"),
      { kind: "acm", account: ACCOUNT, region: REGION, arn: CERT, reason: "ACM Certificate Rotated" },
    ],
    [
      "ACM Certificate Revoked",
      acm("ACM Certificate Revoked"),
      { kind: "acm", account: ACCOUNT, region: REGION, arn: CERT, reason: "ACM Certificate Revoked" },
    ],
    [
      "ACM Renewal Action Required",
      acm("ACM Certificate Renewal Action Required"),
      {
        kind: "acm",
        account: ACCOUNT,
        region: REGION,
        arn: CERT,
        reason: "ACM Certificate Renewal Action Required",
      },
    ],
    [
      "ACM without resources",
      acm("ACM Certificate Expired", []),
      { ignored: "ACM Certificate Expired: no ACM certificate ARN in resources" },
    ],
    [
      "ACM with a crafted ARN",
      acm("ACM Certificate Expired", [`${CERT}\n`]),
      { ignored: "ACM Certificate Expired: no ACM certificate ARN in resources" },
    ],
    [
      "ACM naming another account's certificate",
      acm("ACM Certificate Expired", [CERT.replace(ACCOUNT, "999988887777")]),
      { ignored: "ACM Certificate Expired: the certificate is not in the event's account and region" },
    ],
    [
      "ACM, another detail-type",
      acm("ACM Private CA Certificate Issuance"),
      { ignored: '"ACM Private CA Certificate Issuance": not a certificate event' },
    ],
    [
      "an event without a valid account",
      acm("ACM Certificate Expired", [CERT], { account: "x" }),
      { ignored: "the event carries no valid account and region" },
    ],
    [
      "SSM Update",
      ssm({ name: "/tls/kafka", operation: "Update", type: "SecureString" }),
      {
        kind: "ssm-parameter",
        account: ACCOUNT,
        region: REGION,
        name: "/tls/kafka",
        reason: "Parameter Store Change (Update)",
      },
    ],
    [
      "SSM Delete",
      ssm({ name: "/tls/kafka", operation: "Delete", type: "SecureString" }),
      {
        kind: "ssm-parameter",
        account: ACCOUNT,
        region: REGION,
        name: "/tls/kafka",
        reason: "Parameter Store Change (Delete)",
      },
    ],
    [
      "SSM LabelParameterVersion",
      ssm({ name: "/tls/kafka", operation: "LabelParameterVersion" }),
      { ignored: 'Parameter Store Change: operation "LabelParameterVersion" changes no value' },
    ],
    [
      "SSM name with a space",
      ssm({ name: "/tls/ka fka", operation: "Update" }),
      { ignored: "Parameter Store Change: no valid parameter name" },
    ],
    [
      "SSM policy action",
      ssm({ name: "/tls/kafka" }, "Parameter Store Policy Action"),
      { ignored: '"Parameter Store Policy Action": not a parameter change' },
    ],
    [
      "PutSecretValue by name",
      secret({ eventName: "PutSecretValue", requestParameters: { secretId: "tls/kafka-broker" } }),
      {
        kind: "secrets-manager",
        account: ACCOUNT,
        region: REGION,
        secretId: "tls/kafka-broker",
        name: "tls/kafka-broker",
        reason: "PutSecretValue",
      },
    ],
    [
      "DeleteSecret answered with the ARN",
      secret({
        eventName: "DeleteSecret",
        requestParameters: { secretId: "tls/kafka-broker" },
        responseElements: { arn: SECRET },
      }),
      {
        kind: "secrets-manager",
        account: ACCOUNT,
        region: REGION,
        secretId: SECRET,
        name: "tls/kafka-broker",
        reason: "DeleteSecret",
      },
    ],
    [
      "UpdateSecret answered with aRN (records before February 2024)",
      secret({
        eventName: "UpdateSecret",
        requestParameters: { secretId: "x" },
        responseElements: { aRN: SECRET },
      }),
      {
        kind: "secrets-manager",
        account: ACCOUNT,
        region: REGION,
        secretId: SECRET,
        name: "tls/kafka-broker",
        reason: "UpdateSecret",
      },
    ],
    [
      "CreateSecret",
      secret({ eventName: "CreateSecret", requestParameters: { name: "tls/new" } }),
      {
        kind: "secrets-manager",
        account: ACCOUNT,
        region: REGION,
        secretId: "tls/new",
        name: "tls/new",
        reason: "CreateSecret",
      },
    ],
    [
      "RotateSecret by partial ARN",
      secret({
        eventName: "RotateSecret",
        requestParameters: {
          secretId: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/kafka-tls`,
        },
      }),
      {
        kind: "secrets-manager",
        account: ACCOUNT,
        region: REGION,
        secretId: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/kafka-tls`,
        name: undefined,
        reason: "RotateSecret",
      },
    ],
    [
      "GetSecretValue",
      secret({ eventName: "GetSecretValue", requestParameters: { secretId: "tls/x" } }),
      { ignored: '"GetSecretValue": changes no secret' },
    ],
    [
      "a call that failed",
      secret({
        eventName: "PutSecretValue",
        errorCode: "AccessDenied",
        requestParameters: { secretId: "tls/x" },
      }),
      { ignored: "PutSecretValue: the call failed" },
    ],
    [
      "an ARN of another account",
      secret({
        eventName: "PutSecretValue",
        requestParameters: { secretId: SECRET.replace(ACCOUNT, "999988887777") },
      }),
      { ignored: "PutSecretValue: the secret is not in the event's account and region" },
    ],
    [
      "a partial ARN of another account (TagResource's answer names no ARN)",
      secret({
        eventName: "TagResource",
        requestParameters: { secretId: `arn:aws:secretsmanager:${REGION}:999988887777:secret:tls/kafka` },
      }),
      { ignored: "TagResource: the secret is not in the event's account and region" },
    ],
    [
      "a partial ARN of another region",
      secret({
        eventName: "UntagResource",
        requestParameters: { secretId: `arn:aws:secretsmanager:us-west-2:${ACCOUNT}:secret:tls/kafka` },
      }),
      { ignored: "UntagResource: the secret is not in the event's account and region" },
    ],
    [
      "a call name of 2,000 characters",
      secret({ eventName: "X".repeat(2000), requestParameters: { secretId: "tls/x" } }),
      { ignored: `${JSON.stringify(`${"X".repeat(128)}…`)}: changes no secret` },
    ],
    [
      "a name with control characters",
      secret({ eventName: "PutSecretValue", requestParameters: { secretId: "tls/\u001b[31mx" } }),
      { ignored: "PutSecretValue: not a secret name" },
    ],
    [
      "no secret named",
      secret({ eventName: "PutSecretValue", requestParameters: null }),
      { ignored: "PutSecretValue: no secret named in the call" },
    ],
  ])("%s", (_case, event, expected) => {
    // Act
    const change = changeOf(event);

    // Assess
    expect(change).toEqual(expected);
  });
});

describe("whether a selection may hold the item", () => {
  const change = (name: string) =>
    ({
      kind: "ssm-parameter",
      account: ACCOUNT,
      region: REGION,
      name,
      reason: "Parameter Store Change (Update)",
    }) as const;
  const secretChange = (name: string | undefined) =>
    ({
      kind: "secrets-manager",
      account: ACCOUNT,
      region: REGION,
      secretId: name ?? SECRET,
      name,
      reason: "PutSecretValue",
    }) as const;
  it.each([
    ["own account, region read", change("/tls/a"), { regions: [REGION], path: "/tls/" }, { covered: true }],
    [
      "another region",
      change("/tls/a"),
      { regions: ["us-east-1"], path: "/tls/" },
      { covered: false, reason: `region ${REGION} is not read` },
    ],
    [
      "a member account not named",
      change("/tls/a"),
      { accounts: ["210987654321"], regions: [REGION], path: "/tls/" },
      { covered: false, reason: `account ${ACCOUNT} is not read` },
    ],
    [
      "outside the path",
      change("/db/a"),
      { regions: [REGION], path: "/tls" },
      { covered: false, reason: "the parameter is not under the path /tls" },
    ],
    [
      "a level below, one level only",
      change("/tls/kafka/a"),
      { regions: [REGION], path: "/tls/", recursive: false },
      { covered: false, reason: "the parameter is not under the path /tls/" },
    ],
    [
      "secret under the prefix",
      secretChange("tls/kafka"),
      { regions: [REGION], namePrefix: "tls/" },
      { covered: true },
    ],
    [
      "secret outside the prefix",
      secretChange("db/kafka"),
      { regions: [REGION], namePrefix: "tls/" },
      { covered: false, reason: "the name is not under the prefix tls/" },
    ],
    [
      "secret whose name is not known yet",
      secretChange(undefined),
      { regions: [REGION], namePrefix: "tls/" },
      { covered: true },
    ],
  ])("%s", (_case, item, selection, expected) => {
    // Act & Assess
    expect(coverage(item, selection, ACCOUNT)).toEqual(expected);
  });

  it.each([
    ["/tls/a", "/tls/", true, true],
    ["/tls/a/b", "/tls", true, true],
    ["/tls/a/b", "/tls", false, false],
    ["/tlsx/a", "/tls", true, false],
    ["foo", "/", false, true],
    ["/tls", "/tls", true, false],
  ])("parameter %s under path %s (recursive %s): %s", (name, path, recursive, expected) => {
    expect(underPath(name, path, recursive)).toBe(expected);
  });
});
