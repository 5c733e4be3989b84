/**
 * The host artifact as an operator installs it: `npm run build`'s tarball, installed with
 * `npm install -g` into an empty prefix (offline: it has no dependencies to fetch), run from a
 * directory with no checkout anywhere near it — `--version`, `scan` of a certificate directory, and
 * `push` to s3rver, with the heartbeat it leaves. Nothing of the checkout (aws-cdk-lib, tsx, dev
 * tooling, node_modules) is in the installed package.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "../../../package.json" with { type: "json" };
import { buildHostCli } from "../../../scripts/build-host-cli";
import { type LocalS3, S3RVER_CREDENTIALS, startS3rver } from "../../support/emulators";
import { chain, DAY, issue } from "../../support/pki";

const run = promisify(execFile);

let work: string;
let prefix: string;
let watchpost: string;
let s3: LocalS3;

/** Runs the installed command from an empty directory, with only what a host's environment has. */
async function installed(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [watchpost, ...args], {
      cwd: join(work, "elsewhere"),
      env: { PATH: "/usr/bin:/bin", HOME: join(work, "elsewhere"), ...env },
      encoding: "utf8",
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "watchpost-host-package-"));
  await mkdir(join(work, "elsewhere"));
  const built = await buildHostCli(join(work, "build"));
  prefix = join(work, "prefix");
  await run(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      "--offline",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      built.tarball,
    ],
    {
      cwd: join(work, "elsewhere"),
      env: { ...process.env, npm_config_cache: join(work, "npm-cache") },
    },
  );
  // The bin link npm made, resolved to the file it runs.
  watchpost = join(prefix, "lib", "node_modules", "watchpost", "watchpost.mjs");
  s3 = await startS3rver();
  await s3.client.send(new CreateBucketCommand({ Bucket: "host-certs" }));
}, 180_000);

afterAll(async () => {
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the host package (npm run build)", () => {
  it("installs as one file and a manifest, without dependencies", async () => {
    // Act
    const installedFiles = await readdir(join(prefix, "lib", "node_modules", "watchpost"), {
      recursive: true,
    });
    const manifest = JSON.parse(
      await readFile(join(prefix, "lib", "node_modules", "watchpost", "package.json"), "utf8"),
    );

    // Assess
    expect(installedFiles.sort()).toEqual([
      "README.md",
      "THIRD-PARTY-NOTICES.txt",
      "examples",
      "examples/watchpost-push.cron",
      "examples/watchpost-push.service",
      "examples/watchpost-push.timer",
      "package.json",
      "watchpost.mjs",
    ]);
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.bin).toEqual({ watchpost: "watchpost.mjs" });
    expect(await readdir(join(prefix, "bin"))).toEqual(["watchpost"]);
  });

  it("says its version, from the installed bin link", async () => {
    const { stdout } = await run(join(prefix, "bin", "watchpost"), ["--version"], {
      cwd: join(work, "elsewhere"),
      env: { PATH: `${join(process.execPath, "..")}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    expect(stdout).toBe(`watchpost ${packageJson.version}\n`);
  });

  it("scans a directory of certificates", async () => {
    // Prepare
    const certs = join(work, "elsewhere", "certs");
    await mkdir(certs);
    const pki = await chain("node1.example.com");
    const expired = await issue({
      subject: "CN=old.example.com",
      dnsNames: ["old.example.com"],
      issuer: pki.intermediate,
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    await writeFile(join(certs, "good.pem"), pki.leaf.pem);
    await writeFile(join(certs, "old.pem"), expired.pem);

    // Act
    const { code, stdout } = await installed(["scan", "certs", "--format", "json"]);

    // Assess
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as { findings: { check: string; source: string; severity: string }[] };
    expect(report.findings.map(({ check, source, severity }) => ({ check, source, severity }))).toEqual([
      { check: "expired", source: "certs/old.pem#0", severity: "critical" },
    ]);
  });

  it("pushes a host's certificates to the bucket and leaves its heartbeat", async () => {
    // Prepare
    const ssl = join(work, "elsewhere", "etc-ssl");
    await mkdir(ssl);
    await chmod(ssl, 0o755);
    await writeFile(join(ssl, "server.pem"), (await chain("web01.example.com")).leaf.pem);

    // Act
    const { code, stdout } = await installed(
      [
        "push",
        ssl,
        "--to",
        "s3://host-certs/hosts/",
        "--host",
        "web01",
        "--every",
        "5m",
        "--endpoint-url",
        s3.endpoint,
      ],
      {
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_REGION: "us-east-1",
      },
    );

    // Assess
    expect([code, stdout]).toEqual([
      0,
      `watchpost push to s3://host-certs/hosts/web01/\n  uploaded  ${ssl}/server.pem\n\n1 uploaded, 0 unchanged, 0 skipped, 0 failed\n`,
    ]);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: "host-certs" }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      "hosts/web01/.watchpost-heartbeat.json",
      `hosts/web01${ssl}/server.pem`,
    ]);
    const heartbeat = await s3.client.send(
      new GetObjectCommand({ Bucket: "host-certs", Key: "hosts/web01/.watchpost-heartbeat.json" }),
    );
    expect(JSON.parse(await heartbeat.Body!.transformToString())).toMatchObject({
      format: 1,
      host: "web01",
      agent: `watchpost ${packageJson.version}`,
      everySeconds: 300,
      clock: { against: "s3-date-header" },
      counts: { uploaded: 1, failed: 0 },
    });
  });
});
