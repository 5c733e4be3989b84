import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type Presence,
  type PushRequest,
  type PushTargetPort,
  push,
  pushExitCode,
} from "../../../functions/core/push/push";
import { chain, privateKeyPem } from "../../support/pki";

let pem: Uint8Array;
let keyPem: string;

beforeAll(async () => {
  const { leaf } = await chain("h1.example.com");
  pem = Buffer.from(leaf.pem);
  keyPem = await privateKeyPem(leaf.keys);
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
  presence: async () => "present",
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
    expect(calls).toEqual([
      "list hosts/h1/",
      "head hosts/h1/etc/ssl/h1.pem",
      "put hosts/h1/.watchpost-heartbeat.json",
    ]);
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
        presence: async () => "absent",
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

/** A bucket holding `objects` (key → content), answering with MD5 ETags and S3's clock in each response. */
function bucket(objects: Map<string, { bytes: Uint8Array; metadata: Record<string, string> }>) {
  const calls: string[] = [];
  const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");
  const target: PushTargetPort = {
    async list(prefix) {
      calls.push(`list ${prefix}`);
      return new Map(
        [...objects].filter(([k]) => k.startsWith(prefix)).map(([k, o]) => [k, md5(o.bytes)] as const),
      );
    },
    async head(key) {
      calls.push(`head ${key}`);
      return objects.get(key)?.metadata;
    },
    async put(key, bytes, _md5, metadata) {
      calls.push(`put ${key}`);
      objects.set(key, { bytes, metadata });
    },
    async delete(key) {
      calls.push(`delete ${key}`);
      objects.delete(key);
    },
    uri: (key) => `s3://b/${key}`,
    clock: () => ({ offsetSeconds: 612.4, uncertaintySeconds: 0.6, against: "s3-date-header" }),
  };
  return { target, calls };
}

const stored = (bytes: Uint8Array) => ({ bytes, metadata: {} });

describe("push: --delete deletes only what is gone", () => {
  it.each([
    [
      "exists but cannot be read (EACCES)",
      { ok: false, reason: "io-error", detail: "permission denied (EACCES)" },
    ],
  ] as const)("a file that %s keeps its copy and is reported failed, not deleted", async (_case, loaded) => {
    // Prepare: the copy of a file that is still on the host, unreadable to the pushing user
    const objects = new Map([["hosts/h1/etc/ssl/h1.pem", stored(pem)]]);
    const { target, calls } = bucket(objects);

    // Act
    const report = await push(
      request({
        delete: true,
        files: [{ path: "/etc/ssl/h1.pem", load: async () => loaded }],
        presence: async () => "present",
      }),
      target,
    );

    // Assess
    expect(report.files).toEqual([
      {
        path: "/etc/ssl/h1.pem",
        key: "hosts/h1/etc/ssl/h1.pem",
        outcome: "failed",
        reason: "permission denied (EACCES)",
      },
    ]);
    expect(calls.filter((c) => c.startsWith("delete"))).toEqual([]);
    expect(objects.has("hosts/h1/etc/ssl/h1.pem")).toBe(true);
  });

  it("deletes a copy whose path answers ENOENT, keeps one whose path exists or cannot be checked", async () => {
    // Prepare: three copies whose files the walk did not find
    const objects = new Map([
      ["hosts/h1/etc/ssl/gone.pem", stored(pem)],
      ["hosts/h1/etc/ssl/behind-link/a.pem", stored(pem)],
      ["hosts/h1/etc/ssl/locked/b.pem", stored(pem)],
    ]);
    const { target } = bucket(objects);
    const presence = new Map<string, Presence>([
      ["/etc/ssl/gone.pem", "absent"],
      ["/etc/ssl/behind-link/a.pem", "present"],
      ["/etc/ssl/locked/b.pem", { error: "permission denied (EACCES)" }],
    ]);

    // Act
    const report = await push(
      request({ delete: true, files: [], presence: async (path) => presence.get(path) ?? "present" }),
      target,
    );

    // Assess
    expect(report.files.map(({ path, outcome, reason }) => [path, outcome, reason])).toEqual([
      [
        "/etc/ssl/behind-link/a.pem",
        "skipped",
        "still on the host, but not pushed in this run; the bucket copy is kept",
      ],
      ["/etc/ssl/gone.pem", "deleted", undefined],
      [
        "/etc/ssl/locked/b.pem",
        "failed",
        "cannot tell whether the file still exists (permission denied (EACCES)); the bucket copy is kept",
      ],
    ]);
    expect([...objects.keys()].sort()).toEqual([
      "hosts/h1/.watchpost-heartbeat.json",
      "hosts/h1/etc/ssl/behind-link/a.pem",
      "hosts/h1/etc/ssl/locked/b.pem",
    ]);
    expect(pushExitCode(report)).toBe(2);
  });
});

describe("push: the heartbeat", () => {
  it("is written after every run that reached the bucket, with the clock reading, and is never gone", async () => {
    // Prepare: a heartbeat from an earlier run is in the bucket, under the pushed root '/'
    const objects = new Map([["hosts/h1/.watchpost-heartbeat.json", stored(Buffer.from("{}"))]]);
    const { target, calls } = bucket(objects);

    // Act
    const report = await push(
      request({ roots: ["/"], delete: true, heartbeat: { everySeconds: 300, agent: "watchpost 9.9.9" } }),
      target,
    );

    // Assess
    expect(calls.at(-1)).toBe("put hosts/h1/.watchpost-heartbeat.json");
    expect(calls.filter((c) => c.startsWith("delete"))).toEqual([]);
    expect(report.heartbeat).toEqual({ key: "hosts/h1/.watchpost-heartbeat.json", written: true });
    expect(report.clock).toEqual({
      offsetSeconds: 612.4,
      uncertaintySeconds: 0.6,
      against: "s3-date-header",
    });
    const written = objects.get("hosts/h1/.watchpost-heartbeat.json")!;
    expect(JSON.parse(Buffer.from(written.bytes).toString())).toEqual({
      format: 1,
      host: "h1",
      pushedAt: "2026-11-29T00:00:00.000Z",
      agent: "watchpost 9.9.9",
      everySeconds: 300,
      clock: { offsetSeconds: 612.4, uncertaintySeconds: 0.6, against: "s3-date-header" },
      counts: { uploaded: 1, unchanged: 0, skipped: 0, failed: 0, gone: 0, deleted: 0 },
    });
    expect(written.metadata).toEqual({ "watchpost-host": "h1" });
  });

  it("is not written on a dry run, which still reports the clock", async () => {
    const { target, calls } = bucket(new Map());
    const report = await push(request({ dryRun: true }), target);
    expect(calls).toEqual(["list hosts/h1/"]);
    expect(report.heartbeat).toBeUndefined();
    expect(report.clock).toEqual({
      offsetSeconds: 612.4,
      uncertaintySeconds: 0.6,
      against: "s3-date-header",
    });
  });

  it("that cannot be written fails the run (exit 2): the stack would take the host for silent", async () => {
    // Prepare: a role that may write certificates but not the heartbeat
    const { target } = bucket(new Map());
    const put = target.put;
    target.put = async (key, ...rest) => {
      if (key.endsWith(".watchpost-heartbeat.json"))
        throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
      return put(key, ...rest);
    };

    // Act
    const report = await push(request(), target);

    // Assess
    expect(report.heartbeat).toEqual({
      key: "hosts/h1/.watchpost-heartbeat.json",
      written: false,
      error: "the heartbeat could not be written: AccessDenied: Access Denied",
    });
    expect(report.counts.failed).toBe(0);
    expect(pushExitCode(report)).toBe(2);
  });

  it("keeps its name to itself: a host file at /.watchpost-heartbeat.json is not pushed over it", async () => {
    const { target } = bucket(new Map());
    const report = await push(
      request({
        roots: ["/"],
        files: [{ path: "/.watchpost-heartbeat.json", load: async () => ({ ok: true, bytes: pem }) }],
      }),
      target,
    );
    expect(report.files).toEqual([
      {
        path: "/.watchpost-heartbeat.json",
        outcome: "skipped",
        reason: ".watchpost-heartbeat.json is the name of watchpost's heartbeat",
      },
    ]);
  });
});

describe("push: --role, and copies an older push left", () => {
  it("writes the role as metadata (the alarms' RoleName), and uploads again when it changes", async () => {
    // Prepare: the copy was written without a role
    const sha256 = createHash("sha256").update(pem).digest("hex");
    const objects = new Map([
      [
        "hosts/h1/etc/ssl/h1.pem",
        {
          bytes: Buffer.from("not the same bytes: the ETag differs, so metadata decides"),
          metadata: {
            "watchpost-host": "h1",
            "watchpost-path": encodeURIComponent("/etc/ssl/h1.pem"),
            "watchpost-sha256": sha256,
          },
        },
      ],
    ]);
    const { target } = bucket(objects);

    // Act
    const report = await push(request({ role: "flink-agency" }), target);

    // Assess
    expect(report.counts.uploaded).toBe(1);
    expect(objects.get("hosts/h1/etc/ssl/h1.pem")?.metadata).toEqual({
      "watchpost-host": "h1",
      "watchpost-role": "flink-agency",
      "watchpost-path": encodeURIComponent("/etc/ssl/h1.pem"),
      "watchpost-sha256": sha256,
    });
  });

  it("fails a file that holds a private key and whose copy is in the bucket, naming the copy to delete", async () => {
    // Prepare: an older watchpost pushed the combined file
    const combined = Buffer.from(`${Buffer.from(pem).toString()}\n${keyPem}`);
    const objects = new Map([["hosts/h1/etc/ssl/h1.pem", stored(combined)]]);
    const { target, calls } = bucket(objects);

    // Act
    const report = await push(
      request({ files: [{ path: "/etc/ssl/h1.pem", load: async () => ({ ok: true, bytes: combined }) }] }),
      target,
    );

    // Assess
    expect(report.files).toEqual([
      {
        path: "/etc/ssl/h1.pem",
        key: "hosts/h1/etc/ssl/h1.pem",
        outcome: "failed",
        reason:
          'holds a private key in clear: a PEM "PRIVATE KEY" block; push a file with the certificates only, or the keystore the service reads; ' +
          "its bucket copy from an earlier push may hold it too: check it and delete it (aws s3 rm s3://b/hosts/h1/etc/ssl/h1.pem)",
      },
    ]);
    expect(calls.filter((c) => c.startsWith("put hosts/h1/etc"))).toEqual([]);
  });
});
