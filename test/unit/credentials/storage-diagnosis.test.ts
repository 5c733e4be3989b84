import { NoSuchBucket, NoSuchKey, NotFound, S3ServiceException } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { checkCredentialTarget } from "../../../functions/core/credentials/check";
import type { CredentialCheckDeps, StorageSession } from "../../../functions/core/credentials/ports";
import { CredentialTarget } from "../../../functions/core/credentials/target";

const target = CredentialTarget.parse({
  name: "store",
  bucket: "cluster-data",
  prefix: "logs/",
  region: "eu-west-1",
  writeProbe: true,
  timeoutMs: 50,
});

type Call = keyof StorageSession;

/** S3 as the SDK reports it: the service exception, with response headers when the test needs them. */
function s3Error(
  name: string,
  status: number,
  options: { message?: string; headers?: Record<string, string> } = {},
) {
  const error = new S3ServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message: options.message ?? "UnknownError",
  });
  if (name !== "Unknown") Object.assign(error, { Code: name });
  Object.defineProperty(error, "$response", {
    value: { statusCode: status, headers: options.headers ?? {} },
  });
  return error;
}

/** A bare HEAD failure: status only, as the SDK surfaces a body-less 403/400. */
function headError(status: number, headers: Record<string, string> = {}) {
  return s3Error("Unknown", status, { headers });
}

function storageFailing(failures: Partial<Record<Call, unknown[]>>, stored = new Map<string, Uint8Array>()) {
  const calls: Call[] = [];
  const next = (call: Call) => {
    calls.push(call);
    const queue = failures[call];
    const error = queue && queue.length > 1 ? queue.shift() : queue?.[0];
    if (error) throw error;
  };
  const session: StorageSession = {
    headBucket: async () => next("headBucket"),
    listObjects: async () => next("listObjects"),
    putObject: async (key, body) => {
      next("putObject");
      stored.set(key, body);
    },
    getObject: async (key) => {
      next("getObject");
      return stored.get(key) ?? new Uint8Array();
    },
    deleteObject: async (key) => {
      next("deleteObject");
      stored.delete(key);
    },
  };
  return { session, calls, stored };
}

function depsFor(session: StorageSession, extra: Partial<CredentialCheckDeps> = {}): CredentialCheckDeps {
  return {
    assumeRole: async () => {
      throw new Error("no role configured; STS must not be called");
    },
    storage: () => session,
    sleep: async () => undefined,
    ...extra,
  };
}

