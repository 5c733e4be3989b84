/**
 * docs/benchmarks.md, written by `npm run bench` from one run's results. The explanations are
 * here, next to the numbers they explain; edit this file, not the generated page.
 */
import { renderPageSection } from "./page";
import { LAMBDA_MB_PER_VCPU, renderCost } from "./report-cost";
import { renderScanCpu } from "./report-scan-cpu";
import { renderSizing } from "./report-sizing";
import { type BenchResults, type summarize, TARGETS } from "./summary";

type Summary = ReturnType<typeof summarize>;

const n = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const s = (ms: number) => `${n(ms / 1000, 1)} s`;
const kb = (bytes: number) => `${n(bytes / 1000, 0)} kB`;
const mark = (status: string) => (status === "met" ? "met" : status === "missed" ? "**missed**" : status);

function heapLimitWhy(peak: NonNullable<BenchResults["peak"]>): string {
  switch (peak.heapLimitFrom) {
    case "function":
      return `what Node picks on the scan function's ${n(peak.functionMemoryMb)} MB`;
    case "node-default":
      return "Node's default on this machine";
    case "option":
      return "set with --peak-heap-mb";
  }
}

/**
 * Profiles taken by hand with this bench (BENCH_CPU_PROF, test/bench/profile-summary.ts) on
 * 2026-11-29, before (9ae98ea) and after the engine work of issue 18; not re-measured by every run.
 */
const PROFILES = {
  floorBefore:
    "asn1js decoding 32 % (each certificate decoded two or three times: the file classified by decoding it, a PEM block decoded to find its first element, then parseCertificate), mapping onto the @peculiar/asn1-x509 schema 22 %, re-serializing subject and issuer to compare them 6 %, node:crypto's own parse 15 %, key details 3 %, signature verification 5 %",
  floorAfter:
    "node:crypto's own parse 26 % and key details 4 %, asn1js decoding 19 % (once per certificate), reading the fields from the tree (names, extensions, validity, key, the profile path validation reads) 12 %, path validation and the other checks 9 %, signature verification 8 % (10.5 % before a signature met again, the issuing CA's by the root in every chain, was kept across objects), garbage collection 6 %, the caches of repeated encodings 3 %, PEM armour 3 %",
  /** Issue 28, 2026-12-07: `BENCH_CPU_PROF` profiles of the floor alone on 3,000 objects (see the text). */
  floorVsNativeFloor:
    "Where the floor's time goes (CPU profiles of the floor alone on 3,000 objects of the bench's corpus, 4,050 certificates, 2026-12-07, two runs: `BENCH_CPU_PROF=DIR node --import tsx test/bench/scan-worker.ts` with a `floor` job, samples sorted by part of the engine): node:crypto's own work, which (a′) also does, 49–51 % (OpenSSL's parse 26–28 %, signature verification 12–13 %, key details 5 %, its wrappers and the SHA-256 fingerprint the rest); path validation and the other checks, without the signature check, 12–13 %; reading the fields by position, counting the shape, the validity times and the readers themselves 8–10 %; the names' text and canonical form 5–6 %; the facts and the path-validation profile 5–6 %; garbage collection 4–6 %; finding the fields' offsets with @lapo/asn1js 4 % (it decodes the whole certificate and tries every OCTET and BIT STRING's content as BER, which it cannot be told not to; kept from capturing stacks for the tries that fail, from building text, and from nesting deeper than 64 elements, which bounds it on crafted content); PEM armour 3–4 %; the caches of repeated encodings 3–4 %; asn1js next to nothing. Cut since the previous profile (node:crypto 40 %): a leaf's subject name, the one field no cache holds, is read from the positions @lapo/asn1js already found, its values' text taken octet by octet where asn1js takes it so (PrintableString, TeletexString, IA5String, UTF8String of ASCII; any other value still has the name decoded by asn1js), instead of asn1js decoding the name a second time (9 % of the floor); a PKCS#7 bundle of the certs-only shape (byte for byte what `openssl crl2pkcs7 -nocrl` writes, up to 16 kB; anything else outside its certificates is decoded whole, as openssl refuses a malformed signer or CRL) has its certificates found by position and read the common way instead of asn1js decoding the whole bundle (5–7 % of the floor for 5 % of the objects); the expiry check writes nothing for a certificate that is neither expired nor expiring; the caches build small keys in JavaScript. Measured in one process, the previous engine and this one judging the same 3,000 objects in alternating turns of 100 with (a′) after each turn, two rounds (a script of this measurement, not kept: it loads both versions of the engine side by side), at load average 7.5 to 16 on 2 cores: before the PKCS#7 change, in four runs, the floor's CPU per certificate fell by 10 to 16 % and (a′) on CPU time rose from 42–46 % to 50–51 % of it; with it, in two runs, by 16 and 25 % (1,027 to 860 and 1,119 to 842 µs), from 41 and 36 % to 48.5 and 48 %; findings the same (engine baseline: 0 of 2,922 differ; conformance 85 of 85). What is left is JavaScript spread thin: no part but node:crypto's is above an eighth, and 60 % would need all of it at two thirds of its size. What would move it is the checks and the facts with much less JavaScript (path validation and the checks, the facts, the names: a quarter of the floor together), not another decoder.",
  scanBefore:
    "reading and judging 51 %, AWS SDK 16 %, HTTP and sockets 10 %, idle 14 %, garbage collection 3.5 %, inventory 1.8 %, alarms 0.4 %",
  scanAfter:
    "reading and judging 42 %, AWS SDK 25 %, HTTP and sockets 15 %, idle 6 %, garbage collection 3 %, inventory 2 %, alarms 1 %",
};

/**
 * Why the scan's CPU per object is where it is: profiles taken by hand (BENCH_CPU_PROF,
 * test/bench/profile-summary.ts), not re-measured by every run. See "Scan CPU" below.
 */
