/**
 * The Lambda sizing section of docs/benchmarks.md: which memory size makes a scan cheapest per
 * object and which one makes a nightly scan finish soonest, from this run's CPU per object.
 *
 * The model: Lambda gives a function CPU in proportion to its memory, one vCPU's worth at 1,769 MB
 * (LAMBDA_MB_PER_VCPU). The scan judges on one JavaScript thread, so above 1,769 MB it gets no
 * faster (the extra vCPUs serve only the collector's helper threads). An invocation's time is
 * its CPU on its share (the download concurrency keeps that CPU busy: see "Download concurrency")
 * plus what it cannot overlap with that CPU: its start-up (the bundle's cold import, on its share)
 * and a few requests made one after another (the trust bundle before the first download, the
 * first inventory look-up, the alarm settlement at the end). Lambda bills memory × duration.
 */
import { Operations } from "../../functions/core/config/operations";
import { LAMBDA_MB_PER_VCPU } from "./report-cost";
import type { BenchResults, summarize } from "./summary";

/** The sizes compared; 512 MB is the smallest whose heap the 50,000-object scan is known to fit. */
export const SIZES_MB = [512, 1024, 1769, 3008] as const;

/** Requests an invocation makes one after another, outside the downloads' overlap (see above). */
const SERIAL_ROUND_TRIPS = 4;

const LAMBDA_GB_SECOND = 0.0000166667;
const LAMBDA_REQUEST = 0.2 / 1e6;

const n = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export interface SizingInput {
  /** CPU per object on one core: a first scan, and an unchanged object judged from the inventory. */
  firstCpuMs: number;
  nightlyCpuMs: number;
  /** CPU of one cold start (the bundle's import) on one core. */
  startCpuMs: number;
  /** Latency of one S3/DynamoDB request, and the downloads in flight. */
  latencyMs: number;
  downloadConcurrency: number;
  batchSize: number;
  workers: number;
}

export interface SizingRow {
  memoryMb: number;
  vcpu: number;
  objectsPerSecond: number;
  /** Lambda charges (GB-seconds and requests) per 10,000 objects, first scan and nightly. */
  firstDollarsPer10k: number;
  nightlyDollarsPer10k: number;
  /** Wall time of a scan of 10,000 and 100,000 objects, fanned out over `workers` invocations. */
  wallSeconds: { first10k: number; first100k: number; nightly10k: number; nightly100k: number };
}

/** One memory size under the model in the module comment. */
export function sizeRow(input: SizingInput, memoryMb: number): SizingRow {
  const vcpu = Math.min(memoryMb, LAMBDA_MB_PER_VCPU) / LAMBDA_MB_PER_VCPU;
  const perObjectMs = (cpuMs: number) => Math.max(cpuMs / vcpu, input.latencyMs / input.downloadConcurrency);
  const fixedMs = input.startCpuMs / vcpu + SERIAL_ROUND_TRIPS * input.latencyMs;
  const invocationMs = (objects: number, cpuMs: number) => objects * perObjectMs(cpuMs) + fixedMs;
  const run = (objects: number, cpuMs: number) => {
    const batches = Math.ceil(objects / input.batchSize);
    const billedMs = batches * invocationMs(input.batchSize, cpuMs) + fixedMs; // + the listing one
    const dollars = (billedMs / 1000) * (memoryMb / 1024) * LAMBDA_GB_SECOND + (batches + 1) * LAMBDA_REQUEST;
    const listingMs = Math.ceil(objects / 1000) * input.latencyMs;
    const rounds = Math.ceil(batches / input.workers);
    const wallMs = fixedMs + listingMs + rounds * invocationMs(input.batchSize, cpuMs);
    return { dollars, wallSeconds: wallMs / 1000 };
  };
  return {
    memoryMb,
    vcpu,
    objectsPerSecond: 1000 / perObjectMs(input.firstCpuMs),
    firstDollarsPer10k: run(10_000, input.firstCpuMs).dollars,
    nightlyDollarsPer10k: run(10_000, input.nightlyCpuMs).dollars,
    wallSeconds: {
      first10k: run(10_000, input.firstCpuMs).wallSeconds,
      first100k: run(100_000, input.firstCpuMs).wallSeconds,
      nightly10k: run(10_000, input.nightlyCpuMs).wallSeconds,
      nightly100k: run(100_000, input.nightlyCpuMs).wallSeconds,
    },
  };
}

/** The rows, the cheapest size per object (first scans) and the soonest-finished one (ties: less memory). */
export function sizing(input: SizingInput) {
  const rows = SIZES_MB.map((mb) => sizeRow(input, mb));
  const cheapest = rows.reduce((best, row) =>
    row.firstDollarsPer10k < best.firstDollarsPer10k ? row : best,
  );
  const soonest = rows.reduce((best, row) =>
    row.wallSeconds.first100k < best.wallSeconds.first100k - 1e-9 ? row : best,
  );
  return { rows, cheapest, soonest };
}

