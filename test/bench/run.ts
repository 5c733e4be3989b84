/**
 * `npm run bench`: watchpost's speed and memory, measured on this machine with no AWS account,
 * in a few minutes. Writes docs/benchmarks.md and prints one JSON line, the last line of its
 * standard output. Progress goes to standard error.
 *
 * Phases (each measurement runs in a fresh Node process, see scan-worker.ts; s3rver and dynalite
 * run in processes of their own, see emulator.ts):
 * 1. a store of 10,000 certificate objects is generated (corpus.ts) into s3rver;
 * 2. end to end: the scan handler's first scan of it (fresh tables), then a second scan of the
 *    unchanged store (incremental: no downloads);
 * 3. floor: the same bytes, in memory, read and judged with no I/O, timed in turns with
 *    node:crypto's bare X509Certificate on the same certificates (the native rate);
 * 4. latency: first scans through a front that holds every S3 request 30 ms (emulator.ts), at the
 *    configured download concurrency, half and twice it; then the same store split over 1, 2 and 4
 *    scan processes at once (fan-out);
 * 5. the shell habit `openssl x509 -noout -dates -in FILE`, one process per file, on a sample;
 * 6. peak memory: 40,000 more objects, and a first scan of all 50,000 in a fresh process;
 * 7. the three Lambda bundles as the stack builds them: bytes and cold import time;
 * 8. the certificate page: one widget refresh for 100,000 certificates (page.ts);
 * 9. the command line's start-up: `watchpost --help` from the built single-file artifact
 *    (`npm run build`, scripts/build-host-cli.ts) and from `npm run cli` (startup.ts);
 * 10. findings before and after: the engine's outputs on the fixed corpus of test/engine-baseline
 *    (the conformance cases among them) against the baseline recorded before the reader changed.
 *
 * Options: --objects N (10000), --peak-objects N (50000, 0 skips phase 6), --openssl-sample N (300),
 * --page-certificates N (100000, 0 skips phase 8),
 * --out FILE (docs/benchmarks.md; "-" writes none), --results FILE (also writes everything measured,
 * as JSON), --render FILE (measures nothing: writes --out and the JSON line from a --results file,
 * for when only the explanations in report.ts changed).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { getHeapStatistics } from "node:v8";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DEFAULT_SCAN_DOWNLOAD_CONCURRENCY } from "../../functions/core/config/operations";
import { buildHostCli } from "../../scripts/build-host-cli";
import { differences, loadBaseline } from "../engine-baseline/compare";
import { functionMemoryMb, measureBundles } from "./bundles";
import { type CorpusObject, generateObjects, HOST, makePki } from "./corpus";
import { measurePage } from "./page";
import { cpuSecondsOf, runWorker, startEmulator, startWorker, stopEmulator } from "./processes";
import { renderReport } from "./report";
import type { FloorResult, ScanResult } from "./scan-worker";
import { measure } from "./startup";
import {
  type BenchResults,
  type EngineBaselineResult,
  type FanOutRun,
  type LatencyRun,
  type Machine,
  type Options,
  type Seeded,
  summarize,
} from "./summary";

const BUCKET = "watchpost-bench";
/**
 * V8 sizes its old space from the machine's memory, about a quarter of it (capped at 4 GB): the
 * peak-memory scan runs with the limit Node would pick on the scan function's Lambda, not the one
 * it picks on this machine, where a lazily collected heap would measure the machine, not the scan.
 */
const V8_MEMORY_PER_OLD_SPACE = 4;
const TRUST_KEY = "trust/ca.pem";
/** The 10,000 objects, and (phase 5) the rest of the 50,000 next to them. */
const MAIN_PREFIX = "fleet/a/";
const EXTRA_PREFIX = "fleet/b/";
const PEAK_PREFIX = "fleet/";
/** Time to first byte the latency front adds to every S3 request. */
const LATENCY_MS = 30;
/** Folders of 1,000 objects (generateObjects' layout) the latency scans and the fan-out read. */
const LATENCY_FOLDERS = 2;
const FAN_OUT_FOLDERS = 4;
const FAN_OUT_WORKERS = [1, 2, 4];
/** Runs of `watchpost --help` from the artifact (phase 9); the fastest is held to the target. */
const CLI_RUNS = 9;

function options(argv: string[]): Options {
  const value = (name: string, fallback: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 && argv[at + 1] !== undefined ? (argv[at + 1] as string) : fallback;
  };
  return {
    objects: Number(value("objects", "10000")),
    peakObjects: Number(value("peak-objects", "50000")),
    peakHeapMb: argv.includes("--peak-heap-mb") ? Number(value("peak-heap-mb", "0")) : undefined,
    opensslSample: Number(value("openssl-sample", "300")),
    pageCertificates: Number(value("page-certificates", "100000")),
    out: value("out", "docs/benchmarks.md"),
    results: value("results", ""),
    render: value("render", ""),
  };
}

