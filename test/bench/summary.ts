/**
 * What one run of `npm run bench` measured (BenchResults), the targets it is held to, and the
 * summary printed as its last line (summarize), which docs/benchmarks.md also reads.
 */

import type { BundleResult } from "./bundles";
import type { ObjectKind } from "./corpus";
import type { PageBenchResult } from "./page";
import type { FloorResult, ScanResult } from "./scan-worker";
import type { Timing } from "./startup";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export const TARGETS = {
  /** The floor against (a′), node:crypto's share of the work (issue 28; it replaced ≥ 50 % of the bare parse). */
  floorVsNativeFloor: 0.6,
  /** CPU of the scan process per object of a first scan (the emulators' own CPU not counted). */
  scanCpuMsPerObject: 3.5,
  /** `watchpost --help` from the built single-file artifact, fastest of the runs. */
  cliHelpMs: 300,
  incrementalSpeedup: 10,
  peakRssMb: 512,
  bundleBytes: 1_000_000,
  /** A fresh process's `import()` of a bundle, fastest of the runs (bundles.ts says why). */
  coldImportMs: 300,
  /** Inputs of the fixed corpus (test/engine-baseline, conformance cases included) whose outputs differ from the baseline. */
  engineBaselineDifferences: 0,
} as const;

/**
 * The engine's outputs on the fixed corpus of test/engine-baseline (2,922 inputs: the conformance
 * cases, system roots, examples, generated stores, crafted and damaged certificates) against the
 * baseline recorded before the reader was rebuilt (issue 28): every read result, fact and finding.
 */
export interface EngineBaselineResult {
  inputs: number;
  /** Names of the inputs whose output differs (all of them). */
  differing: string[];
  baselineCommit: string;
  ms: number;
}

export interface Options {
  objects: number;
  peakObjects: number;
  /**
   * V8's old-space limit for the peak-memory scan (--max-old-space-size), in MB. Default: what
   * Node picks by itself on the scan function's memory (a quarter of it); 0: Node's default for
   * this machine.
   */
  peakHeapMb: number | undefined;
  opensslSample: number;
  /** Certificates in the certificate page's inventory (phase 8); 0 skips it. */
  pageCertificates: number;
  out: string;
  /** Where to write everything measured, as JSON ("" writes none). */
  results: string;
  /** A --results file to write the page and the JSON line from, measuring nothing ("": measure). */
  render: string;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  freeMemoryGb: number;
  os: string;
  node: string;
  openssl: string;
  commit: string;
  loadAverageAtStart: number[];
}

export interface Seeded {
  objects: number;
  certificates: number;
  findingsExpected: number;
  byKind: Partial<Record<ObjectKind, number>>;
}

export interface BenchResults {
  options: Options;
  machine: Machine;
  store: Seeded & { seedMs: number };
  firstScan: ScanResult["rounds"][number];
  secondScan: ScanResult["rounds"][number];
  scanWorker: Omit<ScanResult, "rounds" | "mode">;
  /** CPU seconds the emulators spent during both end-to-end scans. */
  emulatorCpuSeconds: { s3rver: number; dynalite: number };
  floor: FloorResult;
  /** First scans through the latency front, at several download concurrencies. */
  latency: { injectedMs: number; configuredConcurrency: number; runs: LatencyRun[] };
  /** The same objects split over concurrent scan processes, through the latency front. */
  fanOut: FanOutRun[];
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
  /** The memory the stack gives the scan function (MB). */
  scanFunctionMemoryMb: number;
  /** V8's heap limit Node picks by itself on this machine (MB). */
  nodeDefaultHeapLimitMb: number;
  bundles: BundleResult[];
  /**
   * `watchpost --help` from `npm run build`'s dist/watchpost.mjs (run from an empty directory) and
   * from `npm run cli` (tsx, in the checkout), next to `node -e 0`.
   */
  cli?: {
    runs: number;
    nodeBaseline: Timing;
    artifactHelp: Timing;
    artifactBytes: number;
    npmRunCliHelp: Timing;
  };
  /** Phase 8: one certificate-page refresh (page.ts). */
  page?: PageBenchResult;
  /** Phase 10: findings before and after, on the fixed corpus. */
  engineBaseline?: EngineBaselineResult;
  loadAverageAtEnd: number[];
  totalSeconds: number;
}

export interface LatencyRun {
  concurrency: number;
  objects: number;
  ms: number;
  cpuMs: number;
  peakRssMb: number;
  rssBeforeMb: number;
  peakHeapMb: number;
}

export interface FanOutRun {
  workers: number;
  objects: number;
  /** From the first worker's start to the last one's end. */
  ms: number;
  /** CPU time of all workers together. */
  cpuMs: number;
  /** CPU time the emulators (s3rver, dynalite) spent meanwhile, on the same cores. */
  emulatorCpuMs: number;
}