export function sizingInput(r: BenchResults, sum: ReturnType<typeof summarize>): SizingInput {
  const operations = Operations.parse({});
  const bundle = r.bundles.find((b) => b.function === "certificate-scan");
  return {
    firstCpuMs: sum.scanCpuMsPerObject,
    nightlyCpuMs: sum.secondScanCpuMsPerObject,
    startCpuMs: bundle?.coldImportCpuMs ?? bundle?.coldImportMs ?? 0,
    latencyMs: r.latency.injectedMs,
    downloadConcurrency: r.latency.configuredConcurrency,
    batchSize: operations.scanBatchSize,
    workers: operations.scanWorkers,
  };
}

export function renderSizing(r: BenchResults, sum: ReturnType<typeof summarize>): string[] {
  const lines: string[] = [];
  const out = (text = "") => lines.push(text);
  const input = sizingInput(r, sum);
  const { rows, cheapest, soonest } = sizing(input);
  const stackMb = r.scanFunctionMemoryMb;
  const s = (seconds: number) => (seconds >= 120 ? `${n(seconds / 60, 1)} min` : `${n(seconds, 0)} s`);
  out("## Lambda sizing");
  out();
  out(
    `Which memory size the scan function should have follows from the scan's CPU per object, measured in this run in the scan process alone (${n(input.firstCpuMs, 2)} ms for an object read and judged, ${n(input.nightlyCpuMs, 2)} ms for an unchanged one judged from the inventory), and two documented facts. Lambda allocates CPU in proportion to memory, the equivalent of one vCPU at 1,769 MB (AWS Lambda Developer Guide, "Configure Lambda function memory", https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html); and it bills memory × duration (https://aws.amazon.com/lambda/pricing/). The scan judges on one JavaScript thread, so it is no faster above 1,769 MB. Below that, a scan kept busy by its downloads (see "Download concurrency") takes CPU ÷ share, and memory × CPU ÷ share is the same at every size: the objects cost the same GB-seconds whatever the memory. What differs is what an invocation cannot overlap with that CPU, billed at its memory: ${SERIAL_ROUND_TRIPS} requests one after another at ${n(input.latencyMs)} ms (the trust bundle before the first download, the first inventory look-up, the alarm settlement; an assumption, not a measurement) and its start-up, the bundle's cold import (${n(input.startCpuMs)} ms of CPU here, counted as if every invocation started cold). Batches of ${n(input.batchSize)} objects, ${input.workers} invocations at once (\`operations.scanBatchSize\`, \`operations.scanWorkers\` defaults); wall time adds one listing request per 1,000 objects. This assumes a core here is worth a Lambda vCPU.`,
  );
  out();
  out(
    "| memory | vCPU share | objects/s per invocation | Lambda $ per 10,000 objects, first / nightly | first scan 10,000 / 100,000 | nightly 10,000 / 100,000 |",
  );
  out("| --- | --- | --- | --- | --- | --- |");
  for (const row of rows) {
    const tags = [
      row === cheapest ? "cheapest" : "",
      row === soonest ? "soonest" : "",
      row.memoryMb === stackMb ? "the stack's" : "",
    ].filter(Boolean);
    out(
      `| ${n(row.memoryMb)} MB${tags.length > 0 ? ` (${tags.join(", ")})` : ""} | ${n(row.vcpu, 2)} | ${n(row.objectsPerSecond)} | $${n(row.firstDollarsPer10k, 5)} / $${n(row.nightlyDollarsPer10k, 5)} | ${s(row.wallSeconds.first10k)} / ${s(row.wallSeconds.first100k)} | ${s(row.wallSeconds.nightly10k)} / ${s(row.wallSeconds.nightly100k)} |`,
    );
  }
  out();
  const extra = (soonest.firstDollarsPer10k / cheapest.firstDollarsPer10k - 1) * 100;
  out(
    `Cheapest per object: ${n(cheapest.memoryMb)} MB, the smallest size compared: below 1,769 MB only the unoverlapped waits and start-up grow with memory. ${n(cheapest.memoryMb)} MB is also the smallest size known to hold the scan: Node gives V8 about a quarter of it for the heap (128 MB at 512 MB), and a 50,000-object scan in one invocation, the worst case, peaked at 69 MB of heap with that limit on 2026-11-22 (see Memory; the peak-memory row above is this run's, at the stack's size); a batch holds ${n(input.batchSize)}. Soonest finished: ${n(soonest.memoryMb)} MB, one whole vCPU, ${n(extra)} % more per object than ${n(cheapest.memoryMb)} MB in Lambda charges (the S3, DynamoDB and SQS charges in Cost do not depend on memory), for a nightly first scan of 100,000 objects in ${s(soonest.wallSeconds.first100k)} instead of ${s(cheapest.wallSeconds.first100k)}. More fan-out (\`operations.scanWorkers\`) shortens the wall time at every size without changing the cost per object, so the stack takes the cheapest size as the scan function's default${stackMb === cheapest.memoryMb ? ` (${n(stackMb)} MB, as here)` : ` (the stack has ${n(stackMb)} MB: **differs**, see lib/watchpost-stack.ts)`}; a deployment that wants the nightly scan done sooner raises \`scanWorkers\` first, and the memory to 1,769 MB after that.`,
  );
  out();
  return lines;
}
