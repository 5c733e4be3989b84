/**
 * `watchpost push` against s3rver, run the way cron runs it: the first push uploads the certificate
 * material (never a private key), a second uploads nothing, a changed file is uploaded again, a
 * file gone from the host is reported (and deleted with --delete), and an unreachable store exits
 * non-zero. Uploads are counted from s3rver's own object-created events.
 */
import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { type LocalS3, S3RVER_CREDENTIALS, type S3rverEvent, startS3rver } from "../../support/emulators";
import { javaKeystore } from "../../support/java-stores";
import { chain, type Issued, issue, privateKeyPem } from "../../support/pki";

const BUCKET = "host-certs";
const KEYSTORE_PASSWORD = "changeit-host";
const ENV = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_REGION: "us-east-1",
};

let s3: LocalS3;
let root: string;
let pki: Awaited<ReturnType<typeof chain>>;
let leaf: Issued;
const created: string[] = [];
const removed: string[] = [];

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.server.on("event", (event: S3rverEvent) => {
    for (const record of event.Records) {
      (record.eventName.startsWith("ObjectCreated") ? created : removed).push(record.s3.object.key);
    }
  });
  pki = await chain("flink01.prod.example.com");
  leaf = pki.leaf;
  root = await mkdtemp(join(tmpdir(), "watchpost-push-"));
  const cert = join(root, "opt/flink/ha/local/cert");
  await mkdir(cert, { recursive: true });
  await mkdir(join(root, "etc/ssl"), { recursive: true });
  await writeFile(
    join(cert, "flink.keystore"),
    await javaKeystore({
      type: "JKS",
      password: KEYSTORE_PASSWORD,
      privateKey: { alias: "flink", chain: [leaf, pki.intermediate] },
    }),
  );
  await writeFile(join(root, "etc/ssl/server.pem"), `${leaf.pem}\n${pki.intermediate.pem}`);
  await writeFile(join(root, "etc/ssl/ca.crt"), pki.root.pem);
  await writeFile(join(root, "etc/ssl/server.key"), await privateKeyPem(leaf.keys));
  await writeFile(join(root, "etc/ssl/combined.pem"), `${leaf.pem}\n${await privateKeyPem(leaf.keys)}`);
  await writeFile(join(root, "etc/ssl/README"), "Certificates for the Flink HA service.\n");
});

afterAll(async () => {
  await s3.stop();
  await rm(root, { recursive: true, force: true });
});

beforeEach(() => {
  created.length = 0;
  removed.length = 0;
});

const pushArgs = (...extra: string[]) => [
  "push",
  root,
  "--to",
  `s3://${BUCKET}/hosts/`,
  "--host",
  "flink01",
  "--service",
  "flink",
  "--endpoint-url",
  s3.endpoint,
  ...extra,
];
const keyOf = (path: string) => `hosts/flink01${root}/${path}`;
const HEARTBEAT = "hosts/flink01/.watchpost-heartbeat.json";

async function bucketKeys(): Promise<string[]> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "hosts/" }));
  return (listed.Contents ?? []).map((o) => o.Key ?? "").sort();
}