const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function machine(): Machine {
  const cpuList = cpus();
  const openssl = execFileSync("openssl", ["version"], { encoding: "utf8" }).trim();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      encoding: "utf8",
    }).trim();
    if (dirty) commit += " (with uncommitted changes)";
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    memoryGb: round(totalmem() / 1024 ** 3),
    freeMemoryGb: round(freemem() / 1024 ** 3),
    os: `${process.platform} ${release()}`,
    node: process.version,
    openssl,
    commit,
    loadAverageAtStart: loadavg().map((l) => round(l, 2)),
  };
}

/**
 * Puts generated objects into s3rver's store by writing the files its filesystem store keeps per
 * object (`<key>._S3rver_object` and the `.md5` that becomes the ETag; s3rver 3.7.1,
 * lib/stores/filesystem.js), which is many times faster than 50,000 PutObject calls through its
 * HTTP front end. The scan then lists and reads them through the S3 API like any other object;
 * `verifySeeded` checks a sample that way. `keep` sees every object on the way.
 */
function seed(bucketDir: string, objects: Iterable<CorpusObject>, keep: (o: CorpusObject) => void): Seeded {
  const tally: Seeded = { objects: 0, certificates: 0, findingsExpected: 0, byKind: {} };
  const made = new Set<string>();
  for (const object of objects) {
    keep(object);
    tally.objects++;
    tally.certificates += object.certificates;
    if (object.health !== "healthy") tally.findingsExpected++;
    tally.byKind[object.kind] = (tally.byKind[object.kind] ?? 0) + 1;
    const path = join(bucketDir, `${object.key}._S3rver_object`);
    const directory = dirname(path);
    if (!made.has(directory)) {
      mkdirSync(directory, { recursive: true });
      made.add(directory);
    }
    writeFileSync(path, object.bytes);
    writeFileSync(`${path}.md5`, createHash("md5").update(object.bytes).digest("hex"));
  }
  return tally;
}

/** A sample of seeded objects read back through the S3 API: same bytes, ETag the MD5 of them. */
async function verifySeeded(client: S3Client, sample: CorpusObject[]): Promise<void> {
  for (const object of sample) {
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: object.key }));
    const bytes = await got.Body?.transformToByteArray();
    const md5 = createHash("md5").update(object.bytes).digest("hex");
    if (!bytes || !Buffer.from(bytes).equals(Buffer.from(object.bytes)) || got.ETag !== `"${md5}"`)
      throw new Error(`bench: s3rver does not serve ${object.key} as seeded`);
  }
}

