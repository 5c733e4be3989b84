/**
 * The bucket as `watchpost push` uses it: ListObjectsV2 under the host's prefix, HeadObject for
 * the SHA-256 the command wrote, PutObject with Content-MD5 (S3 refuses a body that arrives
 * damaged) and the host, service, path and SHA-256 as user metadata, DeleteObject for `--delete`.
 * Credentials come from the SDK's standard chain: the instance profile on a host.
 */
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { PushTargetPort } from "../core/push/push";

export function s3PushTarget(options: { client: Pick<S3Client, "send">; bucket: string }): PushTargetPort {
  const { client, bucket } = options;
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
    async put(key, bytes, contentMd5, metadata) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          ContentMD5: contentMd5,
          ContentType: "application/octet-stream",
          Metadata: metadata,
        }),
      );
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    uri: (key) => `s3://${bucket}/${key}`,
  };
}
