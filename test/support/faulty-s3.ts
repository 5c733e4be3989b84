/**
 * An HTTP front for s3rver that misbehaves on request, the way S3 and the networks in front of it
 * do: bursts of `503 SlowDown` (with the XML error body S3 sends), connections reset before or in
 * the middle of a response, and responses that stall forever, before the headers or halfway
 * through the body. Requests no fault matches are answered by s3rver itself, so everything else
 * behaves like S3.
 *
 * Point a client at `endpoint` (path-style). Faults are matched in the order they were injected;
 * each applies to `times` matching requests (default: all of them, until `heal()`).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  type CertificateStoreS3ClientOptions,
  certificateStoreS3Client,
} from "../../functions/adapters/clients/s3";
import { S3RVER_CREDENTIALS, type S3rverInstance } from "./emulators";

export type S3Fault =
  /** `503 SlowDown` with S3's XML error body (no body for HEAD, as S3 does). */
  | "slow-down"
  /** The connection is destroyed as soon as the request arrives: no status line at all. */
  | "reset"
  /** s3rver's real answer is cut off halfway through its body, then the connection destroyed. */
  | "reset-mid-body"
  /** No answer, ever: the connection stays open and silent. */
  | "stall"
  /** s3rver's real headers and half its body, then silence with the connection left open. */
  | "stall-mid-body";

export type S3Operation = "ListObjectsV2" | "GetObject" | "HeadObject" | "other";

export interface S3Request {
  operation: S3Operation;
  method: string;
  bucket?: string;
  key?: string;
}

export interface FaultRule {
  fault: S3Fault;
  /** Which requests the fault applies to (default: every one). */
  when?: (request: S3Request) => boolean;
  /** How many matching requests get the fault (default: every one until healed). */
  times?: number;
}

export interface Injected {
  /** Requests this fault has been applied to so far. */
  readonly hits: number;
}

export interface ServedRequest extends S3Request {
  /** The fault applied, or undefined when s3rver answered normally. */
  fault?: S3Fault;
}

export interface FaultyS3 {
  /** Base URL of the front, for a path-style client. */
  endpoint: string;
  inject(rule: FaultRule): Injected;
  /** Removes every fault and drops the connections left stalled; later requests reach s3rver. */
  heal(): void;
  /** Every request the front received, in order, with the fault applied to it. */
  readonly requests: readonly ServedRequest[];
  stop(): Promise<void>;
}

/**
 * The scan's production S3 client pointed at the front, with backoff shrunk to 5 ms so a burst of
 * faults costs milliseconds. A fresh client per use: standard retry mode keeps a quota per client.
 */
export function clientThrough(front: FaultyS3, options: CertificateStoreS3ClientOptions): S3Client {
  return certificateStoreS3Client({
    endpoint: front.endpoint,
    region: "us-east-1",
    credentials: S3RVER_CREDENTIALS,
    retryDelayMs: 5,
    ...options,
  });
}

/** Matchers for the operations the certificate store sends. */
export const when = {
  getObject:
    (key?: string) =>
    (request: S3Request): boolean =>
      request.operation === "GetObject" && (key === undefined || request.key === key),
  headObject:
    (key?: string) =>
    (request: S3Request): boolean =>
      request.operation === "HeadObject" && (key === undefined || request.key === key),
  listObjects: () => (request: S3Request) => request.operation === "ListObjectsV2",
};

