/**
 * One local stand-in for AWS in a process of its own, for the benchmarks: `s3` (s3rver) or
 * `dynamo` (dynalite). Run in-process, an emulator would share the scan's only JavaScript thread
 * and the scan would be billed for the server's work as well as its own; AWS does that work on
 * other machines. Prints one JSON line `{ "endpoint", "delayedEndpoint"? }` once listening, and
 * stops (removing its files) when its standard input closes, so it never outlives the bench.
 *
 * With DELAY_MS, s3rver also gets a second front that holds every request that long before
 * s3rver sees it: S3 as a function in AWS meets it, tens of milliseconds to the first byte of
 * each answer, where s3rver on loopback answers in well under one.
 *
 *   tsx test/bench/emulator.ts s3 DIRECTORY [DELAY_MS]
 *   tsx test/bench/emulator.ts dynamo
 */
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
// Importing the module installs the DES shim that truncated s3rver listings need (see there).
import type { S3rverInstance } from "../../bin/local/emulators";
import "../../bin/local/emulators";

const require = createRequire(import.meta.url);
const [kind, directory, delay] = process.argv.slice(2);

interface Running {
  endpoint: string;
  delayedEndpoint?: string;
  stop: () => Promise<void>;
}

/** s3rver's own handler behind `delayMs` of latency per request. */
async function delayedFront(server: S3rverInstance, delayMs: number): Promise<Server> {
  const forward = server.callback();
  const front = createServer((request, response) => {
    setTimeout(() => forward(request, response), delayMs);
  });
  front.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  return front;
}

async function startS3(dir: string, delayMs: number | undefined): Promise<Running> {
  const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverInstance;
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    resetOnClose: true,
  });
  const { port } = await server.run();
  const front = delayMs !== undefined ? await delayedFront(server, delayMs) : undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    ...(front ? { delayedEndpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}` } : {}),
    stop: async () => {
      front?.closeAllConnections();
      await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
      await server.close();
    },
  };
}

async function startDynamo(): Promise<Running> {
  const dynalite = require("dynalite") as (options: { createTableMs: number }) => import("node:http").Server;
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (kind !== "s3" && kind !== "dynamo") {
  console.error("usage: emulator.ts s3 DIRECTORY [DELAY_MS] | dynamo");
  process.exit(3);
}
if (kind === "s3" && !directory) {
  console.error("usage: emulator.ts s3 DIRECTORY [DELAY_MS]");
  process.exit(3);
}
const running =
  kind === "s3"
    ? await startS3(directory as string, delay !== undefined ? Number(delay) : undefined)
    : await startDynamo();
process.stdout.write(
  `${JSON.stringify({ endpoint: running.endpoint, delayedEndpoint: running.delayedEndpoint })}\n`,
);
process.stdin.resume();
process.stdin.on("end", () => {
  void running.stop().finally(() => process.exit(0));
});
