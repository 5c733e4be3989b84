/**
 * Amazon S3 reads after writes: "After a successful write of a new object, or an overwrite or
 * delete of an existing object, any subsequent read request immediately receives the latest
 * version of the object" (Amazon S3 User Guide, "Amazon S3 data consistency model"). s3rver 3.7.1
 * answered a PUT before the bytes were in its file; the write shim in bin/local/emulators.ts makes
 * it answer only once they are. Here the disk is slow on purpose: every write of an object's (or
 * an upload part's) file is held back until the object has been read back, or for a second at most.
 * An emulator that answers early serves that read from the file as it was, and the test fails
 * whatever the machine's speed; one that waits for its write is slowed by the second, never wrong.
 */
import { createHash } from "node:crypto";
import { WriteStream } from "node:fs";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalS3, startS3rver } from "../../support/emulators";

const BUCKET = "read-after-write";
/** How long a held write waits at most: only the fixed emulator ever waits it out. */
const HOLD_MS = 1_000;
let s3: LocalS3;

type WriteMethod = (this: WriteStream, ...args: unknown[]) => void;
const methods = WriteStream.prototype as unknown as Record<"_write" | "_writev", WriteMethod>;
const originals = { _write: methods._write, _writev: methods._writev };

/** Holds back every write to an s3rver object or upload-part file until `release()`, or HOLD_MS. */
function slowDisk() {
  const waiting = new Set<() => void>();
  let held = 0;
  for (const name of ["_write", "_writev"] as const) {
    methods[name] = function (this: WriteStream, ...args: unknown[]) {
      const path = String(this.path);
      if (!path.endsWith("_S3rver_object") && !path.includes("_S3rver_uploads")) {
        originals[name].apply(this, args);
        return;
      }
      held++;
      const write = () => {
        clearTimeout(timer);
        waiting.delete(write);
        originals[name].apply(this, args);
      };
      const timer = setTimeout(write, HOLD_MS);
      waiting.add(write);
    };
  }
  return {
    get held() {
      return held;
    },
    release() {
      for (const write of [...waiting]) write();
    },
  };
}

function md5(text: string): string {
  return `"${createHash("md5").update(text).digest("hex")}"`;
}

async function readBack(Key: string) {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
  return { body: await object.Body?.transformToString(), etag: object.ETag };
}

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterEach(() => {
  Object.assign(methods, originals);
});

afterAll(async () => {
  await s3.stop();
});

describe("s3rver reads after writes, on a slow disk", () => {
  it("returns a new object's bytes, and a replaced object's new bytes, as soon as the PUT is answered", async () => {
    for (const body of ["the first version", "the second version, longer than the first"]) {
      // Prepare
      const disk = slowDisk();

      // Act
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "a.pem", Body: body }));
      const read = await readBack("a.pem");
      disk.release();

      // Assess
      expect(disk.held).toBeGreaterThan(0);
      expect(read).toEqual({ body, etag: md5(body) });
    }
  });

  it("returns a multipart upload's bytes as soon as the upload is completed", async () => {
    // Prepare
    const body = "one part, the last one, so any size will do";
    const disk = slowDisk();

    // Act
    const { UploadId } = await s3.client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "b.pem" }),
    );
    const part = await s3.client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: "b.pem", UploadId, PartNumber: 1, Body: body }),
    );
    await s3.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: "b.pem",
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const read = await readBack("b.pem");
    disk.release();

    // Assess
    expect(disk.held).toBeGreaterThan(1);
    expect(read.body).toBe(body);
  });
});
