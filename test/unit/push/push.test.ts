import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type PushRequest, type PushTargetPort, push } from "../../../functions/core/push/push";
import { chain } from "../../support/pki";

let pem: Uint8Array;

beforeAll(async () => {
  pem = Buffer.from((await chain("h1.example.com")).leaf.pem);
});

/** A bucket that answers like SSE-KMS: ETags are not the MD5 of the content. */
function kmsBucket(objects: Map<string, { metadata: Record<string, string> }>) {
  const calls: string[] = [];
  const target: PushTargetPort = {
    async list(prefix) {
      calls.push(`list ${prefix}`);
      return new Map([...objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => [k, "f".repeat(32)]));
    },
    async head(key) {
      calls.push(`head ${key}`);
      return objects.get(key)?.metadata;
    },
    async put(key, _bytes, _md5, metadata) {
      calls.push(`put ${key}`);
      objects.set(key, { metadata });
    },
    async delete(key) {
      calls.push(`delete ${key}`);
      objects.delete(key);
    },
    uri: (key) => `s3://b/${key}`,
  };
  return { target, calls };
}

const request = (over: Partial<PushRequest> = {}): PushRequest => ({
  files: [{ path: "/etc/ssl/h1.pem", load: async () => ({ ok: true, bytes: pem }) }],
  walkErrors: [],
  roots: ["/etc/ssl"],
  prefix: "hosts/",
  host: "h1",
  delete: false,
  dryRun: false,
  now: new Date("2026-11-29T00:00:00Z"),
  ...over,
});

describe("push: change detection when ETags are not MD5s (SSE-KMS, multipart)", () => {
  it("settles an unchanged file with one HeadObject against the SHA-256 it wrote", async () => {
    // Prepare
    const sha256 = createHash("sha256").update(pem).digest("hex");
    const objects = new Map([
      [
        "hosts/h1/etc/ssl/h1.pem",
        {
          metadata: {
            "watchpost-host": "h1",
            "watchpost-path": encodeURIComponent("/etc/ssl/h1.pem"),
            "watchpost-sha256": sha256,
          },
        },
      ],
    ]);
    const { target, calls } = kmsBucket(objects);

    // Act
    const report = await push(request(), target);

    // Assess
    expect(report.counts).toMatchObject({ unchanged: 1, uploaded: 0 });
    expect(calls).toEqual(["list hosts/h1/", "head hosts/h1/etc/ssl/h1.pem"]);
  });

  it("uploads when the stored SHA-256 differs, or the service named changed", async () => {
    // Prepare
    const objects = new Map<string, { metadata: Record<string, string> }>([
      ["hosts/h1/etc/ssl/h1.pem", { metadata: { "watchpost-sha256": "0".repeat(64) } }],
    ]);
    const { target, calls } = kmsBucket(objects);

    // Act
    const report = await push(request({ service: "nginx" }), target);

    // Assess
    expect(report.counts.uploaded).toBe(1);
    expect(calls).toContain("put hosts/h1/etc/ssl/h1.pem");
    expect(objects.get("hosts/h1/etc/ssl/h1.pem")?.metadata["watchpost-service"]).toBe("nginx");
  });

  it("deletes nothing when part of the walk failed, even with --delete", async () => {
    // Prepare
    const objects = new Map([["hosts/h1/etc/ssl/old.pem", { metadata: {} }]]);
    const { target, calls } = kmsBucket(objects);

    // Act
    const report = await push(
      request({
        delete: true,
        files: [],
        walkErrors: [{ path: "/etc/ssl/private", detail: "permission denied (EACCES)" }],
      }),
      target,
    );

    // Assess
    expect(calls.filter((c) => c.startsWith("delete"))).toEqual([]);
    expect(report.files).toContainEqual(
      expect.objectContaining({
        path: "/etc/ssl/old.pem",
        outcome: "gone",
        reason: expect.stringContaining("not deleted"),
      }),
    );
    expect(report.counts.failed).toBe(1);
  });
});