/** `openssl x509 -noout -dates -in FILE`, one process per file, as a shell loop runs it. */
function opensslLoop(directory: string, files: number): { ms: number; certificates: number } {
  const script = `for f in "$1"/*; do case "$f" in *.der) openssl x509 -inform DER -noout -dates -in "$f";; *) openssl x509 -noout -dates -in "$f";; esac; done`;
  const started = performance.now();
  const out = execFileSync("bash", ["-c", script, "bash", directory], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const ms = performance.now() - started;
  const certificates = out.split("\n").filter((l) => l.startsWith("notAfter=")).length;
  if (certificates !== files) throw new Error(`openssl loop read ${certificates} of ${files} files`);
  return { ms, certificates };
}

/** The V8 heap limit Node picks on the scan function's memory (a quarter of it). */
function lambdaHeapMb(): number {
  return Math.floor((functionMemoryMb()["certificate-scan"] ?? 1024) / V8_MEMORY_PER_OLD_SPACE);
}

/** The folders of generateObjects' layout under `prefix` holding the first `count` objects. */
function folders(prefix: string, available: number, count: number): string[] {
  const total = Math.min(count, Math.ceil(available / 1000));
  return Array.from({ length: total }, (_, i) => `${prefix}d${String(i).padStart(3, "0")}/`);
}

function report(results: BenchResults, opts: Options) {
  // Everything measured is kept first: a page that fails to render can be rendered again from it.
  if (opts.results) writeFileSync(opts.results, `${JSON.stringify(results)}\n`);
  const summary = summarize(results);
  if (opts.out !== "-") writeFileSync(opts.out, renderReport(results, summary));
  log(`done in ${results.totalSeconds} s${opts.out !== "-" ? `; wrote ${opts.out}` : ""}`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

async function main() {
  const opts = options(process.argv.slice(2));
  if (opts.render) {
    report(JSON.parse(readFileSync(opts.render, "utf8")) as BenchResults, { ...opts, results: "" });
    return;
  }
  const began = performance.now();
  const info = machine();
  log(`${info.cpu}, ${info.cores} cores, load ${info.loadAverageAtStart.join(" ")}`);
  const work = mkdtempSync(join(tmpdir(), "watchpost-bench-"));
  const s3Dir = join(work, "s3rver");
  mkdirSync(s3Dir);
  const [s3, dynamo] = await Promise.all([startEmulator("s3", s3Dir, LATENCY_MS), startEmulator("dynamo")]);
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 3,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  try {
    // 1. The store.
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const pki = await makePki();
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: TRUST_KEY, Body: pki.trustBundle }));
    const trustBundleFile = join(work, "trust.pem");
    writeFileSync(trustBundleFile, pki.trustBundle);
    const blobs: Buffer[] = [];
    const index: [string, number, number][] = [];
    let offset = 0;
    const opensslDir = join(work, "openssl");
    mkdirSync(opensslDir);
    const opensslKinds: Record<string, number> = {};
    // Every n-th object openssl x509 can read (not PKCS#7) goes to the openssl sample.
    const opensslEvery = Math.max(1, Math.floor((opts.objects * 0.95) / opts.opensslSample));
    let opensslSeen = 0;
    let opensslFiles = 0;
    log(`generating ${opts.objects} objects into s3rver`);
    const bucketDir = join(s3Dir, BUCKET);
    const sample: CorpusObject[] = [];
    let started = performance.now();
    const stored = seed(bucketDir, generateObjects(pki, MAIN_PREFIX, opts.objects), (object) => {
      if (index.length % 997 === 0) sample.push(object);
      const bytes = Buffer.from(object.bytes);
      blobs.push(bytes);
      index.push([`s3://${BUCKET}/${object.key}`, offset, bytes.length]);
      offset += bytes.length;
      if (
        object.kind !== "pkcs7" &&
        opensslFiles < opts.opensslSample &&
        opensslSeen++ % opensslEvery === 0
      ) {
        writeFileSync(join(opensslDir, object.key.replaceAll("/", "_")), bytes);
        opensslKinds[object.kind] = (opensslKinds[object.kind] ?? 0) + 1;
        opensslFiles++;
      }
    });
    const store = { ...stored, seedMs: round(performance.now() - started, 0) };
    await verifySeeded(client, sample);
    const blobFile = join(work, "corpus.bin");
    const indexFile = join(work, "corpus.json");
    writeFileSync(blobFile, Buffer.concat(blobs));
    writeFileSync(indexFile, JSON.stringify(index));
    blobs.length = 0;
    log(`${store.objects} objects, ${store.certificates} certificates in ${round(store.seedMs / 1000)} s`);

    // 2. End to end, first and second scan.
    log("end-to-end scans (first, then the unchanged store again)");
    const emulatorCpu = () => ({
      s3rver: cpuSecondsOf(s3.child.pid),
      dynalite: cpuSecondsOf(dynamo.child.pid),
    });
    const cpuBefore = emulatorCpu();
    const scanned = await runWorker<ScanResult>({
      mode: "scan",
      s3Endpoint: s3.endpoint,
      dynamoEndpoint: dynamo.endpoint,
      bucket: BUCKET,
      prefixes: [MAIN_PREFIX],
      trustKey: TRUST_KEY,
      expectedHost: HOST,
      tables: { alarms: "bench-alarms", state: "bench-state" },
      scans: 2,
      label: "first-and-second",
    });
    const cpuAfter = emulatorCpu();
    const emulatorCpuSeconds = {
      s3rver: round(cpuAfter.s3rver - cpuBefore.s3rver, 2),
      dynalite: round(cpuAfter.dynalite - cpuBefore.dynalite, 2),
    };
    const [firstScan, secondScan] = scanned.rounds as [
      ScanResult["rounds"][number],
      ScanResult["rounds"][number],
    ];
    if (firstScan.objects.downloaded !== store.objects || firstScan.certificates !== store.certificates)
      throw new Error(`first scan saw ${JSON.stringify(firstScan)}, expected ${store.objects} objects`);
    log(`first ${round(firstScan.ms / 1000)} s, second ${round(secondScan.ms / 1000)} s`);

    // 3. The floor.
    log("in-memory floor");
    const floor = await runWorker<FloorResult>({
      mode: "floor",
      blobFile,
      indexFile,
      trustBundleFile,
      expectedHost: HOST,
    });
    if (floor.certificates !== store.certificates)
      throw new Error(`floor read ${floor.certificates} certificates`);
    log(`floor ${round(floor.ms / 1000)} s, node:crypto alone ${round(floor.native.ms / 1000)} s`);

    // 4. Latency: the scan at its download concurrency, half and twice it, then fan-out.
    const delayed = s3.delayedEndpoint;
    if (!delayed) throw new Error("bench: the S3 emulator has no latency front");
    const scanThrough = (prefixes: string[], name: string, concurrency?: number) => ({
      mode: "scan" as const,
      s3Endpoint: delayed,
      dynamoEndpoint: dynamo.endpoint,
      bucket: BUCKET,
      prefixes,
      trustKey: TRUST_KEY,
      expectedHost: HOST,
      tables: { alarms: `bench-${name}-alarms`, state: `bench-${name}-state` },
      scans: 1,
      label: name,
      ...(concurrency !== undefined ? { downloadConcurrency: concurrency } : {}),
    });
    const configured = DEFAULT_SCAN_DOWNLOAD_CONCURRENCY;
    const latencyPrefixes = folders(MAIN_PREFIX, opts.objects, LATENCY_FOLDERS);
    const latencyRuns: LatencyRun[] = [];
    for (const concurrency of [configured, Math.max(1, configured / 2), configured * 2]) {
      log(`latency ${LATENCY_MS} ms, download concurrency ${concurrency}`);
      const result = await runWorker<ScanResult>(
        scanThrough(latencyPrefixes, `latency-${concurrency}`, concurrency),
        [`--max-old-space-size=${lambdaHeapMb()}`],
      );
      const run = result.rounds[0]!;
      latencyRuns.push({
        concurrency: result.downloadConcurrency,
        objects: run.objects.downloaded,
        ms: run.ms,
        cpuMs: run.cpuMs,
        peakRssMb: result.peakRssMb,
        rssBeforeMb: result.rssBeforeMb,
        peakHeapMb: result.peakHeapMb,
      });
      log(`  ${round((run.objects.downloaded / run.ms) * 1000)} objects/s`);
    }
    const fanOutPrefixes = folders(MAIN_PREFIX, opts.objects, FAN_OUT_FOLDERS);
    const fanOut: FanOutRun[] = [];
    for (const workers of FAN_OUT_WORKERS) {
      log(`fan-out: ${fanOutPrefixes.length} folders over ${workers} worker(s)`);
      const shares = Array.from({ length: workers }, (_, w) =>
        fanOutPrefixes.filter((_, i) => i % workers === w),
      );
      const started = shares
        .filter((share) => share.length > 0)
        .map((share, w) =>
          startWorker<ScanResult>({ ...scanThrough(share, `fan-${workers}-${w}`), startTogether: true }),
        );
      await Promise.all(started.map((worker) => worker.ready));
      const before = emulatorCpu();
      for (const worker of started) worker.go();
      const results = await Promise.all(started.map((worker) => worker.result));
      const after = emulatorCpu();
      const rounds = results.map((r) => r.rounds[0]!);
      fanOut.push({
        workers: started.length,
        objects: rounds.reduce((n, r) => n + r.objects.downloaded, 0),
        ms: Math.max(...rounds.map((r) => r.endedAt)) - Math.min(...rounds.map((r) => r.startedAt)),
        cpuMs: rounds.reduce((n, r) => n + r.cpuMs, 0),
        emulatorCpuMs: (after.s3rver - before.s3rver + after.dynalite - before.dynalite) * 1000,
      });
    }

    // 5. openssl, one process per file.
    log(`openssl loop over ${opensslFiles} files`);
    const openssl = { ...opensslLoop(opensslDir, opensslFiles), byKind: opensslKinds };

    // 6. Peak memory at 50,000 objects.
    let peak: BenchResults["peak"];
    if (opts.peakObjects > opts.objects) {
      const functionMb = functionMemoryMb()["certificate-scan"] ?? 0;
      const heapLimitMb = opts.peakHeapMb ?? Math.floor(functionMb / V8_MEMORY_PER_OLD_SPACE);
      const extra = opts.peakObjects - opts.objects;
      log(`generating ${extra} more objects into s3rver`);
      started = performance.now();
      const moreSample: CorpusObject[] = [];
      const more = seed(bucketDir, generateObjects(pki, EXTRA_PREFIX, extra, opts.objects + 1), (object) => {
        if (object.key.endsWith("7.pem") && moreSample.length < 10) moreSample.push(object);
      });
      const seedMs = round(performance.now() - started, 0);
      await verifySeeded(client, moreSample);
      log(`scanning ${opts.peakObjects} objects in a fresh process`);
      const scan = await runWorker<ScanResult>(
        {
          mode: "scan",
          s3Endpoint: s3.endpoint,
          dynamoEndpoint: dynamo.endpoint,
          bucket: BUCKET,
          prefixes: [PEAK_PREFIX],
          label: "peak",
          trustKey: TRUST_KEY,
          expectedHost: HOST,
          tables: { alarms: "bench-peak-alarms", state: "bench-peak-state" },
          scans: 1,
        },
        heapLimitMb > 0 ? [`--max-old-space-size=${heapLimitMb}`] : [],
      );
      const objects = store.objects + more.objects;
      if (scan.rounds[0]?.objects.downloaded !== objects)
        throw new Error(`peak scan saw ${JSON.stringify(scan.rounds[0])}`);
      peak = {
        objects,
        certificates: store.certificates + more.certificates,
        seedMs,
        scan,
        functionMemoryMb: functionMb,
        heapLimitMb:
          heapLimitMb > 0 ? heapLimitMb : Math.round(getHeapStatistics().heap_size_limit / 1048576),
        heapLimitFrom:
          opts.peakHeapMb === undefined ? "function" : opts.peakHeapMb === 0 ? "node-default" : "option",
      };
      log(`peak RSS ${scan.peakRssMb} MB`);
    }

    // 7. Bundles.
    log("bundles");
    const bundles = await measureBundles(join(work, "bundles"));

    // 8. The certificate page: one widget refresh for an inventory of this many certificates.
    const page =
      opts.pageCertificates > 0 ? await measurePage(opts.pageCertificates, (text) => log(text)) : undefined;

    // 9. The command line's start-up: the artifact from an empty directory (nothing around it, as
    // on a host), `npm run cli` in the checkout (npm, then tsx compiling on the fly).
    log("command line start-up (--help)");
    const cliDir = join(work, "cli");
    mkdirSync(cliDir);
    const host = await buildHostCli(cliDir);
    const cli = {
      runs: CLI_RUNS,
      nodeBaseline: measure("node -e 0", ["-e", "0"], CLI_RUNS, cliDir),
      artifactHelp: measure("node dist/watchpost.mjs --help", [host.bundle, "--help"], CLI_RUNS, cliDir),
      artifactBytes: host.bytes,
      npmRunCliHelp: measure(
        "npm run cli -- --help",
        ["run", "--silent", "cli", "--", "--help"],
        3,
        process.cwd(),
        "npm",
      ),
    };
    log(
      `--help: artifact ${cli.artifactHelp.minWallMs} ms, npm run cli ${cli.npmRunCliHelp.minWallMs} ms (fastest)`,
    );

    // 10. Findings before and after, on the fixed corpus (test/engine-baseline/compare.ts).
    log("engine outputs on the fixed corpus against the baseline");
    const engineBaseline = await compareEngineBaseline();
    log(`${engineBaseline.differing.length} of ${engineBaseline.inputs} inputs differ from the baseline`);

    const results: BenchResults = {
      options: opts,
      machine: info,
      store,
      firstScan,
      secondScan,
      scanWorker: {
        downloadConcurrency: scanned.downloadConcurrency,
        inventoryItems: scanned.inventoryItems,
        events: scanned.events,
        rssBeforeMb: scanned.rssBeforeMb,
        peakRssMb: scanned.peakRssMb,
        peakHeapMb: scanned.peakHeapMb,
      },
      emulatorCpuSeconds,
      floor,
      latency: { injectedMs: LATENCY_MS, configuredConcurrency: configured, runs: latencyRuns },
      fanOut,
      openssl,
      ...(peak ? { peak } : {}),
      bundles,
      ...(page ? { page } : {}),
      cli,
      engineBaseline,
      scanFunctionMemoryMb: functionMemoryMb()["certificate-scan"] ?? 0,
      nodeDefaultHeapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1048576),
      loadAverageAtEnd: loadavg().map((l) => round(l, 2)),
      totalSeconds: round((performance.now() - began) / 1000, 0),
    };
    report(results, opts);
  } finally {
    client.destroy();
    await Promise.all([stopEmulator(s3.child), stopEmulator(dynamo.child)]);
    rmSync(work, { recursive: true, force: true });
  }
}

async function compareEngineBaseline(): Promise<EngineBaselineResult> {
  const started = performance.now();
  const baseline = loadBaseline();
  const differing = (await differences()).map((d) => d.name);
  return {
    inputs: baseline.outputs.length,
    differing,
    baselineCommit: baseline.commit,
    ms: round(performance.now() - started, 0),
  };
}

await main();
