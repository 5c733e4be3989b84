/**
 * The certificate-scan function while S3 misbehaves: certificates in s3rver behind the faulty
 * front (test/support/faulty-s3.ts), read with the production S3 client (shrunk timeouts), alarm
 * state in dynalite, events through the recording bus. What an operator relies on: S3 trouble the
 * retries absorb changes nothing, and S3 trouble they cannot absorb makes the scan partial, never
 * a reason to clear an alarm about a certificate nobody could read.
 */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { clientThrough, type FaultyS3, startFaultyS3, when } from "../../support/faulty-s3";
import { chain, DAY, issue } from "../../support/pki";
import { SCHEDULED_EVENT, type ScanHarness, scanHarness } from "../../support/scan-harness";

const BUCKET = "faulty-scan-certs";
const HOST = "api.prod.example.com";
const EXPIRED_KEY = "prod/api.pem";
const HEALTHY_KEY = "prod/web.pem";
const EXPIRED_SOURCE = `s3://${BUCKET}/${EXPIRED_KEY}#0`;
const SCOPE = `s3://${BUCKET}/prod/`;
const ATTEMPTS = 3;
/**
 * A test may not depend on how fast the machine answers: where every request is meant to be
 * answered (faults that answer at once: SlowDown, resets), the timeouts are a generous guard; a
 * test that needs a stall to run out uses one short enough to wait it out, and long enough for
 * an answered request on a loaded machine.
 */
const ANSWER_TIMEOUT_MS = 30_000;
const STALL_TIMEOUT_MS = 5_000;

const config = parseConfig({ certificates: { sources: [{ prefix: "prod/", expectedHostnames: [HOST] }] } });

let s3: LocalS3;
let dynamo: LocalDynamo;
let front: FaultyS3;
const bus = recordingEventBus();

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  front = await startFaultyS3(s3.server);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const pki = await chain(HOST);
  const expired = await issue({
    dnsNames: [HOST],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 90 * DAY),
    notAfter: new Date(Date.now() - 2 * DAY),
  });
  for (const [Key, leaf] of [
    [EXPIRED_KEY, expired],
    [HEALTHY_KEY, pki.leaf],
  ] as const) {
    await s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key, Body: `${leaf.pem}\n${pki.intermediate.pem}` }),
    );
  }
});

beforeEach(() => bus.clear());

afterEach(() => front.heal());

afterAll(async () => {
  bus.restore();
  await front?.stop();
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

/** The scan as deployed, but reading S3 through the faulty front with a small retry budget. */
function freshDeps(timeoutMs = ANSWER_TIMEOUT_MS): Promise<ScanHarness> {
  const client = clientThrough(front, {
    maxAttempts: ATTEMPTS,
    connectionTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
    socketTimeoutMs: timeoutMs,
  });
  return scanHarness({ config, bucket: BUCKET, s3: client, dynamo, bus });
}

/** What an operator would see on the bus: "<detail-type> <check> <source>". */
const events = (): string[] => bus.lines();

describe("certificate scan against a faulty S3", () => {
  it("absorbs SlowDown bursts and resets: the scan completes and raises exactly what it finds", async () => {
    // Prepare
    const { deps } = await freshDeps();
    front.inject({ fault: "slow-down", when: when.listObjects(), times: ATTEMPTS - 1 });
    front.inject({ fault: "reset", when: when.getObject(EXPIRED_KEY), times: 1 });
    front.inject({ fault: "reset-mid-body", when: when.getObject(HEALTHY_KEY), times: 1 });
    front.inject({ fault: "slow-down", when: when.getObject(HEALTHY_KEY), times: 1 });

    // Act
    const outcome = await runCertificateScan(SCHEDULED_EVENT, deps);

    // Assess
    expect(outcome).toMatchObject({ mode: "full", complete: true, certificates: 4 });
    expect(events()).toEqual([`Alarm Raised expired ${EXPIRED_SOURCE}`]);
  });

  it("keeps the alarm of a certificate it cannot download and reports the scan not complete; recovery raises nothing twice", async () => {
    // Prepare: a healthy scan raises the expired certificate
    const { deps, alarms } = await freshDeps();
    const first = await runCertificateScan(SCHEDULED_EVENT, deps);
    const raised = events();
    bus.clear();
    front.inject({ fault: "slow-down", when: when.getObject(EXPIRED_KEY) });

    // Act: the next scan cannot get that object past S3's throttling; the one after can
    const degraded = await runCertificateScan(SCHEDULED_EVENT, deps);
    const duringOutage = events();
    const live = await alarms.load(SCOPE);
    bus.clear();
    front.heal();
    const recovered = await runCertificateScan(SCHEDULED_EVENT, deps);

    // Assess
    expect(first).toMatchObject({ complete: true });
    expect(raised).toEqual([`Alarm Raised expired ${EXPIRED_SOURCE}`]);
    expect(degraded).toMatchObject({ mode: "full", complete: false });
    expect(duringOutage.filter((e) => e.startsWith("Alarm Cleared"))).toEqual([]);
    expect(live.filter((a) => a.check === "expired")).toMatchObject([
      { source: EXPIRED_SOURCE, status: "active" },
    ]);
    expect(front.requests.filter((r) => r.key === EXPIRED_KEY && r.fault === "slow-down")).toHaveLength(
      ATTEMPTS,
    );
    expect(recovered).toMatchObject({ complete: true });
    expect(events().filter((e) => e.includes(" expired "))).toEqual([]);
  });

  it("clears nothing when the listing stalls for good, and gives up within the configured bound", async () => {
    // Prepare
    const { deps, alarms } = await freshDeps(STALL_TIMEOUT_MS);
    await runCertificateScan(SCHEDULED_EVENT, deps);
    bus.clear();
    front.inject({ fault: "stall", when: when.listObjects() });

    // Act
    const stalled = await runCertificateScan(SCHEDULED_EVENT, deps);

    // Assess
    expect(stalled).toMatchObject({ mode: "full", complete: false });
    expect(events()).toEqual([]);
    expect(await alarms.load(SCOPE)).toMatchObject([{ check: "expired", status: "active" }]);
  });
});
