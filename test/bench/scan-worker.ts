/**
 * One measurement in a fresh Node process (so its time and memory are the scan's own, not the
 * orchestrator's or the emulators'), started by test/bench/run.ts with a JSON job as argument.
 * Prints its result as one line `BENCH_RESULT {json}`; anything else it prints (the scan's own
 * warnings) is passed through to the orchestrator's standard error.
 *
 * - `scan`: the real scan handler (`runCertificateScan`, scheduled event) over a source in s3rver,
 *   with the production S3 client, the real alarm store and object inventory on dynalite (fresh
 *   tables), run `scans` times in a row on the unchanged store; GetObject calls counted by an SDK
 *   middleware on the S3 client.
 * - `floor`: the same bytes, held in memory, read and judged with no I/O at all.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { createTable } from "../../bin/local/tables";
import { ALARM_TABLE_KEYS } from "../../functions/adapters/alarm-store";
import { documentClient, dynamoDbClient } from "../../functions/adapters/clients/dynamodb";
import { certificateStoreS3Client } from "../../functions/adapters/clients/s3";
import { SCAN_STATE_TABLE_KEYS } from "../../functions/adapters/object-inventory";
import { type EvaluationPolicy, judgeCertificates } from "../../functions/core/certificates/evaluate";
import { readCertificates } from "../../functions/core/certificates/reader";
import { parseConfig, type WatchpostConfig } from "../../functions/core/config";
import { runCertificateScan } from "../../functions/handlers/certificate-scan";
import { certificateScanDeps } from "../../functions/handlers/certificate-scan/deps";
import { recordingEventBus } from "../support/event-bus";

export interface ScanJob {
  mode: "scan";
  s3Endpoint: string;
  dynamoEndpoint: string;
  bucket: string;
  prefix: string;
  trustKey: string;
  expectedHost: string;
  /** Names of the fresh tables to create. */
  tables: { alarms: string; state: string };
  scans: number;
}

export interface FloorJob {
  mode: "floor";
  /** Written by the orchestrator: all objects' bytes back to back, and where each one is. */
  blobFile: string;
  indexFile: string;
  trustBundleFile: string;
  expectedHost: string;
}

export interface ScanRound {
  ms: number;
  certificates: number;
  findings: number;
  objects: { downloaded: number; reused: number };
  complete: boolean;
  /** GetObject calls for objects under the source, and for the trust bundle. */
  getObject: { certificates: number; trustBundle: number };
  listObjects: number;
  /** CPU time of this process during the scan (user + system). */
  cpuMs: number;
  /**
   * Wall time spent awaiting each port, summed over calls. Inventory and alarm calls are awaited
   * one after another, so theirs is time the scan stood still; loads overlap (several at once).
   */
  waits: { inventoryGet: number; inventoryPut: number; loads: number; alarmStore: number; publish: number };
}

export interface ScanResult {
  mode: "scan";
  rounds: ScanRound[];
  events: number;
  rssBeforeMb: number;
  peakRssMb: number;
  peakHeapMb: number;
  /** Largest heap left after a forced full collection (BENCH_LIVE_HEAP=1 only). */
  liveHeapMb?: number;
}

export interface FloorResult {
  mode: "floor";
  ms: number;
  objects: number;
  certificates: number;
  findings: number;
  unreadable: number;
}

const SCHEDULED = { source: "aws.events", "detail-type": "Scheduled Event", detail: {} };
const REGION = "us-east-1";

function configFor(prefix: string, trustKey: string, host: string): WatchpostConfig {
  return parseConfig({
    certificates: { sources: [{ prefix, expectedHostnames: [host], caBundleKey: trustKey }] },
  });
}

/**
 * Peak heap, sampled: maxRSS comes from the kernel, but the heap has no high-water mark. With
 * BENCH_LIVE_HEAP=1 (the worker then runs with --expose-gc) a full collection every 2 s measures
 * what is actually live, garbage aside; that slows the scan, so it is a diagnosis, not a measure.
 */
function heapSampler() {
  let peak = process.memoryUsage().heapUsed;
  let live = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 100);
  const liveTimer = gc
    ? setInterval(() => {
        gc();
        live = Math.max(live, process.memoryUsage().heapUsed);
      }, 2000)
    : undefined;
  timer.unref();
  liveTimer?.unref();
  return {
    stop() {
      clearInterval(timer);
      clearInterval(liveTimer);
      return { peak: Math.max(peak, process.memoryUsage().heapUsed), live: gc ? live : undefined };
    },
  };
}

/**
 * BENCH_CPU_PROF=DIR: a CPU profile of the measured work alone (not of module loading), written
 * to DIR as `<name>.cpuprofile` for Chrome DevTools or `node test/bench/profile-summary.ts`.
 */
