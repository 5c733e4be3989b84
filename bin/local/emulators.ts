/**
 * Local stand-ins for AWS, started in-process on 127.0.0.1: s3rver for S3 and dynalite for
 * DynamoDB. Each returns a configured SDK client and a stop function. Used by `npm start` (the
 * local demo, bin/demo.ts) and by the integration tests (test/support/emulators.ts re-exports them).
 */
import { type Cipher, createHash, type Decipher } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { ALARM_TABLE_KEYS } from "../../functions/adapters/alarm-store";
import { SCAN_STATE_TABLE_KEYS } from "../../functions/adapters/object-inventory";
import { createTable } from "./tables";

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------
// s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with single DES
// (`crypto.createCipheriv('des', ...)` in s3rver/lib/controllers/bucket.js). OpenSSL 3 (Node 17+)
// moved DES to the legacy provider, so that call throws "unsupported" and every truncated listing
// (more than MaxKeys objects) fails with a 500. The shim below maps exactly the algorithm 'des'
// (DES-CBC) to 'des-ede-cbc' with the 8-byte key repeated to 16 bytes: two-key triple DES with
// K1 = K2 computes E_K(D_K(E_K(x))) = E_K(x), i.e. exactly single DES, and DES-EDE-CBC is in
// OpenSSL 3's default provider. Every other algorithm passes through untouched. s3rver looks the
// functions up on the CommonJS `crypto` object at call time, so patching that object suffices.

type CreateCipheriv = (algorithm: string, key: unknown, iv: unknown, options?: unknown) => Cipher;
type CreateDecipheriv = (algorithm: string, key: unknown, iv: unknown, options?: unknown) => Decipher;
const cryptoModule = require("node:crypto") as {
  createCipheriv: CreateCipheriv;
  createDecipheriv: CreateDecipheriv;
};
const SHIMMED = Symbol.for("watchpost.s3rver-des-shim");

function asTwoKeyTripleDes(algorithm: string, key: unknown): [string, unknown] {
  if (algorithm.toLowerCase() !== "des") return [algorithm, key];
  const single = Buffer.from(key as Uint8Array);
  if (single.length !== 8) return [algorithm, key];
  return ["des-ede-cbc", Buffer.concat([single, single])];
}

/** Installs the DES shim once per process; safe to call repeatedly. */
export function installS3rverDesShim(): void {
  const current = cryptoModule.createCipheriv as CreateCipheriv & { [SHIMMED]?: true };
  if (current[SHIMMED]) return;
  const originalCipher = cryptoModule.createCipheriv;
  const originalDecipher = cryptoModule.createDecipheriv;
  const cipher: CreateCipheriv = (algorithm, key, iv, options) =>
    originalCipher(...asTwoKeyTripleDes(algorithm, key), iv, options);
  const decipher: CreateDecipheriv = (algorithm, key, iv, options) =>
    originalDecipher(...asTwoKeyTripleDes(algorithm, key), iv, options);
  Object.assign(cipher, { [SHIMMED]: true });
  cryptoModule.createCipheriv = cipher;
  cryptoModule.createDecipheriv = decipher;
}

// Installed as soon as this module is loaded, before any s3rver is created.
installS3rverDesShim();

// ---------------------------------------------------------------------------------------------
// s3rver 3.7.1 answers a PUT before the object's bytes are written. Its FilesystemStore.putObject
// (s3rver/lib/stores/filesystem.js) resolves on the 'finish' of the MD5 Transform it pipes the
// request through, not of the file WriteStream behind it, then writes the metadata (ETag, from the
// MD5 of what went through) and answers 200. The file is opened (truncated) and written on libuv's
// thread pool meanwhile; when that lags — a loaded machine, the pool busy with scrypt, zlib or other
// file I/O — a GET sent after the 200 reads the new ETag over an empty, partial or previous body
// (its Content-Length comes from stat). Amazon S3 does not do that: "After a successful write of a
// new object, or an overwrite or delete of an existing object, any subsequent read request
// immediately receives the latest version of the object" (Amazon S3 User Guide, "Amazon S3 data
// consistency model"). The model-based settlement test met it as an `unreadable` alarm raised on an
// object whose new (valid) content had been acknowledged, with that content's ETag as its evidence.
// The shim below stores the bytes the same way (same files, same MD5) but resolves only once the
// WriteStream has finished, for single PUTs and for multipart parts alike (putObjectMultipart goes
// through putObject). A read that overlaps a PUT may still see a partial object (S3 would show the
// old or the new one whole); the tests only read after the upload's answer.

