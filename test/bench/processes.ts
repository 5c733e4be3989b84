/**
 * The processes a bench run starts: the emulators (emulator.ts), each in a process of its own, and
 * the measuring workers (scan-worker.ts), each measurement in a fresh one.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { FloorJob, ScanJob } from "./scan-worker";

const TSX = ["--import", "tsx"];

/** Starts test/bench/emulator.ts and waits for its endpoint; it stops when its stdin closes. */
export async function startEmulator(kind: "s3" | "dynamo", directory?: string, delayMs?: number) {
  const child = spawn(
    process.execPath,
    [
      ...TSX,
      "test/bench/emulator.ts",
      kind,
      ...(directory ? [directory] : []),
      ...(delayMs !== undefined ? [String(delayMs)] : []),
    ],
    {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${kind} emulator exited (${code})`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
  });
  const started = JSON.parse(line) as { endpoint: string; delayedEndpoint?: string };
  return { endpoint: started.endpoint, delayedEndpoint: started.delayedEndpoint, child };
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** CPU seconds a process has used so far (user + system), from /proc; 0 where there is none. */
export function cpuSecondsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export function stopEmulator(child: ChildProcess): Promise<void> {
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
export async function runWorker<R>(job: ScanJob | FloorJob, nodeFlags: string[] = []): Promise<R> {
  return startWorker<R>(job, nodeFlags).result;
}

/**
 * Starts scan-worker.ts with a job. A job with `startTogether` reports `ready` once set up and
 * scans when `go` is called, so that several workers scan at the same time.
 */
export function startWorker<R>(job: ScanJob | FloorJob, nodeFlags: string[] = []) {
  const gc = process.env.BENCH_LIVE_HEAP === "1" ? ["--expose-gc"] : [];
  const child = spawn(
    process.execPath,
    [...TSX, ...gc, ...nodeFlags, "test/bench/scan-worker.ts", JSON.stringify(job)],
    {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, NODE_NO_WARNINGS: "1", POWERTOOLS_SERVICE_NAME: "watchpost-bench" },
    },
  );
  let result: R | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    if (line.startsWith("BENCH_RESULT ")) result = JSON.parse(line.slice("BENCH_RESULT ".length)) as R;
    else if (line === "BENCH_READY") markReady();
    // The handler's own log lines: warnings and errors matter, the rest (and metrics) do not.
    else if (/"level":"(WARN|ERROR|CRITICAL)"/.test(line))
      process.stderr.write(`  worker: ${line.slice(0, 500)}\n`);
  });
  // "close", not "exit": the last lines of its output may still be on their way at exit.
  const done = new Promise<R>((resolve, reject) => {
    child.once("close", (code) => {
      markReady();
      if (code !== 0 || result === undefined)
        reject(new Error(`bench worker (${job.mode}) failed with exit code ${code}`));
      else resolve(result);
    });
  });
  if (!("startTogether" in job && job.startTogether)) child.stdin?.end();
  return {
    ready,
    go: () => child.stdin?.end("go\n"),
    result: done,
  };
}
