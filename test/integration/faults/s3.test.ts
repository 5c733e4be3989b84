/**
 * The certificate store (list and load) through an S3 that misbehaves: s3rver behind a front that
 * answers 503 SlowDown, resets connections and stalls (test/support/faulty-s3.ts), read with the
 * client the scan uses in production (functions/adapters/clients/s3.ts), its timeouts and backoff
 * shrunk so that the budget runs out in milliseconds instead of seconds.
 */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CertificateStoreS3ClientOptions,
  certificateStoreS3Client,
} from "../../../functions/adapters/clients/s3";
import {
  type S3CertificateStore,
  s3CertificateStore,
} from "../../../functions/adapters/s3-certificate-store";
import { type LocalS3, startS3rver } from "../../support/emulators";
import { clientThrough, type FaultyS3, startFaultyS3, when } from "../../support/faulty-s3";

const BUCKET = "faulty-certificates";
const KEY = "prod/node1.pem";
const CONTENT = `-----BEGIN CERTIFICATE-----\n${"QUJD".repeat(400)}\n-----END CERTIFICATE-----\n`;
const LIMIT = 64 * 1024;
const ATTEMPTS = 4;
/**
 * Timeouts short enough that a stall runs out of attempts quickly; only the tests that need a
 * timeout to fire use them. On a loaded machine an answered request can itself take longer than
 * that, so a test that expects answers gives them the generous guard instead: a test may not
 * depend on how fast the machine answers.
 */
const STALL_TIMEOUT_MS = 300;
const ANSWER_TIMEOUT_MS = 30_000;
/** Long enough for an answered retry on a loaded machine, short enough to wait out one stall. */
const ONE_STALL_TIMEOUT_MS = 5_000;

let s3: LocalS3;
let front: FaultyS3;
/** Where this test's requests start in the front's log. */
let mark = 0;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const Key of [KEY, "prod/node2.pem", "prod/node3.pem"]) {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: CONTENT }));
  }
  front = await startFaultyS3(s3.server);
});

beforeEach(() => {
  mark = front.requests.length;
});

afterEach(() => {
  front.heal();
});

afterAll(async () => {
  await front?.stop();
  await s3?.stop();
});

/** A fresh client per test: the standard retry mode keeps a retry quota per client. */
function store(options: CertificateStoreS3ClientOptions = {}): S3CertificateStore {
  const client = clientThrough(front, {
    maxAttempts: ATTEMPTS,
    ...timeouts(ANSWER_TIMEOUT_MS),
    ...options,
  });
  return s3CertificateStore({ client, bucket: BUCKET });
}

function timeouts(ms: number): CertificateStoreS3ClientOptions {
  return { connectionTimeoutMs: ms, requestTimeoutMs: ms, socketTimeoutMs: ms };
}

async function listed(target: S3CertificateStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of target.list(["prod/"])) keys.push(object.key);
  return keys;
}

/** This test's requests, with the fault each got ("answered" when s3rver answered). */
function served() {
  return front.requests.slice(mark).map((r) => ({ ...r, outcome: r.fault ?? "answered" }));
}