const SCAN_CPU_MISSED =
  "Measured by hand on 2026-12-07 with `npx tsx test/bench/scan-cpu.ts N 1` (CPU by thread and per 1,000 downloads) and a CPU profile of a 10,000-object first scan: the figure moves with the machine more than with the code. The code of the run of 15:14, which read 2.77 ms, read 4.41 and 4.75 ms at 20:20 (commit a1b4aab, with the S3 client's `cacheMiddleware` that run's first scan did not yet have), in turns with today's, which read 3.54 and 3.84 ms; the emulators' CPU for unchanged requests moved from 1.02 to 1.84 ms per object between the two full runs. A fresh process spends 4.4 to 5.9 ms on each of its first 1,000 objects and 2.5 to 3.9 ms on its last (V8 compiling), so 2,000-object runs read higher than 10,000-object ones taken at the same time (4.29 and 5.07 ms against 3.74); 12 to 15 % of the CPU runs on other threads, mostly V8's optimizing compiler,, which `process.cpuUsage()` counts and the profile does not. What the scan does per object besides reading and judging is the AWS SDK's per-request work and Node's HTTP client; what is ours outside them is about 0.2 ms per object. Details, this run's split and what was cut: [Scan CPU](#scan-cpu).";

/**
 * Why the incremental ratio fell while both scans got faster: the two full bench runs of
 * 2026-12-07 on the merged issue-28 work, and a profile of a second scan taken after them.
 */
const INCREMENTAL_MISSED =
  "On 2026-12-07 two full runs of this bench on the same quiet machine, before and after the PKCS#7 bundles were read by position, gave first scans of 47.9 and 35.2 s and second scans of 4.0 and 3.9 s: the engine's work made the first scan a quarter cheaper and left the second, which reads no certificate, as it was, so the ratio fell from 12.0× to 9.1× while both scans got faster. A CPU profile of a second scan on the same code (3,000 objects, `BENCH_CPU_PROF=DIR npx tsx test/bench/scan-cpu.ts 3000 1`, then `npx tsx test/bench/profile-summary.ts DIR/scan-scan-cpu-0-2.cpuprofile`; 10.3× in that run): the AWS SDK 24 % (request building and signing, XML of the listing, the JSON of the look-ups and the base64 of each binary record), decoding the inventory records 21 % (zlib's gunzip 8 %, zod's check of the record 9 %, JSON the rest), idle 17 % (waiting on s3rver and dynalite, which share the 2 cores), garbage collection 7 %, Node's HTTP client 7 %, judging the stored facts again 8 %, the rest spread thin. What would move it is outside the record's contract or the settlement's: records kept as plain JSON (twice the bytes and write units per record, a format change) or fewer alarm writes per run (which would give up the ordering of concurrent runs, docs/architecture.md); neither was done.";

/**
 * node --cpu-prof of the certificate-scan bundle's import, by hand, 2026-12-07 (not every run): an
 * unminified build with lib/bundling.ts's options, 3 imports at 100 µs sampling; and the same
 * build with a timestamp before each module's code (per-module evaluation, median of 7 imports).
 */
const COLD_IMPORT_PROFILE =
  "Profile of a cold import of the certificate-scan bundle (2026-12-07, after issue 26 added the AWS certificate sources: 1,249 kB; `node --cpu-prof` on an unminified build with the same options, 3 imports): V8 compiling the bundle's source 36 %, zod building the schemas 15 % (its own code compiled on first use included), the bundle's module-level code (the SDK's command classes and schema tables, asn1js's classes) 11 %, garbage collection 6 %, Node loading the built-in modules the SDK needs (http, https, crypto, zlib, tls) 4 %, @peculiar/asn1-schema's decorators 4 %, decoding the source file's UTF-8 3 %, the rest Node's module loader. Timed module by module, evaluation was 120 ms of the unminified import, 68 ms of it in watchpost's own modules, nearly all of that building zod schemas: the certificate facts and inventory record 13 ms (the first schemas built, so they also pay for compiling zod), the configuration about 27 ms (certificates 10, operations 6.5, notifications 3, the rest 2 or less each), contracts, alarm events and states, fan-out messages and heartbeats 2 to 3 ms each. Nothing is built at import that a scan does not use: the configuration is parsed on the first invocation, not at import (functions/handlers/shared/deployed-config.ts), the clients are made on the first invocation, and every schema checks what that invocation reads (the configuration, the event, inventory records, alarm states), so building them lazily would move their cost from the import into the first invocation, both in the same cold start, rather than remove it. What a scheduled scan need not evaluate was small: the keystore readers (java-keystore 3 ms, rc2 1 ms) and the SDK clients of the optional sources (Secrets Manager, SSM, IAM, ACM, STS: 7 ms together). This profile was taken on the single-file build; since the build is split (see Bundle size), those parts are neither compiled nor evaluated at a cold start unless the configuration or the input uses them, which saves less than the run-to-run noise of the import time here, so the import's figures in the table are the measure of that change, not this profile. What would move the import is less code to compile (see Bundle size) and a smaller zod. On a quiet machine the target is met: certificate-scan's fastest import 178 and 208 ms, median 207 and 253 ms, CPU median 211 and 252 ms, in two sets of 7 at load average 2.5 to 2.9 (at load average 10 the same build's fastest was 578 ms for the same CPU); Node 24, what Lambda runs, spent the same CPU within the noise (238 ms median against 228 on Node 20, same minutes). On Lambda the import runs on the function's share of a vCPU: divide the CPU time by it (0.29 at 512 MB).";

/** Imports timed per bundle (5 before they were kept in the results). */
function scanBundleRuns(r: BenchResults): number {
  return r.bundles[0]?.coldImportRuns ?? 5;
}

