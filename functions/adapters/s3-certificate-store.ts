/**
 * The certificate bucket as the scan sees it: list the objects under the configured prefixes, and
 * load one object within a size cap. An oversized object is never downloaded: its size comes from
 * the listing (or a HeadObject when there was no listing, as for an S3 event), and the download is
 * still cut off at the cap in case the object was replaced by a larger one in between.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2Output,
  NoSuchKey,
  NotFound,
  type S3Client,
} from "@aws-sdk/client-s3";
import { ABSENT } from "../core/alarms/evidence";
import type { LoadResult } from "../core/scan/read-files";

export interface StoredObject {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
}

export interface LoadOptions {
  maxBytes: number;
  /** Size known from a listing; saves the HeadObject. */
  knownSize?: number;
  /** Expected ETag (from the listing): a replaced object is loaded as it is now, not mixed. */
  etag?: string;
}

export interface S3CertificateStoreOptions {
  client: Pick<S3Client, "send">;
  bucket: string;
  /** Keys per ListObjectsV2 page (S3's maximum is 1000). */
  pageSize?: number;
}

export interface S3CertificateStore {
  readonly bucket: string;
  /** Every object under the prefixes, in key order per prefix; "folder" placeholder keys are left out. */
  list(prefixes: readonly string[]): AsyncGenerator<StoredObject>;
  load(key: string, options: LoadOptions): Promise<LoadResult>;
  /** The ETag of the object S3 holds now under `key`, ABSENT, or undefined when S3 will not say. */
  currentVersion(key: string): Promise<string | undefined>;
  /**
   * Whether an object exists (HeadObject): false only on S3's 404, undefined when S3 would not say
   * (access denied, throttling, network), so a caller never mistakes a fault for a missing object.
   */
  exists(key: string): Promise<boolean | undefined>;
  /** How reports name an object: `s3://bucket/key`. */
  uri(key: string): string;
}

export function s3CertificateStore(options: S3CertificateStoreOptions): S3CertificateStore {
  const { client, bucket } = options;
  const pageSize = options.pageSize ?? 1000;

  const listPage = (prefix: string, ContinuationToken: string | undefined): Promise<ListObjectsV2Output> =>
    client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: pageSize, ContinuationToken }),
    );

  /**
   * The next page is asked for as soon as this one arrives, before its keys are handed out: the
   * scan of an unchanged store judges a page's objects faster than a listing page comes back, and
   * otherwise stood idle at every page boundary. One page ahead at most; a failure of the page
   * ahead is thrown when the listing gets there, as it was before.
   */
  async function* list(prefixes: readonly string[]): AsyncGenerator<StoredObject> {
    const seen = new Set<string>();
    for (const prefix of prefixes) {
      let ahead: Promise<ListObjectsV2Output> | undefined = listPage(prefix, undefined);
      while (ahead) {
        const page: ListObjectsV2Output = await ahead;
        const ContinuationToken: string | undefined = page.IsTruncated
          ? page.NextContinuationToken
          : undefined;
        ahead = ContinuationToken ? listPage(prefix, ContinuationToken) : undefined;
        // A consumer that stops early never awaits it; its failure is then nobody's to report.
        ahead?.catch(() => undefined);
        for (const object of page.Contents ?? []) {
          if (!object.Key || object.Key.endsWith("/") || seen.has(object.Key)) continue;
          seen.add(object.Key);
          yield {
            key: object.Key,
            size: object.Size ?? 0,
            ...(object.ETag ? { etag: object.ETag } : {}),
            ...(object.LastModified ? { lastModified: object.LastModified } : {}),
          };
        }
      }
    }
  }

  async function load(key: string, { maxBytes, knownSize, etag }: LoadOptions): Promise<LoadResult> {
    try {
      const size =
        knownSize ?? (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength;
      if (size !== undefined && size > maxBytes) return tooLarge(size, maxBytes);
      const object = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag ? { IfMatch: etag } : {}) }),
      );
      if (object.ContentLength !== undefined && object.ContentLength > maxBytes) {
        destroy(object.Body);
        return tooLarge(object.ContentLength, maxBytes);
      }
      const read = await readCapped(object.Body, maxBytes);
      if (!read.ok) return read;
      // The version actually read: an S3 event re-check records it in the inventory. User metadata
      // (what `watchpost push` says about the host) comes with the same response.
      const metadata =
        object.Metadata && Object.keys(object.Metadata).length > 0 ? object.Metadata : undefined;
      return {
        ...read,
        ...(object.ETag ? { etag: object.ETag } : {}),
        ...(metadata ? { metadata } : {}),
        ...(object.LastModified ? { lastModified: object.LastModified } : {}),
      };
    } catch (error) {
      const failed: LoadResult = { ok: false, reason: "io-error", detail: describeError(key, error) };
      if (error instanceof NoSuchKey || error instanceof NotFound) return { ...failed, gone: true };
      // Without s3:ListBucket on the key itself S3 answers 403, not 404, for a missing object (the
      // GetObject API reference, "Permissions"); the scan may list its prefixes, so it asks the listing.
      if (isAccessDenied(error) && (await currentVersion(key).catch(() => undefined)) === ABSENT)
        return { ...failed, detail: `${key}: the object no longer exists`, gone: true };
      return isTransient(error) ? { ...failed, transient: true } : failed;
    }
  }

  /**
   * Asked of the listing first: the scan's role may list the bucket (lib/constructs/certificate-store.ts),
   * and a listing names a missing key as missing, where HeadObject answers 403 to a caller without
   * s3:ListBucket. A role that may not list (narrowed by hand) falls back to HeadObject.
   */
  async function currentVersion(key: string): Promise<string | undefined> {
    try {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
      const first = page.Contents?.[0];
      return first?.Key === key ? (first.ETag ?? undefined) : ABSENT;
    } catch (error) {
      if (!isAccessDenied(error)) throw error;
    }
    try {
      return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey) return ABSENT;
      if (isAccessDenied(error)) return undefined;
      throw error;
    }
  }

  async function exists(key: string): Promise<boolean | undefined> {
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey) return false;
      return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
        ? false
        : undefined;
    }
  }

  return { bucket, list, load, currentVersion, exists, uri: (key) => `s3://${bucket}/${key}` };
}

