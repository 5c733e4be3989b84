/**
 * `npx tsx test/bench/scan-cpu.ts [OBJECTS] [RUNS]`: the scan process's CPU per object alone, for
 * before/after comparisons of a change to the scan path (faster than the whole `npm run bench`).
 * Seeds OBJECTS (2,000) certificate objects into s3rver as run.ts does, then RUNS (3) times a fresh
 * scan worker (scan-worker.ts: fresh tables, the production clients) scans them twice, first and
 * unchanged. CPU is the worker's own `process.cpuUsage()` around each scan; s3rver and dynalite
 * run in processes of their own and their CPU, from /proc, is printed beside it, never added.
 * With BENCH_CPU_PROF=DIR each scan also writes a CPU profile (profile-summary.ts reads them);
 * BENCH_WORKER_FLAGS="--flag ..." starts the scan workers with those Node/V8 flags (to try one).
 * One JSON line per run on standard output.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { generateObjects, HOST, makePki } from "./corpus";
import { cpuSecondsOf, runWorker, startEmulator, stopEmulator } from "./processes";
import type { ScanResult } from "./scan-worker";

const BUCKET = "watchpost-scan-cpu";
const TRUST_KEY = "trust/ca.pem";
const PREFIX = "fleet/a/";

const objects = Number(process.argv[2] ?? 2000);
const runs = Number(process.argv[3] ?? 3);
const workerFlags = (process.env.BENCH_WORKER_FLAGS ?? "").split(" ").filter(Boolean);
const work = mkdtempSync(join(tmpdir(), "watchpost-scan-cpu-"));
const s3Dir = join(work, "s3rver");
mkdirSync(s3Dir);
const [s3, dynamo] = await Promise.all([startEmulator("s3", s3Dir), startEmulator("dynamo")]);
const client = new S3Client({
  endpoint: s3.endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
});
try {
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const pki = await makePki();
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: TRUST_KEY, Body: pki.trustBundle }));
  // s3rver's filesystem store, written directly (run.ts `seed` says why and how).
  for (const object of generateObjects(pki, PREFIX, objects)) {
    const path = join(s3Dir, BUCKET, `${object.key}._S3rver_object`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, object.bytes);
    writeFileSync(`${path}.md5`, createHash("md5").update(object.bytes).digest("hex"));
  }
  const slices = (round: ScanResult["rounds"][number]) => {
    const perThousand: number[] = [];
    let last = { downloads: 0, cpuMs: 0 };
    for (const mark of round.cpuAtDownloads) {
      perThousand.push(
        Math.round(((mark.cpuMs - last.cpuMs) / (mark.downloads - last.downloads)) * 1000) / 1000,
      );
      last = mark;
    }
    return { perThousand, afterLastMs: Math.round(round.cpuMs - last.cpuMs) };
  };
  const emulatorCpu = () => cpuSecondsOf(s3.child.pid) + cpuSecondsOf(dynamo.child.pid);
  for (let run = 0; run < runs; run++) {
    const before = emulatorCpu();
    const result = await runWorker<ScanResult>(
      {
        mode: "scan",
        s3Endpoint: s3.endpoint,
        dynamoEndpoint: dynamo.endpoint,
        bucket: BUCKET,
        prefixes: [PREFIX],
        trustKey: TRUST_KEY,
        expectedHost: HOST,
        tables: { alarms: `scan-cpu-alarms-${run}`, state: `scan-cpu-state-${run}` },
        scans: 2,
        label: `scan-cpu-${run}`,
      },
      workerFlags,
    );
    const [first, second] = result.rounds;
    if (first?.objects.downloaded !== objects) throw new Error(`scan saw ${JSON.stringify(first)}`);
    const perObject = (cpuMs: number) => Math.round((cpuMs / objects) * 1000) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        run: run + 1,
        objects,
        firstScanCpuMsPerObject: perObject(first.cpuMs),
        // The main thread (JavaScript) and the others (V8's collector and compiler, libuv's pool).
        firstScanCpuMsPerObjectByThread: first.cpuByThread && {
          main: perObject(first.cpuByThread.mainMs),
          other: perObject(first.cpuByThread.otherMs),
        },
        // CPU per object of each 1,000 downloads in turn, and after the last one (the rest of the
        // scan: judging what is in flight, the inventory writes, the alarms), per object scanned.
        firstScanCpuMsPerObjectBySlice: slices(first),
        firstScanContextSwitches: first.contextSwitches,
        secondScanCpuMsPerObject: perObject(second?.cpuMs ?? 0),
        firstScanMs: Math.round(first.ms),
        secondScanMs: Math.round(second?.ms ?? 0),
        incrementalSpeedup: second ? Math.round((first.ms / second.ms) * 10) / 10 : null,
        secondScanWaits: second?.waits,
        secondScanWrites: second?.writes,
        emulatorCpuMsPerObject: perObject((emulatorCpu() - before) * 1000),
        peakRssMb: result.peakRssMb,
        loadAverage: loadavg()[0],
      })}\n`,
    );
  }
} finally {
  client.destroy();
  await Promise.all([stopEmulator(s3.child), stopEmulator(dynamo.child)]);
  rmSync(work, { recursive: true, force: true });
}