interface S3rverObject {
  bucket: string;
  key: string;
  content: NodeJS.ReadableStream | Buffer;
  metadata: Record<string, string>;
}
interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  putPart(
    bucket: string,
    uploadId: string,
    partNumber: number,
    content: NodeJS.ReadableStream,
  ): Promise<{ size: number; md5: string }>;
}
const filesystemStore = (require("s3rver/lib/stores/filesystem") as { prototype: FilesystemStore }).prototype;
const WRITES_AWAITED = Symbol.for("watchpost.s3rver-write-shim");

/** Writes `content` to `path`, resolving once the file holds all of it, with its size and MD5. */
async function writeHashed(
  content: NodeJS.ReadableStream | Buffer,
  path: string,
): Promise<{ size: number; md5: string }> {
  await mkdir(dirname(path), { recursive: true });
  const md5 = createHash("md5");
  let size = 0;
  await pipeline(
    Buffer.isBuffer(content) ? Readable.from([content]) : content,
    async function* (source: AsyncIterable<Buffer | string>) {
      for await (const chunk of source) {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        md5.update(bytes);
        size += bytes.length;
        yield bytes;
      }
    },
    createWriteStream(path),
  );
  return { size, md5: md5.digest("hex") };
}

/** Makes s3rver answer a PUT (and an UploadPart) only once the bytes are in the file; safe to call repeatedly. */
export function installS3rverWriteShim(): void {
  const marked = filesystemStore as FilesystemStore & { [WRITES_AWAITED]?: true };
  if (marked[WRITES_AWAITED]) return;
  marked[WRITES_AWAITED] = true;
  filesystemStore.putObject = async function putObject(this: FilesystemStore, object) {
    const written = await writeHashed(
      object.content,
      this.getResourcePath(object.bucket, object.key, "object"),
    );
    await this.putMetadata(object.bucket, object.key, object.metadata, written.md5);
    return written;
  };
  filesystemStore.putPart = async function putPart(
    this: FilesystemStore,
    bucket,
    uploadId,
    partNumber,
    content,
  ) {
    const partPath = join(this.getResourcePath(bucket, undefined, "uploads"), uploadId, String(partNumber));
    const written = await writeHashed(content, partPath);
    await writeFile(`${partPath}.md5`, written.md5);
    return written;
  };
}

installS3rverWriteShim();

// ---------------------------------------------------------------------------------------------
// Neither package ships type declarations; only the members used here are described.

/** The S3 event notification s3rver emits for each object created or removed. */
export interface S3rverEvent {
  Records: {
    eventName: string;
    eventTime?: string;
    s3: {
      bucket?: { name: string };
      object: { key: string; size?: number; eTag?: string; sequencer?: string };
    };
  }[];
}
export interface S3rverInstance {
  run(): Promise<{ port: number }>;
  /** The node:http server `run()` started. */
  httpServer?: Server;
  close(): Promise<void>;
  /** The request handler, for fronting the same store with a test server of one's own. */
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
  on(event: "event", listener: (event: S3rverEvent) => void): void;
}
const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverInstance;
export interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}
/** The one account every s3rver instance in the process accepts; register extra keys on it. */
export const S3RVER_ACCOUNT = (require("s3rver/lib/models/account") as { DUMMY_ACCOUNT: S3rverAccount })
  .DUMMY_ACCOUNT;
const dynalite = require("dynalite") as (options: { createTableMs: number }) => Server;

/** The key pair s3rver's account accepts out of the box. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface LocalS3 {
  client: S3Client;
  endpoint: string;
  /** The running s3rver itself, for listening to its events or reusing its handler. */
  server: S3rverInstance;
  stop(): Promise<void>;
}

export async function startS3rver(): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "watchpost-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, resetOnClose: true });
  const { port } = await server.run();
  // Node's http server closes a keep-alive socket after 5 s idle; a request the SDK sends on it as
  // it closes fails with ECONNRESET, and these clients make one attempt. On a loaded machine a
  // test pausing that long between requests (a held publisher, a slow DynamoDB call) met it as an
  // `unreadable` (io-error) finding. Sockets stay open while the emulator runs (as the bench's do).
  if (server.httpServer) server.httpServer.keepAliveTimeout = 10 * 60_000;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    // Without these, stream uploads are stored with their chunk framing (design brief).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: S3RVER_CREDENTIALS,
  });
  return {
    client,
    endpoint,
    server,
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface LocalDynamo {
  client: DynamoDBClient;
  endpoint: string;
  /** Creates a table shaped the way the stack creates the alarm table. */
  createAlarmTable(name: string): Promise<string>;
  /** Creates a table shaped the way the stack creates the scan-state table (object inventory). */
  createScanStateTable(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  return {
    client,
    endpoint,
    createAlarmTable: (name) => createTable(client, name, ALARM_TABLE_KEYS),
    createScanStateTable: (name) => createTable(client, name, SCAN_STATE_TABLE_KEYS),
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
