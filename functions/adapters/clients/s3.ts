/**
 * The S3 client the certificate scan reads the bucket with. The SDK's defaults would let a stalled
 * connection hang the scan until the Lambda timeout (no timeout at all, and `requestTimeout` alone
 * only warns). Here every phase of a request is bounded, and throttling, 5xx answers, timeouts and
 * resets are retried with backoff: at worst 5 × (3 s + 15 s) per request, well inside the function's
 * 10 minutes. The SDK retries only until the response headers arrive, so a small GetObject body is
 * read to the end inside the retry loop: a reset halfway through a certificate is retried too.
 */
import { Readable } from "node:stream";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import type { DeserializeMiddleware, MetadataBearer } from "@smithy/types";

export const CERTIFICATE_STORE_S3_DEFAULTS = {
  maxAttempts: 5,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 15_000,
  socketTimeoutMs: 15_000,
  /** The scan's default size cap (thresholds.maxObjectBytes): larger objects are never read anyway. */
  bufferBodiesUpToBytes: 1024 * 1024,
} as const;

export interface CertificateStoreS3ClientOptions {
  /** Attempts per request, the first included (default 5). */
  maxAttempts?: number;
  /** Longest wait for the TCP connection (default 3 s). */
  connectionTimeoutMs?: number;
  /**
   * Longest wait from sending a request to its response headers (default 15 s). Exceeding it is a
   * `TimeoutError`, which is retried: `throwOnRequestTimeout` is always set, since without it the
   * SDK only warns.
   */
  requestTimeoutMs?: number;
  /** Longest silence on the socket, including while a body streams in (default 15 s). */
  socketTimeoutMs?: number;
  /**
   * Delay before retry n (1-based), in ms, or one delay for every retry. Default: the SDK's own
   * jittered exponential backoff (about 50 ms doubling, 1 s doubling for throttling, at most 20 s).
   * Tests shrink it so that a burst of SlowDown answers costs milliseconds.
   */
  retryDelayMs?: number | ((retry: number) => number);
  /**
   * GetObject bodies whose Content-Length is at most this many bytes are read completely before
   * the call returns, so that a reset or stall mid-body is retried like any other (default 1 MiB).
   * 0 streams every body, as the SDK does by default.
   */
  bufferBodiesUpToBytes?: number;
  /** An S3-compatible endpoint instead of AWS (s3rver in tests); path-style addressing then. */
  endpoint?: string;
  /** Default: true when `endpoint` is set, otherwise the SDK's virtual-hosted style. */
  forcePathStyle?: boolean;
  /** Default: the Lambda's region (AWS_REGION). */
  region?: string;
  /** Default: the function's role, through the SDK's credential chain. */
  credentials?: S3ClientConfig["credentials"];
}

/** A client for the certificate bucket with bounded timeouts and standard-mode retries. */
export function certificateStoreS3Client(options: CertificateStoreS3ClientOptions = {}): S3Client {
  const maxAttempts = options.maxAttempts ?? CERTIFICATE_STORE_S3_DEFAULTS.maxAttempts;
  const forcePathStyle = options.forcePathStyle ?? options.endpoint !== undefined;
  const client = new S3Client({
    retryMode: "standard",
    maxAttempts,
    // The scan only lists and reads. By default (WHEN_SUPPORTED) the SDK asks for a checksum on
    // every GetObject (x-amz-checksum-mode) and computes a CRC over each body it gets back;
    // WHEN_REQUIRED does so only where an operation requires it (AWS SDKs and Tools Reference
    // Guide, "Data Integrity Protections for Amazon S3",
    // https://docs.aws.amazon.com/sdkref/latest/guide/feature-dataintegrity.html). A certificate
    // arrives over TLS and is then parsed and its signature verified: a damaged byte becomes an
    // `unreadable` or `untrusted-chain` finding, never a silently wrong answer. (`watchpost push`
    // uploads through this client with Content-MD5, which S3 checks before it stores the object.)
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // The middleware stack is resolved once per command class instead of on every request (the
    // SDK's `cacheMiddleware`, @smithy/types SmithyConfiguration: "0-1ms per request"); a scan
    // sends one GetObject per object. Every middleware here is added when the client is made,
    // before its first request, which is what the option requires.
    cacheMiddleware: true,
    ...(options.retryDelayMs !== undefined
      ? { retryStrategy: new ConfiguredRetryStrategy(maxAttempts, options.retryDelayMs) }
      : {}),
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? CERTIFICATE_STORE_S3_DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? CERTIFICATE_STORE_S3_DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: options.socketTimeoutMs ?? CERTIFICATE_STORE_S3_DEFAULTS.socketTimeoutMs,
    },
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(forcePathStyle ? { forcePathStyle } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
  const bufferUpTo = options.bufferBodiesUpToBytes ?? CERTIFICATE_STORE_S3_DEFAULTS.bufferBodiesUpToBytes;
  if (bufferUpTo > 0) {
    // Between the HTTP handler and the deserializer: inside the retry middleware, so an error
    // while reading the body is classified (reset, timeout: transient) and retried like any other.
    const readBody: DeserializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === "GetObjectCommand") {
        await readBodyInRetries(result.response as RawResponse, bufferUpTo);
      }
      return result;
    };
    aroundEachAttempt(client, "watchpostReadBodyInRetries", readBody);
  }
  return client;
}

/**
 * Adds `middleware` between the HTTP handler and the deserializer: it sees every attempt's raw
 * response (headers, body stream), inside the retry and signing steps.
 */
export function aroundEachAttempt(
  client: Pick<S3Client, "middlewareStack">,
  name: string,
  middleware: DeserializeMiddleware<object, MetadataBearer>,
): void {
  client.middlewareStack.addRelativeTo(middleware, {
    name,
    relation: "after",
    toMiddleware: "deserializerMiddleware",
    override: true,
  });
}

interface RawResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** Replaces a successful response's body stream with the bytes it carried, read to the end. */
async function readBodyInRetries(response: RawResponse, limit: number): Promise<void> {
  const length = Number(response.headers["content-length"]);
  const body = response.body;
  if (response.statusCode < 200 || response.statusCode >= 300) return;
  if (!Number.isFinite(length) || length > limit || !(body instanceof Readable)) return;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  response.body = Readable.from([Buffer.concat(chunks)]);
}
