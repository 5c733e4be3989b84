/**
 * `npm run test:under-load`: `npm test` with four CPU-bound busy processes running beside it, the
 * way a shared CI host or a developer's laptop building something else starves it. The suite must
 * pass as it does on an idle machine: no test may depend on how fast it runs (wall-clock limits
 * stop work, they never produce findings nor fail tests; speed lives in `npm run bench`).
 * Extra arguments go to vitest (`npm run test:under-load -- test/integration/cli`).
 * `BUSY_PROCESSES` changes how many busy processes run (default 4).
 */
import { spawn } from "node:child_process";

const count = Number(process.env.BUSY_PROCESSES ?? 4);
// Each spins one core at 100 % until it is killed: no I/O, no memory to speak of.
const busy = Array.from({ length: count }, () =>
  spawn(process.execPath, ["-e", "for (;;) Math.sqrt(Math.random());"], { stdio: "ignore" }),
);
const stopBusy = () => {
  for (const child of busy) if (child.exitCode === null) child.kill("SIGKILL");
};
process.on("exit", stopBusy);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopBusy();
    process.exit(130);
  });
}

console.log(
  `test:under-load: ${count} CPU-bound processes (pids ${busy.map((b) => b.pid).join(", ")}) beside npm test`,
);
const started = Date.now();
const tests = spawn("npx", ["vitest", "run", ...process.argv.slice(2)], { stdio: "inherit" });
tests.on("exit", (code, signal) => {
  stopBusy();
  console.log(
    `test:under-load: npm test ended (${signal ?? `exit ${code}`}) after ${Math.round((Date.now() - started) / 1000)} s under load`,
  );
  process.exit(code ?? 1);
});
