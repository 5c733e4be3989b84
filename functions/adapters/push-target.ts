/**
 * The bucket as `watchpost push` uses it: ListObjectsV2 under the host's prefix, HeadObject for
 * the SHA-256 the command wrote, PutObject with Content-MD5 (S3 refuses a body that arrives
 * damaged) and the host, service, role, path and SHA-256 as user metadata, DeleteObject for
 * `--delete`. Credentials come from the SDK's standard chain: the instance profile on a host.
 *
 * Every response's `Date` header is S3's clock; each attempt is bracketed by two readings of the
 * host's clock, right around the HTTP exchange (inside the retries, after signing), and the
 * tightest bracket says how far the host's clock is off (core/hosts/heartbeat.ts).
 */
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { DeserializeMiddleware, MetadataBearer } from "@smithy/types";
import { type ClockSample, clockOffset } from "../core/hosts/heartbeat";
import type { PushTargetPort } from "../core/push/push";
import { aroundEachAttempt } from "./clients/s3";

export function s3PushTarget(options: {
  client: Pick<S3Client, "send" | "middlewareStack">;
  bucket: string;
  /** The host's clock (ms since the epoch); default Date.now. */
  clock?: () => number;
}): PushTargetPort {
  const { client, bucket } = options;
  const samples = recordServerClock(client, options.clock ?? Date.now);
  return {
    async list(prefix) {
      const objects = new Map<string, string | undefined>();
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key) objects.set(object.Key, object.ETag?.replace(/"/g, ""));
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return objects;
    },
    async head(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return head.Metadata ?? {};
      } catch (error) {
        if (error instanceof NotFound || (error as { name?: string }).name === "NotFound") return undefined;
        throw error;
      }
    },
    async put(key, bytes, contentMd5, metadata, contentType = "application/octet-stream") {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          ContentMD5: contentMd5,
          ContentType: contentType,
          Metadata: metadata,
        }),
      );
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    uri: (key) => `s3://${bucket}/${key}`,
    clock: () => clockOffset(samples),
  };
}

/** Keeps the host-clock bracket and the server's Date of every HTTP response the client receives. */
function recordServerClock(client: Pick<S3Client, "middlewareStack">, clock: () => number): ClockSample[] {
  const samples: ClockSample[] = [];
  const bracket: DeserializeMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const sentAt = clock();
    const result = await next(args);
    const receivedAt = clock();
    const date = (result.response as { headers?: Record<string, string | undefined> }).headers?.date;
    const serverDate = date ? Date.parse(date) : Number.NaN;
    if (Number.isFinite(serverDate)) samples.push({ sentAt, receivedAt, serverDate });
    return result;
  };
  aroundEachAttempt(client, "watchpostServerClock", bracket);
  return samples;
}
