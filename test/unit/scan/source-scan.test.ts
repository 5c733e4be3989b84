/**
 * The one way a whole source is scanned (scanSource), on in-memory ports: judged where it is
 * listed when there is no queue or it fits in one batch, handed out in batches otherwise, and a
 * listing that breaks off, or a queue that refuses a batch, never passes for a complete scan.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import type { FanOut, StoreScanContext } from "../../../functions/core/scan/ports";
import { scanSource } from "../../../functions/core/scan/source-scan";
import { memoryInventory, memoryQueue, memoryRuns, memoryStore } from "../../support/in-memory-ports";
import { storedChain } from "../../support/pki";

const HOST = "api.prod.example.com";
const config = parseConfig({
  certificates: { sources: [{ prefix: "big/", expectedHostnames: [HOST], caBundleKey: "trust/ca.pem" }] },
});
const source = config.certificates.sources[0]!;

let healthy: string;
let expired: string;
let rootPem: string;
let rootNotBefore: string;

beforeAll(async () => {
  const stored = await storedChain(HOST);
  ({ healthy, expired } = stored);
  rootPem = stored.pki.root.pem;
  rootNotBefore = stored.pki.root.cert.notBefore.toISOString();
});

/** A bucket with the trust bundle and `count` objects under big/, the third one expired. */
function bucketOf(count: number) {
  const bucket = memoryStore();
  bucket.put("trust/ca.pem", rootPem);
  for (let n = 1; n <= count; n++)
    bucket.put(`big/${String(n).padStart(4, "0")}.pem`, n === 3 ? expired : healthy);
  return bucket;
}

function contextOf(bucket: ReturnType<typeof memoryStore>): StoreScanContext {
  return {
    store: bucket.store,
    certificates: config.certificates,
    now: new Date(),
    keystorePassword: async (name) => {
      throw new Error(`no secret ${name} here`);
    },
    fetchEndpoint: async () => ({ ok: false, reason: "unreachable", detail: "none" }),
    inventory: memoryInventory().inventory,
  };
}

function fanOutOf(batchSize: number) {
  const runs = memoryRuns();
  const queue = memoryQueue();
  const fanOut: FanOut = { queue: queue.port, runs: runs.runs, batchSize, newRunId: () => "run-1" };
  return { fanOut, runs, queue };
}

const batchesSent = (queue: ReturnType<typeof memoryQueue>) =>
  queue.messages.map((m) => (JSON.parse(m.body) as { objects: { key: string }[] }).objects.map((o) => o.key));