export function renderReport(r: BenchResults, sum: Summary): string {
  const t = sum.targets;
  const first = r.firstScan;
  const second = r.secondScan;
  const kinds = Object.entries(r.store.byKind)
    .map(([kind, count]) => `${n(count ?? 0)} ${kind}`)
    .join(", ");
  const opensslKinds = Object.entries(r.openssl.byKind)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(", ");
  const firstCpuShare = first.cpuMs / first.ms;
  const latency = sum.latency;
  const lines: string[] = [];
  const out = (text = "") => lines.push(text);

  out("# Benchmarks");
  out();
  out(
    `Written by \`npm run bench\` (test/bench/run.ts) on ${new Date().toISOString().slice(0, 10)}; do not edit by hand, the text lives in test/bench/report.ts. The machine is described [below](#machine); it is shared and small, so compare the ratios, which hold within one run, rather than the absolute rates.`,
  );
  out();
  out("## Results");
  out();
  out("| measure | result | target | status |");
  out("| --- | --- | --- | --- |");
  out(
    `| in-memory floor (read and judge), ${n(r.store.objects)} objects / ${n(r.store.certificates)} certificates | ${n(sum.floorCertsPerSecond)} certificates/s (${s(r.floor.ms)}), ${n(sum.floorVsNative * 100)} % of node:crypto's bare parse | ≥ ${TARGETS.floorVsNativeFloor * 100} % of (a′) | ${mark(t.floorAtLeast60PercentOfNativeFloor)}: ${n(sum.floorVsNativeFloor * 100)} % (on CPU time ${n(sum.floorVsNativeFloorCpuTime * 100)} %) |`,
  );
  out(
    `| (a′) node:crypto's share of the work, same certificates in the same turns: \`new X509Certificate(pem)\`, key details, SHA-256 fingerprint, one signature verification per certificate not met before (${n(r.floor.nativeFloor.verifications)}) | ${n(sum.nativeFloorCertsPerSecond)} certificates/s (${s(r.floor.nativeFloor.ms)}), ${n(sum.nativeFloorVsNative * 100)} % of the bare parse | | |`,
  );
  out(
    `| node:crypto's bare parse, same certificates: \`new X509Certificate(pem)\`, subject, subjectAltName, key details | ${n(sum.nativeX509CertsPerSecond)} certificates/s (${s(r.floor.native.ms)}) | | |`,
  );
  out(
    `| asn1js the engine decodes with (@peculiar/asn1-schema's, pinned in package.json) vs asn1js ${sum.asn1js.v4Version}, \`fromBER\` of the same ${n(sum.asn1js.certificates)} certificates in turns | ${sum.asn1js.engineVersion}: ${n(sum.asn1js.engineCertsPerSecond)} certificates/s; ${sum.asn1js.v4Version}: ${n(sum.asn1js.v4CertsPerSecond)}/s, ${n(sum.asn1js.v4VsEngineDecodeTime, 1)}× the decode time | | |`,
  );
  out(
    `| floor vs \`openssl x509 -noout -dates\`, one process per file (${n(sum.opensslLoopCertsPerSecond, 1)} certificates/s over ${r.openssl.certificates} files; a comparison, no longer a target: issue 28) | ${n(sum.floorVsOpenssl, 1)}× | | |`,
  );
  out(
    `| end-to-end first scan (s3rver and dynalite on loopback) | ${n(sum.certsPerSecond)} certificates/s (${s(first.ms)}), ${n(sum.speedupVsOpenssl, 1)}× the openssl loop, ${n(sum.endToEndVsFloor * 100)} % of the floor | | |`,
  );
  out(
    `| CPU of the scan process per object, first scan (its own \`process.cpuUsage()\`; s3rver and dynalite run in processes of their own) | ${n(sum.scanCpuMsPerObject, 2)} ms (${n(sum.secondScanCpuMsPerObject, 2)} ms in the second scan; the emulators meanwhile ${n(sum.emulatorCpuMsPerObjectBothScans, 2)} ms per object and scan, not counted) | ≤ ${TARGETS.scanCpuMsPerObject} ms | ${mark(t.scanAtMost3_5MsCpuPerObject)} |`,
  );
  if (r.cli) {
    out(
      `| \`watchpost --help\` from the built single-file artifact (\`npm run build\`, ${kb(r.cli.artifactBytes)}), fastest of ${r.cli.runs} | ${n(r.cli.artifactHelp.minWallMs)} ms (median ${n(r.cli.artifactHelp.medianWallMs)} ms${r.cli.artifactHelp.medianCpuMs !== undefined ? `, CPU ${n(r.cli.artifactHelp.medianCpuMs)} ms` : ""}; \`node -e 0\` ${n(r.cli.nodeBaseline.minWallMs)} ms) | ≤ ${TARGETS.cliHelpMs} ms | ${mark(t.cliHelpAtMost300msFromArtifact)} |`,
    );
    out(
      `| \`npm run cli -- --help\` (npm, then tsx compiling the sources), fastest of 3 | ${n(r.cli.npmRunCliHelp.minWallMs)} ms (median ${n(r.cli.npmRunCliHelp.medianWallMs)} ms) | | |`,
    );
  }
  if (latency) {
    out(
      `| latency-bound first scan, ${r.latency.injectedMs} ms added to every S3 request, download concurrency ${latency.concurrency} (the default), ${n(latency.objects)} objects | ${n(latency.objectsPerSecond)} objects/s; the bound (concurrency ÷ latency) is ${n(latency.boundObjectsPerSecond)}, ${n(latency.shareOfBound * 100)} % of it, ${n(latency.cpuMsPerObject, 2)} ms CPU per object (see [Lambda sizing](#lambda-sizing)) | | |`,
    );
  }
  for (const run of sum.fanOut) {
    out(
      `| fan-out: ${n(run.objects)} objects over ${run.workers} concurrent scan process${run.workers === 1 ? "" : "es"}, same latency | ${n(run.objectsPerSecond)} objects/s${run.speedup !== null && run.workers > 1 ? `, ${n(run.speedup, 2)}× one process` : ""} | | |`,
    );
  }
  out(
    `| second scan, unchanged store | ${s(second.ms)}: ${n(sum.incrementalSpeedup, 1)}× faster, ${second.getObject.certificates} GetObject for certificate objects (${second.getObject.trustBundle} for the trust bundle), ${n(second.objects.reused)} objects judged from the inventory | ≥ ${TARGETS.incrementalSpeedup}×, 0 downloads | ${mark(t.incrementalTenTimesFasterWithoutDownloads)} |`,
  );
  if (r.peak) {
    const p = r.peak.scan.rounds[0];
    out(
      `| peak memory, first scan of ${n(r.peak.objects)} objects / ${n(r.peak.certificates)} certificates in one invocation, V8 heap limit ${n(r.peak.heapLimitMb)} MB (${heapLimitWhy(r.peak)}) | ${n(r.peak.scan.peakRssMb)} MB resident (${n(r.peak.scan.rssBeforeMb)} MB before the scan; heap peak ${n(r.peak.scan.peakHeapMb)} MB); the scan took ${s(p?.ms ?? 0)}, ${n(((p?.certificates ?? 0) / (p?.ms ?? 1)) * 1000)} certificates/s | ≤ ${TARGETS.peakRssMb} MB | ${mark(t.peakRssAtMost512MbAt50000Objects)} |`,
    );
  } else {
    out(
      `| peak memory at 50,000 objects | not measured in this run | ≤ ${TARGETS.peakRssMb} MB | not measured |`,
    );
  }
  for (const b of r.bundles) {
    const size = t[`bundle:${b.function}:atMost1MB` as keyof typeof t];
    const cold = t[`bundle:${b.function}:coldImportAtMost300ms` as keyof typeof t];
    out(
      `| bundle \`${b.function}\` | ${kb(b.bytes)} loaded at a cold start (${kb(b.assetBytes)} in the asset, the rest on first use), cold import ${n(b.coldImportMinMs ?? b.coldImportMs)} ms, fastest of ${b.coldImportRuns ?? 5} (median ${n(b.coldImportMs)} ms, CPU ${n(b.coldImportCpuMs ?? 0)} ms) | ≤ 1 MB, ≤ ${TARGETS.coldImportMs} ms | size ${mark(size)}, import ${mark(cold)} |`,
    );
  }
  if (r.engineBaseline) {
    out(
      `| findings before and after: the engine's outputs (read results, facts, findings) on the fixed corpus of test/engine-baseline, ${n(r.engineBaseline.inputs)} inputs with the conformance cases among them, against the baseline recorded at ${r.engineBaseline.baselineCommit} before the reader was rebuilt | ${n(r.engineBaseline.differing.length)} differ | none differs | ${mark(t.findingsIdenticalOnFixedCorpus)} |`,
    );
  }
  out();
  out("The JSON line `npm run bench` prints last carries the same numbers and a `targets` object.");
  out();

  out("## The engine against node:crypto");
  out();
  out(
    `node:crypto parses a certificate natively (OpenSSL) and is the yardstick: in this run it read ${n(sum.nativeX509CertsPerSecond)} certificates/s with the fields a check needs at the least, and watchpost read and judged ${n(sum.floorCertsPerSecond)}/s, ${n(sum.floorVsNative * 100)} % of it${sum.floorVsNativeCpuTime !== null ? ` (on CPU time, which the machine's load moves less: ${n(sum.floorVsNativeCpuTime * 100)} %)` : ""}. Watchpost does node:crypto's work too (the same parse, which is what tells whether TLS clients can load the certificate, and the same key details), and on top of it: decodes the certificate once with asn1js (@peculiar/asn1-schema) for what node:crypto does not expose (the extensions path validation reads, their criticality, key identifiers, the exact validity times, names as RFC 5280 compares them), verifies each chain's signatures, and runs the checks. A certificate met again (the issuing CA in every chain file, the trust bundle) is described once per execution environment, as are repeated names, algorithm identifiers and extension values (functions/core/certificates/decode-cache.ts), and a signature verified once is not verified again (the issuing CA's by the root, in every chain): of this store's ${n(r.store.certificates)} certificates, ${n(r.store.certificates - r.store.objects)} are such repeated CA certificates.`,
  );
  out();
  out(
    `CPU profiles of the floor (2,000 objects, 2026-11-29). Before (9ae98ea, floor at 15.5 % of node:crypto, best of 5): ${PROFILES.floorBefore}. After: ${PROFILES.floorAfter}. What is left beyond node:crypto's own work is the one asn1js decode (about as costly as OpenSSL's whole parse), the signature checks node:crypto alone does not make, and the garbage the decode leaves.`,
  );
  out();

  out("## Where the first scan's time goes");
  out();
  out(
    `The first scan took ${s(first.ms)} of wall time, of which the scan process itself was busy ${s(first.cpuMs)} (${n(firstCpuShare * 100)} %), ${n(first.cpuMs / r.store.objects, 2)} ms of CPU per object against the floor's ${n(r.floor.cpuMs / r.store.objects, 2)} ms of CPU: the rest is the AWS SDK (request building, SigV4 signing, HTTP, XML and JSON), the inventory records (JSON, gzip, DynamoDB marshalling) and garbage collection. During both scans the emulators used ${n(r.emulatorCpuSeconds.s3rver, 1)} s (s3rver) and ${n(r.emulatorCpuSeconds.dynalite, 1)} s (dynalite) of CPU on the same ${r.machine.cores} cores; on AWS that work happens elsewhere. Time spent waiting on each port in the first scan, summed over its calls: alarm table ${s(first.waits.alarmStore)} and event publishing ${s(first.waits.publish)}, one call after another; inventory look-ups ${s(first.waits.inventoryGet)} and writes ${s(first.waits.inventoryPut)}, which now overlap the downloads (the next chunk is looked up, and the last one's records written, while a chunk downloads); downloads ${r.store.objects > 0 ? n(first.waits.loads / r.store.objects, 1) : 0} ms each on average, ${r.scanWorker.downloadConcurrency} at once.`,
  );
  out();
  out(
    `CPU profiles of a 2,000-object first scan, split by part (test/bench/profile-summary.ts): before (9ae98ea) ${PROFILES.scanBefore}; after ${PROFILES.scanAfter} (idle fell with the waits taken out of line). What was ours to cut outside reading and judging: the clients were already made once per execution environment; inventory look-ups and writes went out one BatchGetItem/BatchWriteItem call after another and held the scan at every chunk of 200 objects (now four calls at once, the next chunk's look-up during this chunk's downloads, and the writes behind the scan); nothing is re-serialized on the way. What remains is the SDK's own per-request work (middleware stack, endpoint rules, signing, XML) and Node's HTTP client, about 4 in 10 of the scan process's CPU, which is not ours to change.`,
  );
  out();

  for (const line of renderScanCpu(r, sum)) out(line);

  if (latency) {
    const runs = [...r.latency.runs].sort((a, b) => a.concurrency - b.concurrency);
    const configured = r.latency.runs.find((run) => run.concurrency === r.latency.configuredConcurrency);
    const cpuPerObject = (configured?.cpuMs ?? 0) / (configured?.objects || 1);
    const functionMb = r.scanFunctionMemoryMb;
    const vcpu = functionMb / LAMBDA_MB_PER_VCPU;
    const lambdaCpuPerObject = cpuPerObject / vcpu;
    const lambdaRate = 1000 / lambdaCpuPerObject;
    const keepBusy = (latencyMs: number) => Math.ceil((lambdaRate * latencyMs) / 1000);
    const low = runs[0];
    const high = runs[runs.length - 1];
    const perInFlightMb =
      low && high && high.concurrency > low.concurrency
        ? (high.peakRssMb - low.peakRssMb) / (high.concurrency - low.concurrency)
        : undefined;
    out("## Download concurrency");
    out();
    out(
      `A scan of real S3 waits: AWS gives the median latency of small GetObject requests as "often in the range of tens of milliseconds" (whitepaper *Best Practices Design Patterns: Optimizing Amazon S3 Performance*, "Timeouts and Retries for Latency-Sensitive Applications"), while s3rver on loopback answers in well under one. So the bench also scans through a front that holds every S3 request ${r.latency.injectedMs} ms before s3rver sees it (test/bench/emulator.ts), in a fresh process with the scan function's heap limit, fresh tables, ${n(configured?.objects ?? 0)} objects: the most it can do is concurrency ÷ latency objects per second.`,
    );
    out();
    out(
      "| download concurrency | objects/s | bound (concurrency ÷ latency) | share of the bound | CPU per object | peak RSS |",
    );
    out("| --- | --- | --- | --- | --- | --- |");
    for (const run of runs) {
      const objectsPerSecond = (run.objects / run.ms) * 1000;
      const bound = (run.concurrency / r.latency.injectedMs) * 1000;
      out(
        `| ${run.concurrency}${run.concurrency === r.latency.configuredConcurrency ? " (default)" : ""} | ${n(objectsPerSecond)} | ${n(bound)} | ${n((objectsPerSecond / bound) * 100)} % | ${n(run.cpuMs / run.objects, 2)} ms | ${n(run.peakRssMb)} MB |`,
      );
    }
    out();
    out(
      `What the scan function should use on Lambda follows from two measured figures and one documented one. Lambda allocates CPU in proportion to memory, one vCPU's worth at 1,769 MB (AWS Lambda Developer Guide, "Configure Lambda function memory", https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html): the scan function's ${n(functionMb)} MB get ${n(vcpu, 2)} of a vCPU. The scan process spent ${n(cpuPerObject, 2)} ms of CPU per object here at the default concurrency (SDK included; the emulators' CPU not), so on that share about ${n(lambdaCpuPerObject, 1)} ms, at most about ${n(lambdaRate)} objects/s however many downloads are in flight (this assumes a core here is worth a Lambda vCPU; this shared, loaded machine is likely the slower of the two, which errs towards more concurrency than needed). By Little's law the downloads in flight that keep that CPU busy are rate × latency: ${keepBusy(30)} at 30 ms, ${keepBusy(60)} at 60 ms, ${keepBusy(100)} at 100 ms. Memory is no constraint: ${perInFlightMb !== undefined ? `peak RSS grew by about ${n(Math.max(0, perInFlightMb), 1)} MB per download in flight between concurrency ${low?.concurrency} and ${high?.concurrency}` : "the peak RSS hardly moves with the concurrency"} (a certificate object is a few kilobytes; its decoded tree is garbage within the same turn), against the function's ${n(functionMb)} MB. The default, ${r.latency.configuredConcurrency}, keeps the CPU busy up to about ${n((r.latency.configuredConcurrency * 1000) / lambdaRate)} ms of latency, covering S3's spread of tens of milliseconds without holding more than a few hundred kilobytes in flight; more concurrency only queues behind the CPU. It is \`operations.scanDownloadConcurrency\` (docs/configuration.md) for functions given more memory.`,
    );
    out();
    out(
      `The share of the bound says how well the scan overlaps its waits. On this machine it is limited by CPU, not by the overlap: the scan process competes with s3rver, dynalite and other work for ${r.machine.cores} cores, and at ${n(cpuPerObject, 2)} ms of CPU per object it cannot exceed about ${n(1000 / cpuPerObject)} objects/s even with the cores to itself.`,
    );
    out();
  }

  if (r.fanOut.length > 0) {
    const base = r.fanOut[0]!;
    out("## Fan-out");
    out();
    out(
      `A source larger than one batch is handed out over the scan queue to up to \`scanWorkers\` concurrent invocations (docs/architecture.md). Here the same ${n(base.objects)} objects (folders of 1,000) are split over 1, 2 and 4 scan processes started together, each a first scan through the same ${r.latency.injectedMs} ms front at the default download concurrency, with tables of its own; rate = all objects ÷ (last end − first start).`,
    );
    out();
    out("| processes | objects/s | vs one | scan CPU per object | emulators' CPU meanwhile |");
    out("| --- | --- | --- | --- | --- |");
    for (const run of r.fanOut) {
      out(
        `| ${run.workers} | ${n((run.objects / run.ms) * 1000)} | ${n((run.objects / run.ms / (base.objects / base.ms)) * 1, 2)}× | ${n(run.cpuMs / run.objects, 2)} ms | ${n(run.emulatorCpuMs / 1000, 1)} s |`,
      );
    }
    out();
    out(
      `What limits it here: ${r.machine.cores} cores for every process, s3rver and dynalite (and whatever else runs on this shared machine): once the scan processes together use the CPU there is, more of them only share it. On Lambda each invocation has its own CPU share and S3 and DynamoDB scale on their side, so fan-out multiplies the rate of one invocation until S3's request rate per prefix (5,500 GET/s) or the queue's \`maxConcurrency\` bounds it; this bench cannot show that part.`,
    );
    out();
  }

  for (const line of renderSizing(r, sum)) out(line);
  for (const line of renderCost(r, sum)) out(line);

  out("## What limits the targets that are missed");
  out();
  const missed = Object.entries(t).filter(([, status]) => status === "missed");
  if (missed.length === 0) out("Every target was met in this run.");
  if (t.floorAtLeast60PercentOfNativeFloor === "missed") {
    out(
      `- **Floor vs (a′) (${n(sum.floorVsNativeFloor * 100)} %, target ${TARGETS.floorVsNativeFloor * 100} %; on CPU time ${n(sum.floorVsNativeFloorCpuTime * 100)} %).** ${PROFILES.floorVsNativeFloor}`,
    );
  }
  if (t.scanAtMost3_5MsCpuPerObject === "missed") {
    out(
      `- **Scan CPU per object (${n(sum.scanCpuMsPerObject, 2)} ms, target ${TARGETS.scanCpuMsPerObject} ms).** ${SCAN_CPU_MISSED}`,
    );
  }
  if (t.cliHelpAtMost300msFromArtifact === "missed" && r.cli) {
    out(
      `- **\`watchpost --help\` (${n(r.cli.artifactHelp.minWallMs)} ms, target ${TARGETS.cliHelpMs} ms).** \`node -e 0\` alone took ${n(r.cli.nodeBaseline.minWallMs)} ms at best in the same minutes; the rest is parsing the ${kb(r.cli.artifactBytes)} artifact's top-level code. The machine's load moves wall time; the CPU time (${n(r.cli.artifactHelp.medianCpuMs ?? 0)} ms median) is the steadier figure.`,
    );
  }
  if (t.incrementalTenTimesFasterWithoutDownloads === "missed") {
    out(
      `- **Incremental (${n(sum.incrementalSpeedup, 1)}×, ${second.getObject.certificates} downloads; target ${TARGETS.incrementalSpeedup}×, 0).** The second scan downloads nothing; it lists, reads one inventory record per object, judges the stored facts again and settles the alarms. It spent ${s(second.cpuMs)} of CPU in ${s(second.ms)}; the rest is waiting, on this machine's ${r.machine.cores} shared cores, for s3rver's listing and dynalite's answers (look-ups ${s(second.waits.inventoryGet)} and the alarm table ${s(second.waits.alarmStore)}, summed over the calls in flight together; ${n(second.writes.alarmSaves)} alarms written again, each as the four attributes a run that sees it again moves: why they are written at all is in docs/architecture.md, "Why each run writes every alarm it sees again"), and dynalite and s3rver are JavaScript on the same cores. What was cut and what is left, with a profile of a second scan: [Scan CPU](#scan-cpu). The ratio also moves with what the first scan costs on the day: its downloads, not its waits, since the inventory look-ups and writes overlap them. ${INCREMENTAL_MISSED}`,
    );
  }
  if (t.peakRssAtMost512MbAt50000Objects === "missed") {
    out(
      `- **Peak memory (${n(r.peak?.scan.peakRssMb ?? 0)} MB at ${n(r.peak?.objects ?? 0)} objects, heap limit ${n(r.peak?.heapLimitMb ?? 0)} MB).** See [memory](#memory) below: with a generous heap limit V8 collects lazily and resident memory follows the limit, not the scan.`,
    );
  }
  const bigBundles = r.bundles.filter((b) => b.bytes > TARGETS.bundleBytes);
  if (bigBundles.length > 0) {
    out(
      `- **Bundle size (${bigBundles.map((b) => `\`${b.function}\` ${kb(b.bytes)} at a cold start, ${kb(b.bytes - TARGETS.bundleBytes)} over`).join("; ")}; target 1 MB).** The target is held to what a cold start loads: \`index.mjs\` and the chunks it imports statically (see Bundles below). What weighs most in it is in the bundle table below: the AWS SDK (@smithy/core, the S3, DynamoDB and EventBridge clients and their schemas), zod, asn1js and the certificate code. Bundling options in place (lib/bundling.ts): \`mainFields: module, main\`, separate source maps without sources, \`charset: utf8\`, license notices in separate files, the SDK's default credential chain replaced by the environment's credentials, @lapo/asn1js's table of object identifier names (210 kB) replaced by none through an esbuild plugin, and code splitting with what only some configurations or files need imported on first use (the AWS certificate sources' clients, the Secrets Manager client of PKCS#12 passwords, the SQS client of fan-out, the Java keystore readers, node-forge's RC2, the TLS endpoint probe); the \`@peculiar/asn1-*\` schema packages cannot be tree-shaken (their decorators run at import). Levers left: zod's classic API, which keeps every schema's JSON-Schema conversion (about 18 kB), and the alarm catalogue's texts (functions/core/alarms/catalog.ts, 49 kB), which every scan may raise.`,
    );
  }
  const slowImports = r.bundles.filter((b) => (b.coldImportMinMs ?? b.coldImportMs) > TARGETS.coldImportMs);
  if (slowImports.length > 0) {
    out(
      `- **Cold import (fastest run: ${slowImports.map((b) => `\`${b.function}\` ${n(b.coldImportMinMs ?? b.coldImportMs)} ms`).join("; ")}; target ${TARGETS.coldImportMs} ms; CPU time ${slowImports.map((b) => `${n(b.coldImportCpuMs ?? 0)} ms`).join(", ")}).** Timed on this shared machine under the load noted below; wall time moves with the neighbours' load from run to run, the CPU time much less. ${COLD_IMPORT_PROFILE}`,
    );
  }
  if (t.findingsIdenticalOnFixedCorpus === "missed" && r.engineBaseline) {
    out(
      `- **Findings before and after (${n(r.engineBaseline.differing.length)} of ${n(r.engineBaseline.inputs)} inputs differ).** \`npx tsx test/engine-baseline/compare.ts\` prints each with its output before and after; the first of them: ${r.engineBaseline.differing.slice(0, 10).join(", ")}.`,
    );
  }
  out();

  out("## Memory");
  out();
  out(
    `Node sizes V8's heap from the machine's memory, about a quarter of it: ${n(r.nodeDefaultHeapLimitMb)} MB on this machine, about ${n(r.scanFunctionMemoryMb / 4)} MB on the ${n(r.scanFunctionMemoryMb)} MB the stack gives the scan function. A heap allowed to grow to gigabytes is collected lazily, and resident memory then measures the machine rather than the scan, so the 50,000-object scan runs with the scan function's limit (\`--peak-heap-mb N\` chooses another, 0 Node's default here).`,
  );
  out();
  out(
    "Observed on 2026-11-22 with this bench, not re-measured by every run. Until commit f00e2e5 a scan without fan-out kept every certificate's facts until its end, only to count them and find the soonest expiry: a heap snapshot of the 50,000-object scan held about 103 MB of them (about 2 kB per certificate: two Dates, three objects and some 13 strings each); with Node's default limit here the resident peak was 653 MB, and with a 128 MB limit (what Node would pick on a 512 MB function) the scan ran out of heap. Since then the scan keeps a count and the soonest expiry instead: with Node's default limit the peak was 313 MB (heap peak 125 MB), and with a 128 MB limit the scan completed at 189 MB (heap peak 69 MB). What a scan without fan-out still holds per object is its key in the list of examined objects and its findings. In the deployed stack a source of more than `batchSize` objects (500 by default) is fanned out anyway, so one invocation holds one batch.",
  );
  out();

  out("## Bundles");
  out();
  out(
    "Built with the options the stack gives NodejsFunction (lib/bundling.ts), with esbuild's API here as in `cdk synth`, where NodejsFunction's `afterBundling` hook builds each function again with the API (lib/bundle-function.ts) because its command line cannot take the plugin that leaves out @lapo/asn1js's table of identifier names. The build is split (esbuild's code splitting): each asset holds the handler file `index.mjs` and chunks beside it, some imported by `index.mjs` itself (a cold start loads them), others only by an `import()` where code that only some configurations or files need is first used. Counted against the 1 MB target: what a cold start loads, `index.mjs` and every chunk it imports statically, walked in esbuild's metafile (test/bench/bundles.ts, `bundleParts`); a lazily imported part weighs on a cold start only in a configuration or a store that uses it, and then on the first invocation that does. Also shown: the whole asset's code, and what each lazily imported part adds once used (its chunks not already loaded; parts overlap, as the AWS certificate sources and a PKCS#12 password share the Secrets Manager client, so they do not add up to the asset). Not counted: the source maps (`.map` beside each file), read only when NODE_OPTIONS has `--enable-source-maps` (the stack does not set it). Cold import: a fresh `node` process timing `await import()` of `index.mjs` (which loads its static chunks), the three bundles in turns, " +
      `${scanBundleRuns(r)} runs each with and without source maps; the target is held to the fastest run, as \`watchpost --help\` is (a slower one measures the neighbours' load), the median and the CPU time are beside it. Node ${r.machine.node} here, Node 24 on Lambda.`,
  );
  out();
  const scanBundle = r.bundles.find((b) => b.function === "certificate-scan");
  out(
    "Code splitting, measured on 2026-12-07 with the shipped example's configuration and the same options otherwise (`bundleParts` over the metafile of `esbuildOptions`): certificate-scan 1,281,144 bytes in one file before; after, 988,129 bytes at a cold start, 1,336,152 in the asset's 22 files. What a part adds on its first use: the AWS certificate sources 195,850 bytes (SSM 79 kB, IAM 27 kB, STS 18 kB, ACM 18 kB, Secrets Manager, the awsQuery protocol of IAM and STS), fan-out to SQS 39,770, a PKCS#12 password from Secrets Manager 30,458, a legacy PKCS#12 file's RC2 (node-forge) 28,251, a Java keystore 24,264, a TLS endpoint probe 19,038. credential-check 884 kB -> 869 kB and notifier 664 kB -> 637 kB at a cold start: the SDK's own dynamic imports (event streams, bowser) became chunks of their own. The asset grows by the chunks' module wrappers and the code some chunks share. test/deployment/limits.test.ts checks which packages a cold start of the scan loads and which it ships for later; test/simulation/node24-bundles.test.ts and node24-aws-certificates.test.ts run the synthesized assets on Node 24, through the keystores, a legacy PKCS#12 file with its password from Secrets Manager, the peer group's endpoint probe and the AWS certificate sources.",
  );
  out();
  out(
    "The SDK's default credential chain is not in the bundles: lib/bundling.ts has esbuild put functions/adapters/clients/lambda-credentials.ts in place of @aws-sdk/credential-provider-node, which every SDK client imports for credentials it is not given. In Lambda the execution role's credentials are in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (AWS Lambda Developer Guide, \"Defined runtime environment variables\"); the module reads those, or the container credentials endpoint when AWS_CONTAINER_CREDENTIALS_FULL_URI is set, and otherwise says so. The chain's other sources (profile files, SSO, a credential process, a web-identity token file, EC2 instance metadata) do not exist in Lambda, and the STS, SSO, OIDC and sign-in clients they bring weighed about 95 kB in each bundle, more with the protocol code only they used. Built with the same options before and after, on 2026-11-29 (main d47768b merged): certificate-scan 1,014,920 -> 907,267 bytes, credential-check 734,100 -> 632,700, notifier 655,251 -> 542,917, and the webhook function (deployed only when webhooks are configured, not in the table) 651,115 -> 523,001. The CLI and `npm start` are not bundled and keep the whole chain. test/simulation/node24-bundles.test.ts runs the synthesized bundles on Node 24 with keys in the environment, with the container endpoint, and with only a profile file (refused with that message)." +
      (scanBundle
        ? ` Room left under 1 MB for what the certificate-scan function loads at a cold start: ${kb(TARGETS.bundleBytes - scanBundle.bytes)}.`
        : ""),
  );
  out();
  out(
    "| function | cold start: index.mjs and its static chunks | whole asset (files) | loaded on first use, per part | source maps (not counted) | cold import, fastest / median / CPU | with --enable-source-maps, median | largest inputs at a cold start |",
  );
  out("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const b of r.bundles) {
    out(
      `| ${b.function} | ${kb(b.bytes)} | ${kb(b.assetBytes)} (${b.assetFiles}) | ${b.lazy.length > 0 ? b.lazy.map((l) => `${l.part} +${kb(l.bytes)}`).join(", ") : "none"} | ${kb(b.sourceMapBytes)} | ${b.coldImportMinMs !== undefined ? `${n(b.coldImportMinMs)} / ` : ""}${n(b.coldImportMs)} / ${n(b.coldImportCpuMs ?? 0)} ms | ${n(b.coldImportMsWithSourceMaps)} ms | ${b.largest.map((l) => `${l.input} ${kb(l.bytes)}`).join(", ")} |`,
    );
  }
  out();

  if (r.page) for (const line of renderPageSection(r.page)) out(line);
  out("## Method");
  out();
  out(
    `- **Store.** ${n(r.store.objects)} objects (${kinds}; \`pem\` is one certificate, \`pem-chain\` leaf and issuing CA, \`pem-fullchain\` leaf, issuing CA and root, \`der\` one DER certificate, \`pkcs7\` a DER PKCS#7 bundle of leaf and issuing CA), ${n(r.store.certificates)} certificates, generated and written into s3rver's store in ${s(r.store.seedMs)} (its files, as s3rver keeps them; a sample read back through the S3 API to check bytes and ETag). Certificates are counted, not objects: leaves and the CA certificates inside bundles. About 1 % of the leaves are expired, 2 % expiring, 0.5 % not yet valid and 1 % name another host, so the scan raises alarms as a real one would (${first.findings} findings, ${r.scanWorker.events} alarm events). Leaves are generated from a few templates (one key pair per key type: ECDSA P-256 and, for one in five, RSA-2048), each with its own serial number and name and its own ECDSA signature by the issuing CA (test/bench/corpus.ts); the source's trust bundle holds the root and the issuing CA, and every chain is verified.`,
  );
  out(
    "- **End to end.** In a fresh Node process: `runCertificateScan` with the scheduled event, the production S3 client (functions/adapters/clients/s3.ts) on s3rver, the real alarm store and object inventory on dynalite (fresh tables), alarm events through the real publisher into a recording EventBridge client. No fan-out: the whole source in one invocation. Timed from the call to its return: listing, downloads, reading, judging, inventory writes, alarm settlement. s3rver and dynalite run in processes of their own (test/bench/emulator.ts), so that the scan is not billed for the servers' JavaScript.",
  );
  out(
    `- **Floor.** In another fresh process, the same objects' bytes already in memory: \`readCertificates\` and \`judgeCertificates\` with the scan's policy (trust anchors, expected host, thresholds), one object after another. No I/O, no inventory, no alarms. The last ${r.floor.warmUpObjects} objects are read once first, untimed, to warm the JIT; the timed pass meets them last, when the engine's bounded caches have long let them go.`,
  );
  out(
    `- **node:crypto alone.** In the same process, on the same certificates as PEM text: \`new X509Certificate(pem)\`, reading \`subject\`, \`subjectAltName\` and \`publicKey.asymmetricKeyDetails\`, one certificate after another, after the same kind of warm-up. The floor and node:crypto are timed in turns, ${n(100)} objects at a time (the floor on them, then node:crypto on their certificates), so that a change in the machine's load weighs on both alike; wall time and the process's CPU time are both kept.`,
  );
  out(
    `- **Latency and fan-out.** s3rver gets a second front (test/bench/emulator.ts) that holds each request ${r.latency.injectedMs} ms before passing it on: time to first byte, as S3 has it. The scans through it are first scans (fresh tables each) of whole folders of 1,000 objects, in fresh processes with the heap limit of the scan function; DynamoDB (dynalite) answers with no added delay. Fan-out workers are separate processes that each say when they are ready and start together.`,
  );
  out(
    `- **Incremental.** The same process scans the unchanged store a second time. GetObject calls are counted by a middleware on the S3 client, by key; the trust bundle is read on every scan, by design (its fingerprint decides whether inventory records still hold).`,
  );
  out(
    `- **openssl.** ${r.openssl.certificates} of the same files (${opensslKinds}; every n-th object, PKCS#7 left out because \`openssl x509\` cannot read it) written to a directory and read by \`for f in DIR/*; do openssl x509 [-inform DER] -noout -dates -in "$f"; done\`. One certificate per file for openssl (it reads the first one of a bundle), so its rate is files per second; the output is checked for one notAfter line per file.`,
  );
  out(
    r.peak
      ? `- **Peak memory.** ${n(r.peak.objects - r.store.objects)} more objects generated the same way (in ${s(r.peak.seedMs)}) next to the first ${n(r.store.objects)}, and a first scan of all ${n(r.peak.objects)} (fresh tables, no fan-out: one invocation holds the whole source, the worst case) in a fresh process with \`--max-old-space-size=${r.peak.heapLimitMb}\` (${heapLimitWhy(r.peak)}); peak resident memory is the kernel's high-water mark (\`process.resourceUsage().maxRSS\`) at the end, the heap peak sampled every 100 ms.`
      : "- **Peak memory.** Not measured in this run (`--peak-objects 0`).",
  );
  out(
    `- **Noise.** Other work shares this machine (load average ${r.machine.loadAverageAtStart.join(" ")} at the start, ${r.loadAverageAtEnd.join(" ")} at the end). Each measurement runs once; ratios are taken within one run. Whole run: ${n(r.totalSeconds)} s.`,
  );
  out();

  out("## Machine");
  out();
  out("| | |");
  out("| --- | --- |");
  out(`| CPU | ${r.machine.cpu}, ${r.machine.cores} cores |`);
  out(`| memory | ${n(r.machine.memoryGb, 1)} GB (${n(r.machine.freeMemoryGb, 1)} GB free at the start) |`);
  out(`| OS | ${r.machine.os} |`);
  out(`| Node.js | ${r.machine.node} |`);
  out(`| OpenSSL (command line) | ${r.machine.openssl} |`);
  out(`| commit | ${r.machine.commit} |`);
  out();

  out("## Running it");
  out();
  out("```sh");
  out("npm run bench                                   # everything, a few minutes; writes this page");
  out("npm run bench -- --peak-objects 0 --out -       # skip the 50,000-object run, write no page");
  out("npm run bench -- --results /tmp/bench.json      # also keep everything measured, as JSON");
  out("npm run bench -- --render /tmp/bench.json       # rewrite this page from it, measuring nothing");
  out("BENCH_CPU_PROF=/tmp/prof npm run bench          # also CPU profiles of each measured scan");
  out("npx tsx test/bench/profile-summary.ts /tmp/prof/scan-first-and-second-1.cpuprofile");
  out("npm run bench:micro                             # the engine's micro-benchmarks (vitest bench)");
  out("```");
  out();
  return `${lines.join("\n")}`;
}