function attemptsAt(operation: string, key?: string): number {
  return served().filter((r) => r.operation === operation && (key === undefined || r.key === key)).length;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("the certificate bucket through SlowDown bursts", () => {
  it("rides out a burst shorter than the retry budget, listing and loading everything", async () => {
    // Prepare
    const target = store();
    front.inject({ fault: "slow-down", when: when.listObjects(), times: ATTEMPTS - 1 });
    front.inject({ fault: "slow-down", when: when.getObject(KEY), times: ATTEMPTS - 1 });

    // Act
    const keys = await listed(target);
    const loaded = await target.load(KEY, { maxBytes: LIMIT, knownSize: CONTENT.length });

    // Assess
    expect(keys).toEqual([KEY, "prod/node2.pem", "prod/node3.pem"]);
    expect(loaded.ok && text(loaded.bytes)).toBe(CONTENT);
    expect(served().map((r) => `${r.operation} ${r.outcome}`)).toEqual([
      ...Array(ATTEMPTS - 1).fill("ListObjectsV2 slow-down"),
      "ListObjectsV2 answered",
      ...Array(ATTEMPTS - 1).fill("GetObject slow-down"),
      "GetObject answered",
    ]);
  });

  it("gives up on a burst longer than the budget: a transient io-error naming the key and S3's answer", async () => {
    // Prepare
    const target = store();
    front.inject({ fault: "slow-down", when: when.getObject(KEY) });

    // Act
    const loaded = await target.load(KEY, { maxBytes: LIMIT, knownSize: CONTENT.length });

    // Assess: throttling says nothing about the object: it is not examined, and gets no finding
    expect(loaded).toEqual({
      ok: false,
      reason: "io-error",
      detail: `${KEY}: SlowDown (HTTP 503): Please reduce your request rate.`,
      transient: true,
    });
    expect(attemptsAt("GetObject", KEY)).toBe(ATTEMPTS);
  });

  it("gives up on a listing throttled for longer than the budget by failing the listing, not by listing less", async () => {
    // Prepare
    const target = store();
    front.inject({ fault: "slow-down", when: when.listObjects() });

    // Act
    const listing = listed(target);

    // Assess
    await expect(listing).rejects.toMatchObject({ name: "SlowDown", $metadata: { httpStatusCode: 503 } });
    expect(attemptsAt("ListObjectsV2")).toBe(ATTEMPTS);
  });
});

describe("the certificate bucket through connection resets", () => {
  it("retries a connection reset before the answer and one halfway through the certificate", async () => {
    // Prepare
    const target = store();
    front.inject({ fault: "reset", when: when.listObjects(), times: 1 });
    front.inject({ fault: "reset", when: when.getObject(KEY), times: 1 });
    front.inject({ fault: "reset-mid-body", when: when.getObject(KEY), times: 1 });

    // Act
    const keys = await listed(target);
    const loaded = await target.load(KEY, { maxBytes: LIMIT, knownSize: CONTENT.length });

    // Assess
    expect(keys).toHaveLength(3);
    expect(loaded.ok && text(loaded.bytes)).toBe(CONTENT);
    expect(
      served()
        .filter((r) => r.key === KEY)
        .map((r) => r.outcome),
    ).toEqual(["reset", "reset-mid-body", "answered"]);
  });

  it("retries a HeadObject reset when the size is not known from a listing", async () => {
    // Prepare
    const target = store();
    front.inject({ fault: "reset", when: when.headObject(KEY), times: 2 });

    // Act
    const loaded = await target.load(KEY, { maxBytes: LIMIT });

    // Assess
    expect(loaded.ok && text(loaded.bytes)).toBe(CONTENT);
    expect(attemptsAt("HeadObject", KEY)).toBe(3);
  });

  it("reports an object whose every download is cut off as an io-error, after the budget", async () => {
    // Prepare
    const target = store();
    front.inject({ fault: "reset-mid-body", when: when.getObject(KEY) });

    // Act
    const loaded = await target.load(KEY, { maxBytes: LIMIT, knownSize: CONTENT.length });

    // Assess
    expect(loaded).toMatchObject({
      ok: false,
      reason: "io-error",
      detail: expect.stringMatching(/^prod\/node1\.pem: .*aborted/),
      // A dropped connection says nothing about the object: not examined, no finding
      transient: true,
    });
    expect(attemptsAt("GetObject", KEY)).toBe(ATTEMPTS);
  });
});

describe("the certificate bucket through stalled responses", () => {
  it("ends a response that never comes within the configured bound, as an io-error", async () => {
    // Prepare
    const target = store(timeouts(STALL_TIMEOUT_MS));
    front.inject({ fault: "stall", when: when.getObject(KEY) });
    const started = Date.now();

    // Act
    const loaded = await target.load(KEY, { maxBytes: LIMIT, knownSize: CONTENT.length });

    // Assess
    const elapsed = Date.now() - started;
    expect(loaded).toMatchObject({
      ok: false,
      reason: "io-error",
      detail: expect.stringContaining("TimeoutError"),
      transient: true,
    });
    expect(attemptsAt("GetObject", KEY)).toBe(ATTEMPTS);
    expect(elapsed).toBeGreaterThanOrEqual(ATTEMPTS * STALL_TIMEOUT_MS - 50);
  });

  it("ends a download that stalls halfway within the configured bound, as an io-error", async () => {
    // Prepare
    const target = store(timeouts(STALL_TIMEOUT_MS));
    front.inject({ fault: "stall-mid-body", when: when.getObject(KEY) });

    // Act
    const loaded = await target.load(KEY, { maxBytes: LIMIT, knownSize: CONTENT.length });

    // Assess
    expect(loaded).toMatchObject({
      ok: false,
      reason: "io-error",
      detail: expect.stringContaining("timed out"),
      transient: true,
    });
    expect(attemptsAt("GetObject", KEY)).toBe(ATTEMPTS);
  });

  it("gets the certificate when only the first attempt stalls", async () => {
    // Prepare
    const target = store(timeouts(ONE_STALL_TIMEOUT_MS));
    front.inject({ fault: "stall", when: when.getObject(KEY), times: 1 });
    front.inject({ fault: "stall-mid-body", when: when.listObjects(), times: 1 });

    // Act
    const keys = await listed(target);
    const loaded = await target.load(KEY, { maxBytes: LIMIT, knownSize: CONTENT.length });

    // Assess
    expect(keys).toHaveLength(3);
    expect(loaded.ok && text(loaded.bytes)).toBe(CONTENT);
  });
});

describe("the production S3 client", () => {
  it("still streams a body larger than it reads inside retries, so the store's size cap holds", async () => {
    // Prepare
    const target = store({ bufferBodiesUpToBytes: 100 });

    // Act
    const loaded = await target.load(KEY, { maxBytes: 1000, knownSize: 10 });

    // Assess
    expect(loaded).toMatchObject({ ok: false, reason: "too-large" });
  });

  it("retries in the SDK's standard mode with five attempts unless told otherwise", async () => {
    // Prepare
    const client = certificateStoreS3Client({ region: "eu-west-1" });

    // Act
    const attempts = await client.config.maxAttempts();

    // Assess
    expect(attempts).toBe(5);
    expect(client.config.retryMode).toBe("standard");
    client.destroy();
  });
});