export type Status = "met" | "missed" | "not measured";

/** Objects per second of a latency run, and the most its concurrency allows (concurrency ÷ latency). */
export function latencyFigures(run: LatencyRun, injectedMs: number) {
  const objectsPerSecond = (run.objects / run.ms) * 1000;
  const boundObjectsPerSecond = (run.concurrency / injectedMs) * 1000;
  return { objectsPerSecond, boundObjectsPerSecond, share: objectsPerSecond / boundObjectsPerSecond };
}

export function summarize(r: BenchResults) {
  const certsPerSecond = (r.firstScan.certificates / r.firstScan.ms) * 1000;
  const floorCertsPerSecond = (r.floor.certificates / r.floor.ms) * 1000;
  const nativeX509CertsPerSecond = (r.floor.native.certificates / r.floor.native.ms) * 1000;
  const opensslLoopCertsPerSecond = (r.openssl.certificates / r.openssl.ms) * 1000;
  const incrementalSpeedup = r.firstScan.ms / r.secondScan.ms;
  const speedupVsOpenssl = certsPerSecond / opensslLoopCertsPerSecond;
  const floorVsOpenssl = floorCertsPerSecond / opensslLoopCertsPerSecond;
  const floorVsNative = floorCertsPerSecond / nativeX509CertsPerSecond;
  const nativeFloorCertsPerSecond = (r.floor.nativeFloor.certificates / r.floor.nativeFloor.ms) * 1000;
  const floorVsNativeFloor = floorCertsPerSecond / nativeFloorCertsPerSecond;
  const floorVsNativeFloorCpu = r.floor.nativeFloor.cpuMs / r.floor.cpuMs;
  // The same ratio on CPU time: what each costs, whatever share of the cores the machine gave it.
  const floorVsNativeCpu = r.floor.cpuMs ? r.floor.native.cpuMs / r.floor.cpuMs : undefined;
  const endToEndVsFloor = certsPerSecond / floorCertsPerSecond;
  const configured = r.latency.runs.find((run) => run.concurrency === r.latency.configuredConcurrency);
  const latency = configured ? latencyFigures(configured, r.latency.injectedMs) : undefined;
  const fanOutBase = r.fanOut[0];
  const peakRssMb = r.peak?.scan.peakRssMb;
  // The worker's own process.cpuUsage() around the scan: s3rver and dynalite run in processes of
  // their own (emulator.ts), so none of their CPU is in it.
  const scanCpuMsPerObject = r.firstScan.cpuMs / (r.firstScan.objects.downloaded || 1);
  const emulatorCpuMsPerObject =
    ((r.emulatorCpuSeconds.s3rver + r.emulatorCpuSeconds.dynalite) * 1000) / (r.store.objects * 2 || 1);
  const status = (ok: boolean): Status => (ok ? "met" : "missed");
  const bundles = Object.fromEntries(
    r.bundles.map((b) => [
      b.function,
      {
        bytes: b.bytes,
        coldImportMs: b.coldImportMs,
        coldImportMinMs: b.coldImportMinMs ?? null,
        coldImportCpuMs: b.coldImportCpuMs ?? null,
      },
    ]),
  );
  return {
    certsPerSecond: round(certsPerSecond),
    floorCertsPerSecond: round(floorCertsPerSecond),
    nativeX509CertsPerSecond: round(nativeX509CertsPerSecond),
    floorVsNative: round(floorVsNative, 3),
    floorVsNativeCpuTime: floorVsNativeCpu === undefined ? null : round(floorVsNativeCpu, 3),
    nativeFloorCertsPerSecond: round(nativeFloorCertsPerSecond),
    floorVsNativeFloor: round(floorVsNativeFloor, 3),
    floorVsNativeFloorCpuTime: round(floorVsNativeFloorCpu, 3),
    nativeFloorVsNative: round(nativeFloorCertsPerSecond / nativeX509CertsPerSecond, 3),
    asn1js: {
      engineVersion: r.floor.asn1js.engineVersion,
      v4Version: r.floor.asn1js.v4Version,
      certificates: r.floor.asn1js.engine.certificates,
      engineCertsPerSecond: round((r.floor.asn1js.engine.certificates / r.floor.asn1js.engine.cpuMs) * 1000),
      v4CertsPerSecond: round((r.floor.asn1js.v4.certificates / r.floor.asn1js.v4.cpuMs) * 1000),
      v4VsEngineDecodeTime: round(r.floor.asn1js.v4.cpuMs / r.floor.asn1js.engine.cpuMs, 2),
    },
    endToEndVsFloor: round(endToEndVsFloor, 3),
    counted: "certificates (leaves and the CA certificates inside bundles), not objects",
    objects: r.store.objects,
    certificates: r.store.certificates,
    firstScanMs: round(r.firstScan.ms, 0),
    secondScanMs: round(r.secondScan.ms, 0),
    incrementalSpeedup: round(incrementalSpeedup),
    secondScanGetObject: r.secondScan.getObject.certificates,
    secondScanTrustBundleGetObject: r.secondScan.getObject.trustBundle,
    scanCpuMsPerObject: round(scanCpuMsPerObject, 2),
    secondScanCpuMsPerObject: round(r.secondScan.cpuMs / (r.store.objects || 1), 2),
    emulatorCpuMsPerObjectBothScans: round(emulatorCpuMsPerObject, 2),
    cliHelpMs: r.cli
      ? {
          artifactFastest: r.cli.artifactHelp.minWallMs,
          artifactMedian: r.cli.artifactHelp.medianWallMs,
          artifactMedianCpu: r.cli.artifactHelp.medianCpuMs ?? null,
          npmRunCliFastest: r.cli.npmRunCliHelp.minWallMs,
          npmRunCliMedian: r.cli.npmRunCliHelp.medianWallMs,
          nodeBaselineFastest: r.cli.nodeBaseline.minWallMs,
        }
      : null,
    opensslLoopCertsPerSecond: round(opensslLoopCertsPerSecond),
    opensslSampleFiles: r.openssl.certificates,
    speedupVsOpenssl: round(speedupVsOpenssl, 2),
    floorVsOpenssl: round(floorVsOpenssl, 2),
    latency: latency
      ? {
          injectedMs: r.latency.injectedMs,
          concurrency: r.latency.configuredConcurrency,
          objects: configured?.objects ?? 0,
          objectsPerSecond: round(latency.objectsPerSecond),
          boundObjectsPerSecond: round(latency.boundObjectsPerSecond),
          shareOfBound: round(latency.share, 3),
          cpuMsPerObject: round((configured?.cpuMs ?? 0) / (configured?.objects || 1), 2),
          byConcurrency: r.latency.runs.map((run) => {
            const figures = latencyFigures(run, r.latency.injectedMs);
            return {
              concurrency: run.concurrency,
              objectsPerSecond: round(figures.objectsPerSecond),
              boundObjectsPerSecond: round(figures.boundObjectsPerSecond),
              peakRssMb: run.peakRssMb,
            };
          }),
        }
      : null,
    fanOut: r.fanOut.map((run) => ({
      workers: run.workers,
      objects: run.objects,
      objectsPerSecond: round((run.objects / run.ms) * 1000),
      speedup: fanOutBase ? round(run.objects / run.ms / (fanOutBase.objects / fanOutBase.ms), 2) : null,
    })),
    peakRssMb: peakRssMb ?? null,
    peakObjects: r.peak?.objects ?? null,
    peakHeapLimitMb: r.peak?.heapLimitMb ?? null,
    bundles,
    engineBaseline: r.engineBaseline
      ? {
          inputs: r.engineBaseline.inputs,
          differing: r.engineBaseline.differing.length,
          baselineCommit: r.engineBaseline.baselineCommit,
        }
      : null,
    targets: {
      floorAtLeast60PercentOfNativeFloor: status(floorVsNativeFloor >= TARGETS.floorVsNativeFloor),
      scanAtMost3_5MsCpuPerObject: status(scanCpuMsPerObject <= TARGETS.scanCpuMsPerObject),
      cliHelpAtMost300msFromArtifact: r.cli
        ? status(r.cli.artifactHelp.minWallMs <= TARGETS.cliHelpMs)
        : ("not measured" as Status),
      incrementalTenTimesFasterWithoutDownloads: status(
        incrementalSpeedup >= TARGETS.incrementalSpeedup && r.secondScan.getObject.certificates === 0,
      ),
      peakRssAtMost512MbAt50000Objects:
        peakRssMb === undefined || (r.peak?.objects ?? 0) < 50_000
          ? ("not measured" as Status)
          : status(peakRssMb <= TARGETS.peakRssMb),
      ...Object.fromEntries(
        r.bundles.flatMap((b) => [
          [`bundle:${b.function}:atMost1MB`, status(b.bytes <= TARGETS.bundleBytes)],
          [
            `bundle:${b.function}:coldImportAtMost300ms`,
            status((b.coldImportMinMs ?? b.coldImportMs) <= TARGETS.coldImportMs),
          ],
        ]),
      ),
      findingsIdenticalOnFixedCorpus: r.engineBaseline
        ? status(r.engineBaseline.differing.length === TARGETS.engineBaselineDifferences)
        : ("not measured" as Status),
    },
  };
}
