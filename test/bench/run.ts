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
 * 3. floor: the same bytes, in memory, read and judged with no I/O;
 * 4. the shell habit `openssl x509 -noout -dates -in FILE`, one process per file, on a sample;
 * 5. peak memory: 40,000 more objects, and a first scan of all 50,000 in a fresh process;
 * 6. the three Lambda bundles as the stack builds them: bytes and cold import time.
 *
 * Options: --objects N (10000), --peak-objects N (50000, 0 skips phase 5), --openssl-sample N (300),
 * --out FILE (docs/benchmarks.md; "-" writes none).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { getHeapStatistics } from "node:v8";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type BundleResult, functionMemoryMb, measureBundles } from "./bundles";
import { type CorpusObject, generateObjects, HOST, makePki, type ObjectKind } from "./corpus";
import { renderReport } from "./report";
import type { FloorJob, FloorResult, ScanJob, ScanResult } from "./scan-worker";

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

export const TARGETS = {
  endToEndVsFloor: 0.5,
  incrementalSpeedup: 10,
  speedupVsOpenssl: 100,
  peakRssMb: 512,
  bundleBytes: 1_000_000,
  coldImportMs: 300,
} as const;

interface Options {
  objects: number;
  peakObjects: number;
  /**
   * V8's old-space limit for the peak-memory scan (--max-old-space-size), in MB. Default: what
   * Node picks by itself on the scan function's memory (a quarter of it); 0: Node's default for
   * this machine.
   */
  peakHeapMb: number | undefined;
  opensslSample: number;
  out: string;
}

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
    out: value("out", "docs/benchmarks.md"),
  };
}

const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const TSX = ["--import", "tsx"];

