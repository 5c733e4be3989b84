/**
 * Settling alarms when the store's story arrives out of order: a fanned-out run that settles long
 * after its listing, a settle that fails and is redelivered, an upload that is re-checked while an
 * older run is still out, and an object deleted between listing and download. The deployed
 * function's wiring on s3rver and dynalite, an in-process queue in place of SQS (batches of two).
 */
import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AlarmPublisherPort } from "../../../functions/core/alarms/ports";
import { parseConfig } from "../../../functions/core/config";
import {
  type CertificateScanDeps,
  runCertificateScan,
  type ScanOutcome,
} from "../../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { type chain, storedChain } from "../../support/pki";
import { type LocalQueue, SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";

const BUCKET = "settlement-certs";
const HOST = "api.prod.example.com";
const MINUTE = 60_000;
/** SQS makes a message that failed visible again after the queue's visibility timeout (6 × 10 min). */
const VISIBILITY_TIMEOUT_MS = 60 * MINUTE;
/** Lambda hands a message to the dead-letter queue after this many receives. */
const MAX_RECEIVES = 3;

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
let pki: Awaited<ReturnType<typeof chain>>;
let healthy: string;
let expired: string;

const config = parseConfig({
  certificates: { sources: [{ prefix: "big/", expectedHostnames: [HOST], caBundleKey: "trust/ca.pem" }] },
});

/** Five objects, three batches of at most two: [01, 02], [03, 04], [05]; only 03 has a fault. */
const KEYS = ["big/01.pem", "big/02.pem", "big/03.pem", "big/04.pem", "big/05.pem"];
const EXPIRED_KEY = "big/03.pem";
const RAISED = ["Alarm Raised expired big/03.pem#0"];
const CLEARED = ["Alarm Cleared expired big/03.pem#0"];

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  ({ pki, healthy, expired } = await storedChain(HOST));
});

