/**
 * Member accounts in the IAM evaluator (@cloud-copilot/iam-simulate): the scan role in the watchpost
 * account assuming the reader role in a member account (the scan role's identity policy from the
 * synthesized stack and the reader role's trust policy from the StackSet template, both of which a
 * cross-account request needs; IAM User Guide, "Cross-account policy evaluation logic"), and each
 * call the source adapters make in the member account under the reader role's policy.
 */
import { describe, expect, it } from "vitest";
import { READER_SESSION_NAME } from "../../functions/adapters/member-accounts";
import type { WatchpostConfigInput } from "../../functions/core/config";
import { memberTemplate } from "../../scripts/generate-member-template";
import { minimalConfig, synth } from "../infra/support";
import { identityPoliciesOf, type PolicyDocument, roleOfFunction, simulate } from "../support/iam-simulation";
import { FUNCTION_DESCRIPTIONS, ResolvedTemplate } from "../support/template";

const WATCHPOST = "123456789012";
const MEMBER = "210987654321";
const OTHER_MEMBER = "333344445555";
const EXTERNAL_ID = "wp-7f3c9a2b";
const REGION = "eu-west-1";

// The stack as a configuration naming the member account deploys it (test/support/template.ts
// stands in physical names as CloudFormation would resolve them).
const config: WatchpostConfigInput = {
  ...minimalConfig(),
  awsCertificates: { acm: [{ regions: [REGION], accounts: [MEMBER] }] },
  accounts: { externalId: EXTERNAL_ID },
};
const stack = new ResolvedTemplate(synth(config).toJSON() as never);
const scanFunction = stack
  .ofType("AWS::Lambda::Function")
  .find((id) => FUNCTION_DESCRIPTIONS.certificateScan.test(String(stack.properties(id).Description)))!;
const scanRoleId = roleOfFunction(stack, scanFunction);
const scanRoleArn = stack.getAtt(scanRoleId, "Arn");
const scanPolicies = identityPoliciesOf(stack, scanRoleId);

/** The member template as CloudFormation resolves it with the StackSet's parameter values. */
function resolveMember(account: string): { trust: PolicyDocument; policy: PolicyDocument } {
  const values: Record<string, string> = {
    WatchpostAccountId: WATCHPOST,
    ScanRoleArn: scanRoleArn,
    ExternalId: EXTERNAL_ID,
    ReaderRoleName: "watchpost-reader",
    "AWS::Partition": "aws",
    "AWS::AccountId": account,
    "AWS::URLSuffix": "amazonaws.com",
  };
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (node === null || typeof node !== "object") return node;
    const object = node as Record<string, unknown>;
    if ("Ref" in object) return values[object.Ref as string];
    if ("Fn::Join" in object) {
      const [separator, parts] = object["Fn::Join"] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    if ("Fn::Sub" in object)
      return (object["Fn::Sub"] as string).replace(/\$\{([^}]+)\}/g, (_, name) => values[name]!);
    return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, resolve(value)]));
  };
  const role = Object.values(
    (memberTemplate() as { Resources: Record<string, { Properties: never }> }).Resources,
  )[0]!;
  const properties = resolve(role.Properties) as {
    AssumeRolePolicyDocument: PolicyDocument;
    Policies: { PolicyDocument: PolicyDocument }[];
  };
  return { trust: properties.AssumeRolePolicyDocument, policy: properties.Policies[0]!.PolicyDocument };
}

const member = resolveMember(MEMBER);
const readerRole = `arn:aws:iam::${MEMBER}:role/watchpost-reader`;

