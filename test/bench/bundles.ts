/**
 * The Lambda bundles as the stack builds them (lib/bundling.ts, the options NodejsFunction is
 * given), measured: bytes of `index.mjs` (the separate source map is not counted: Lambda loads
 * the code, not the map), what weighs most in it (esbuild's metafile), and how long a fresh Node
 * process takes to import it, without and with --enable-source-maps: several runs, the bundles in
 * turns (so a change in the machine's load weighs on all of them alike), each run's wall and CPU
 * time kept. The target is held to the fastest run, as `watchpost --help` is (startup.ts): on a
 * shared machine a slower run measures the neighbours' load; the median and the CPU time are
 * reported beside it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { App } from "aws-cdk-lib";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { build, type Metafile } from "esbuild";
import { parseConfigText, type WatchpostConfig } from "../../functions/core/config";
import { esbuildOptions } from "../../lib/bundling";
import { WatchpostStack } from "../../lib/watchpost-stack";

/** The functions the stack deploys (lib/watchpost-stack.ts), by their handler files. */
export const FUNCTIONS = [
  { name: "certificate-scan", entry: "functions/handlers/certificate-scan.ts" },
  { name: "credential-check", entry: "functions/handlers/credential-check.ts" },
  { name: "notifier", entry: "functions/handlers/notifier.ts" },
] as const;

export interface BundleResult {
  function: string;
  bytes: number;
  sourceMapBytes: number;
  /** Median wall time of the imports. */
  coldImportMs: number;
  /** The fastest import's wall time: what the target is held to. */
  coldImportMinMs: number;
  /** Imports timed (each with and without source maps). */
  coldImportRuns: number;
  /** CPU time of the same imports (median). */
  coldImportCpuMs: number;
  coldImportMsWithSourceMaps: number;
  /** Biggest contributors to the bundle, by package (or by source folder for our own code). */
  largest: { input: string; bytes: number }[];
  /** Bytes in the bundle per package (or per source folder for our own code), all of them. */
  inputs: Record<string, number>;
}

const IMPORT_RUNS = 9;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Milliseconds from `import()` to a fully evaluated module, in a fresh process: wall time, and the
 * process's CPU time meanwhile (what the machine's load moves less, and what a share of a vCPU
 * on Lambda divides).
 */
interface Timing {
  wall: number;
  cpu: number;
}

function coldImport(file: string, nodeOptions: string): Timing {
  const script =
    "const c=process.cpuUsage();const t=performance.now();await import(process.argv[1]);const w=performance.now()-t;const u=process.cpuUsage(c);process.stdout.write(JSON.stringify({wall:w,cpu:(u.user+u.system)/1000}));";
  const out = execFileSync(
    process.execPath,
    ["--input-type=module", "-e", script, pathToFileURL(file).href],
    {
      env: {
        PATH: process.env.PATH ?? "",
        AWS_REGION: "eu-west-1",
        NODE_OPTIONS: nodeOptions,
        NODE_NO_WARNINGS: "1",
      },
      encoding: "utf8",
    },
  );
  return JSON.parse(out.trim()) as Timing;
}

function inputsByGroup(metafile: Metafile): Map<string, number> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const byGroup = new Map<string, number>();
  for (const [file, info] of Object.entries(output?.inputs ?? {})) {
    const pkg = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
    const group = pkg ?? file.split("/").slice(0, 3).join("/");
    byGroup.set(group, (byGroup.get(group) ?? 0) + info.bytesInOutput);
  }
  return new Map([...byGroup].sort((a, b) => b[1] - a[1]));
}

/** The configuration the CDK app compiles in by default (bin/app.ts). */
export function defaultConfig(configFile = "watchpost.config.json"): WatchpostConfig {
  return parseConfigText(readFileSync(configFile, "utf8"), configFile);
}

/** The memory the stack gives each function (MB), read from the stack itself (bundling skipped). */
export function functionMemoryMb(config: WatchpostConfig = defaultConfig()): Record<string, number> {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new WatchpostStack(app, "WatchpostBench", { config });
  const memory = (fn: WatchpostStack["notifier"]) =>
    Number((fn.function.node.defaultChild as CfnFunction).memorySize);
  return {
    "certificate-scan": memory(stack.certificateScan),
    "credential-check": memory(stack.credentialCheck),
    notifier: memory(stack.notifier),
  };
}

export async function measureBundles(
  outDir: string,
  config: WatchpostConfig = defaultConfig(),
): Promise<BundleResult[]> {
  const built = [];
  for (const fn of FUNCTIONS) {
    const outfile = join(outDir, fn.name, "index.mjs");
    const { metafile } = await build({
      ...esbuildOptions(fn.entry, outfile, config),
      metafile: true,
      logLevel: "error",
    });
    built.push({
      fn,
      outfile,
      inputs: inputsByGroup(metafile),
      cold: [] as Timing[],
      coldMaps: [] as Timing[],
    });
  }
  for (let run = 0; run < IMPORT_RUNS; run++) {
    for (const bundle of built) {
      bundle.cold.push(coldImport(bundle.outfile, ""));
      bundle.coldMaps.push(coldImport(bundle.outfile, "--enable-source-maps"));
    }
  }
  const tenth = (ms: number) => Math.round(ms * 10) / 10;
  return built.map(({ fn, outfile, inputs, cold, coldMaps }) => ({
    function: fn.name,
    bytes: statSync(outfile).size,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    coldImportMs: tenth(median(cold.map((c) => c.wall))),
    coldImportMinMs: tenth(Math.min(...cold.map((c) => c.wall))),
    coldImportRuns: IMPORT_RUNS,
    coldImportCpuMs: tenth(median(cold.map((c) => c.cpu))),
    coldImportMsWithSourceMaps: tenth(median(coldMaps.map((c) => c.wall))),
    largest: [...inputs].slice(0, 6).map(([input, bytes]) => ({ input, bytes })),
    inputs: Object.fromEntries(inputs),
  }));
}
