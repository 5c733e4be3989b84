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
 * - `floor`: the same bytes, held in memory, read and judged with no I/O at all; then node:crypto's
 *   bare X509Certificate on the same certificates, as PEM (the native rate the floor is held to).
 *
 * A job with `startTogether` prints `BENCH_READY` once set up and waits for a line on its
 * standard input before it starts, so that concurrent workers scan at the same time.
 */
import { type KeyObject, X509Certificate } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { getHeapStatistics } from "node:v8";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
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
  /** One configured source per prefix, each with the trust bundle; scanned one after another. */
  prefixes: string[];
  trustKey: string;
  expectedHost: string;
  /** Names of the fresh tables to create. */
  tables: { alarms: string; state: string };
  scans: number;
  /** operations.scanDownloadConcurrency; default: the configuration's default. */
  downloadConcurrency?: number;
  /** Name of the CPU profile (BENCH_CPU_PROF). */
  label: string;
  /** Wait for a line on standard input before scanning (see the module comment). */
  startTogether?: boolean;
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
  /** Wall-clock start and end (epoch ms), to line up concurrent workers. */
  startedAt: number;
  endedAt: number;
  certificates: number;
  findings: number;
  objects: { downloaded: number; reused: number };
  complete: boolean;
  /** GetObject calls for objects under the source, and for the trust bundle. */
  getObject: { certificates: number; trustBundle: number };
  listObjects: number;
  /** CPU time of this process during the scan (user + system), all its threads. */
  cpuMs: number;
  /**
   * The same CPU split by thread (Linux, /proc/self/task): the main thread, which runs the
   * JavaScript, and the others (V8's garbage-collector and compiler workers, libuv's pool; with
   * BENCH_CPU_PROF also the profiler's sampling thread). A CPU profile samples the main thread
   * only. Absent where /proc is not.
   */
  cpuByThread?: { mainMs: number; otherMs: number };
  /** The process's CPU (ms) when the n-th object's GetObject was sent, every 1,000 objects. */
  cpuAtDownloads: { downloads: number; cpuMs: number }[];
  /**
   * Context switches during the scan: voluntary ones are the times the process waited for I/O
   * (each a wake-up of the event loop), involuntary ones the times the kernel gave its core to
   * another process.
   */
  contextSwitches: { voluntary: number; involuntary: number };
  /** Inventory records written, and alarm-table writes (saves) made. */
  writes: { inventoryRecords: number; alarmSaves: number };
  /**
   * Wall time spent awaiting each port, summed over calls. Inventory and alarm calls are awaited
   * one after another, so theirs is time the scan stood still; loads overlap (several at once).
   */
  waits: { inventoryGet: number; inventoryPut: number; loads: number; alarmStore: number; publish: number };
}

export interface ScanResult {
  mode: "scan";
  /** The download concurrency the scan ran with. */
  downloadConcurrency: number;
  rounds: ScanRound[];
  events: number;
  rssBeforeMb: number;
  peakRssMb: number;
  peakHeapMb: number;
  /** Largest heap left after a forced full collection (BENCH_LIVE_HEAP=1 only). */
  liveHeapMb?: number;
  /**
   * The inventory items the scans left, sized as DynamoDB bills them (attribute names and values),
   * in write request units (1 KB each) and eventually consistent read units (0.5 per 4 KB).
   */
  inventoryItems: { count: number; averageBytes: number; writeUnits: number; readUnits: number };
}

export interface FloorResult {
  mode: "floor";
  ms: number;
  /** CPU time the process spent meanwhile (all its threads: the collector's too). */
  cpuMs: number;
  objects: number;
  certificates: number;
  findings: number;
  unreadable: number;
  /** node:crypto alone on the same certificates: `new X509Certificate(pem)`, subject, SAN, key details. */
  native: Pass;
  /**
   * (a′), the native floor: the native work no engine that verifies chains avoids, in the same turns
   * on the same certificates: `new X509Certificate(pem)`, key details, the SHA-256 fingerprint, and
   * one signature verification per certificate not met before (by its issuer's key).
   */
  nativeFloor: Pass & { verifications: number };
  /** asn1js decoding the same certificates: the copy the engine loads, and asn1js 4 (see asn1Decoders). */
  asn1js: Asn1jsComparison;
  /** Objects each pass ran first, untimed, to warm the JIT (ones the timed pass reaches last). */
  warmUpObjects: number;
}

