import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { awsCredentialProbe } from "../../../functions/adapters/credential-probe";
import { type CredentialCheckResult, checkCredentialTarget } from "../../../functions/core/credentials/check";
import type { CredentialLogger } from "../../../functions/core/credentials/ports";
import { CredentialTarget, type CredentialTargetInput } from "../../../functions/core/credentials/target";
import { type LocalS3, S3RVER_ACCOUNT, startS3rver } from "../../support/emulators";

const ROLE = "arn:aws:iam::123456789012:role/cluster-agency";
const BUCKET = "cluster-data";
/** What the STS mock hands out; s3rver is told this key so the assumed credentials work there. */
const ISSUED = {
  AccessKeyId: "ASIAWATCHPOSTKNOWN01",
  SecretAccessKey: "Zx9/kQ2mN8pL4vR7tY1wE5uI3oA6sD0fG2hJ4kL6",
  SessionToken: `IQoJb3JpZ2luX2VjEHQaCWV1LXdlc3QtMSJH${"MEUCIQD".repeat(40)}`,
};
/** A key s3rver has never heard of. */
const UNKNOWN = {
  AccessKeyId: "ASIAWATCHPOSTUNKNOWN",
  SecretAccessKey: "Qw8/eR5tY2uI9oP3aS6dF1gH4jK7lZ0xC2vB5nM8",
  SessionToken: `FwoGZXIvYXdzEBYaDHVua25vd24tdG9rZW4i${"QUJDREVGR0g".repeat(30)}`,
};
const SECRETS = [ISSUED.SecretAccessKey, ISSUED.SessionToken, UNKNOWN.SecretAccessKey, UNKNOWN.SessionToken];

const sts = mockClient(STSClient);
let s3: LocalS3;
let silent: Server;
let silentEndpoint: string;
let skewed: Server;
let skewedEndpoint: string;
const silentSockets = new Set<Socket>();
const events: { eventName: string; key: string }[] = [];

/** Everything the suite prints or returns, scanned at the end for the credentials STS handed out. */
const emitted: string[] = [];
const logger: CredentialLogger = {
  debug: (message, fields) => emitted.push(JSON.stringify({ level: "debug", message, fields })),
  info: (message, fields) => emitted.push(JSON.stringify({ level: "info", message, fields })),
  warn: (message, fields) => emitted.push(JSON.stringify({ level: "warn", message, fields })),
};

/** S3 client settings s3rver needs; the probe itself adds maxAttempts 1 and WHEN_REQUIRED checksums. */
const s3rverSettings = { forcePathStyle: true } as const;

function targetFor(overrides: Partial<CredentialTargetInput> = {}) {
  return CredentialTarget.parse({
    name: "cluster-a",
    roleArn: ROLE,
    bucket: BUCKET,
    prefix: "hbase/",
    region: "us-east-1",
    s3Endpoint: s3.endpoint,
    forcePathStyle: true,
    timeoutMs: 2000,
    parameters: { ServiceName: "HBase", RoleName: "cluster-agency", HostName: "node-1" },
    ...overrides,
  });
}

async function check(
  target: CredentialTarget,
  s3Overrides: Record<string, unknown> = {},
): Promise<CredentialCheckResult> {
  const probe = awsCredentialProbe({
    sts: { credentials: { accessKeyId: "AKIACALLER", secretAccessKey: "caller-secret-not-under-test" } },
    s3: { ...s3rverSettings, ...s3Overrides },
    logger,
  });
  try {
    const result = await checkCredentialTarget(target, probe);
    emitted.push(JSON.stringify(result));
    return result;
  } finally {
    probe.close();
  }
}

function issue(credentials: typeof ISSUED) {
  sts
    .on(AssumeRoleCommand)
    .resolves({ Credentials: { ...credentials, Expiration: new Date(Date.now() + 3600_000) } });
}

beforeAll(async () => {
  s3 = await startS3rver();
  s3.server.on("event", (event) => {
    for (const record of event.Records)
      events.push({ eventName: record.eventName, key: record.s3.object.key });
  });
  S3RVER_ACCOUNT.createKeyPair(ISSUED.AccessKeyId, ISSUED.SecretAccessKey);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));

  // The same store reached through a front that moves every request's signing time an hour ahead:
  // a client whose clock runs fast (s3rver checks the time, not V4 signatures).
  const store = s3.server.callback();
  skewed = createHttpServer((request, response) => {
    const stamp = request.headers["x-amz-date"];
    if (typeof stamp === "string") request.headers["x-amz-date"] = shiftAmzDate(stamp, 60 * 60_000);
    store(request, response);
  });
  skewedEndpoint = await listen(skewed);

  // Accepts connections and never says a word: a store behind a black-holing firewall or proxy.
  silent = createServer((socket) => {
    silentSockets.add(socket);
    socket.on("close", () => silentSockets.delete(socket));
  });
  silentEndpoint = await listen(silent);
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