describe("the scan role assumes the reader role in a member account", () => {
  it.each([
    {
      who: "the scan role with the external ID",
      principal: () => scanRoleArn,
      externalId: EXTERNAL_ID,
      role: readerRole,
      result: "Allowed",
    },
    {
      who: "the scan role with another external ID",
      principal: () => scanRoleArn,
      externalId: "wp-guess",
      role: readerRole,
      result: "ImplicitlyDenied",
    },
    {
      who: "the scan role without an external ID",
      principal: () => scanRoleArn,
      externalId: undefined,
      role: readerRole,
      result: "ImplicitlyDenied",
    },
    {
      who: "another role of the watchpost account with the external ID",
      principal: () => `arn:aws:iam::${WATCHPOST}:role/someone-else`,
      externalId: EXTERNAL_ID,
      role: readerRole,
      result: "ImplicitlyDenied",
    },
    {
      who: "the scan role, for a reader role in an account no source names",
      principal: () => scanRoleArn,
      externalId: EXTERNAL_ID,
      role: `arn:aws:iam::${OTHER_MEMBER}:role/watchpost-reader`,
      result: "ImplicitlyDenied",
    },
  ])("$who: $result", async ({ principal, externalId, role, result }) => {
    // Prepare
    const caller = principal();
    const account = role.split(":")[4]!;
    const trust = account === MEMBER ? member.trust : resolveMember(account).trust;

    // Act
    const verdict = await simulate(
      {
        principal: caller,
        action: "sts:AssumeRole",
        resource: role,
        context: {
          // Set on every request: for a role's session, the role's ARN (IAM User Guide, "AWS global
          // condition context keys", aws:PrincipalArn); the evaluator does not derive it.
          "aws:PrincipalArn": caller,
          "sts:RoleSessionName": READER_SESSION_NAME,
          ...(externalId !== undefined ? { "sts:ExternalId": externalId } : {}),
        },
        identityPolicies: caller === scanRoleArn ? scanPolicies : [],
        resourcePolicy: trust,
      },
      account,
    );

    // Assess
    expect(verdict).toEqual({ result });
  });
});