const SCHEDULED = { source: "aws.events", "detail-type": "Scheduled Event", detail: {} };
const REGION = "us-east-1";

function configFor(
  prefixes: string[],
  trustKey: string,
  host: string,
  downloadConcurrency?: number,
): WatchpostConfig {
  return parseConfig({
    certificates: {
      sources: prefixes.map((prefix) => ({ prefix, expectedHostnames: [host], caBundleKey: trustKey })),
    },
    ...(downloadConcurrency !== undefined
      ? { operations: { scanDownloadConcurrency: downloadConcurrency } }
      : {}),
  });
}

/** With `startTogether`: says it is ready, then waits for the word to start. */
async function startSignal(job: ScanJob): Promise<void> {
  if (!job.startTogether) return;
  process.stdout.write("BENCH_READY\n");
  await new Promise<void>((resolve) => {
    createInterface({ input: process.stdin }).once("line", () => resolve());
  });
}

/**
 * Peak heap, sampled: maxRSS comes from the kernel, but the heap has no high-water mark. With
 * BENCH_LIVE_HEAP=1 (the worker then runs with --expose-gc) a full collection every 2 s measures
 * what is actually live, garbage aside; that slows the scan, so it is a diagnosis, not a measure.
 * The heap is read from V8 alone: `process.memoryUsage()` also reads the resident size from /proc,
 * which on this loaded machine cost 0.5 % of a scan's CPU profile at ten reads a second, billed to
 * the scan it measures.
 */
const heapUsed = () => getHeapStatistics().used_heap_size;

