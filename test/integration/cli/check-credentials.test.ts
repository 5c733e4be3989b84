import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Finding } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import { type LocalS3, S3RVER_ACCOUNT, startS3rver } from "../../support/emulators";
import { REPO_ROOT } from "../../support/paths";
import { CHILD_TIMEOUT_MS } from "../../support/timeouts";

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

afterEach(() => {
  vi.unstubAllEnvs();
});

/**
 * A machine with no AWS credentials anywhere: no AWS_* variables, a home directory without ~/.aws,
 * and the instance metadata service switched off (as it is on a laptop; the SDK would otherwise spend
 * a second looking for it). The SDK reads process.env itself, so the environment is set there too.
 */
function noCredentialsEnvironment(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), "watchpost-nocreds-"));
  const env: NodeJS.ProcessEnv = { HOME: home, AWS_EC2_METADATA_DISABLED: "true" };
  for (const name of Object.keys(process.env)) {
    if (name.startsWith("AWS_")) vi.stubEnv(name, undefined as unknown as string);
  }
  vi.stubEnv("HOME", home);
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  return env;
}

describe("watchpost check-credentials", () => {
  it("on a machine with no credentials reports credentials-unobtainable and where the SDK looked", async () => {
    // Prepare
    const env = noCredentialsEnvironment();

    // Act
    const table = await runCli(["check-credentials", "--bucket", BUCKET, ...storeFlags()], env);
    const json = await runCli(
      ["check-credentials", "--bucket", BUCKET, ...storeFlags(), "--format", "json"],
      env,
    );

    // Assess
    expect(table.code).toBe(2);
    expect(table.stdout).toContain("✗ ambient-credentials");
    expect(table.stdout).not.toContain("✓ ambient-credentials");
    expect(table.stdout).not.toContain("storage-unreachable");
    const output = JSON.parse(json.stdout);
    expect(output.steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok])).toEqual([
      ["ambient-credentials", false],
    ]);
    expect(output.findings).toHaveLength(1);
    expect(output.findings[0]).toMatchObject({ check: "credentials-unobtainable", alarmId: "2001" });
    expect(output.findings[0].message).toBe(
      "The ambient credentials could not be loaded (CredentialsProviderError): no AWS credentials were found on this machine: " +
        'the SDK looked for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, the profile "default" in ' +
        "~/.aws/credentials and ~/.aws/config (keys, SSO or credential_process), a web identity token " +
        "(AWS_WEB_IDENTITY_TOKEN_FILE, not set), and the EC2 instance metadata service (switched off by " +
        "AWS_EC2_METADATA_DISABLED). Configure credentials (for example `aws configure` or `aws sso login`) and run again.",
    );
  });

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

  it("as the installed command on Node 20, prints no AWS SDK warning on stderr", async () => {
    // Prepare — a user's environment: no credentials, and not the switch vitest.config.ts sets
    const home = mkdtempSync(join(tmpdir(), "watchpost-nocreds-"));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: "true" };
    const argv = ["--bucket", BUCKET, "--region", "eu-west-1", "--s3-endpoint", "http://127.0.0.1:1"];

    // Act
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(REPO_ROOT, "bin", "watchpost.mjs"), "check-credentials", ...argv],
        { env, timeout: CHILD_TIMEOUT_MS },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

    // Assess
    expect(run.stderr).toBe("");
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("credentials-unobtainable");
  });

  it("with --role-arn and no credentials to call STS with, says so instead of blaming the role", async () => {
    // Prepare
    const env = noCredentialsEnvironment();
    // The real STS client, which must find the caller's credentials first (last test: the mock stays off).
    sts.restore();

    // Act
    const { code, stdout } = await runCli(
      [
        "check-credentials",
        "--bucket",
        BUCKET,
        "--role-arn",
        "arn:aws:iam::123456789012:role/cluster-agency",
        "--region",
        "eu-west-1",
        "--format",
        "json",
      ],
      { ...env, AWS_PROFILE: "ops" },
    );

    // Assess
    expect(code).toBe(2);
    const [finding] = JSON.parse(stdout).findings;
    expect(finding.check).toBe("credentials-unobtainable");
    expect(finding.message).toMatch(
      /^AssumeRole for arn:aws:iam::123456789012:role\/cluster-agency could not be made \(CredentialsProviderError\): no AWS credentials were found to call STS with: the SDK looked for AWS_ACCESS_KEY_ID/,
    );
  });
});