describe("the reader role's calls in the member account", () => {
  const certificate = `arn:aws:acm:${REGION}:${MEMBER}:certificate/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const secret = `arn:aws:secretsmanager:${REGION}:${MEMBER}:secret:tls/kafka-broker-AbCdEf`;
  const parameter = `arn:aws:ssm:${REGION}:${MEMBER}:parameter/tls/kafka/truststore`;
  const key = `arn:aws:kms:${REGION}:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const tagged = { "aws:ResourceTag/watchpost": "read" };
  // A customer managed key's default key policy lets the account's IAM policies decide (KMS
  // Developer Guide, "Default key policy": the account root with kms:*).
  const defaultKeyPolicy: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: "kms:*", Resource: "*" },
    ],
  };
  it.each([
    { call: "acm:ListCertificates", resource: "*", result: "Allowed" },
    { call: "acm:DescribeCertificate", resource: certificate, result: "Allowed" },
    { call: "acm:GetCertificate", resource: certificate, result: "Allowed" },
    { call: "acm:ListTagsForCertificate", resource: certificate, result: "Allowed" },
    { call: "acm:ExportCertificate (the private key)", resource: certificate, result: "ImplicitlyDenied" },
    { call: "iam:ListServerCertificates", resource: "*", result: "Allowed" },
    {
      call: "iam:GetServerCertificate",
      resource: `arn:aws:iam::${MEMBER}:server-certificate/cloudfront/www`,
      result: "Allowed",
    },
    { call: "secretsmanager:ListSecrets", resource: "*", result: "Allowed" },
    {
      call: "secretsmanager:GetSecretValue",
      resource: secret,
      context: tagged,
      result: "Allowed",
    },
    { call: "secretsmanager:GetSecretValue (untagged secret)", resource: secret, result: "ImplicitlyDenied" },
    { call: "secretsmanager:DescribeSecret", resource: secret, context: tagged, result: "Allowed" },
    { call: "secretsmanager:DescribeSecret (untagged secret)", resource: secret, result: "ImplicitlyDenied" },
    { call: "secretsmanager:PutSecretValue", resource: secret, context: tagged, result: "ImplicitlyDenied" },
    { call: "ssm:DescribeParameters", resource: "*", result: "Allowed" },
    { call: "ssm:GetParameter", resource: parameter, context: tagged, result: "Allowed" },
    { call: "ssm:GetParameter (untagged parameter)", resource: parameter, result: "ImplicitlyDenied" },
    {
      call: "ssm:GetParametersByPath (not a call the sources make)",
      resource: parameter,
      result: "ImplicitlyDenied",
    },
    {
      call: "kms:Decrypt (via Secrets Manager)",
      resource: key,
      context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` },
      result: "Allowed",
    },
    {
      call: "kms:Decrypt (via Parameter Store)",
      resource: key,
      context: { "kms:ViaService": `ssm.${REGION}.amazonaws.com` },
      result: "Allowed",
    },
    { call: "kms:Decrypt (directly)", resource: key, result: "ImplicitlyDenied" },
  ])("$call: $result", async ({ call, resource, context, result }) => {
    // Act
    const verdict = await simulate(
      {
        principal: readerRole,
        action: call.split(" ")[0]!,
        resource,
        ...(context ? { context } : {}),
        identityPolicies: [member.policy],
        ...(call.startsWith("kms:") ? { resourcePolicy: defaultKeyPolicy } : {}),
      },
      MEMBER,
    );

    // Assess
    expect(verdict).toEqual({ result });
  });
});

describe("the scan role's calls in its own account", () => {
  const own: WatchpostConfigInput = {
    ...minimalConfig(),
    awsCertificates: {
      acm: [{ regions: [REGION] }],
      iamServerCertificates: [{ pathPrefix: "/cloudfront/" }],
      secretsManager: [{ regions: [REGION], namePrefix: "tls/" }],
      ssmParameters: [{ regions: [REGION], path: "/tls/", tags: { team: "payments" } }],
    },
  };
  const ownStack = new ResolvedTemplate(synth(own).toJSON() as never);
  const ownFunction = ownStack
    .ofType("AWS::Lambda::Function")
    .find((id) => FUNCTION_DESCRIPTIONS.certificateScan.test(String(ownStack.properties(id).Description)))!;
  const ownRoleId = roleOfFunction(ownStack, ownFunction);
  const key = `arn:aws:kms:${REGION}:${WATCHPOST}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  it.each<{ call: string; resource: string; context?: Record<string, string>; result: string }>([
    { call: "acm:ListCertificates", resource: "*", result: "Allowed" },
    {
      call: "acm:GetCertificate",
      resource: `arn:aws:acm:${REGION}:${WATCHPOST}:certificate/1234abcd-12ab-34cd-56ef-1234567890ab`,
      result: "Allowed",
    },
    {
      call: "acm:GetCertificate (another Region)",
      resource: `arn:aws:acm:us-east-1:${WATCHPOST}:certificate/1234abcd-12ab-34cd-56ef-1234567890ab`,
      result: "ImplicitlyDenied",
    },
    {
      call: "iam:GetServerCertificate",
      resource: `arn:aws:iam::${WATCHPOST}:server-certificate/cloudfront/www`,
      result: "Allowed",
    },
    {
      call: "iam:GetServerCertificate (outside the path)",
      resource: `arn:aws:iam::${WATCHPOST}:server-certificate/elb/www`,
      result: "ImplicitlyDenied",
    },
    {
      call: "secretsmanager:GetSecretValue",
      resource: `arn:aws:secretsmanager:${REGION}:${WATCHPOST}:secret:tls/api-AbCdEf`,
      result: "Allowed",
    },
    {
      call: "secretsmanager:DescribeSecret",
      resource: `arn:aws:secretsmanager:${REGION}:${WATCHPOST}:secret:tls/api-AbCdEf`,
      result: "Allowed",
    },
    {
      call: "secretsmanager:GetSecretValue (outside the prefix)",
      resource: `arn:aws:secretsmanager:${REGION}:${WATCHPOST}:secret:db/password-AbCdEf`,
      result: "ImplicitlyDenied",
    },
    {
      call: "ssm:GetParameter",
      resource: `arn:aws:ssm:${REGION}:${WATCHPOST}:parameter/tls/api`,
      context: { "aws:ResourceTag/team": "payments" },
      result: "Allowed",
    },
    {
      call: "ssm:GetParameter (without the selection's tag)",
      resource: `arn:aws:ssm:${REGION}:${WATCHPOST}:parameter/tls/api`,
      result: "ImplicitlyDenied",
    },
    {
      call: "kms:Decrypt (via Parameter Store)",
      resource: key,
      context: { "kms:ViaService": `ssm.${REGION}.amazonaws.com` },
      result: "Allowed",
    },
    { call: "kms:Decrypt (directly)", resource: key, result: "ImplicitlyDenied" },
  ])("$call: $result", async ({ call, resource, context, result }) => {
    // Prepare
    const principal = ownStack.getAtt(ownRoleId, "Arn");

    // Act
    const verdict = await simulate(
      {
        principal,
        action: call.split(" ")[0]!,
        resource,
        ...(context ? { context } : {}),
        identityPolicies: identityPoliciesOf(ownStack, ownRoleId),
        ...(call.startsWith("kms:")
          ? {
              resourcePolicy: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Principal: { AWS: `arn:aws:iam::${WATCHPOST}:root` },
                    Action: "kms:*",
                    Resource: "*",
                  },
                ],
              },
            }
          : {}),
      },
      WATCHPOST,
    );

    // Assess
    expect(verdict).toEqual({ result });
  });
});