describe("diagnosing the object-storage leg", () => {
  it.each([
    [
      "an unknown access key",
      s3Error("InvalidAccessKeyId", 403),
      "credentials-rejected",
      /does not know the temporary access key/,
    ],
    [
      "an expired session token",
      s3Error("ExpiredToken", 400),
      "credentials-rejected",
      /session token expired/,
    ],
    [
      "an invalid session token",
      s3Error("InvalidToken", 400),
      "credentials-rejected",
      /refuses the temporary key/,
    ],
    [
      "a wrong secret",
      s3Error("SignatureDoesNotMatch", 403),
      "credentials-rejected",
      /rejects the request signature/,
    ],
    [
      "a token needing refresh",
      s3Error("TokenRefreshRequired", 400),
      "credentials-rejected",
      /session token expired/,
    ],
    [
      "skewed clocks",
      s3Error("RequestTimeTooSkewed", 403),
      "credentials-rejected",
      /clocks? .*disagree.*check NTP/,
    ],
    [
      "a denying policy",
      s3Error("AccessDenied", 403),
      "storage-access-denied",
      /a policy denies them.*s3:ListBucket/,
    ],
    [
      "a missing bucket",
      new NoSuchBucket({ message: "nope", $metadata: { httpStatusCode: 404 } }),
      "bucket-missing",
      /cluster-data does not exist/,
    ],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
      "storage-unreachable",
      /could not be reached \(ECONNREFUSED/,
    ],
    [
      "an unknown host",
      Object.assign(new Error("getaddrinfo"), { cause: { code: "ENOTFOUND" } }),
      "storage-unreachable",
      /ENOTFOUND/,
    ],
    [
      "a reset connection",
      Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      "storage-unreachable",
      /ECONNRESET/,
    ],
    [
      "a socket timeout",
      Object.assign(new Error("timeout"), { name: "TimeoutError" }),
      "storage-unreachable",
      /did not answer in time/,
    ],
  ])("maps %s on ListObjectsV2 to the right check", async (_label, error, check, cause) => {
    // Prepare
    const { session } = storageFailing({ listObjects: [error] });

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["ambient-credentials", true],
      ["head-bucket", true],
      ["list-objects", false],
    ]);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]?.check).toBe(check);
    expect(result.findings[0]?.message).toMatch(/^ListObjectsV2 on s3:\/\/cluster-data\/logs\//);
    expect(result.findings[0]?.message).toMatch(cause);
  });

  it("learns the code of a bare HeadBucket 403 from ListObjectsV2", async () => {
    // Prepare
    const { session } = storageFailing({
      headBucket: [headError(403)],
      listObjects: [s3Error("InvalidAccessKeyId", 403)],
    });

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(result.steps).toMatchObject([
      { step: "ambient-credentials", ok: true },
      { step: "head-bucket", ok: false, error: "HTTP 403" },
      { step: "list-objects", ok: false, error: "InvalidAccessKeyId, HTTP 403" },
    ]);
    expect(result.findings).toMatchObject([
      { check: "credentials-rejected", details: { errorCode: "InvalidAccessKeyId" } },
    ]);
  });

  it("recognises clock skew the SDK corrected behind a bare HeadBucket 403", async () => {
    // Prepare
    const skewed = headError(403);
    Object.assign(skewed.$metadata, { clockSkewCorrected: true });
    const { session, calls } = storageFailing({ headBucket: [skewed] });

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(calls).toEqual(["headBucket"]);
    expect(result.findings).toMatchObject([
      { check: "credentials-rejected", details: { step: "head-bucket", errorCode: "RequestTimeTooSkewed" } },
    ]);
    expect(result.findings[0]?.message).toMatch(/check NTP/);
  });

  it("treats HeadBucket's NotFound as a missing bucket without asking further", async () => {
    // Prepare
    const { session, calls } = storageFailing({
      headBucket: [new NotFound({ message: "UnknownError", $metadata: { httpStatusCode: 404 } })],
    });

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(calls).toEqual(["headBucket"]);
    expect(result.findings).toMatchObject([
      { check: "bucket-missing", details: { step: "head-bucket", errorCode: "NotFound" } },
    ]);
  });

  it.each([
    ["301 PermanentRedirect", headError(301, { "x-amz-bucket-region": "ap-southeast-2" })],
    ["400 from the regional endpoint", headError(400, { "x-amz-bucket-region": "ap-southeast-2" })],
  ])("says which region the bucket is really in on a %s", async (_label, error) => {
    // Prepare
    const { session } = storageFailing({ headBucket: [error] });

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(result.findings[0]).toMatchObject({
      check: "bucket-missing",
      details: { bucketRegion: "ap-southeast-2" },
    });
    expect(result.findings[0]?.message).toContain("bucket cluster-data is in ap-southeast-2, not eu-west-1");
  });

  it("blames the KMS key when the probe write is denied by KMS", async () => {
    // Prepare
    const kmsDenied = s3Error("AccessDenied", 403, {
      message: "User is not authorized to perform: kms:GenerateDataKey on resource arn:aws:kms:…",
    });
    const { session } = storageFailing({ putObject: [kmsDenied] });

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(result.steps.at(-1)).toMatchObject({ step: "probe-put", ok: false });
    expect(result.findings[0]).toMatchObject({
      check: "storage-access-denied",
      details: { step: "probe-put" },
    });
    expect(result.findings[0]?.message).toMatch(/KMS key/);
    expect(result.findings[0]?.details?.probeKey).toMatch(/^logs\/\.watchpost-probe\//);
  });

  it("cleans up the probe object even when reading it back fails", async () => {
    // Prepare
    const { session, calls, stored } = storageFailing({
      getObject: [new NoSuchKey({ message: "gone", $metadata: { httpStatusCode: 404 } })],
    });

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(calls).toEqual(["headBucket", "listObjects", "putObject", "getObject", "deleteObject"]);
    expect(stored.size).toBe(0);
    expect(result.findings).toMatchObject([{ check: "storage-unreachable", details: { step: "probe-get" } }]);
  });

  it("reports content that reads back different from what was written", async () => {
    // Prepare
    const { session } = storageFailing({});
    session.getObject = async () => new TextEncoder().encode("rewritten by a proxy");

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["ambient-credentials", true],
      ["head-bucket", true],
      ["list-objects", true],
      ["probe-put", true],
      ["probe-get", true],
      ["probe-compare", false],
      ["probe-delete", true],
    ]);
    expect(result.findings[0]?.details?.errorCode).toBe("ProbeMismatch");
  });

  it("retries SlowDown and raises storage-unreachable saying 'throttled' only when it persists", async () => {
    // Prepare
    const sleeps: number[] = [];
    const persisting = storageFailing({ listObjects: [s3Error("SlowDown", 503)] });
    const passing = storageFailing({
      listObjects: [s3Error("SlowDown", 503), s3Error("SlowDown", 503), undefined],
    });
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };

    // Act
    const persisted = await checkCredentialTarget(target, depsFor(persisting.session, { sleep }));
    const passed = await checkCredentialTarget(target, depsFor(passing.session, { sleep }));

    // Assess
    expect(persisting.calls.filter((c) => c === "listObjects")).toHaveLength(4);
    expect(persisted.findings).toMatchObject([
      { check: "storage-unreachable", details: { errorCode: "SlowDown" } },
    ]);
    expect(persisted.findings[0]?.message).toMatch(/was throttled/);
    expect(passed.findings).toEqual([]);
    expect(sleeps).toEqual([200, 400, 800, 200, 400]);
  });

  it("bounds a call that never returns by the step timeout", async () => {
    // Prepare
    const { session } = storageFailing({});
    session.headBucket = () => new Promise(() => undefined);

    // Act
    const result = await checkCredentialTarget(target, depsFor(session));

    // Assess
    expect(result.steps.at(-1)).toMatchObject({ step: "head-bucket", ok: false, error: "timed out" });
    expect(result.findings).toMatchObject([
      { check: "storage-unreachable", details: { errorCode: "Timeout" } },
    ]);
  });
});
