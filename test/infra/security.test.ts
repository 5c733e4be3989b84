import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildStack, fullConfig, logicalIdOf, minimalConfig, ROLE_ARN, synth } from "./support";

let full: Template;
beforeAll(() => {
  full = synth(fullConfig());
});

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function statementsOf(template: Template, roleDescription: RegExp): Statement[] {
  const roleIds = Object.entries(template.findResources("AWS::IAM::Role"))
    .filter(([, role]) => roleDescription.test(String(role.Properties.Description ?? "")))
    .map(([id]) => id);
  return Object.values(template.findResources("AWS::IAM::Policy"))
    .filter((policy) => policy.Properties.Roles.some((r: { Ref: string }) => roleIds.includes(r.Ref)))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/**
 * A resource as text, the partition written `<partition>` whether the template has the pseudo-parameter
 * or a literal (the enablePartitionLiterals flag writes "aws" once the region is known).
 */
function arnText(resource: unknown): string {
  const text = (part: unknown): string =>
    typeof part === "string"
      ? part
      : (part as { Ref?: string }).Ref === "AWS::Partition"
        ? "<partition>"
        : JSON.stringify(part);
  const join = (resource as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  const raw = join ? join[1].map(text).join(join[0]) : text(resource);
  return raw.replace(/^arn:(aws|aws-cn|aws-us-gov):/, "arn:<partition>:");
}

describe("IAM", () => {
  it("grants no '*' action and no whole-service action anywhere", () => {
    // Assess
    const documents = [
      ...Object.values(full.findResources("AWS::IAM::Policy")).map((p) => p.Properties.PolicyDocument),
      ...Object.values(full.findResources("AWS::IAM::Role")).flatMap((r) =>
        (r.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument),
      ),
    ];
    const actions = documents.flatMap((d) => (d.Statement as Statement[]).flatMap(actionsOf));
    expect(actions.length).toBeGreaterThan(10);
    expect(actions.filter((a) => a === "*" || a.endsWith(":*"))).toEqual([]);
  });

  it("lets the scan read objects only under the configured prefixes and named keys, and list the bucket (404, not 403, for a missing key)", () => {
    // Prepare
    const bucket = logicalIdOf(full, "AWS::S3::Bucket");
    const objectArn = (suffix: string) => ({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucket, "Arn"] }, suffix]] });

    // Act
    const statements = statementsOf(full, /CertificateScan/);

    // Assess (statements compared by what they allow: the minimizePolicies flag merges and orders them)
    const reads = statements.filter((s) => actionsOf(s).includes("s3:GetObject"));
    expect(reads.flatMap(resourcesOf)).toEqual(
      expect.arrayContaining([
        objectArn("/prod/*"),
        objectArn("/staging/*"),
        objectArn("/peers/e1.pem"),
        objectArn("/trust/ca.pem"),
        objectArn("/trust/etcd-ca.pem"),
        objectArn("/peers/k1.pem"),
        objectArn("/peers/k2.pem"),
        objectArn("/trust/k1.truststore.p12"),
        objectArn("/hosts/k2.example.com/etc/kafka/ssl/kafka.truststore.jks"),
      ]),
    );
    expect(reads.flatMap(resourcesOf)).toHaveLength(9);
    const listing = statements.filter((s) => actionsOf(s).includes("s3:ListBucket"));
    expect(listing).toEqual([
      expect.objectContaining({
        Resource: { "Fn::GetAtt": [bucket, "Arn"] },
      }),
    ]);
    // No s3:prefix condition: S3 asks whether the caller may list the bucket without one.
    expect(listing[0]?.Condition).toBeUndefined();
    expect(statements.flatMap(actionsOf)).not.toContain("s3:PutObject");
    expect(statements.flatMap(actionsOf)).toContain("secretsmanager:GetSecretValue");
  });

  it("decrypts with an existing bucket's KMS key only through S3", () => {
    // Act
    const template = synth({
      certificates: {
        bucket: {
          existingBucketName: "acme-certs",
          kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        sources: [{ prefix: "x/" }],
      },
    });

    // Assess
    expect(statementsOf(template, /CertificateScan/)).toContainEqual(
      expect.objectContaining({
        Action: "kms:Decrypt",
        Resource: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        Condition: {
          StringEquals: {
            "kms:ViaService": { "Fn::Join": ["", ["s3.eu-west-1.", { Ref: "AWS::URLSuffix" }]] },
          },
        },
      }),
    );
  });

  it("allows sts:AssumeRole on the configured role ARNs only", () => {
    // Act
    const statements = statementsOf(full, /CredentialCheck/);

    // Assess
    const assume = statements.filter((s) => actionsOf(s).includes("sts:AssumeRole"));
    expect(assume).toEqual([expect.objectContaining({ Action: "sts:AssumeRole", Resource: ROLE_ARN })]);
  });

  it("lets a target without a role list its bucket (HeadBucket needs it) and write only under its probe prefix", () => {
    // Act
    const statements = statementsOf(full, /CredentialCheck/);

    // Assess
    const listing = statements.filter((s) => actionsOf(s).includes("s3:ListBucket"));
    // No s3:prefix condition: HeadBucket is authorized as s3:ListBucket with no prefix in the request.
    expect(listing.map((s) => [arnText(s.Resource), s.Condition])).toEqual([
      ["arn:<partition>:s3:::ambient-data", undefined],
    ]);
    const writes = statements.filter((s) => actionsOf(s).includes("s3:PutObject"));
    expect(writes).toHaveLength(1);
    expect([...actionsOf(writes[0]!)].sort()).toEqual(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]);
    expect(resourcesOf(writes[0]!).map(arnText)).toEqual([
      "arn:<partition>:s3:::ambient-data/meta/.watchpost-probe/*",
    ]);
  });

  it("attaches no AWS managed policy to watchpost's function roles", () => {
    // Assess
    const roles = Object.values(full.findResources("AWS::IAM::Role")).filter((r) =>
      String(r.Properties.Description ?? "").startsWith("watchpost "),
    );
    // Six functions (the page widget among them); the endpoint scan's VPC access is its own statement
    // of the six EC2 actions, not AWSLambdaVPCAccessExecutionRole.
    expect(roles).toHaveLength(6);
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe("storage and messaging", () => {
  it("blocks public access to the certificate bucket, encrypts and versions it, and refuses plain HTTP", () => {
    // Assess
    full.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      VersioningConfiguration: { Status: "Enabled" },
    });
    full.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("encrypts every topic with the rotating customer-managed key and refuses plain HTTP", () => {
    // Assess
    const key = logicalIdOf(full, "AWS::KMS::Key");
    full.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    const topics = full.findResources("AWS::SNS::Topic");
    expect(Object.keys(topics).length).toBe(3);
    for (const [id, topic] of Object.entries(topics)) {
      expect(topic.Properties.KmsMasterKeyId).toEqual({ "Fn::GetAtt": [key, "Arn"] });
      full.hasResourceProperties("AWS::SNS::TopicPolicy", {
        Topics: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    }
  });
});

describe("cdk-nag AWS Solutions", () => {
  it("runs in this setup: an unencrypted, non-TLS queue added to the stack fails synthesis", () => {
    // Prepare
    const { app, stack } = buildStack(minimalConfig());
    new Queue(stack, "Careless");

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it.each([
    ["every optional part switched on", fullConfig()],
    ["the minimal configuration", minimalConfig()],
    [
      "an existing KMS-encrypted bucket",
      {
        certificates: {
          bucket: {
            existingBucketName: "acme-certs",
            kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
          },
          sources: [{ prefix: "x/" }, { prefix: "y/" }],
        },
      },
    ],
  ])("reports no unacknowledged error for %s", (_name, config) => {
    // Prepare
    const { app } = buildStack(config);

    // Act
    const assembly = app.synth();

    // Assess
    const report = JSON.parse(readFileSync(join(assembly.directory, "validation-report.json"), "utf8"));
    const violations = report.pluginReports.flatMap(
      (r: { violations?: { ruleName: string; severity: string; violatingResources: unknown[] }[] }) =>
        r.violations ?? [],
    );
    expect(
      violations.filter((v: { severity: string }) => v.severity === "error" || v.severity === "fatal"),
    ).toEqual([]);
  });
});