function heapSampler() {
  let peak = heapUsed();
  let live = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const timer = setInterval(() => {
    peak = Math.max(peak, heapUsed());
  }, 100);
  const liveTimer = gc
    ? setInterval(() => {
        gc();
        live = Math.max(live, heapUsed());
      }, 2000)
    : undefined;
  timer.unref();
  liveTimer?.unref();
  return {
    stop() {
      clearInterval(timer);
      clearInterval(liveTimer);
      return { peak: Math.max(peak, heapUsed()), live: gc ? live : undefined };
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

/** CPU time (ms) of each of this process's threads, by thread id; empty where /proc is not. */
function threadCpuMs(): Map<string, number> {
  const threads = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return threads;
  }
  const tick = 10; // USER_HZ is 100 on Linux: utime and stime are in hundredths of a second
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      threads.set(task, (Number(fields[11]) + Number(fields[12])) * tick);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return threads;
}

function cpuByThreadSince(before: Map<string, number>): ScanRound["cpuByThread"] {
  const after = threadCpuMs();
  if (after.size === 0) return undefined;
  let mainMs = 0;
  let otherMs = 0;
  for (const [task, ms] of after) {
    const used = ms - (before.get(task) ?? 0);
    if (task === String(process.pid)) mainMs += used;
    else otherMs += used;
  }
  return { mainMs, otherMs };
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

async function scan(job: ScanJob): Promise<ScanResult> {
  const config = configFor(job.prefixes, job.trustKey, job.expectedHost, job.downloadConcurrency);
  // The client the scan Lambda uses (bounded timeouts, standard retries, bodies read in retries).
  const s3 = certificateStoreS3Client({
    endpoint: job.s3Endpoint,
    region: REGION,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  const counts = { certificates: 0, trustBundle: 0, lists: 0 };
  let cpuAtDownloads: ScanRound["cpuAtDownloads"] = [];
  let cpuStarted = process.cpuUsage();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "GetObjectCommand") {
        const key = (args.input as { Key?: string }).Key;
        if (key === job.trustKey) counts.trustBundle++;
        else {
          counts.certificates++;
          if (counts.certificates % 1000 === 0) {
            const used = process.cpuUsage(cpuStarted);
            cpuAtDownloads.push({ downloads: counts.certificates, cpuMs: (used.user + used.system) / 1000 });
          }
        }
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
  const writes = { inventoryRecords: 0, alarmSaves: 0 };
  const inventory = deps.inventory!;
  const put = timed("inventoryPut", inventory.put);
  deps.inventory = {
    get: timed("inventoryGet", inventory.get),
    put: (records) => {
      writes.inventoryRecords += records.length;
      return put(records);
    },
  };
  const store = deps.store;
  deps.store = { ...store, load: timed("loads", store.load) };
  const alarmStore = deps.alarms.store;
  const decideTimed = timed("alarmStore", alarmStore.decide);
  deps.alarms.store = {
    ...alarmStore,
    load: timed("alarmStore", alarmStore.load),
    get: timed("alarmStore", alarmStore.get),
    // Each decision is one conditional write of one alarm (issue 13's settlement).
    decide: (...args: Parameters<typeof alarmStore.decide>) => {
      writes.alarmSaves++;
      return decideTimed(...args);
    },
    forget: timed("alarmStore", alarmStore.forget),
    countActive: timed("alarmStore", alarmStore.countActive),
  };
  const publisher = deps.alarms.publisher;
  deps.alarms.publisher = { ...publisher, publish: timed("publish", publisher.publish) };

  await startSignal(job);
  const rssBefore = process.memoryUsage().rss;
  const heap = heapSampler();
  const rounds: ScanRound[] = [];
  for (let i = 0; i < job.scans; i++) {
    Object.assign(counts, { certificates: 0, trustBundle: 0, lists: 0 });
    Object.assign(writes, { inventoryRecords: 0, alarmSaves: 0 });
    for (const field of Object.keys(waits) as (keyof typeof waits)[]) waits[field] = 0;
    cpuAtDownloads = [];
    const profiler = await startProfile();
    const threadsBefore = threadCpuMs();
    const usageBefore = process.resourceUsage();
    const cpu = process.cpuUsage();
    cpuStarted = cpu;
    const startedAt = Date.now();
    const started = performance.now();
    const outcome = await runCertificateScan(SCHEDULED, deps);
    const ms = performance.now() - started;
    const endedAt = Date.now();
    const cpuUsed = process.cpuUsage(cpu);
    const cpuByThread = cpuByThreadSince(threadsBefore);
    const usageAfter = process.resourceUsage();
    await profiler?.stop(`scan-${job.label}-${i + 1}`);
    rounds.push({
      ms,
      startedAt,
      endedAt,
      certificates: outcome.certificates,
      findings: outcome.findings,
      objects: outcome.objects,
      complete: outcome.complete,
      getObject: { certificates: counts.certificates, trustBundle: counts.trustBundle },
      listObjects: counts.lists,
      writes: { ...writes },
      cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
      ...(cpuByThread ? { cpuByThread } : {}),
      cpuAtDownloads,
      contextSwitches: {
        voluntary: usageAfter.voluntaryContextSwitches - usageBefore.voluntaryContextSwitches,
        involuntary: usageAfter.involuntaryContextSwitches - usageBefore.involuntaryContextSwitches,
      },
      waits: Object.fromEntries(
        Object.entries(waits).map(([k, v]) => [k, Math.round(v)]),
      ) as ScanRound["waits"],
    });
  }
  const heapUse = heap.stop();
  const inventoryItems = await inventorySizes(documentClient(dynamo), job.tables.state);
  s3.destroy();
  dynamo.destroy();
  return {
    mode: "scan",
    downloadConcurrency: config.operations.scanDownloadConcurrency,
    rounds,
    events: bus.sent.length,
    rssBeforeMb: mb(rssBefore),
    // ru_maxrss is in kilobytes on Linux.
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    peakHeapMb: mb(heapUse.peak),
    ...(heapUse.live !== undefined ? { liveHeapMb: mb(heapUse.live) } : {}),
    inventoryItems,
  };
}

/** An item's size as DynamoDB counts it: each attribute's name and value (docs: "Item sizes"). */
function itemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (typeof value === "string") bytes += Buffer.byteLength(value);
    else if (value instanceof Uint8Array) bytes += value.byteLength;
    else if (typeof value === "number")
      bytes += Math.ceil(String(value).replace(/^-|\./g, "").length / 2) + 1;
    else bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}

async function inventorySizes(client: ReturnType<typeof documentClient>, table: string) {
  let count = 0;
  let bytes = 0;
  let writeUnits = 0;
  let readUnits = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      if (item.sk !== "inventory") continue;
      const size = itemBytes(item);
      count++;
      bytes += size;
      writeUnits += Math.ceil(size / 1024);
      readUnits += Math.ceil(size / 4096) / 2;
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return {
    count,
    averageBytes: count > 0 ? Math.round(bytes / count) : 0,
    writeUnits: count > 0 ? writeUnits / count : 0,
    readUnits: count > 0 ? readUnits / count : 0,
  };
}

/** Objects read before each timed pass, untimed: the last ones, which the timed pass reaches last. */
const WARM_UP_OBJECTS = 300;

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
  const { thresholds } = configFor(["x/"], "trust.pem", job.expectedHost).certificates;
  const policy: EvaluationPolicy = {
    now: new Date(),
    warnDays: thresholds.warnDays,
    majorDays: thresholds.majorDays,
    skewSeconds: thresholds.skewSeconds,
    expectedHosts: [job.expectedHost],
    trustAnchors: anchors.certificates,
  };
  // Untimed, on certificates the timed pass meets last: by then they have left the engine's
  // bounded caches of decoded certificates (which would otherwise make them free).
  const warmUp = objects.slice(-WARM_UP_OBJECTS);
  const warmUpDers: Uint8Array[] = [];
  for (const { uri, bytes } of warmUp) {
    const read = await readCertificates(bytes, uri);
    if (read.status !== "ok") continue;
    judgeCertificates(read.certificates, policy);
    for (const cert of read.certificates) warmUpDers.push(cert.der);
  }
  // node:crypto's warm-up: the same certificates, untimed.
  nativePass(asPem(warmUpDers));
  let certificates = 0;
  let findings = 0;
  let unreadable = 0;
  let ms = 0;
  let cpuMs = 0;
  const native: Pass = { ms: 0, cpuMs: 0, certificates: 0 };
  const nativeFloor = { ms: 0, cpuMs: 0, certificates: 0, verifications: 0 };
  const issuerKeys = new Map(anchors.certificates.map((cert) => [cert.node.subject, cert.node.publicKey]));
  const verified = new Set<string>();
  const nativeFloorOf = (pems: readonly string[]) => {
    const pass = nativeFloorPass(pems, issuerKeys, verified);
    addTo(nativeFloor, pass);
    nativeFloor.verifications += pass.verifications;
  };
  nativeFloorPass(asPem(warmUpDers), issuerKeys, new Set());
  // The two are timed in turns, a slice of objects at a time, so that a change in the machine's
  // load (other work shares it) weighs on both alike and their ratio holds. With BENCH_CPU_PROF
  // the profile is of the floor alone and node:crypto runs after it.
  const profiler = await startProfile();
  const later: Uint8Array[] = [];
  for (let at = 0; at < objects.length; at += SLICE_OBJECTS) {
    const ders: Uint8Array[] = [];
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    for (const { uri, bytes } of objects.slice(at, at + SLICE_OBJECTS)) {
      const read = await readCertificates(bytes, uri);
      if (read.status !== "ok") {
        unreadable++;
        continue;
      }
      certificates += read.certificates.length;
      for (const cert of read.certificates) ders.push(cert.der);
      findings += judgeCertificates(read.certificates, policy).findings.length;
    }
    ms += performance.now() - started;
    cpuMs += cpuMsSince(cpuStarted);
    if (profiler) later.push(...ders);
    else {
      const pems = asPem(ders);
      addTo(native, nativePass(pems));
      nativeFloorOf(pems);
    }
  }
  await profiler?.stop("floor");
  if (profiler) {
    addTo(native, nativePass(asPem(later)));
    nativeFloorOf(asPem(later));
  }
  if (nativeFloor.verifications === 0) throw new Error("bench: the native floor verified nothing");
  const asn1js = compareAsn1js(warmUpDers);
  return {
    mode: "floor",
    ms,
    cpuMs,
    objects: objects.length,
    certificates,
    findings,
    unreadable,
    native,
    nativeFloor,
    asn1js,
    warmUpObjects: WARM_UP_OBJECTS,
  };
}

/** Objects per turn of the floor and node:crypto (see floor). */
const SLICE_OBJECTS = 100;

interface Pass {
  ms: number;
  cpuMs: number;
  certificates: number;
}

function addTo(total: Pass, pass: Pass) {
  total.ms += pass.ms;
  total.cpuMs += pass.cpuMs;
  total.certificates += pass.certificates;
}

function cpuMsSince(started: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

function asPem(ders: readonly Uint8Array[]): string[] {
  return ders.map(
    (der) =>
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
        .toString("base64")
        .replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`,
  );
}

/**
 * node:crypto's X509Certificate on the same certificates as PEM text (what `openssl x509` and most
 * tools read), with the fields a check needs at the least: subject, subjectAltName, key details.
 */
function nativePass(pems: readonly string[]): Pass {
  let fields = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (const pem of pems) {
    const cert = new X509Certificate(pem);
    fields += cert.subject.length + (cert.subjectAltName?.length ?? 0);
    fields += Object.keys(cert.publicKey.asymmetricKeyDetails ?? {}).length;
  }
  const ms = performance.now() - started;
  const cpuMs = cpuMsSince(cpuStarted);
  if (pems.length > 0 && fields === 0) throw new Error("bench: node:crypto read nothing");
  return { ms, cpuMs, certificates: pems.length };
}

/**
 * (a′): what node:crypto must do for every certificate an engine judges — parse it, read its key
 * (whose details the weak-crypto check reads), hash it for its fingerprint — and, once per
 * certificate not met before, verify its signature with its issuer's key (the store's issuing CA
 * and root are in the trust bundle). The floor does all of it, and what node:crypto does not.
 */
function nativeFloorPass(
  pems: readonly string[],
  issuerKeys: ReadonlyMap<string, KeyObject>,
  verified: Set<string>,
): Pass & { verifications: number } {
  let verifications = 0;
  let fields = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (const pem of pems) {
    const cert = new X509Certificate(pem);
    fields += Object.keys(cert.publicKey.asymmetricKeyDetails ?? {}).length;
    const fingerprint = cert.fingerprint256;
    if (verified.has(fingerprint)) continue;
    verified.add(fingerprint);
    const issuerKey = issuerKeys.get(cert.issuer);
    if (issuerKey && cert.verify(issuerKey)) verifications += 1;
  }
  const ms = performance.now() - started;
  const cpuMs = cpuMsSince(cpuStarted);
  if (pems.length > 0 && fields === 0) throw new Error("bench: node:crypto read no key");
  return { ms, cpuMs, certificates: pems.length, verifications };
}

export interface Asn1jsComparison {
  /** The version @peculiar/asn1-schema loads: what the engine decodes with. */
  engineVersion: string;
  engine: Pass;
  /** asn1js 4 (the tests' PKI builder, pkijs, uses it), on the same certificates in the same turns. */
  v4Version: string;
  v4: Pass;
}

/**
 * asn1js `fromBER` of the same certificates with the copy the engine loads and with asn1js 4, in
 * turns: an update of @peculiar/asn1-schema onto asn1js 4 would show here as the ratio moving.
 */
function compareAsn1js(ders: readonly Uint8Array[]): Asn1jsComparison {
  const here = createRequire(import.meta.url);
  const fromSchema = createRequire(here.resolve("@peculiar/asn1-schema"));
  const load = (require: NodeJS.Require) => ({
    module: require("asn1js") as { fromBER: (bytes: Uint8Array) => { offset: number } },
    version: (JSON.parse(readFileSync(require.resolve("asn1js/package.json"), "utf8")) as { version: string })
      .version,
  });
  const engine = load(fromSchema);
  const v4 = load(here);
  const decodeAll = (decoder: typeof engine.module): Pass => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    for (const der of ders) {
      if (decoder.fromBER(der).offset === -1) throw new Error("bench: asn1js refused a certificate");
    }
    return { ms: performance.now() - started, cpuMs: cpuMsSince(cpuStarted), certificates: ders.length };
  };
  decodeAll(engine.module);
  decodeAll(v4.module);
  const totals = { engine: { ms: 0, cpuMs: 0, certificates: 0 }, v4: { ms: 0, cpuMs: 0, certificates: 0 } };
  for (let turn = 0; turn < 5; turn += 1) {
    addTo(totals.engine, decodeAll(engine.module));
    addTo(totals.v4, decodeAll(v4.module));
  }
  return { engineVersion: engine.version, engine: totals.engine, v4Version: v4.version, v4: totals.v4 };
}

const job = JSON.parse(process.argv[2] ?? "{}") as ScanJob | FloorJob;
const result = job.mode === "scan" ? await scan(job) : await floor(job);
process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