describe("scanning a whole source", () => {
  it("keeps as many downloads in flight as the download concurrency allows, and no more", async () => {
    // Prepare: every download takes a few milliseconds, as a GetObject waits for its first byte
    const bucket = bucketOf(40);
    let inFlight = 0;
    let most = 0;
    const load = bucket.store.load;
    bucket.store.load = async (key, options) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return load(key, options);
    };
    const ctx = { ...contextOf(bucket), downloadConcurrency: 6 };

    // Act
    const scanned = await scanSource(source, ctx, undefined, "schedule");

    // Assess: before, the scan read 8 at a time whatever it was configured with
    expect(scanned.mode === "inline" && scanned.check.objects).toEqual({ downloaded: 40, reused: 0 });
    expect(most).toBe(6);
  });

  it("judges a source of at most one batch where it is listed: no run, no message", async () => {
    // Prepare
    const bucket = bucketOf(3);
    const { fanOut, runs, queue } = fanOutOf(3);

    // Act
    const scanned = await scanSource(source, contextOf(bucket), fanOut, "schedule");

    // Assess
    expect(scanned.mode).toBe("inline");
    if (scanned.mode !== "inline") return;
    expect(scanned.check.run).toMatchObject({ scope: "s3://certs/big/", complete: true });
    expect(scanned.check.run.findings.map((f) => `${f.check} ${f.source}`)).toEqual([
      "expired s3://certs/big/0003.pem#0",
    ]);
    expect(scanned.check.objects).toEqual({ downloaded: 3, reused: 0 });
    expect(queue.messages).toEqual([]);
    expect(runs.items.size).toBe(0);
  });

  it("hands a source one object larger than a batch out in batches, and seals the run with their number", async () => {
    // Prepare
    const bucket = bucketOf(7);
    const { fanOut, runs, queue } = fanOutOf(3);

    // Act
    const scanned = await scanSource(source, contextOf(bucket), fanOut, "schedule");

    // Assess: nothing judged by the lister, every key in exactly one batch, in listing order
    expect(scanned).toMatchObject({ mode: "fanned-out", runId: "run-1", batches: 3, objects: 7 });
    expect(batchesSent(queue)).toEqual([
      ["big/0001.pem", "big/0002.pem", "big/0003.pem"],
      ["big/0004.pem", "big/0005.pem", "big/0006.pem"],
      ["big/0007.pem"],
    ]);
    expect(bucket.loads).toEqual(["trust/ca.pem"]);
    expect(runs.items.get("run-1")).toMatchObject({
      batches: 3,
      record: { trigger: "schedule", prefix: "big/" },
    });
    expect(await runs.runs.reports("run-1")).toEqual([
      {
        complete: true,
        findings: [],
        certificates: 0,
        // The trust bundle's one certificate and when it starts, for the run's clock check
        trustAnchors: 1,
        earliestNotBefore: rootNotBefore,
        latestNotBefore: rootNotBefore,
        downloaded: 0,
        reused: 0,
        // The trust bundle's version as the lister read it: alarm decisions about it are ordered by it.
        versions: [["s3://certs/trust/ca.pem", expect.stringMatching(/^"[0-9a-f]{32}"$/)]],
      },
    ]);
  });

  it("without a queue judges a source of any size where it is listed", async () => {
    // Prepare: more objects than one judging chunk
    const bucket = bucketOf(250);

    // Act
    const scanned = await scanSource(source, contextOf(bucket), undefined, "schedule");

    // Assess
    expect(scanned.mode).toBe("inline");
    if (scanned.mode !== "inline") return;
    expect(scanned.check.run.complete).toBe(true);
    expect(scanned.check.objects.downloaded).toBe(250);
    expect(scanned.check.run.examinedSources).toHaveLength(251); // the objects and the trust bundle
    expect(scanned.check.certificates.count).toBe(500);
  });

  it("judges what was listed before the listing broke off, and does not pass it for a complete scan", async () => {
    // Prepare
    const bucket = bucketOf(4);
    bucket.faults.listingBreaksAfter = 2;

    // Act
    const scanned = await scanSource(source, contextOf(bucket), undefined, "schedule");

    // Assess
    expect(scanned.mode).toBe("inline");
    if (scanned.mode !== "inline") return;
    expect(scanned.check.run.complete).toBe(false);
    expect(scanned.check.error).toBe(
      "listing s3://certs/big/ broke off: InternalError: We encountered an internal error",
    );
    expect(scanned.check.run.examinedSources).toEqual([
      "s3://certs/big/0001.pem",
      "s3://certs/big/0002.pem",
      "s3://certs/trust/ca.pem",
    ]);
  });

  it("seals a run whose listing broke off as partial, with the batches already sent", async () => {
    // Prepare
    const bucket = bucketOf(6);
    bucket.faults.listingBreaksAfter = 5;
    const { fanOut, runs, queue } = fanOutOf(2);

    // Act
    const scanned = await scanSource(source, contextOf(bucket), fanOut, "schedule");

    // Assess
    expect(scanned).toMatchObject({ mode: "fanned-out", batches: 3, objects: 5 });
    expect(batchesSent(queue).flat()).toHaveLength(5);
    expect(await runs.runs.reports("run-1")).toEqual([
      expect.objectContaining({
        complete: false,
        error: "listing s3://certs/big/ broke off: InternalError: We encountered an internal error",
      }),
    ]);
  });

  it("reports an unreadable trust bundle once, from the lister, for the whole run", async () => {
    // Prepare
    const bucket = bucketOf(5);
    bucket.put("trust/ca.pem", "not a certificate");
    const { fanOut, runs } = fanOutOf(2);

    // Act
    await scanSource(source, contextOf(bucket), fanOut, "schedule");

    // Assess
    const [lister] = await runs.runs.reports("run-1");
    expect(lister?.findings.map((f) => `${f.check} ${f.source}`)).toEqual([
      "unreadable s3://certs/trust/ca.pem",
    ]);
  });

  it("fails when the queue refuses a batch, leaving the run unsealed so that it never settles", async () => {
    // Prepare
    const bucket = bucketOf(5);
    const { fanOut, runs } = fanOutOf(2);
    fanOut.queue = {
      send: async () => {
        throw new Error("scan batch queue: 1 batch(es) not sent (AccessDenied: not authorized)");
      },
    };

    // Act
    const scanned = scanSource(source, contextOf(bucket), fanOut, "schedule");

    // Assess
    await expect(scanned).rejects.toThrow(/AccessDenied/);
    expect(runs.items.get("run-1")?.batches).toBeUndefined();
  });

  it("groups the alarms of a certificate kept in several objects: each object's names the others", async () => {
    // Prepare: the expired file copied to two more keys
    const bucket = bucketOf(4);
    bucket.put("big/0003-copy.pem", expired);
    bucket.put("big/backup/0003.pem", expired);

    // Act
    const scanned = await scanSource(source, contextOf(bucket), undefined, "schedule");

    // Assess: an alarm is about one object (it clears when that object is fixed), so each keeps its
    // own; the healthy intermediate in all three files has no finding anywhere
    if (scanned.mode !== "inline") throw new Error("expected an inline scan");
    const places = [
      "s3://certs/big/0003-copy.pem#0",
      "s3://certs/big/0003.pem#0",
      "s3://certs/big/backup/0003.pem#0",
    ];
    expect(scanned.check.run.findings.map((f) => [f.check, f.source, f.details?.places])).toEqual(
      places.map((place) => ["expired", place, places]),
    );
    expect(
      scanned.check.run.findings.map((f) => f.message.replace(/^.* The same certificate is also at /, "")),
    ).toEqual([
      "s3://certs/big/0003.pem#0, s3://certs/big/backup/0003.pem#0.",
      "s3://certs/big/0003-copy.pem#0, s3://certs/big/backup/0003.pem#0.",
      "s3://certs/big/0003-copy.pem#0, s3://certs/big/0003.pem#0.",
    ]);
  });

  it("blames the scan's clock, not the certificates, when every certificate of the source starts after it", async () => {
    // Prepare: healthy objects judged by a clock six years behind
    const bucket = bucketOf(2);
    bucket.put("big/0002.pem", healthy);
    const ctx = { ...contextOf(bucket), now: new Date("2020-01-01T00:00:00Z") };

    // Act
    const scanned = await scanSource(source, ctx, undefined, "schedule");

    // Assess
    if (scanned.mode !== "inline") throw new Error("expected an inline scan");
    const notYetValid = scanned.check.run.findings.filter((f) => f.check === "not-yet-valid");
    expect(notYetValid.map((f) => [f.source, f.severity, f.details?.likelyCause])).toEqual([
      ["s3://certs/trust/ca.pem#0", "critical", "scanning-clock-behind"],
      ["s3://certs/big/0001.pem#0", "critical", "scanning-clock-behind"],
      ["s3://certs/big/0001.pem#1", "critical", "scanning-clock-behind"],
      ["s3://certs/big/0002.pem#0", "critical", "scanning-clock-behind"],
      ["s3://certs/big/0002.pem#1", "critical", "scanning-clock-behind"],
    ]);
    for (const finding of notYetValid)
      expect(finding.message).toMatch(
        /^Certificate "CN=[^"]+" is not valid until \S+ by this machine's clock\. Every certificate of this scan \(5\) is not valid yet, by .+: the clock of the machine running the scan, which reads 2020-01-01T00:00:00Z, is the likely cause/,
      );
  });
});
