import {
  AssumeRoleCommand,
  ExpiredTokenException,
  IDPCommunicationErrorException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  STSClient,
} from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { awsCredentialProbe } from "../../../functions/adapters/credential-probe";
import { checkCredentialTarget } from "../../../functions/core/credentials/check";
import type { CredentialCheckDeps } from "../../../functions/core/credentials/ports";
import { CredentialTarget } from "../../../functions/core/credentials/target";
import { healthyStorage, stsServiceError } from "../../support/sts-errors";

const sts = mockClient(STSClient);
const ROLE = "arn:aws:iam::123456789012:role/cluster-agency";
const NOW = new Date("2026-03-01T12:00:00Z");
const ISSUED = {
  AccessKeyId: "ASIAQWERTYUIOPASDFGH",
  SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  SessionToken: `IQoJb3JpZ2luX2VjE${"Az09".repeat(60)}`,
};

const target = CredentialTarget.parse({
  name: "cluster-a",
  roleArn: ROLE,
  externalId: "ext-123",
  bucket: "cluster-a-data",
  prefix: "hbase/",
  region: "eu-west-1",
  parameters: { ServiceName: "HBase", RoleName: "cluster-agency", HostName: "node-1" },
});

const sleeps: number[] = [];
function deps(): CredentialCheckDeps {
  const caller = { accessKeyId: "AKIACALLER", secretAccessKey: "caller-secret" };
  const probe = awsCredentialProbe({ sts: { credentials: caller }, ambientCredentials: caller });
  return {
    ...probe,
    storage: () => healthyStorage,
    now: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

beforeEach(() => {
  sts.reset();
  sleeps.length = 0;
});
afterAll(() => sts.restore());

describe("assuming the role", () => {
  it("reports each step with its timing when the role yields long-lived credentials", async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .resolves({ Credentials: { ...ISSUED, Expiration: new Date(NOW.getTime() + 3600_000) } });

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    expect(result.findings).toEqual([]);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["assume-role", true],
      ["expiration", true],
      ["head-bucket", true],
      ["list-objects", true],
    ]);
    for (const step of result.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
    const request = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(request).toMatchObject({
      RoleArn: ROLE,
      ExternalId: "ext-123",
      RoleSessionName: "watchpost-cluster-a",
    });
  });

  it.each([
    [
      "trust removed (AccessDenied)",
      stsServiceError("AccessDenied", 403),
      "AccessDenied",
      /trust policy no longer names this account or the external ID.*unbound from its agency/,
    ],
    [
      "role missing (NoSuchEntity)",
      stsServiceError("NoSuchEntity", 404),
      "NoSuchEntity",
      /role does not exist/,
    ],
    [
      "malformed request (ValidationError)",
      stsServiceError("ValidationError", 400),
      "ValidationError",
      /maximum session duration/,
    ],
    [
      "STS disabled in the region",
      new RegionDisabledException({
        message: "STS is not activated in this region",
        $metadata: { httpStatusCode: 403 },
      }),
      "RegionDisabledException",
      /STS is disabled in eu-west-1/,
    ],
    [
      "caller's own credentials expired",
      new ExpiredTokenException({
        message: "The security token included in the request is expired",
        $metadata: {},
      }),
      "ExpiredTokenException",
      /watchpost's own credentials .* expired/,
    ],
    [
      "malformed session policy",
      new MalformedPolicyDocumentException({ message: "bad policy", $metadata: {} }),
      "MalformedPolicyDocumentException",
      /session policy .* malformed/,
    ],
    [
      "packed policy too large",
      new PackedPolicyTooLargeException({ message: "too large", $metadata: {} }),
      "PackedPolicyTooLargeException",
      /too large/,
    ],
    [
      "identity provider unreachable",
      new IDPCommunicationErrorException({ message: "idp down", $metadata: {} }),
      "IDPCommunicationErrorException",
      /identity provider/,
    ],
    [
      "STS unreachable",
      Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:443"), { code: "ECONNREFUSED" }),
      "ECONNREFUSED",
      /could not be reached/,
    ],
  ])("says why when %s", async (_label, error, code, cause) => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(error);

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([["assume-role", false]]);
    expect(result.steps[0]?.error).toContain(code);
    expect(result.findings).toHaveLength(1);
    const finding = result.findings[0];
    expect(finding).toMatchObject({
      check: "credentials-unobtainable",
      alarmId: "2001",
      severity: "major",
      source: "credentials:cluster-a",
      details: {
        step: "assume-role",
        errorCode: code,
        roleArn: ROLE,
        bucket: "cluster-a-data",
        prefix: "hbase/",
        region: "eu-west-1",
        ServiceName: "HBase",
        RoleName: "cluster-agency",
        HostName: "node-1",
      },
    });
    expect(finding?.message).toContain(`AssumeRole for ${ROLE}`);
    expect(finding?.message).toContain(`(${code})`);
    expect(finding?.message).toMatch(cause);
  });

  it("gives up on an STS that never answers once the step timeout passes", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).callsFake(() => new Promise(() => undefined));
    const impatient = CredentialTarget.parse({ ...target, timeoutMs: 50 });

    // Act
    const result = await checkCredentialTarget(impatient, deps());

    // Assess
    expect(result.steps).toMatchObject([{ step: "assume-role", ok: false, error: "timed out" }]);
    expect(result.findings[0]).toMatchObject({
      check: "credentials-unobtainable",
      details: { errorCode: "Timeout" },
    });
    expect(result.findings[0]?.message).toMatch(/could not be reached/);
  });

  it("retries throttling with backoff and succeeds when it passes", async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(stsServiceError("Throttling", 400))
      .rejectsOnce(stsServiceError("Throttling", 400))
      .resolves({ Credentials: { ...ISSUED, Expiration: new Date(NOW.getTime() + 3600_000) } });

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    expect(result.findings).toEqual([]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
  });

  it("raises credentials-unobtainable saying 'throttled' when throttling persists", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(stsServiceError("Throttling", 400));

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(4);
    expect(result.findings[0]?.check).toBe("credentials-unobtainable");
    expect(result.findings[0]?.message).toMatch(/was throttled \(Throttling\)/);
    expect(result.steps[0]?.error).toContain("after 3 throttled attempts");
  });

  it.each([
    ["already expired", -60_000, "AlreadyExpired", /clock is probably ahead; check NTP/],
    ["expires too soon", 300_000, "ExpiresTooSoon", /only 300 s from now \(at least 900 s required\)/],
  ])("rejects credentials that are %s", async (_label, offset, code, cause) => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .resolves({ Credentials: { ...ISSUED, Expiration: new Date(NOW.getTime() + offset) } });

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["assume-role", true],
      ["expiration", false],
    ]);
    expect(result.findings[0]).toMatchObject({
      check: "credentials-unobtainable",
      details: { step: "expiration", errorCode: code },
    });
    expect(result.findings[0]?.message).toMatch(cause);
  });

  it("uses the ambient credentials without calling STS when no role is configured", async () => {
    // Prepare
    const ambient = CredentialTarget.parse({ name: "minio", bucket: "data", region: "us-east-1" });

    // Act
    const result = await checkCredentialTarget(ambient, deps());

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(result.steps.map((s) => s.step)).toEqual(["ambient-credentials", "head-bucket", "list-objects"]);
    expect(result.findings).toEqual([]);
  });

  it("never puts the issued secret or token into results or findings", async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .resolves({ Credentials: { ...ISSUED, Expiration: new Date(NOW.getTime() - 1) } });

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    const text = JSON.stringify(result);
    expect(result.findings).toHaveLength(1);
    expect(text).not.toContain(ISSUED.SecretAccessKey);
    expect(text).not.toContain(ISSUED.SessionToken);
  });
});
