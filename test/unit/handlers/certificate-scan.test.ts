/**
 * The certificate-scan function on in-memory ports (test/support/in-memory-ports.ts): the three
 * triggers, the fan-out protocol across invocations (batches that never report, redeliveries,
 * partial runs) and the rescan a changed CA bundle asks for, in milliseconds. The same function on
 * s3rver and dynalite is tested in test/integration/handlers/.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { METRIC } from "../../../functions/core/metrics";
import { runCertificateScan, type ScanOutcome } from "../../../functions/handlers/certificate-scan";
import { metrics } from "../../../functions/handlers/shared/powertools";
import { eventsOf, memoryScan } from "../../support/in-memory-ports";
import { issue, storedChain } from "../../support/pki";
import { SCHEDULED_EVENT } from "../../support/scan-harness";

const HOST = "api.prod.example.com";
const config = parseConfig({
  certificates: { sources: [{ prefix: "big/", expectedHostnames: [HOST], caBundleKey: "trust/ca.pem" }] },
});

let pki: Awaited<ReturnType<typeof storedChain>>["pki"];
let healthy: string;
let expired: string;
let impostorRoot: string;

beforeAll(async () => {
  ({ pki, healthy, expired } = await storedChain(HOST));
  impostorRoot = (await issue({ subject: "CN=Another Root CA", isCA: true })).pem;
});

/** Seven objects under big/: 0003 expired, 0005 corrupt, the others healthy. */
function deployment(options: { batchSize?: number } = {}) {
  const scan = memoryScan(config, options);
  scan.bucket.put("trust/ca.pem", pki.root.pem);
  for (let n = 1; n <= 7; n++) {
    const body = n === 3 ? expired : n === 5 ? "-----BEGIN CERTIFICATE-----\nnot base64!\n" : healthy;
    scan.bucket.put(`big/000${n}.pem`, body);
  }
  return scan;
}

type Deployment = ReturnType<typeof deployment>;

/** Workers take the queue's messages in order; `redeliver` hands each one over twice. */
async function drain(d: Deployment, options: { leave?: number; redeliver?: boolean } = {}) {
  const outcomes: ScanOutcome[] = [];
  while (d.queue.messages.length > (options.leave ?? 0)) {
    const message = d.queue.messages.shift()!;
    for (let delivery = 0; delivery < (options.redeliver ? 2 : 1); delivery++) {
      outcomes.push(await runCertificateScan(d.queue.sqsEvent(message), d.deps));
    }
  }
  return outcomes;
}

/** A deployment after a first scheduled run, its batches judged; what that run published is forgotten. */
async function scannedOnce(options: { batchSize?: number } = {}): Promise<Deployment> {
  const d = deployment(options);
  await runCertificateScan(SCHEDULED_EVENT, d.deps);
  await drain(d);
  d.alarms.published.length = 0;
  return d;
}

/** S3's notification for one object, as EventBridge delivers it. */
function objectEvent(key: string, change: "Object Created" | "Object Deleted") {
  return { source: "aws.s3", "detail-type": change, detail: { bucket: { name: "certs" }, object: { key } } };
}

/** The trust bundle replaced, as EventBridge delivers S3's notification. */
const CA_BUNDLE_CHANGED = {
  source: "aws.s3",
  "detail-type": "Object Created",
  detail: { bucket: { name: "certs" }, object: { key: "trust/ca.pem" } },
};

const RAISED = ["raised expired s3://certs/big/0003.pem#0", "raised unreadable s3://certs/big/0005.pem"];

const sorted = (events: string[]) => [...events].sort();