async function startProfile() {
  const directory = process.env.BENCH_CPU_PROF;
  if (!directory) return undefined;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(name: string) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(join(directory, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

async function scan(job: ScanJob): Promise<ScanResult> {
  const config = configFor(job.prefix, job.trustKey, job.expectedHost);
  // The client the scan Lambda uses (bounded timeouts, standard retries, bodies read in retries).
  const s3 = certificateStoreS3Client({
    endpoint: job.s3Endpoint,
    region: REGION,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  const counts = { certificates: 0, trustBundle: 0, lists: 0 };
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "GetObjectCommand") {
        const key = (args.input as { Key?: string }).Key;
        if (key === job.trustKey) counts.trustBundle++;
        else counts.certificates++;
      } else if (context.commandName === "ListObjectsV2Command") counts.lists++;
      return next(args);
    },
    { step: "initialize", name: "benchCountRequests" },
  );
  const dynamo = dynamoDbClient({
    endpoint: job.dynamoEndpoint,
    region: REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  await createTable(dynamo, job.tables.alarms, ALARM_TABLE_KEYS);
  await createTable(dynamo, job.tables.state, SCAN_STATE_TABLE_KEYS);
  const bus = recordingEventBus();
  // Wired as the deployed function wires itself, without a queue: the whole source in one invocation.
  const deps = certificateScanDeps({
    config,
    clients: { s3, dynamo: documentClient(dynamo), eventBridge: bus.client },
    bucket: job.bucket,
    alarmTable: job.tables.alarms,
    eventBusName: "watchpost",
    scanStateTable: job.tables.state,
    secrets: { read: async () => "" },
  });

  const waits = { inventoryGet: 0, inventoryPut: 0, loads: 0, alarmStore: 0, publish: 0 };
  const timed =
    <A extends unknown[], R>(field: keyof typeof waits, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        return await fn(...args);
      } finally {
        waits[field] += performance.now() - started;
      }
    };
  const inventory = deps.inventory!;
  deps.inventory = { get: timed("inventoryGet", inventory.get), put: timed("inventoryPut", inventory.put) };
  const store = deps.store;
  deps.store = { ...store, load: timed("loads", store.load) };
  const alarmStore = deps.alarms.store;
  deps.alarms.store = {
    ...alarmStore,
    load: timed("alarmStore", alarmStore.load),
    get: timed("alarmStore", alarmStore.get),
    decide: timed("alarmStore", alarmStore.decide),
    forget: timed("alarmStore", alarmStore.forget),
    countActive: timed("alarmStore", alarmStore.countActive),
  };
  const publisher = deps.alarms.publisher;
  deps.alarms.publisher = { ...publisher, publish: timed("publish", publisher.publish) };

  const rssBefore = process.memoryUsage().rss;
  const heap = heapSampler();
  const rounds: ScanRound[] = [];
  for (let i = 0; i < job.scans; i++) {
    Object.assign(counts, { certificates: 0, trustBundle: 0, lists: 0 });
    for (const field of Object.keys(waits) as (keyof typeof waits)[]) waits[field] = 0;
    const profiler = await startProfile();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const outcome = await runCertificateScan(SCHEDULED, deps);
    const cpuUsed = process.cpuUsage(cpu);
    await profiler?.stop(`scan-${job.prefix.replaceAll("/", "_")}-${i + 1}`);
    rounds.push({
      ms: performance.now() - started,
      certificates: outcome.certificates,
      findings: outcome.findings,
      objects: outcome.objects,
      complete: outcome.complete,
      getObject: { certificates: counts.certificates, trustBundle: counts.trustBundle },
      listObjects: counts.lists,
      cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
      waits: Object.fromEntries(
        Object.entries(waits).map(([k, v]) => [k, Math.round(v)]),
      ) as ScanRound["waits"],
    });
  }
  const heapUse = heap.stop();
  s3.destroy();
  dynamo.destroy();
  return {
    mode: "scan",
    rounds,
    events: bus.sent.length,
    rssBeforeMb: mb(rssBefore),
    // ru_maxrss is in kilobytes on Linux.
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    peakHeapMb: mb(heapUse.peak),
    ...(heapUse.live !== undefined ? { liveHeapMb: mb(heapUse.live) } : {}),
  };
}

async function floor(job: FloorJob): Promise<FloorResult> {
  const blob = readFileSync(job.blobFile);
  const index = JSON.parse(readFileSync(job.indexFile, "utf8")) as [string, number, number][];
  // Every object as its own buffer, as a download would hand it over, before the clock starts.
  const objects = index.map(([uri, offset, length]) => ({
    uri,
    bytes: new Uint8Array(blob.subarray(offset, offset + length)),
  }));
  const anchors = await readCertificates(readFileSync(job.trustBundleFile), "trust bundle");
  if (anchors.status !== "ok") throw new Error("bench: the trust bundle does not read");
  const { thresholds } = configFor("x/", "trust.pem", job.expectedHost).certificates;
  const policy: EvaluationPolicy = {
    now: new Date(),
    warnDays: thresholds.warnDays,
    majorDays: thresholds.majorDays,
    skewSeconds: thresholds.skewSeconds,
    expectedHosts: [job.expectedHost],
    trustAnchors: anchors.certificates,
  };
  let certificates = 0;
  let findings = 0;
  let unreadable = 0;
  const profiler = await startProfile();
  const started = performance.now();
  for (const { uri, bytes } of objects) {
    const read = await readCertificates(bytes, uri);
    if (read.status !== "ok") {
      unreadable++;
      continue;
    }
    certificates += read.certificates.length;
    findings += judgeCertificates(read.certificates, policy).findings.length;
  }
  const ms = performance.now() - started;
  await profiler?.stop("floor");
  return {
    mode: "floor",
    ms,
    objects: objects.length,
    certificates,
    findings,
    unreadable,
  };
}

const job = JSON.parse(process.argv[2] ?? "{}") as ScanJob | FloorJob;
const result = job.mode === "scan" ? await scan(job) : await floor(job);
process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