export async function startFaultyS3(s3rver: S3rverInstance): Promise<FaultyS3> {
  const forward = s3rver.callback();
  const rules: { rule: FaultRule; hits: number }[] = [];
  const requests: ServedRequest[] = [];
  const stalled = new Set<Socket>();

  const server: Server = createServer((request, response) => {
    const described = describe(request);
    const match = rules.find(
      ({ rule, hits }) => hits < (rule.times ?? Number.POSITIVE_INFINITY) && (rule.when?.(described) ?? true),
    );
    requests.push({ ...described, ...(match ? { fault: match.rule.fault } : {}) });
    if (!match) {
      forward(request, response);
      return;
    }
    match.hits += 1;
    switch (match.rule.fault) {
      case "slow-down":
        slowDown(request, response, described);
        return;
      case "reset":
        request.socket.destroy();
        return;
      case "stall":
        stalled.add(request.socket);
        return;
      case "reset-mid-body":
        cutBody(response, () => response.socket?.destroy());
        forward(request, response);
        return;
      case "stall-mid-body":
        cutBody(response, () => {
          if (response.socket) stalled.add(response.socket);
        });
        forward(request, response);
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  function dropStalled(): void {
    for (const socket of stalled) socket.destroy();
    stalled.clear();
  }

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    inject(rule) {
      const entry = { rule, hits: 0 };
      rules.push(entry);
      return {
        get hits() {
          return entry.hits;
        },
      };
    },
    heal() {
      rules.length = 0;
      dropStalled();
    },
    async stop() {
      rules.length = 0;
      dropStalled();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** Path-style: `/bucket/key`; the SDK names GetObject in `x-id`, ListObjectsV2 sends `list-type=2`. */
function describe(request: IncomingMessage): S3Request {
  const url = new URL(request.url ?? "/", "http://s3.local");
  const [, bucket, ...rest] = url.pathname.split("/");
  const key = rest.length > 0 ? decodeURIComponent(rest.join("/")) : undefined;
  const method = request.method ?? "GET";
  let operation: S3Operation = "other";
  if (method === "HEAD" && key) operation = "HeadObject";
  else if (method === "GET" && key) operation = "GetObject";
  else if (method === "GET" && url.searchParams.get("list-type") === "2") operation = "ListObjectsV2";
  return {
    operation,
    method,
    ...(bucket ? { bucket: decodeURIComponent(bucket) } : {}),
    ...(key ? { key } : {}),
  };
}

/** The error S3 answers with when a prefix is asked too fast. */
function slowDown(request: IncomingMessage, response: ServerResponse, described: S3Request): void {
  const requestId = randomBytes(8).toString("hex").toUpperCase();
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>" +
    `<Resource>/${described.bucket ?? ""}${described.key ? `/${described.key}` : ""}</Resource>` +
    `<RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString("base64")}</HostId></Error>`;
  request.resume();
  response.writeHead(503, "Slow Down", {
    "Content-Type": "application/xml",
    "Content-Length": Buffer.byteLength(body),
    "x-amz-request-id": requestId,
  });
  response.end(request.method === "HEAD" ? undefined : body);
}

/**
 * Lets the response's headers and the first half of its first body chunk through, then calls
 * `after` and swallows everything else s3rver writes (a HEAD or empty answer goes through whole).
 */
function cutBody(response: ServerResponse, after: () => void): void {
  const write = response.write.bind(response) as (chunk: unknown, done: () => void) => boolean;
  const end = response.end.bind(response) as (chunk?: unknown) => ServerResponse;
  let cut = false;
  const intercept = (chunk: unknown): boolean => {
    if (cut) return true;
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array | undefined);
    if (!bytes || bytes.byteLength === 0) return true;
    cut = true;
    // Once the half is on the wire: destroying the socket earlier would discard it unsent.
    write(bytes.subarray(0, Math.max(1, Math.floor(bytes.byteLength / 2))), after);
    return true;
  };
  response.write = ((chunk: unknown) => intercept(chunk)) as ServerResponse["write"];
  response.end = ((chunk?: unknown) => {
    if (typeof chunk === "function" || chunk === undefined || chunk === null) {
      if (!cut) return end();
      return response;
    }
    if (!cut && (typeof chunk === "string" || chunk instanceof Uint8Array) && chunk.length === 0)
      return end();
    intercept(chunk);
    return response;
  }) as ServerResponse["end"];
}