afterAll(async () => {
  bus.restore();
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

beforeEach(async () => {
  await put("trust/ca.pem", pki.root.pem);
  for (const key of KEYS) await put(key, key === EXPIRED_KEY ? expired : healthy);
  bus.clear();
});

async function put(key: string, body: string) {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

interface Deployment {
  deps: CertificateScanDeps;
  queue: LocalQueue;
}

async function deploy(options: { fanOut?: boolean } = { fanOut: true }): Promise<Deployment> {
  const { deps, queue } = await scanHarness({
    config,
    bucket: BUCKET,
    s3: s3.client,
    dynamo,
    bus,
    ...(options.fanOut ? { fanOut: { batchSize: 2 } } : {}),
    secrets: { read: async () => "" },
  });
  return { deps, queue };
}

/**
 * Workers take messages in order until `limit` were handled or none is left. A delivery that
 * fails (the invocation throws, or hands the message back) is received again after the
 * visibility timeout, on a worker whose clock has moved on accordingly, up to MAX_RECEIVES times.
 */
async function drain(
  { deps, queue }: Deployment,
  options: { limit?: number; worker?: Partial<CertificateScanDeps> } = {},
) {
  const outcomes: (ScanOutcome | Error)[] = [];
  const receives = new Map<string, number>();
  let handled = 0;
  while (queue.messages.length > 0 && handled < (options.limit ?? Number.POSITIVE_INFINITY)) {
    const message = queue.messages.shift()!;
    const received = (receives.get(message.messageId) ?? 0) + 1;
    receives.set(message.messageId, received);
    handled++;
    const late = (received - 1) * VISIBILITY_TIMEOUT_MS;
    const worker = { ...deps, ...options.worker };
    const clock = worker.now ?? (() => new Date());
    const outcome = await runCertificateScan(queue.sqsEvent(message), {
      ...worker,
      now: () => new Date(clock().getTime() + late),
    }).catch((error: Error) => error);
    outcomes.push(outcome);
    const failed = outcome instanceof Error || (outcome.batchItemFailures?.length ?? 0) > 0;
    if (failed && received < MAX_RECEIVES) queue.messages.push(message);
  }
  return outcomes;
}

/** "<detail-type> <check> <key>" for each event on the bus, sorted. */
const events = (): string[] => bus.lines(`s3://${BUCKET}/`);

/** How often the bus received each event (by eventId): every transition exactly once is all 1s. */
function timesSent(): number[] {
  const times = new Map<string, number>();
  for (const entry of bus.sent) {
    const { eventId } = JSON.parse(entry.Detail ?? "{}") as { eventId: string };
    times.set(eventId, (times.get(eventId) ?? 0) + 1);
  }
  return [...times.values()];
}

function objectEvent(key: string, change: "Object Created" | "Object Deleted") {
  return { source: "aws.s3", "detail-type": change, detail: { bucket: { name: BUCKET }, object: { key } } };
}

/** A publisher that holds its first call until `release()`; `reached` resolves when it is called. */
function heldPublisher(publisher: AlarmPublisherPort) {
  let reached: () => void = () => {};
  let release: () => void = () => {};
  const called = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let first = true;
  const held: AlarmPublisherPort = {
    async publish(transitions) {
      if (first) {
        first = false;
        reached();
        await released;
      }
      return publisher.publish(transitions);
    },
  };
  return { held, called, release };
}

describe("a fanned-out run's settlement", () => {
  it("still settles, and raises once, when the first settle fails on one alarm-table read and the batch is redelivered", async () => {
    // Prepare: the first read of the alarm table throws, as a throttled table does past the SDK's retries
    const deployment = await deploy();
    const { store } = deployment.deps.alarms;
    let reads = 0;
    deployment.deps.alarms = {
      ...deployment.deps.alarms,
      store: {
        ...store,
        load: async (scope) => {
          reads++;
          if (reads === 1)
            throw new ProvisionedThroughputExceededException({
              message: "The level of configured provisioned throughput for the table was exceeded.",
              $metadata: { httpStatusCode: 400 },
            });
          return store.load(scope);
        },
      },
    };

    // Act
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    const workers = await drain(deployment);

    // Assess
    expect(workers.filter((w) => w instanceof Error)).toHaveLength(1); // the settle that failed
    expect(workers.filter((w) => !(w instanceof Error) && w.runs === 1)).toHaveLength(1);
    expect(events()).toEqual(RAISED);
    expect(timesSent()).toEqual([1]);
  });

  it("does not let a concurrent run send the settling run's events again while it is still publishing them", async () => {
    // Prepare: listed ten minutes ago; its last batch settles now and is slow to publish
    const deployment = await deploy();
    const listedAt = new Date(Date.now() - 10 * MINUTE);
    await runCertificateScan(SCHEDULED_EVENT, { ...deployment.deps, now: () => listedAt });
    const slow = heldPublisher(deployment.deps.alarms.publisher);
    const settling = drain(deployment, {
      worker: { alarms: { ...deployment.deps.alarms, publisher: slow.held }, now: () => new Date() },
    });
    await slow.called;

    // Act: meanwhile an upload of another object in the same source is re-checked
    await put("big/01.pem", healthy);
    await runCertificateScan(objectEvent("big/01.pem", "Object Created"), deployment.deps);
    slow.release();
    await settling;

    // Assess
    expect(events()).toEqual(RAISED);
    expect(timesSent()).toEqual([1]);
  });

  it("does not raise again what an upload cleared, when the run listed before the upload settles after it", async () => {
    // Prepare: a first run raised the expired certificate; the next run lists and judges 03's batch
    const deployment = await deploy();
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    await drain(deployment);
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    await drain(deployment, { limit: 2 });
    bus.clear();

    // Act: the certificate is renewed and re-checked, then the older run's last batch settles it
    await put(EXPIRED_KEY, healthy);
    await runCertificateScan(objectEvent(EXPIRED_KEY, "Object Created"), deployment.deps);
    const afterUpload = events();
    await drain(deployment);

    // Assess
    expect(afterUpload).toEqual(CLEARED);
    expect(events()).toEqual(CLEARED);
  });

  it("raises nothing about an object replaced after the listing and before its batch downloaded it", async () => {
    // Prepare: a first run raised the expired certificate; the next run lists it as it was
    const deployment = await deploy();
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    await drain(deployment);
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);
    bus.clear();

    // Act: renewed and re-checked before any batch ran; then the batches download what is there now
    await put(EXPIRED_KEY, healthy);
    await runCertificateScan(objectEvent(EXPIRED_KEY, "Object Created"), deployment.deps);
    await drain(deployment);

    // Assess: the renewal cleared the alarm, and the older run neither re-raised it nor called it unreadable
    expect(events()).toEqual(CLEARED);
  });
});

describe("an object deleted between listing and download", () => {
  /** The bucket as the scan sees it, except that `key` is deleted the moment it is about to be read. */
  function deletedOnRead(deps: CertificateScanDeps, key: string): CertificateScanDeps {
    const { store } = deps;
    return {
      ...deps,
      store: {
        ...store,
        list: (prefixes) => store.list(prefixes),
        uri: (k) => store.uri(k),
        load: async (k, options) => {
          if (k === key) await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
          return store.load(k, options);
        },
      },
    };
  }

  it("is gone: its alarms clear and the scan stays complete", async () => {
    // Prepare
    const { deps } = await deploy({ fanOut: false });
    await runCertificateScan(SCHEDULED_EVENT, deps);
    bus.clear();

    // Act
    const outcome = await runCertificateScan(SCHEDULED_EVENT, deletedOnRead(deps, EXPIRED_KEY));

    // Assess
    expect(outcome).toMatchObject({ complete: true });
    expect(events()).toEqual(CLEARED);
  });

  it("is gone for a batch worker too: nothing raised about it, and the run settles complete", async () => {
    // Prepare: the first scan of the store; the object goes away before its batch reads it
    const deployment = await deploy();
    await runCertificateScan(SCHEDULED_EVENT, deployment.deps);

    // Act
    const workers = await drain(deployment, { worker: deletedOnRead(deployment.deps, EXPIRED_KEY) });

    // Assess
    expect(workers.every((w) => !(w instanceof Error) && w.complete)).toBe(true);
    expect(events()).toEqual([]);
  });
});
