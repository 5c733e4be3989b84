import { describe, expect, it } from "vitest";
import { ENV } from "../../functions/handlers/shared/environment";
import { grantsOf, minimalConfig, synth } from "./support";

/** The certificate-scan function's environment variables. */
const scanEnvironment = (template: ReturnType<typeof synth>) => {
  const [scan] = Object.values(template.findResources("AWS::Lambda::Function")).filter((f) =>
    String(f.Properties.Description).startsWith("Scans stored"),
  );
  return (scan?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
};

describe("what the scan function is told about the account it runs in", () => {
  it("has the stack's account and partition beside the grants when a selection exists, and neither otherwise", () => {
    // Act
    const withSelections = synth({
      ...minimalConfig(),
      awsCertificates: {
        acm: [{ regions: ["eu-west-1"] }, { regions: ["eu-west-1"], accounts: ["210987654321"] }],
      },
      accounts: { externalId: "wp-7f3c9a2b" },
    });
    const without = synth(minimalConfig());

    // Assess
    const env = scanEnvironment(withSelections);
    expect(env[ENV.accountId]).toBe("123456789012");
    expect(env[ENV.partition]).toBe("aws");
    expect(Object.values(env).map(String).join(" ")).not.toContain("wp-7f3c9a2b");
    expect(scanEnvironment(without)).not.toHaveProperty(ENV.accountId);
    expect(scanEnvironment(without)).not.toHaveProperty(ENV.partition);
  });
});

describe("the scan role's access to member accounts", () => {
  it("may assume the reader role in exactly the accounts the sources name", () => {
    // Act
    const template = synth({
      ...minimalConfig(),
      awsCertificates: {
        acm: [{ regions: ["eu-west-1"], accounts: ["210987654321"] }],
        secretsManager: [
          { regions: ["eu-west-1"], accounts: ["210987654321", "011111111111"], namePrefix: "tls/" },
        ],
      },
      accounts: { externalId: "wp-7f3c9a2b", readerRoleName: "cert-reader" },
    });

    // Assess
    const assume = grantsOf(template, /^CertificateScanRole/).filter(([action]) => action.startsWith("sts:"));
    expect(assume.map(([action, resource]) => [action, JSON.parse(resource)])).toEqual([
      ["sts:AssumeRole", "arn:aws:iam::011111111111:role/cert-reader"],
      ["sts:AssumeRole", "arn:aws:iam::210987654321:role/cert-reader"],
    ]);
  });

  it("may assume no role when no source names an account", () => {
    // Act
    const template = synth(minimalConfig());

    // Assess
    expect(
      grantsOf(template, /^CertificateScanRole/).filter(([action]) => action.startsWith("sts:")),
    ).toEqual([]);
  });
});

describe("the scan role's reads of AWS certificate sources in its own account", () => {
  it("may make exactly the sources' calls on what each selection names, and none for member-account selections", () => {
    // Act
    const template = synth({
      ...minimalConfig(),
      awsCertificates: {
        acm: [{ regions: ["eu-west-1"] }, { regions: ["us-east-1"], accounts: ["210987654321"] }],
        iamServerCertificates: [{ pathPrefix: "/cloudfront/" }],
        secretsManager: [
          { regions: ["eu-west-1"], namePrefix: "tls/", password: { secretName: "tls/p12-password" } },
        ],
        ssmParameters: [{ regions: ["eu-west-1"], path: "/tls/", tags: { team: "payments" } }],
      },
      accounts: { externalId: "wp-7f3c9a2b" },
    });

    // Assess
    const reads = grantsOf(template, /^CertificateScanRole/)
      .filter(([action]) => /^(acm|iam|secretsmanager|ssm|kms):/.test(action))
      .map(([action, resource]) => `${action} ${JSON.parse(resource)}`);
    expect(reads.sort()).toEqual(
      [
        "acm:DescribeCertificate arn:aws:acm:eu-west-1:123456789012:certificate/*",
        "acm:GetCertificate arn:aws:acm:eu-west-1:123456789012:certificate/*",
        "acm:ListTagsForCertificate arn:aws:acm:eu-west-1:123456789012:certificate/*",
        "acm:ListCertificates *",
        "iam:GetServerCertificate arn:aws:iam::123456789012:server-certificate/cloudfront/*",
        "iam:ListServerCertificates *",
        "secretsmanager:DescribeSecret arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls/*",
        "secretsmanager:GetSecretValue arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls/*",
        "secretsmanager:GetSecretValue arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls/p12-password-??????",
        "secretsmanager:ListSecrets *",
        "ssm:DescribeParameters *",
        "ssm:GetParameter arn:aws:ssm:eu-west-1:123456789012:parameter/tls/*",
        "kms:Decrypt arn:aws:kms:*:123456789012:key/*",
      ].sort(),
    );
    const conditions = Object.values(template.findResources("AWS::IAM::Policy"))
      .flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Condition?: unknown }[],
      )
      .filter((statement) => statement.Condition !== undefined)
      .map((statement) => [statement.Action, statement.Condition]);
    expect(conditions).toEqual(
      expect.arrayContaining([
        ["ssm:GetParameter", { StringEquals: { "aws:ResourceTag/team": "payments" } }],
        [
          "kms:Decrypt",
          {
            StringEquals: {
              "kms:ViaService": [
                { "Fn::Join": ["", ["secretsmanager.eu-west-1.", { Ref: "AWS::URLSuffix" }]] },
                { "Fn::Join": ["", ["ssm.eu-west-1.", { Ref: "AWS::URLSuffix" }]] },
              ],
            },
          },
        ],
      ]),
    );
  });
});