describe("watchpost push", () => {
  it("uploads the certificate material under PREFIX/<host>/<path> with host, service and path as metadata, never a private key", async () => {
    // Act
    const { code, stdout } = await runCli(pushArgs(), ENV);

    // Assess
    expect(code).toBe(0);
    expect(await bucketKeys()).toEqual(
      [
        HEARTBEAT,
        keyOf("etc/ssl/ca.crt"),
        keyOf("etc/ssl/server.pem"),
        keyOf("opt/flink/ha/local/cert/flink.keystore"),
      ].sort(),
    );
    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: keyOf("opt/flink/ha/local/cert/flink.keystore") }),
    );
    expect(head.Metadata).toMatchObject({
      "watchpost-host": "flink01",
      "watchpost-service": "flink",
      "watchpost-path": encodeURIComponent(join(root, "opt/flink/ha/local/cert/flink.keystore")),
      "watchpost-sha256": expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(stdout).toContain(`skipped   ${join(root, "etc/ssl/server.key")}`);
    expect(stdout).toContain(
      `skipped   ${join(root, "etc/ssl/combined.pem")}  (holds a private key in clear: a PEM "PRIVATE KEY" block;`,
    );
    expect(stdout).toContain("3 uploaded, 0 unchanged, 3 skipped (1 not certificate material), 0 failed");
  });

  it("uploads nothing but its heartbeat when nothing changed", async () => {
    // Act
    const { code, stdout } = await runCli(pushArgs("--format", "json"), ENV);

    // Assess
    expect(code).toBe(0);
    expect(created).toEqual([HEARTBEAT]);
    expect(JSON.parse(stdout).counts).toMatchObject({ uploaded: 0, unchanged: 3, skipped: 3, failed: 0 });
  });

  it("uploads a changed file, and only that one", async () => {
    // Prepare: the certificate was renewed on the host
    const renewed = await issue({ dnsNames: ["flink01.prod.example.com"], issuer: pki.intermediate });
    await writeFile(join(root, "etc/ssl/server.pem"), `${renewed.pem}\n${pki.intermediate.pem}`);

    // Act
    const { code, stdout } = await runCli(pushArgs(), ENV);

    // Assess
    expect(code).toBe(0);
    expect(created).toEqual([keyOf("etc/ssl/server.pem"), HEARTBEAT]);
    expect(stdout).toContain("1 uploaded, 2 unchanged");
  });

  it("reports a file gone from the host and keeps its bucket copy; --delete removes it", async () => {
    // Prepare
    await unlink(join(root, "etc/ssl/ca.crt"));

    // Act
    const kept = await runCli(pushArgs(), ENV);
    const deleted = await runCli(pushArgs("--delete"), ENV);

    // Assess
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(
      `gone      ${join(root, "etc/ssl/ca.crt")}  (no longer on this host; the bucket copy is kept (--delete removes it))`,
    );
    expect(kept.stdout).toContain("1 gone from the host, kept in the bucket");
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain("1 deleted from the bucket");
    expect(removed).toEqual([keyOf("etc/ssl/ca.crt")]);
    expect(await bucketKeys()).not.toContain(keyOf("etc/ssl/ca.crt"));
  });

  it("exits 2 and names the reason when the store cannot be reached", async () => {
    // Act
    const { code, stdout } = await runCli(
      [
        "push",
        root,
        "--to",
        `s3://${BUCKET}/hosts/`,
        "--host",
        "flink01",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--timeout-ms",
        "2000",
      ],
      ENV,
    );

    // Assess
    expect(code).toBe(2);
    expect(stdout).toMatch(/error +the bucket cannot be listed: .*ECONNREFUSED/);
    expect(stdout).toContain("5 files not pushed");
  });

  it("takes paths relative to --path-root, as a container that mounts the host's filesystem sees them", async () => {
    // Act
    const args = ["push", join(root, "opt/flink"), "--to", `s3://${BUCKET}/hosts/`, "--host", "flink09"];
    const { code } = await runCli([...args, "--path-root", root, "--endpoint-url", s3.endpoint], ENV);

    // Assess
    expect(code).toBe(0);
    const key = "hosts/flink09/opt/flink/ha/local/cert/flink.keystore";
    expect(await bucketKeys()).toContain(key);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.Metadata?.["watchpost-path"]).toBe(
      encodeURIComponent("/opt/flink/ha/local/cert/flink.keystore"),
    );
  });

  it("prints the IAM policy the host's role needs, confined to its own prefix", async () => {
    // Act
    const { code, stdout } = await runCli(
      ["push", "--to", `s3://${BUCKET}/hosts/`, "--host", "flink01", "--print-policy"],
      ENV,
    );

    // Assess
    expect(code).toBe(0);
    const policy = JSON.parse(stdout);
    expect(policy.Statement.map((s: { Action: unknown }) => s.Action)).toEqual([
      "s3:ListBucket",
      ["s3:GetObject", "s3:PutObject"],
    ]);
    expect(policy.Statement[1].Resource).toBe(`arn:aws:s3:::${BUCKET}/hosts/flink01/*`);
  });

  it("exits 3 on usage mistakes, before touching the store", async () => {
    expect((await runCli(["push", root], ENV)).code).toBe(3);
    expect((await runCli(["push", root, "--to", "https://bucket/"], ENV)).stderr).toContain(
      "--to takes s3://BUCKET/PREFIX/",
    );
    expect((await runCli(["push", root, "--to", `s3://${BUCKET}/`, "--host", "a/b"], ENV)).code).toBe(3);
  });
});
