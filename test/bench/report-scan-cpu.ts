/**
 * The "Scan CPU" section of docs/benchmarks.md: what the scan process spends per object, measured
 * in every run, and the profile and before/after measurements of the changes made to it (taken by
 * hand with test/bench/scan-cpu.ts, dated, not re-measured by every run).
 */
import type { BenchResults, summarize } from "./summary";
import { TARGETS } from "./summary";

const n = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * `BENCH_CPU_PROF=DIR npx tsx test/bench/scan-cpu.ts 10000 1`, then profile-summary.ts on
 * DIR/scan-scan-cpu-0-1.cpuprofile, 2026-12-07 20:29 (commit 2279b8b's code, load average 7.5 to 10).
 * The profile samples the main thread only (see SPREAD for the other threads).
 */
const PROFILE = {
  date: "2026-12-07",
  byPart:
    "reading and judging 30 %, AWS SDK (middleware, signing, XML/JSON) 22 %, HTTP and sockets 11 %, garbage collection on the main thread 4 %, inventory (JSON, gzip, records) 3 %, alarms 1 %, other 7 %, idle 22 %",
  largest:
    "node:crypto's parse 8 % and its signature verification 3 %, asn1js 5 %; writing each request to its socket 5 % (the write system call, which on loopback carries the kernel's TCP work for both ends); @smithy/core 9 % in all: schema-based serialization and deserialization 3 % (each spreads the client's whole configuration and the call's context into a new object per request), the HTTP protocol 2.5 %, endpoint resolution 2.3 % (1.3 % of it the copy `{ ...config }` of the client's configuration it makes per request), retries 1 %; signing 3 % (@smithy/signature-v4 and @aws-sdk/core's signer); V8 running promise callbacks 2 % (every middleware is an async function). The middleware stacks still resolved per request (DynamoDB's: look-ups, inventory and alarm writes) 0.5 %; marshalling the inventory items (lib-dynamodb, util-dynamodb) 0.4 %",
  ours: "What is ours outside the engine and the SDK is small: the scan's orchestration (functions/core/scan, the S3 store and client adapters, reading each body) about 2 % of the profile, the inventory write 3 % (gzip 1.6 %, of which 0.4 % the zlib set-up of each record; JSON 0.7 %; the page entry 0.3 %), the bench's own counting and timing wrappers under 0.2 %: some 0.2 ms per object in all, where the machine moves the figure by a millisecond from one run to another. Two of them were measured on their own and left: reading a GetObject body a second time (the retry-safe buffer in functions/adapters/clients/s3.ts, then the store's capped read) costs 6 to 8 µs per object; gzip with a smaller window and hash (`windowBits` 12, `memLevel` 5) wrote the bench's records at the same size (729 bytes on average over 1,000 of them) in 37 to 77 µs each against 44 to 89 µs with the defaults in the same four turns, a few µs per object, not worth a second way of writing records",
};

/**
 * The second scan of an unchanged store, 3,000 objects, 2026-12-07 (load average about 11):
 * `BENCH_CPU_PROF=DIR npx tsx test/bench/scan-cpu.ts 3000 1`, then the profile
 * DIR/scan-scan-cpu-0-2.cpuprofile split by phase and by part; the record decode's first-pass cost
 * from a fresh process decoding 2,000 records the scan wrote.
 */
const SECOND_SCAN = {
  date: "2026-12-07",
  text: "4.8 s of wall time, the process busy 83 % of it. Phases: until the first record is decoded (the trust bundle, the first listing page, the first look-ups) 10 %; judging from the records 62 %; the alarm settlement after it 28 %: 135 conditional writes, one per active alarm, since every scan writes each active alarm again (its `lastSeen` and the instant of its evidence move; functions/core/alarms/lifecycle.ts), 8 at a time. Of the busy time: the AWS SDK 31 % (request building and signing, the JSON responses and the base64 of each binary record, which @smithy/core checks with a regular expression before decoding), Node's HTTP client and sockets 15 %, decoding the inventory records 24 % (zod's check 10 %, gunzip 8 %, JSON and the rest 7 %), judging the stored facts 15 %, the settlement's own code 9 %, garbage collection 5 %. A fresh process decodes its first 2,000 records at about 170 µs of CPU each and its third 2,000 at 35 µs: most of a nightly batch's decode is V8 warming up zod and zlib, once per execution environment",
  change:
    "The listing now asks for its next page as soon as a page arrives (functions/adapters/s3-certificate-store.ts): before, the 2,000-object second scan stood wholly idle for a stretch of at least 280 ms at its page boundary, waiting for s3rver's next 1,000 keys, and a 10,000-object one at each of its 9 boundaries; after, no stretch of the 3,000-object scan (2 boundaries) is idle. On S3 the same overlap hides one ListObjectsV2 round trip per 1,000 objects. Wall time of whole scans under this machine's load moved by more than the change (interleaved 3,000-object pairs at load 10 to 14: second scans of 4.3 and 8.6 s without it, 6.8 and 14.9 s with it, tracking the load), so the profiles are the evidence. A decision write now sets only the attributes that changed (functions/adapters/alarm-store.ts): seeing an active alarm again writes its lastSeen, evidence, count and revision, not its message, parameters and facts once more. Measured with the settlement alone on dynalite (450 active alarms refreshed by a later complete run, a fresh process per sample, the two versions alternating, 6 each, load 5.5 to 10): dynalite's CPU for the refresh median 1,050 ms before, 780 ms after, the settling process's 1,278 and 1,208 ms. Whole second scans of 3,000 objects alternating with the version before (7 each, load 6 to 14, an interleaving script, not kept, that runs scan-cpu.ts's worker from a checkout before and after in turn): the alarm table's waits summed over calls in flight median 9.2 s before, 6.1 s after; second-scan CPU 1.34 s both; wall 4.2 s before, 3.8 s after, which is inside the noise (the same code gave 2.3 to 5.3 s)",
  left: "Left, and why: the settlement still writes every active alarm it sees again, one conditional write each: the alarm's lastSeen is what the next event's \"Last seen\" says, and its evidence instant is what keeps an older run of the same object version, settling later, from clearing an alarm a newer run confirmed; keeping that instant once per scope instead would need a write conditional on two items, a transaction, which dynalite lacks and which costs twice the write units (docs/architecture.md, \"Why each run writes every alarm it sees again\"). Settling more than 8 alarms at a time measured no faster here, and on DynamoDB a scope's alarms share one partition, which serves at most 1,000 write units a second. The record decode's first-pass cost is V8 tiering up zod's generated parser, not the ISO-instant checks (a copy of the schema without them cost the same: 45 to 65 µs a record in a fresh process's first 3,000, 6 to 10 µs by the third pass) and not gunzip's buffer size (chunkSize 2 or 4 KB against 16 KB: no difference beyond the noise); keeping records as plain JSON strings instead of gzipped binary would save the base64 check and the gunzip (about an eighth of the busy time) but make a one-certificate record about twice its gzipped size (1.6 kB of JSON against 0.8 kB), about half as many DynamoDB write units again per object written (billed per 1 KB), and change the record format; s3rver's listing and dynalite's look-ups and writes are JavaScript too, running on the same 2 cores",
};

/**
 * Why the first scan's CPU per object moves between runs (3.96 ms in the full run of 19:09, 2.77 in
 * the one of 15:14, 3.4 to 3.6 from scan-cpu.ts at 2,000 objects in between): measured 2026-12-07
 * 20:14 to 20:37 with `npx tsx test/bench/scan-cpu.ts N 1` (N 2,000 and 10,000), which reports the
 * CPU by thread and per 1,000 downloads; the code of commit a1b4aab (the 2.77 run's) from
 * `git archive`, run in turns with today's.
 */
const SPREAD = [
  "The machine moves it most. The code of the run that read 2.77 ms (commit a1b4aab; that run's first scan was taken one commit earlier, before the S3 client's `cacheMiddleware`, which can only have lowered it since) read 4.75 and 4.41 ms when run again at 20:20, in turns with today's code, which read 3.84 and 3.54 ms (10,000 objects each, load average 6.3 to 7.7): the same code a 1.6 to 1.7 times higher figure on another afternoon, and today's code about 0.9 ms below it at the same moment. The emulators did the same for requests that did not change: 1.02 ms of CPU per object and scan in the 15:14 run, 1.84 in the 19:09 one. Within one scan each 1,000 downloads cost between 2.3 and 5.0 ms per object (5.03, 4.96, 4.41, 4.39, 3.77, 2.99, 2.32, 2.82, 2.29, 2.46 in one run), and a fixed piece of work, gzip of the same 1,000 inventory records, took 44 to 89 µs per record in consecutive turns. The machine has 2 cores under a KVM hypervisor and was busy all the while (6 idle ticks in 2,000 over ten seconds); the scan was taken off its core 30,000 to 41,000 times in a 10,000-object scan (involuntary context switches), and CPU time per unit of work rises with what else runs on the cores and shares their caches. A load average says how many wait, not what they do to the caches, so it does not sort the runs",
  "A fresh process is slower at first: the first 1,000 objects cost 4.4 to 5.9 ms each, the last 1,000 of the same scan 2.5 to 3.9 ms (five 10,000-object scans, two of them of the older code), while V8 compiles the hot code (a larger young generation, `--min-semi-space-size=16`, changed nothing in one pair of 6,000-object scans: 4.05 against 4.03 ms), so a short run reads higher, not lower: at 20:14, 2,000 objects read 5.07 and 4.29 ms and 10,000 objects 3.74 ms at the same load average of 5. In the deployed stack a fresh execution environment pays this once, for the batches it scans after",
  "Threads the profile does not see: `process.cpuUsage()` counts every thread of the process, and 0.51 to 0.60 ms per object of a 10,000-object first scan (12 to 15 %) ran on threads other than the main one, mostly V8's optimizing compiler: with the collector kept on the main thread (`--single-threaded-gc`) they still spent 0.55 and 0.59 ms per object against 0.69 and 0.70 without, and the whole was no lower (4.17 and 4.22 ms against 4.08 and 4.27, 6,000 objects in turns, load average 12 to 13); the scan hands libuv's pool nothing (its gzip is synchronous). At 2,000 objects it was 1.1 to 1.3 ms per object, most of it the compiler's warm-up. A CPU profile samples the main thread only: its 4 % of garbage collection is the main thread's part",
  "After the last GetObject a first scan of 10,000 objects spent another 2.8 to 3.5 s of CPU (0.28 to 0.35 ms per object): the last objects in flight, the last inventory writes, and the alarms, 450 of them raised and published",
];

/**
 * Each change to the scan path, measured with `npx tsx test/bench/scan-cpu.ts 2000 3` before and
 * after on the same machine minutes apart: first-scan CPU per object of each run (ms).
 */
const CHANGES: {
  change: string;
  before: number[] | string;
  after: number[] | string;
  load: string;
  note: string;
}[] = [
  {
    change:
      'the scan\'s S3 client (functions/adapters/clients/s3.ts): `requestChecksumCalculation` and `responseChecksumValidation` `WHEN_REQUIRED` (AWS SDKs and Tools Reference Guide, "Data Integrity Protections for Amazon S3", https://docs.aws.amazon.com/sdkref/latest/guide/feature-dataintegrity.html)',
    before: [3.475, 3.441, 3.264],
    after: [3.369, 3.555, 3.694],
    load: "5.5 to 7.9",
    note: "no difference this machine can see: s3rver sends no checksums, so there was nothing to validate. On S3 it saves the `x-amz-checksum-mode` header and a CRC over every body of an object uploaded with a checksum; a certificate arrives over TLS and a damaged one fails its parse or signature check anyway",
  },
  {
    change:
      "the scan's S3 client: `cacheMiddleware: true`, the SDK's option to resolve the middleware stack once per command class instead of sorting and resolving it again for every request (@smithy/types `SmithyConfiguration.cacheMiddleware`: \"the additional time saved (0-1ms per request)\"; it requires that no middleware is added after the first request, which holds: the client adds its own when it is made)",
    before: [4.298, 4.216, 3.95, 3.771, 3.652],
    after: [3.46, 3.657, 3.594, 3.599, 3.752],
    load: "15 to 17",
    note: "5 runs each: about 0.35 ms per object less on the means, but the first three runs without it overlapped heavier work on the machine; an interleaved pair taken after (with 3.60 and 3.75, without 3.77 and 3.65) shows no difference beyond the noise. The profile put the per-request resolution at about 3 % of the scan's CPU, some 0.1 ms per object: what to expect. This run's end-to-end first and second scans above were measured before it (commit 7603d37), its later phases with it",
  },
  {
    change:
      "the bench's heap sampler (test/bench/scan-worker.ts, ten reads a second during each scan) reads V8's heap statistics instead of `process.memoryUsage()`, which also reads the resident size from /proc",
    before: "`memoryUsage` 0.45 % of the 10,000-object profile above",
    after: "not among a 3,000-object profile's functions",
    load: "7.5 to 10",
    note: "the measurement's own cost taken out of what it measures, about 0.04 ms per object of that 82 s scan: too small for scan-cpu.ts runs to show, so measured by the profile. No change to the scan's own code was kept on 2026-12-07: what is ours is too small to show (see the profile), and the one documented option left, `cacheMiddleware` on the DynamoDB client, is refused by the SDK",
  },
];

const range = (values: number[] | string) => (typeof values === "string" ? values : numbers(values));

const numbers = (values: number[]) =>
  `${n(Math.min(...values), 2)}–${n(Math.max(...values), 2)} ms (mean ${n(values.reduce((a, b) => a + b, 0) / values.length, 2)})`;

/** CPU per object of the first and the last 1,000 downloads, and after the last (scan-worker.ts). */
function thousandsOf(round: BenchResults["firstScan"]) {
  const marks = round.cpuAtDownloads ?? [];
  if (marks.length < 2) return undefined;
  const first = marks[0] as { downloads: number; cpuMs: number };
  const last = marks[marks.length - 1] as { downloads: number; cpuMs: number };
  const beforeLast = marks[marks.length - 2] as { downloads: number; cpuMs: number };
  return {
    first: first.cpuMs / first.downloads,
    last: (last.cpuMs - beforeLast.cpuMs) / (last.downloads - beforeLast.downloads),
    afterLastMs: round.cpuMs - last.cpuMs,
  };
}

export function renderScanCpu(r: BenchResults, sum: ReturnType<typeof summarize>): string[] {
  const lines: string[] = [];
  const out = (text = "") => lines.push(text);
  const floorCpuPerObject = r.floor.cpuMs / (r.floor.objects || 1);
  const objects = r.firstScan.objects.downloaded || 1;
  out("## Scan CPU");
  out();
  out(
    `What the scan process spends per object, its own CPU only: the scan worker's \`process.cpuUsage()\` around \`runCertificateScan\` (test/bench/scan-worker.ts). s3rver and dynalite run in processes of their own (test/bench/emulator.ts); their CPU, read from /proc, is shown beside it and never added. First scan: ${n(sum.scanCpuMsPerObject, 2)} ms per object (target ${TARGETS.scanCpuMsPerObject} ms: ${sum.targets.scanAtMost3_5MsCpuPerObject}); second scan of the unchanged store: ${n(sum.secondScanCpuMsPerObject, 2)} ms; the emulators meanwhile ${n(sum.emulatorCpuMsPerObjectBothScans, 2)} ms per object and scan. The floor (the same objects read and judged in memory, no I/O) took ${n(floorCpuPerObject, 2)} ms of CPU per object in this run, so what the scan does around reading and judging (listing, downloads, the inventory, alarms: the AWS SDK and Node's HTTP client, mostly) costs about ${n(Math.max(0, sum.scanCpuMsPerObject - floorCpuPerObject), 2)} ms per object.`,
  );
  out();
  const threads = r.firstScan.cpuByThread;
  const slices = thousandsOf(r.firstScan);
  if (threads || slices) {
    out(
      [
        "In this run",
        threads
          ? ` the main thread spent ${n(threads.mainMs / objects, 2)} ms per object and the process's other threads (mostly V8's compiler) ${n(threads.otherMs / objects, 2)} ms`
          : "",
        slices
          ? `${threads ? ";" : ""} the first 1,000 objects cost ${n(slices.first, 2)} ms each, the last 1,000 ${n(slices.last, 2)} ms, and the scan spent ${n(slices.afterLastMs / 1000, 1)} s more after its last download`
          : "",
        ". Why the figure moves between runs by more than any change to the scan:",
      ].join(""),
    );
    out();
  }
  for (const paragraph of SPREAD) {
    out(`- ${paragraph}.`);
  }
  out();
  out(
    `CPU profile of a 10,000-object first scan (${PROFILE.date}; \`BENCH_CPU_PROF=DIR npx tsx test/bench/scan-cpu.ts 10000 1\`, then \`npx tsx test/bench/profile-summary.ts DIR/scan-scan-cpu-0-1.cpuprofile\`), by part: ${PROFILE.byPart}. The largest items: ${PROFILE.largest}. ${PROFILE.ours}.`,
  );
  out();
  out(
    "Changes, each measured before and after with `npx tsx test/bench/scan-cpu.ts 2000 N` (first-scan CPU per object of N fresh scan processes, ms; the machine's load moves these figures by about a tenth, so a smaller change does not show):",
  );
  out();
  out("| change | before | after | load average | what it shows |");
  out("| --- | --- | --- | --- | --- |");
  for (const c of CHANGES)
    out(`| ${c.change} | ${range(c.before)} | ${range(c.after)} | ${c.load} | ${c.note} |`);
  out();
  out(
    'Already so, and left: the SDK reuses connections by default (AWS SDK for JavaScript v3 Developer Guide, "Reuse connections with keep-alive in Node.js", https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-reusing-connections.html) and its agent allows 50 sockets per host, above the download concurrency, so no download waits for a socket or opens a new one; the clients are made once per execution environment; inventory look-ups go out as BatchGetItem of 100 keys, four chunks in flight, the next chunk looked up while this one downloads, and the records are written behind the scan. Not possible: `cacheMiddleware` on the DynamoDB client, which every table adapter reaches through lib-dynamodb\'s document client: its constructor throws "cacheMiddleware=true is not compatible with the DynamoDBDocumentClient" (@aws-sdk/lib-dynamodb, `DynamoDBDocumentClient`; aws/aws-sdk-js-v3 pull request #7801, open, would lift it), and a first scan sends it roughly one request per ten objects (look-ups of 100 keys, writes of 25 records, the alarms), 0.5 % of the profile. Not done: taking the SDK\'s own middleware out by name (region redirect, S3 Express sessions, recursion detection, expect-continue): each is a check of a few lines, and removing the SDK\'s middleware is not a documented option.',
  );
  out();
  out(
    "What is left is about evenly the certificate engine (reading and judging: node:crypto's parse and signature checks, the asn1js decode; the reader's own work, issue 28's other half) and the AWS SDK with Node's HTTP client, whose per-request work (serializing, signing, the middleware chain, parsing the response) the scan cannot drop: one GetObject per object read. The second scan shows the floor of what is ours outside the engine: listing, one inventory record per object (gunzip, schema check) and judging the stored facts, with no download.",
  );
  out();
  out(
    `The second scan of an unchanged store: ${n(r.secondScan.cpuMs / (r.store.objects || 1), 2)} ms of CPU per object in this run, ${n(r.secondScan.ms / 1000, 1)} s for ${n(r.store.objects)} objects; its waits, summed over calls in flight together: inventory look-ups ${n(r.secondScan.waits.inventoryGet / 1000, 1)} s, the alarm table ${n(r.secondScan.waits.alarmStore / 1000, 1)} s (${n(r.secondScan.writes.alarmSaves)} alarms written). A CPU profile of one (${SECOND_SCAN.date}, 3,000 objects; \`BENCH_CPU_PROF=DIR npx tsx test/bench/scan-cpu.ts 3000 1\`, the profile \`DIR/scan-scan-cpu-0-2.cpuprofile\`): ${SECOND_SCAN.text}. ${SECOND_SCAN.change}. ${SECOND_SCAN.left}.`,
  );
  out();
  return lines;
}
