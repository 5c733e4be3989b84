#!/usr/bin/env node
/**
 * `npm start`: the local demo (bin/demo/run.ts). The functions' Powertools logger and metrics are
 * configured from the environment when their modules load, so the defaults are set before those
 * modules are imported: metrics off (no CloudWatch here), log lines only for warnings and errors
 * unless --verbose.
 */
await import("./quiet-sdk-warning");
const verbose = process.argv.includes("--verbose");
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= verbose ? "INFO" : "WARN";

const { processIo } = await import("./cli/io");
const { runDemo } = await import("./demo/run");

runDemo(process.argv.slice(2), processIo()).then(
  (code) => {
    // No process.exit(): the run must end because nothing is left running.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `npm start: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exitCode = 4;
  },
);

export {};
