/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 refuses; the
 * shim in bin/local/emulators.ts maps it to the equivalent two-key triple DES. Without it, any
 * truncated listing fails, and so would a scan of a bucket holding more than a page of objects.
 */
import { createRequire } from "node:module";
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalS3, startS3rver } from "../../support/emulators";

const BUCKET = "listing";
// The shim patches the CommonJS crypto object, the one s3rver calls through.
const { createCipheriv } = createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  await s3.stop();
});

describe("s3rver listing with the DES shim", () => {
  it("pages through 5 objects, 2 at a time, with continuation tokens", async () => {
    // Prepare
    const keys = ["a.pem", "b.pem", "c/d.pem", "c/e.pem", "f.pem"];
    for (const Key of keys) {
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
    }

    // Act
    const pages: string[][] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 2, ContinuationToken }),
      );
      pages.push((page.Contents ?? []).map((o) => o.Key ?? ""));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated) expect(ContinuationToken).toBeTruthy();
    } while (ContinuationToken);

    // Assess
    expect(pages).toEqual([["a.pem", "b.pem"], ["c/d.pem", "c/e.pem"], ["f.pem"]]);
  });

  it("computes single DES exactly (the FIPS 81 / textbook known answer), and leaves other ciphers alone", () => {
    // The classic DES example: key 133457799BBCDFF1, plaintext 0123456789ABCDEF → 85E813540F0AB405.
    // With a zero IV the first CBC block is the ECB block.
    const cipher = createCipheriv(
      "des",
      Buffer.from("133457799BBCDFF1", "hex"),
      Buffer.alloc(8),
    ).setAutoPadding(false);
    const block = Buffer.concat([cipher.update(Buffer.from("0123456789ABCDEF", "hex")), cipher.final()]);
    expect(block.toString("hex").toUpperCase()).toBe("85E813540F0AB405");
    expect(() => createCipheriv("aes-128-cbc", Buffer.alloc(16), Buffer.alloc(16))).not.toThrow();
    expect(() => createCipheriv("des-ede3-cbc", Buffer.alloc(8), Buffer.alloc(8))).toThrow();
  });
});