/** How often the invocations since the spy was set emitted the success metric the staleness alarm counts. */
function successesCounted(spy: { mock: { calls: unknown[][] } }): number {
  return spy.mock.calls.filter(([name]) => name === METRIC.scanSucceeded).length;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("certificate scan on in-memory ports", () => {
  it("raises the same alarms whether a source is judged where it is listed or handed out to workers", async () => {
    // Prepare
    const inline = deployment();
    const fannedOut = deployment({ batchSize: 2 });

    // Act
    const listedInline = await runCertificateScan(SCHEDULED_EVENT, inline.deps);
    const listed = await runCertificateScan(SCHEDULED_EVENT, fannedOut.deps);
    const beforeWorkers = eventsOf(fannedOut.alarms.published);
    const workers = await drain(fannedOut);

    // Assess
    expect(listedInline).toMatchObject({ mode: "full", runs: 1, complete: true, fannedOut: [] });
    expect(sorted(eventsOf(inline.alarms.published))).toEqual(RAISED);
    expect(listed).toMatchObject({
      runs: 0,
      fannedOut: [{ runId: "run-1", scope: "s3://certs/big/", batches: 4, objects: 7 }],
    });
    expect(beforeWorkers).toEqual([]);
    expect(workers.map((w) => w.runs)).toEqual([0, 0, 0, 1]);
    expect(sorted(eventsOf(fannedOut.alarms.published))).toEqual(RAISED);
    expect(fannedOut.runs.items.get("run-1")?.settledAt).toBeDefined();
  });

  it("settles nothing while a batch has not reported, and the next complete run settles as usual", async () => {
    // Prepare: a first run raised the two alarms; the expired certificate is then renewed
    const d = await scannedOnce({ batchSize: 2 });
    d.bucket.put("big/0003.pem", healthy);

    // Act: one batch of the next run never reaches a worker (it went to the dead-letter queue)
    await runCertificateScan(SCHEDULED_EVENT, d.deps);
    await drain(d, { leave: 1 });
    const whileUnfinished = eventsOf(d.alarms.published);
    d.queue.messages.length = 0;
    await runCertificateScan(SCHEDULED_EVENT, d.deps);
    await drain(d);

    // Assess
    expect(whileUnfinished).toEqual([]);
    expect(d.runs.items.get("run-2")).toMatchObject({ batches: 4, reported: new Set([0, 1, 2]) });
    expect(d.runs.items.get("run-2")?.settledAt).toBeUndefined();
    expect(eventsOf(d.alarms.published)).toEqual(["cleared expired s3://certs/big/0003.pem#0"]);
  });

  it("counts a redelivered batch once and settles its run once", async () => {
    // Prepare
    const d = deployment({ batchSize: 2 });

    // Act
    await runCertificateScan(SCHEDULED_EVENT, d.deps);
    const workers = await drain(d, { redeliver: true });

    // Assess
    expect(workers.reduce((settled, w) => settled + w.runs, 0)).toBe(1);
    expect(sorted(eventsOf(d.alarms.published))).toEqual(RAISED);
  });

  it("raises what a partial run found and clears nothing: an object that cannot be read keeps its alarm", async () => {
    // Prepare: the expired certificate's alarm is raised; then it is renewed but cannot be downloaded,
    // and the corrupt one is deleted
    const d = await scannedOnce({ batchSize: 2 });
    d.bucket.put("big/0003.pem", healthy);
    d.bucket.faults.unreachable.add("big/0003.pem");
    d.bucket.objects.delete("big/0005.pem");

    // Act
    await runCertificateScan(SCHEDULED_EVENT, d.deps);
    const workers = await drain(d);

    // Assess: the download failure is raised; neither the expired alarm nor the deleted object's clears
    expect(workers.filter((w) => w.runs === 1)).toHaveLength(1);
    expect(workers.some((w) => !w.complete)).toBe(true);
    expect(eventsOf(d.alarms.published)).toEqual(["raised unreadable s3://certs/big/0003.pem"]);
    expect([...d.alarms.items.values()].map((a) => `${a.check} ${a.source} ${a.status}`).sort()).toEqual([
      "expired s3://certs/big/0003.pem#0 active",
      "unreadable s3://certs/big/0003.pem active",
      "unreadable s3://certs/big/0005.pem active",
    ]);
  });

  it("judges an object as S3 holds it when its deletion's event comes late, after it was uploaded again", async () => {
    // Prepare: the expired certificate is deleted, then uploaded again just as it was
    const d = await scannedOnce();
    d.bucket.objects.delete("big/0003.pem");
    d.bucket.put("big/0003.pem", expired);

    // Act: the events arrive out of order, the deletion's last
    await runCertificateScan(objectEvent("big/0003.pem", "Object Created"), d.deps);
    await runCertificateScan(objectEvent("big/0003.pem", "Object Deleted"), d.deps);

    // Assess: nothing cleared an alarm whose fault S3 still holds
    expect(d.alarms.published).toEqual([]);
    expect([...d.alarms.items.values()].find((a) => a.check === "expired")).toMatchObject({
      status: "active",
    });
  });

  it("rescans a source whose CA bundle changed, through the same path: handed out, settled by its last batch", async () => {
    // Prepare: a clean first run, then the bundle is replaced by a CA that signed none of the certificates
    const d = deployment({ batchSize: 2 });
    d.bucket.put("big/0003.pem", healthy);
    d.bucket.put("big/0005.pem", healthy);
    await runCertificateScan(SCHEDULED_EVENT, d.deps);
    await drain(d);
    d.bucket.put("trust/ca.pem", impostorRoot);

    // Act
    const rescan = await runCertificateScan(CA_BUNDLE_CHANGED, d.deps);
    const beforeWorkers = eventsOf(d.alarms.published);
    await drain(d);

    // Assess
    expect(rescan).toMatchObject({ mode: "object", fannedOut: [{ runId: "run-2", batches: 4, objects: 7 }] });
    expect(d.runs.items.get("run-2")?.record.trigger).toBe("object-change");
    expect(beforeWorkers).toEqual([]);
    expect(eventsOf(d.alarms.published)).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => `raised untrusted-chain s3://certs/big/000${n}.pem#0`),
    );
  });

  it("rescans a source whose CA bundle changed right away when there is no queue", async () => {
    // Prepare
    const d = await scannedOnce();
    d.bucket.put("trust/ca.pem", impostorRoot);

    // Act
    const rescan = await runCertificateScan(CA_BUNDLE_CHANGED, d.deps);

    // Assess: every certificate that still reads is now untrusted; the scan is complete for the source
    expect(rescan).toMatchObject({ mode: "object", runs: 1, complete: true, objects: { downloaded: 7 } });
    expect(eventsOf(d.alarms.published)).toHaveLength(6);
    expect(eventsOf(d.alarms.published).every((e) => e.startsWith("raised untrusted-chain"))).toBe(true);
  });

  it("names a failed scope as its alarms do, settles the other scopes, then fails the invocation", async () => {
    // Prepare: two sources; the first one's trust bundle cannot be fetched at all
    const twoSources = parseConfig({
      certificates: {
        sources: [
          { prefix: "big/", caBundleKey: "trust/ca.pem" },
          { prefix: "other/", expectedHostnames: [HOST] },
        ],
      },
    });
    const d = memoryScan(twoSources);
    d.bucket.put("other/old.pem", expired);
    const load = d.deps.store.load;
    d.deps.store = {
      ...d.deps.store,
      load: async (key, options) => {
        if (key === "trust/ca.pem") throw new Error("socket hang up");
        return load(key, options);
      },
    };

    // Act
    const scan = runCertificateScan(SCHEDULED_EVENT, d.deps);

    // Assess
    await expect(scan).rejects.toThrow("certificate checks failed: s3://certs/big/: Error: socket hang up");
    expect(eventsOf(d.alarms.published)).toEqual(["raised expired s3://certs/other/old.pem#0"]);
  });

  it("hands back for redelivery only the message whose batch failed", async () => {
    // Prepare: a real batch, and one of a run nobody started (its record expired, say)
    const d = deployment({ batchSize: 2 });
    await runCertificateScan(SCHEDULED_EVENT, d.deps);
    const [first] = d.queue.messages;
    const orphan = { messageId: "orphan", body: first!.body.replace('"runId":"run-1"', '"runId":"run-0"') };

    // Act
    const outcome = await runCertificateScan(d.queue.sqsEvent(first!, orphan), d.deps);

    // Assess
    expect(outcome).toMatchObject({
      mode: "batch",
      complete: false,
      batchItemFailures: [{ itemIdentifier: "orphan" }],
    });
    expect(d.runs.items.get("run-1")?.reported).toEqual(new Set([0]));
  });

  it("refuses a scan batch in a deployment without a queue", async () => {
    // Prepare
    const d = deployment();

    // Act
    const outcome = runCertificateScan(
      { Records: [{ messageId: "m", body: "{}", eventSource: "aws:sqs" }] },
      d.deps,
    );

    // Assess
    await expect(outcome).rejects.toThrow("scan batch received, but this deployment has no scan queue");
  });

  it("counts a successful scan when the store was checked completely, and never for a CA bundle's rescan", async () => {
    // Prepare
    const d = deployment({ batchSize: 2 });
    const addMetric = vi.spyOn(metrics, "addMetric");

    // Act
    await runCertificateScan(SCHEDULED_EVENT, d.deps);
    const afterListing = successesCounted(addMetric);
    await drain(d);
    const afterScheduledRun = successesCounted(addMetric);
    await runCertificateScan(CA_BUNDLE_CHANGED, d.deps);
    await drain(d);
    const afterRescan = successesCounted(addMetric);

    // Assess: the lister proves nothing (its source is still being judged); the last batch does
    expect([afterListing, afterScheduledRun, afterRescan]).toEqual([0, 1, 1]);
  });
});
