/**
 * `npm run bench:startup`: how fast the host artifact (`npm run build`, dist/watchpost.mjs) starts:
 * `watchpost --version` and `watchpost --help`, each run RUNS times in a fresh Node process, next
 * to `node -e 0` (what any Node program costs on this machine). The target is 300 ms for both on
 * an idle host. On a loaded machine wall-clock times grow with the load while CPU time does not,
 * so both are reported: the fastest and the median wall time, and the median CPU time (user +
 * system, from /usr/bin/time where it exists). Never a test: a budget missed is a line to read.
 *
 * Options: --bundle FILE (default: build one into a temporary directory), --runs N (15).
 * Prints a table on standard error and one JSON line on standard output.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildHostCli } from "../../scripts/build-host-cli";

const TARGET_MS = 300;
const TIME = "/usr/bin/time";

export interface Timing {
  command: string;
  minWallMs: number;
  medianWallMs: number;
  medianCpuMs?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Runs `node ...args` (or `command ...args`) `runs` times in `cwd`: for the artifact an empty
 * directory (no checkout around it), for `npm run cli` the checkout.
 */
export function measure(
  label: string,
  args: string[],
  runs: number,
  cwd: string,
  command = process.execPath,
): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  const timed = existsSync(TIME);
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    if (timed) {
      const { stderr } = spawnSync(TIME, ["-f", "@@%U %S", command, ...args], {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "ignore", "pipe"],
      });
      const [user, system] = (stderr.split("@@").pop() ?? "").trim().split(" ").map(Number);
      cpu.push(((user ?? 0) + (system ?? 0)) * 1000);
    } else {
      execFileSync(command, args, { cwd, stdio: "ignore" });
    }
    wall.push(performance.now() - started);
  }
  return {
    command: label,
    minWallMs: Math.round(Math.min(...wall)),
    medianWallMs: Math.round(median(wall)),
    ...(cpu.length > 0 ? { medianCpuMs: Math.round(median(cpu)) } : {}),
  };
}

async function main(argv: string[]): Promise<void> {
  const value = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const runs = Number(value("runs") ?? "15");
  const work = mkdtempSync(join(tmpdir(), "watchpost-startup-"));
  try {
    const bundle = value("bundle") ?? (await buildHostCli(work)).bundle;
    const timings = [
      measure("node -e 0", ["-e", "0"], runs, work),
      measure("watchpost --version", [bundle, "--version"], runs, work),
      measure("watchpost --help", [bundle, "--help"], runs, work),
    ];
    const load = loadavg()[0]!.toFixed(1);
    process.stderr.write(`host artifact start-up, ${runs} runs each, load average ${load}:\n`);
    for (const t of timings) {
      process.stderr.write(
        `  ${t.command.padEnd(22)} fastest ${String(t.minWallMs).padStart(4)} ms  median ${String(t.medianWallMs).padStart(4)} ms` +
          `${t.medianCpuMs !== undefined ? `  cpu ${String(t.medianCpuMs).padStart(4)} ms` : ""}\n`,
      );
    }
    const help = timings[2]!;
    process.stderr.write(
      `  --help within ${TARGET_MS} ms: ${help.minWallMs <= TARGET_MS ? "yes" : "no"} (fastest run)\n`,
    );
    process.stdout.write(`${JSON.stringify({ startup: { runs, loadAverage: Number(load), timings } })}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename))
  await main(process.argv.slice(2));
