/**
 * A store too large for one invocation, scanned the way the deployed stack scans it: the scheduled
 * invocation lists and hands out batches, several workers (the same function, fed SQS events)
 * judge them, and the last report settles the alarms. Local stand-ins: s3rver, dynalite for the
 * alarm and scan-state tables, an in-process queue in place of SQS, a tiny batch size.
 */
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { s3CertificateStore } from "../../../functions/adapters/s3-certificate-store";
import { parseConfig } from "../../../functions/core/config";
import type { CertificateStorePort } from "../../../functions/core/scan/ports";
import {
  type CertificateScanDeps,
  runCertificateScan,
  type ScanOutcome,
} from "../../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { chain, DAY, issue } from "../../support/pki";
import { type LocalQueue, scanHarness } from "../../support/scan-harness";

const BUCKET = "fan-out-certs";
const HOST = "api.prod.example.com";
const SCHEDULED_EVENT = { source: "aws.events", "detail-type": "Scheduled Event", detail: {} };
const BATCH_SIZE = 2;

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
let pki: Awaited<ReturnType<typeof chain>>;

const config = parseConfig({
  certificates: { sources: [{ prefix: "big/", expectedHostnames: [HOST], caBundleKey: "trust/ca.pem" }] },
});

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  pki = await chain(HOST);
  await put("trust/ca.pem", pki.root.pem);
  const expired = await issue({
    dnsNames: [HOST],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 60 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  seed.set("big/03-expired.pem", `${expired.pem}\n${pki.intermediate.pem}`);
  seed.set("big/05-corrupt.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n");
  seed.set("big/07-untrusted.pem", (await issue({ dnsNames: [HOST] })).pem);
  for (const n of ["01", "02", "04", "06", "08", "09"]) {
    const leaf = await issue({ dnsNames: [HOST], issuer: pki.intermediate });
    seed.set(`big/${n}-healthy.pem`, `${leaf.pem}\n${pki.intermediate.pem}`);
  }
});

/** Nine objects, so five batches of two at most: three with faults, six healthy. */
const seed = new Map<string, string>();

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

beforeEach(async () => {
  for (const [key, body] of seed) await put(key, body);
  bus.clear();
});

async function put(key: string, body: string) {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

interface Deployment {
  deps: CertificateScanDeps;
  queue: LocalQueue;
}

async function deploy(store?: CertificateStorePort): Promise<Deployment> {
  const { deps, queue } = await scanHarness({
    config,
    bucket: BUCKET,
    s3: s3.client,
    dynamo,
    bus,
    fanOut: { batchSize: BATCH_SIZE },
    secrets: { read: async () => "" },
  });
  return { deps: store ? { ...deps, store } : deps, queue };
}

/** `workers` concurrent workers take messages until none is left (or `limit` were handled). */
async function drain({ deps, queue }: Deployment, workers: number, limit = Number.POSITIVE_INFINITY) {
  const outcomes: ScanOutcome[] = [];
  let handled = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let message = queue.messages.shift(); message; message = queue.messages.shift()) {
        if (handled >= limit) {
          queue.messages.unshift(message);
          return;
        }
        handled++;
        const outcome = await runCertificateScan(queue.sqsEvent(message), deps);
        outcomes.push(outcome);
        if (outcome.batchItemFailures?.length) queue.messages.push(message);
      }
    }),
  );
  return outcomes;
}

/** "<detail-type> <check> <object>" for each event on the bus. */
const events = (): string[] => bus.lines(`s3://${BUCKET}/`);

const RAISED = [
  "Alarm Raised expired big/03-expired.pem#0",
  "Alarm Raised unreadable big/05-corrupt.pem",
  "Alarm Raised untrusted-chain big/07-untrusted.pem#0",
];

describe("fanned-out certificate scan", () => {
  it("hands a large source out in batches and raises what one big scan raises, once", async () => {
    // Prepare
    const deployment = await deploy();

    // Act
    const listed = await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    const batches = deployment.queue.messages.length;
    const afterListing = events();
    const workers = await drain(deployment, 3);

    // Assess
    expect(listed.fannedOut).toEqual([
      expect.objectContaining({ scope: `s3://${BUCKET}/big/`, batches: 5, objects: 9 }),
    ]);
    expect(batches).toBe(5);
    expect(afterListing).toEqual([]); // nothing is decided before every batch has reported
    expect(workers.filter((w) => w.runs === 1)).toHaveLength(1); // exactly one worker settled the run
    expect(workers.reduce((n, w) => n + w.objects.downloaded, 0)).toBe(9);
    expect(events()).toEqual(RAISED);
  });

  it("clears only when the last batch has reported, and a run that never finishes clears nothing", async () => {
    // Prepare: a first complete run raises the three alarms
    const deployment = await deploy();
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    await drain(deployment, 2);
    bus.clear();
    const renewed = await issue({ dnsNames: [HOST], issuer: pki.intermediate });
    await put("big/03-expired.pem", `${renewed.pem}\n${pki.intermediate.pem}`);

    // Act: the next run loses one batch (its worker never gets to it)
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    await drain(deployment, 2, 4);
    const unfinished = events();
    deployment.queue.messages.length = 0;

    // ...and the run after that completes
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    const workers = await drain(deployment, 2);

    // Assess
    expect(unfinished).toEqual([]);
    expect(events()).toEqual(["Alarm Cleared expired big/03-expired.pem#0"]);
    // The unfinished run already read the renewal: its inventory records are not wasted.
    expect(workers.reduce((n, w) => n + w.objects.downloaded, 0)).toBe(0);
  });

  it("settles a partial run without clearing: an object that cannot be read keeps its alarms", async () => {
    // Prepare: a store whose corrupt object vanishes from reach after the first run
    const real = s3CertificateStore({ client: s3.client, bucket: BUCKET });
    let failing: string | undefined;
    const flaky: CertificateStorePort = {
      ...real,
      list: (prefixes) => real.list(prefixes),
      load: async (key, options) =>
        key === failing
          ? { ok: false, reason: "io-error", detail: `${key}: SlowDown (HTTP 503)` }
          : real.load(key, options),
    };
    const deployment = await deploy(flaky);
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    await drain(deployment, 2);
    bus.clear();

    // Act: the corrupt file is replaced by a good one, but cannot be fetched; the expired one is deleted
    const good = await issue({ dnsNames: [HOST], issuer: pki.intermediate });
    await put("big/05-corrupt.pem", `${good.pem}\n${pki.intermediate.pem}`);
    failing = "big/05-corrupt.pem";
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "big/03-expired.pem" }));
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    await drain(deployment, 2);

    // Assess: the unreadable object is reported as such, and nothing is cleared
    expect(events()).toEqual([]);
  });

  it("counts a redelivered batch once and settles once, with workers running while the listing goes on", async () => {
    // Prepare
    const deployment = await deploy();
    const original = deployment.queue.port.send;
    const early: Promise<ScanOutcome[]>[] = [];
    deployment.queue.port.send = async (batches) => {
      await original(batches);
      // Every batch is delivered twice, and a worker starts on it before the listing is over.
      await original(batches);
      early.push(drain(deployment, 1, 1));
    };

    // Act
    const listed = await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    await Promise.all(early);
    const rest = await drain(deployment, 3);

    // Assess
    const outcomes = [listed, ...(await Promise.all(early)).flat(), ...rest];
    expect(outcomes.reduce((settled, o) => settled + o.runs, 0)).toBe(1);
    expect(events()).toEqual(RAISED);
  });
});