/**
 * A failure that says nothing about the object, which the next scan may well not meet: no answer
 * (a timeout, a dropped connection: the SDK's retries are spent), throttling, a server error, or an
 * object replaced while it was read (412 on If-Match: its own event re-checks it). What S3 refuses
 * for good — access denied, a KMS key the role may not use — is not transient.
 */
function isTransient(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (error as { name?: string }).name ?? "";
  if (isAccessDenied(error)) return false;
  if (status === undefined) return true;
  return (
    status === 412 ||
    status === 408 ||
    status === 429 ||
    status >= 500 ||
    /Throttl|SlowDown|Timeout/.test(name)
  );
}

function isAccessDenied(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === "AccessDenied" || name === "Forbidden" || status === 403;
}

function tooLarge(size: number, maxBytes: number): LoadResult {
  return {
    ok: false,
    reason: "too-large",
    detail: `${size} bytes is over the ${maxBytes}-byte limit; not downloaded`,
  };
}

async function readCapped(body: unknown, maxBytes: number): Promise<LoadResult> {
  if (body === undefined || body === null) return { ok: true, bytes: new Uint8Array() };
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    total += bytes.byteLength;
    if (total > maxBytes) {
      destroy(body);
      return {
        ok: false,
        reason: "too-large",
        detail: `more than ${maxBytes} bytes; download stopped at the limit`,
      };
    }
    chunks.push(bytes);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

/** Releases the connection of a response body that will not be read to the end. */
function destroy(body: unknown): void {
  const stream = body as { destroy?: () => void } | undefined;
  stream?.destroy?.();
}

function describeError(key: string, error: unknown): string {
  if (error instanceof NoSuchKey || error instanceof NotFound) return `${key}: the object no longer exists`;
  const name = (error as { name?: string }).name ?? "Error";
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === "PreconditionFailed" || status === 412)
    return `${key}: the object changed while it was being read`;
  if (name === "AccessDenied" || status === 403) return `${key}: access denied`;
  return `${key}: ${name}${status ? ` (HTTP ${status})` : ""}: ${(error as Error).message ?? String(error)}`;
}
