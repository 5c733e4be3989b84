import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Finding } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import { type LocalS3, S3RVER_ACCOUNT, startS3rver } from "../../support/emulators";

const BUCKET = "cli-data";
const ISSUED = {
  AccessKeyId: "ASIAWATCHPOSTCLI0001",
  SecretAccessKey: "Pm4/vB7nQ1wE8rT5yU2iO9pA3sD6fG0hJ3kL7zX1",
  SessionToken: `IQoJb3JpZ2luX2VjEBAaCXVzLWVhc3QtMSJH${"TUVVQ0lRRA".repeat(30)}`,
};

const sts = mockClient(STSClient);
let s3: LocalS3;

// The ambient credentials the command picks up when no role is given (and STS's caller keys).
const AMBIENT = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
const run = (...argv: string[]) => runCli(["check-credentials", ...argv], AMBIENT);

const storeFlags = () => ["--region", "us-east-1", "--s3-endpoint", s3.endpoint, "--path-style"];

beforeAll(async () => {
  s3 = await startS3rver();
  S3RVER_ACCOUNT.createKeyPair(ISSUED.AccessKeyId, ISSUED.SecretAccessKey);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  sts.restore();
  S3RVER_ACCOUNT.revokeAccessKey(ISSUED.AccessKeyId);
  await s3.stop();
});

beforeEach(() => {
  sts.reset();
});

describe("watchpost check-credentials", () => {
  it("prints the JSON contract and exits 0 for healthy ambient credentials with a write probe", async () => {
    // Prepare
    const argv = [
      "--bucket",
      BUCKET,
      "--prefix",
      "data/",
      "--write-probe",
      ...storeFlags(),
      "--format",
      "json",
    ];

    // Act
    const { code, stdout, stderr } = await run(...argv);

    // Assess
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(Object.keys(output)).toEqual(["target", "steps", "findings"]);
    expect(output.target).toBe(BUCKET);
    expect(output.findings).toEqual([]);
    expect(output.steps.map((s: { step: string }) => s.step)).toEqual([
      "ambient-credentials",
      "head-bucket",
      "list-objects",
      "probe-put",
      "probe-get",
      "probe-compare",
      "probe-delete",
    ]);
    for (const step of output.steps) {
      expect(step).toEqual({ step: step.step, ok: true, ms: expect.any(Number) });
    }
  });

  it("assumes the role first when --role-arn is given and keeps the issued secret out of the output", async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .resolves({ Credentials: { ...ISSUED, Expiration: new Date(Date.now() + 3600_000) } });
    const role = "arn:aws:iam::123456789012:role/cluster-agency";

    // Act
    const { code, stdout } = await run(
      "--bucket",
      BUCKET,
      "--role-arn",
      role,
      "--external-id",
      "ext-1",
      ...storeFlags(),
      "--format",
      "json",
    );

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(stdout).steps.slice(0, 2)).toMatchObject([
      { step: "assume-role", ok: true },
      { step: "expiration", ok: true },
    ]);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: role,
      ExternalId: "ext-1",
    });
    expect(stdout).not.toContain(ISSUED.SecretAccessKey);
    expect(stdout).not.toContain(ISSUED.SessionToken);
  });

  it("exits 2 with a bucket-missing finding in the scan finding shape", async () => {
    // Prepare
    const argv = ["--bucket", "absent-bucket", ...storeFlags(), "--format", "json"];

    // Act
    const { code, stdout } = await run(...argv);

    // Assess
    expect(code).toBe(2);
    const output = JSON.parse(stdout);
    expect(output.steps.at(-1)).toMatchObject({
      step: "head-bucket",
      ok: false,
      error: expect.stringContaining("404"),
    });
    expect(output.findings).toHaveLength(1);
    const finding = Finding.parse(output.findings[0]);
    expect(finding).toMatchObject({
      check: "bucket-missing",
      alarmId: "2005",
      severity: "major",
      source: "credentials:absent-bucket",
    });
  });

  it("prints one line per step with a mark and its time in the table format", async () => {
    // Prepare
    const argv = ["--bucket", BUCKET, ...storeFlags()];

    // Act
    const { code, stdout } = await run(...argv);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/✓ ambient-credentials +\d+ ms/);
    expect(stdout).toMatch(/✓ head-bucket +\d+ ms/);
    expect(stdout).toMatch(/✓ list-objects +\d+ ms/);
    expect(stdout).toContain("healthy");
  });

  it.each([
    ["a missing --bucket", ["--region", "us-east-1"], /--bucket is required/],
    [
      "an unknown format",
      ["--bucket", BUCKET, "--region", "us-east-1", "--format", "xml"],
      /--format takes 'table' or 'json'/,
    ],
    [
      "a malformed role ARN",
      ["--bucket", BUCKET, "--region", "us-east-1", "--role-arn", "role/x"],
      /--role-arn: must be an IAM role ARN/,
    ],
    [
      "a non-numeric timeout",
      ["--bucket", BUCKET, "--region", "us-east-1", "--timeout-ms", "soon"],
      /--timeout-ms takes a whole number/,
    ],
    ["an unknown option", ["--bucket", BUCKET, "--frobnicate"], /frobnicate/],
  ])("rejects %s as a usage error (exit 3)", async (_label, argv, message) => {
    // Act
    const { code, stdout, stderr } = await run(...argv);

    // Assess
    expect(code).toBe(3);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
  });
});