/** x-amz-date is 20260301T120000Z; returns the same format `ms` later. */
function shiftAmzDate(stamp: string, ms: number): string {
  const iso = stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z");
  return new Date(Date.parse(iso) + ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

afterAll(async () => {
  sts.restore();
  S3RVER_ACCOUNT.revokeAccessKey(ISSUED.AccessKeyId);
  for (const socket of silentSockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await new Promise<void>((resolve) => skewed.close(() => resolve()));
  await s3.stop();
});

beforeEach(() => {
  sts.reset();
});

describe("credential health against a real S3 protocol (s3rver)", () => {
  it("reports a healthy path with a timing for every step", async () => {
    // Prepare
    issue(ISSUED);

    // Act
    const result = await check(targetFor());

    // Assess
    expect(result.target).toBe("cluster-a");
    expect(result.findings).toEqual([]);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["assume-role", true],
      ["expiration", true],
      ["head-bucket", true],
      ["list-objects", true],
    ]);
    for (const step of result.steps) {
      expect(Number.isInteger(step.ms)).toBe(true);
      expect(step.ms).toBeGreaterThanOrEqual(0);
      expect(step.error).toBeUndefined();
    }
  });

  it("raises credentials-rejected when the store does not know the temporary key", async () => {
    // Prepare
    issue(UNKNOWN);

    // Act
    const result = await check(targetFor());

    // Assess
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["assume-role", true],
      ["expiration", true],
      ["head-bucket", false],
      ["list-objects", false],
    ]);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      check: "credentials-rejected",
      alarmId: "2002",
      severity: "major",
      source: "credentials:cluster-a",
      details: {
        step: "list-objects",
        errorCode: "InvalidAccessKeyId",
        ServiceName: "HBase",
        HostName: "node-1",
      },
    });
    expect(result.findings[0]?.message).toMatch(
      /^ListObjectsV2 on s3:\/\/cluster-data\/hbase\/ was refused \(InvalidAccessKeyId\): the store does not know the temporary access key/,
    );
  });

  it("raises bucket-missing when the bucket does not exist", async () => {
    // Prepare
    issue(ISSUED);

    // Act
    const result = await check(targetFor({ bucket: "no-such-bucket" }));

    // Assess
    expect(result.steps.at(-1)).toMatchObject({ step: "head-bucket", ok: false });
    expect(result.findings).toMatchObject([
      { check: "bucket-missing", alarmId: "2005", details: { bucket: "no-such-bucket" } },
    ]);
    expect(result.findings[0]?.message).toContain("bucket no-such-bucket does not exist");
  });

  it("raises credentials-rejected and points at NTP when the clocks disagree", async () => {
    // Prepare
    issue(ISSUED);

    // Act
    const result = await check(targetFor({ s3Endpoint: skewedEndpoint }));

    // Assess
    expect(result.findings).toMatchObject([
      { check: "credentials-rejected", details: { errorCode: "RequestTimeTooSkewed" } },
    ]);
    expect(result.findings[0]?.message).toMatch(/check NTP/);
  });

  it("writes, reads back, compares and deletes a probe object under the probe prefix", async () => {
    // Prepare
    issue(ISSUED);
    events.length = 0;

    // Act
    const result = await check(targetFor({ writeProbe: true }));

    // Assess
    expect(result.findings).toEqual([]);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["assume-role", true],
      ["expiration", true],
      ["head-bucket", true],
      ["list-objects", true],
      ["probe-put", true],
      ["probe-get", true],
      ["probe-compare", true],
      ["probe-delete", true],
    ]);
    const put = events.find((e) => e.eventName.startsWith("ObjectCreated"));
    expect(put?.key).toMatch(/^hbase\/\.watchpost-probe\/watchpost-cluster-a-/);
    expect(events.map((e) => [e.eventName.split(":")[0], e.key])).toEqual([
      ["ObjectCreated", put?.key],
      ["ObjectRemoved", put?.key],
    ]);
    await expect(
      s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: put?.key })),
    ).rejects.toMatchObject({
      name: "NotFound",
    });
    const left = await s3.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "hbase/.watchpost-probe/" }),
    );
    expect(left.KeyCount ?? 0).toBe(0);
  });

  it("raises storage-unreachable within the timeout when the store accepts but never answers", async () => {
    // Prepare
    issue(ISSUED);

    // Act
    const result = await check(targetFor({ s3Endpoint: silentEndpoint, timeoutMs: 300 }));

    // Assess
    expect(result.steps.at(-1)).toMatchObject({ step: "head-bucket", ok: false });
    expect(result.steps.at(-1)?.error).toMatch(/timed out|TimeoutError/);
    expect(result.findings).toMatchObject([{ check: "storage-unreachable", alarmId: "2004" }]);
    expect(result.findings[0]?.message).toMatch(/did not answer in time/);
  });

  it("uses the ambient credentials when no role is configured", async () => {
    // Prepare
    const ambient = targetFor({ roleArn: undefined });

    // Act
    const probe = awsCredentialProbe({
      s3: s3rverSettings,
      ambientCredentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      logger,
    });
    const result = await checkCredentialTarget(ambient, probe).finally(() => probe.close());

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["ambient-credentials", true],
      ["head-bucket", true],
      ["list-objects", true],
    ]);
  });

  it("leaked none of the handed-out secret keys or session tokens into logs or results", () => {
    // Prepare
    const everything = emitted.join("\n");

    // Act
    const leaks = SECRETS.filter((secret) => everything.includes(secret));

    // Assess
    expect(emitted.length).toBeGreaterThan(20);
    expect(everything).toContain("credential check finished");
    expect(leaks).toEqual([]);
  });
});
