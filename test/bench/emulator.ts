/**
 * One local stand-in for AWS in a process of its own, for the benchmarks: `s3` (s3rver) or
 * `dynamo` (dynalite). Run in-process, an emulator would share the scan's only JavaScript thread
 * and the scan would be billed for the server's work as well as its own; AWS does that work on
 * other machines. Prints one JSON line `{ "endpoint", "directory"? }` once listening, and stops
 * (removing its files) when its standard input closes, so it never outlives the bench.
 *
 *   tsx test/bench/emulator.ts s3 DIRECTORY
 *   tsx test/bench/emulator.ts dynamo
 */
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
// Importing the module installs the DES shim that truncated s3rver listings need (see there).
import type { S3rverInstance } from "../../bin/local/emulators";
import "../../bin/local/emulators";

const require = createRequire(import.meta.url);
const [kind, directory] = process.argv.slice(2);

async function startS3(dir: string): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverInstance;
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    resetOnClose: true,
  });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => server.close() };
}

async function startDynamo(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
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
  console.error("usage: emulator.ts s3 DIRECTORY | dynamo");
  process.exit(3);
}
if (kind === "s3" && !directory) {
  console.error("usage: emulator.ts s3 DIRECTORY");
  process.exit(3);
}
const running = kind === "s3" ? await startS3(directory as string) : await startDynamo();
process.stdout.write(`${JSON.stringify({ endpoint: running.endpoint })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void running.stop().finally(() => process.exit(0));
});