/** Starts test/bench/emulator.ts and waits for its endpoint; it stops when its stdin closes. */
async function startEmulator(kind: "s3" | "dynamo", directory?: string) {
  const child = spawn(
    process.execPath,
    [...TSX, "test/bench/emulator.ts", kind, ...(directory ? [directory] : [])],
    {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${kind} emulator exited (${code})`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
  });
  return { endpoint: (JSON.parse(line) as { endpoint: string }).endpoint, child };
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** CPU seconds a process has used so far (user + system), from /proc; 0 where there is none. */
function cpuSecondsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function stopEmulator(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}

/** Runs scan-worker.ts with a job and returns its result line; its warnings go to stderr. */
async function runWorker<R>(job: ScanJob | FloorJob, nodeFlags: string[] = []): Promise<R> {
  const gc = process.env.BENCH_LIVE_HEAP === "1" ? ["--expose-gc"] : [];
  const child = spawn(
    process.execPath,
    [...TSX, ...gc, ...nodeFlags, "test/bench/scan-worker.ts", JSON.stringify(job)],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NODE_NO_WARNINGS: "1", POWERTOOLS_SERVICE_NAME: "watchpost-bench" },
    },
  );
  let result: R | undefined;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    if (line.startsWith("BENCH_RESULT ")) result = JSON.parse(line.slice("BENCH_RESULT ".length)) as R;
    // The handler's own log lines: warnings and errors matter, the rest (and metrics) do not.
    else if (/"level":"(WARN|ERROR|CRITICAL)"/.test(line))
      process.stderr.write(`  worker: ${line.slice(0, 500)}\n`);
  });
  // "close", not "exit": the last lines of its output may still be on their way at exit.
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0 || result === undefined)
    throw new Error(`bench worker (${job.mode}) failed with exit code ${code}`);
  return result;
}

function machine() {
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

interface Seeded {
  objects: number;
  certificates: number;
  findingsExpected: number;
  byKind: Partial<Record<ObjectKind, number>>;
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

export interface BenchResults {
  options: Options;
  machine: ReturnType<typeof machine>;
  store: Seeded & { seedMs: number };
  firstScan: ScanResult["rounds"][number];
  secondScan: ScanResult["rounds"][number];
  scanWorker: Omit<ScanResult, "rounds" | "mode">;
  /** CPU seconds the emulators spent during both end-to-end scans. */
  emulatorCpuSeconds: { s3rver: number; dynalite: number };
  floor: FloorResult;
  openssl: { ms: number; certificates: number; byKind: Record<string, number> };
  peak?: {
    objects: number;
    certificates: number;
    seedMs: number;
    scan: ScanResult;
    /** The scan function's memory in the stack, and the V8 heap limit the scan ran with. */
    functionMemoryMb: number;
    heapLimitMb: number;
    /** Where the limit came from: the scan function's memory, Node's default here, --peak-heap-mb. */
    heapLimitFrom: "function" | "node-default" | "option";
  };
  /** V8's heap limit Node picks by itself on this machine (MB). */
  nodeDefaultHeapLimitMb: number;
  bundles: BundleResult[];
  loadAverageAtEnd: number[];
  totalSeconds: number;
}

async function main() {
  const opts = options(process.argv.slice(2));
  const began = performance.now();
  const info = machine();
  log(`${info.cpu}, ${info.cores} cores, load ${info.loadAverageAtStart.join(" ")}`);
  const work = mkdtempSync(join(tmpdir(), "watchpost-bench-"));
  const s3Dir = join(work, "s3rver");
  mkdirSync(s3Dir);
  const [s3, dynamo] = await Promise.all([startEmulator("s3", s3Dir), startEmulator("dynamo")]);
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
      prefix: MAIN_PREFIX,
      trustKey: TRUST_KEY,
      expectedHost: HOST,
      tables: { alarms: "bench-alarms", state: "bench-state" },
      scans: 2,
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
    log(`floor ${round(floor.ms / 1000)} s`);

    // 4. openssl, one process per file.
    log(`openssl loop over ${opensslFiles} files`);
    const openssl = { ...opensslLoop(opensslDir, opensslFiles), byKind: opensslKinds };

    // 5. Peak memory at 50,000 objects.
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
          prefix: PEAK_PREFIX,
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

    // 6. Bundles.
    log("bundles");
    const bundles = await measureBundles(join(work, "bundles"));

    const results: BenchResults = {
      options: opts,
      machine: info,
      store,
      firstScan,
      secondScan,
      scanWorker: {
        events: scanned.events,
        rssBeforeMb: scanned.rssBeforeMb,
        peakRssMb: scanned.peakRssMb,
        peakHeapMb: scanned.peakHeapMb,
      },
      emulatorCpuSeconds,
      floor,
      openssl,
      ...(peak ? { peak } : {}),
      bundles,
      nodeDefaultHeapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1048576),
      loadAverageAtEnd: loadavg().map((l) => round(l, 2)),
      totalSeconds: round((performance.now() - began) / 1000, 0),
    };
    const summary = summarize(results);
    if (opts.out !== "-") writeFileSync(opts.out, renderReport(results, summary));
    log(`done in ${results.totalSeconds} s${opts.out !== "-" ? `; wrote ${opts.out}` : ""}`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    client.destroy();
    await Promise.all([stopEmulator(s3.child), stopEmulator(dynamo.child)]);
    rmSync(work, { recursive: true, force: true });
  }
}

export type Status = "met" | "missed" | "not measured";

export function summarize(r: BenchResults) {
  const certsPerSecond = (r.firstScan.certificates / r.firstScan.ms) * 1000;
  const floorCertsPerSecond = (r.floor.certificates / r.floor.ms) * 1000;
  const opensslLoopCertsPerSecond = (r.openssl.certificates / r.openssl.ms) * 1000;
  const incrementalSpeedup = r.firstScan.ms / r.secondScan.ms;
  const speedupVsOpenssl = certsPerSecond / opensslLoopCertsPerSecond;
  const endToEndVsFloor = certsPerSecond / floorCertsPerSecond;
  const peakRssMb = r.peak?.scan.peakRssMb;
  const status = (ok: boolean): Status => (ok ? "met" : "missed");
  const bundles = Object.fromEntries(
    r.bundles.map((b) => [b.function, { bytes: b.bytes, coldImportMs: b.coldImportMs }]),
  );
  return {
    certsPerSecond: round(certsPerSecond),
    floorCertsPerSecond: round(floorCertsPerSecond),
    endToEndVsFloor: round(endToEndVsFloor, 3),
    counted: "certificates (leaves and the CA certificates inside bundles), not objects",
    objects: r.store.objects,
    certificates: r.store.certificates,
    firstScanMs: round(r.firstScan.ms, 0),
    secondScanMs: round(r.secondScan.ms, 0),
    incrementalSpeedup: round(incrementalSpeedup),
    secondScanGetObject: r.secondScan.getObject.certificates,
    secondScanTrustBundleGetObject: r.secondScan.getObject.trustBundle,
    opensslLoopCertsPerSecond: round(opensslLoopCertsPerSecond),
    opensslSampleFiles: r.openssl.certificates,
    speedupVsOpenssl: round(speedupVsOpenssl, 2),
    peakRssMb: peakRssMb ?? null,
    peakObjects: r.peak?.objects ?? null,
    peakHeapLimitMb: r.peak?.heapLimitMb ?? null,
    bundles,
    targets: {
      endToEndAtLeastHalfOfFloor: status(endToEndVsFloor >= TARGETS.endToEndVsFloor),
      incrementalTenTimesFasterWithoutDownloads: status(
        incrementalSpeedup >= TARGETS.incrementalSpeedup && r.secondScan.getObject.certificates === 0,
      ),
      hundredTimesFasterThanOpensslLoop: status(speedupVsOpenssl >= TARGETS.speedupVsOpenssl),
      peakRssAtMost512MbAt50000Objects:
        peakRssMb === undefined || (r.peak?.objects ?? 0) < 50_000
          ? ("not measured" as Status)
          : status(peakRssMb <= TARGETS.peakRssMb),
      ...Object.fromEntries(
        r.bundles.flatMap((b) => [
          [`bundle:${b.function}:atMost1MB`, status(b.bytes <= TARGETS.bundleBytes)],
          [`bundle:${b.function}:coldImportAtMost300ms`, status(b.coldImportMs <= TARGETS.coldImportMs)],
        ]),
      ),
    },
  };
}

await main();
