/**
 * The Lambda bundles as the stack builds them (lib/bundling.ts, the options NodejsFunction is
 * given), measured: the bytes a cold start loads, `index.mjs` and the chunks it imports statically
 * (walked in esbuild's metafile), which the 1 MB target is held to; the whole asset's code (every
 * chunk, also those imported only when a configuration or a file needs them); the bytes each such
 * lazily imported part adds once it is used; what weighs most in the cold start's code; source
 * maps are shipped separately and not counted (Lambda loads the code, not the maps). And how long a fresh Node
 * process takes to import it, without and with --enable-source-maps: several runs, the bundles in
 * turns (so a change in the machine's load weighs on all of them alike), each run's wall and CPU
 * time kept. The target is held to the fastest run, as `watchpost --help` is (startup.ts): on a
 * shared machine a slower run measures the neighbours' load; the median and the CPU time are
 * reported beside it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
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
  /** What a cold start loads: index.mjs and the chunks it imports statically, transitively. */
  bytes: number;
  /** Every chunk of the asset (.mjs), the lazily imported ones too. */
  assetBytes: number;
  /** Output files of code in the asset, index.mjs included. */
  assetFiles: number;
  /**
   * Each part imported on first use (a dynamic `import()`), by the module it starts from, and the
   * bytes its first use loads on top of the cold start (its chunk and the chunks only it imports).
   */
  lazy: { part: string; bytes: number }[];
  /** Every source map of the asset (shipped, not counted). */
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
  /** Biggest contributors to what a cold start loads, by package (or source folder for our own code). */
  largest: { input: string; bytes: number }[];
  /** Bytes a cold start loads per package (or per source folder for our own code), all of them. */
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

type Output = Metafile["outputs"][string];

/** The output files of code (not maps, not license notices). */
function codeOutputs(metafile: Metafile): Map<string, Output> {
  return new Map(Object.entries(metafile.outputs).filter(([path]) => path.endsWith(".mjs")));
}

/** `from` and every output it imports statically, transitively: what importing `from` loads. */
export function staticClosure(outputs: Map<string, Output>, from: string): Set<string> {
  const loaded = new Set<string>();
  const pending = [from];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (loaded.has(path)) continue;
    loaded.add(path);
    for (const imported of outputs.get(path)?.imports ?? []) {
      if (imported.kind === "import-statement" && outputs.has(imported.path)) pending.push(imported.path);
    }
  }
  return loaded;
}

/**
 * The parts of the functions that are imported on first use, by what uses them, each with the
 * modules its `import()` calls name (source paths, or package names for the SDK's own). A module
 * some `import()` names that is not listed here is reported under its own name.
 */
export const LAZY_PARTS = [
  {
    part: "AWS certificate sources (ACM, IAM, Secrets Manager, Parameter Store, STS)",
    modules: ["functions/adapters/aws-certificates/index.ts"],
  },
  {
    part: "fan-out of a large source (SQS)",
    modules: ["functions/adapters/clients/sqs.ts", "@aws-sdk/client-sqs"],
  },
  {
    part: "a PKCS#12 password (Secrets Manager)",
    modules: ["functions/adapters/clients/secrets-manager.ts", "@aws-sdk/client-secrets-manager"],
  },
  { part: "a legacy PKCS#12 file (RC2)", modules: ["functions/core/certificates/formats/rc2.ts"] },
  { part: "a Java keystore (JKS, JCEKS)", modules: ["functions/core/certificates/reader-keystore.ts"] },
  { part: "a TLS endpoint probe (STARTTLS, transcript)", modules: ["functions/adapters/tls-endpoint.ts"] },
] as const;

/**
 * What a cold start loads and what each lazily imported part adds, from esbuild's metafile: the
 * entry is the output named `index.mjs`; a lazy part is the outputs some `import()` names (grouped
 * by LAZY_PARTS) with everything they import statically that a cold start has not loaded.
 */
export function bundleParts(metafile: Metafile, root: string) {
  const outputs = codeOutputs(metafile);
  const entry = [...outputs.keys()].find((path) => path.endsWith("/index.mjs") || path === "index.mjs");
  if (!entry) throw new Error("the bundle has no index.mjs");
  const cold = staticClosure(outputs, entry);
  const size = (paths: Iterable<string>) => [...paths].reduce((n, p) => n + (outputs.get(p)?.bytes ?? 0), 0);
  const dynamic = new Set(
    [...outputs.values()].flatMap((o) =>
      o.imports.filter((i) => i.kind === "dynamic-import" && outputs.has(i.path)).map((i) => i.path),
    ),
  );
  const byPart = new Map<string, Set<string>>();
  for (const path of dynamic) {
    const from = outputs.get(path)?.entryPoint ?? path;
    const name = from.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? relative(root, resolve(from));
    const part = LAZY_PARTS.find((p) => (p.modules as readonly string[]).includes(name))?.part ?? name;
    const added = byPart.get(part) ?? new Set<string>();
    for (const loaded of staticClosure(outputs, path)) if (!cold.has(loaded)) added.add(loaded);
    byPart.set(part, added);
  }
  const lazy = [...byPart]
    .map(([part, added]) => ({ part, bytes: size(added) }))
    .filter((l) => l.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  const byGroup = new Map<string, number>();
  for (const path of cold) {
    for (const [file, info] of Object.entries(outputs.get(path)?.inputs ?? {})) {
      const pkg = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
      const group = pkg ?? file.split("/").slice(0, 3).join("/");
      byGroup.set(group, (byGroup.get(group) ?? 0) + info.bytesInOutput);
    }
  }
  return {
    entry,
    coldBytes: size(cold),
    assetBytes: size(outputs.keys()),
    assetFiles: outputs.size,
    lazy,
    inputs: new Map([...byGroup].sort((a, b) => b[1] - a[1])),
  };
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
      parts: bundleParts(metafile, process.cwd()),
      mapBytes: Object.keys(metafile.outputs)
        .filter((path) => path.endsWith(".mjs"))
        .reduce((n, path) => n + statSync(`${path}.map`).size, 0),
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
  return built.map(({ fn, parts, mapBytes, cold, coldMaps }) => ({
    function: fn.name,
    bytes: parts.coldBytes,
    assetBytes: parts.assetBytes,
    assetFiles: parts.assetFiles,
    lazy: parts.lazy,
    sourceMapBytes: mapBytes,
    coldImportMs: tenth(median(cold.map((c) => c.wall))),
    coldImportMinMs: tenth(Math.min(...cold.map((c) => c.wall))),
    coldImportRuns: IMPORT_RUNS,
    coldImportCpuMs: tenth(median(cold.map((c) => c.cpu))),
    coldImportMsWithSourceMaps: tenth(median(coldMaps.map((c) => c.wall))),
    largest: [...parts.inputs].slice(0, 6).map(([input, bytes]) => ({ input, bytes })),
    inputs: Object.fromEntries(parts.inputs),
  }));
}
