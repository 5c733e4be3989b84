/**
 * OpenMetrics for Prometheus shops: `watchpost scan --format openmetrics` and `push
 * --metrics-file` for node_exporter's textfile collector. The outside truth is `promtool check
 * metrics` (Debian package `prometheus`), which parses the exposition and lints its names, help
 * texts and types; without it those checks are skipped with the reason printed. Label values carry
 * whatever a certificate says: escaped as the format's ABNF requires
 * (https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md, "ABNF").
 */
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificateFamilies, renderOpenMetrics } from "../../../bin/cli/openmetrics";
import { runCli } from "../../support/cli";
import { type LocalS3, S3RVER_CREDENTIALS, startS3rver } from "../../support/emulators";
import { chain, DAY, issue } from "../../support/pki";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const EXAMPLES = join(ROOT, "examples");
const ENV = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_REGION: "us-east-1",
};

let promtool: string | undefined;
let s3: LocalS3;
let work: string;

/** `promtool check metrics` on the text: its exit status and what it said. */
function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(promtool!, ["check", "metrics"]);
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(text);
  });
}

beforeAll(async () => {
  promtool = await promisify(execFile)("sh", ["-c", "command -v promtool"])
    .then(({ stdout }) => stdout.trim() || undefined)
    .catch(() => undefined);
  if (!promtool)
    console.log("promtool checks skipped: promtool is not installed (Debian package prometheus)");
  s3 = await startS3rver();
  await s3.client.send(new CreateBucketCommand({ Bucket: "metrics-certs" }));
  work = await mkdtemp(join(tmpdir(), "watchpost-metrics-"));
});

afterAll(async () => {
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("watchpost scan --format openmetrics", () => {
  it("gives every certificate its validity and every file its findings, which promtool accepts", async (context) => {
    // Act
    const { code, stdout } = await runCli([
      "scan",
      EXAMPLES,
      "--format",
      "openmetrics",
      "--now",
      "2026-11-22T00:00:00Z",
    ]);

    // Assess: the exit status is the scan's; the families, in order, end with # EOF
    expect(code).toBe(2);
    const lines = stdout.split("\n");
    expect(lines.filter((l) => l.startsWith("# TYPE"))).toEqual([
      "# TYPE x509_cert_not_before gauge",
      "# TYPE x509_cert_not_after gauge",
      "# TYPE x509_cert_expired gauge",
      "# TYPE x509_cert_not_yet_valid gauge",
      "# TYPE x509_read_errors gauge",
      "# TYPE watchpost_findings gauge",
      "# TYPE watchpost_check_timestamp_seconds gauge",
    ]);
    expect(lines.slice(-2)).toEqual(["# EOF", ""]);
    const expired = `path="${EXAMPLES}/expired.der",index="0",subject="CN=node1.cluster.example",issuer="CN=Example Cluster Issuing CA, O=watchpost examples",serial="15EC364F0716BB9C"`;
    expect(lines).toContain(`x509_cert_not_after{${expired}} 1743465600`);
    expect(lines).toContain(`x509_cert_not_before{${expired}} 1735689600`);
    expect(lines).toContain(`x509_cert_expired{${expired}} 1`);
    expect(lines.filter((l) => l.startsWith("watchpost_findings{"))).toEqual([
      `watchpost_findings{path="${EXAMPLES}/clock-ahead.crt",check="not-yet-valid",severity="critical"} 1`,
      `watchpost_findings{path="${EXAMPLES}/expired.der",check="expired",severity="critical"} 1`,
      `watchpost_findings{path="${EXAMPLES}/corrupt.pem",check="unreadable",severity="major"} 1`,
      `watchpost_findings{path="${EXAMPLES}/weak-rsa1024-sha1.pem",check="weak-crypto",severity="minor"} 1`,
    ]);
    expect(lines).toContain("x509_read_errors 1");
    expect(lines).toContain("watchpost_check_timestamp_seconds 1795305600");
    if (!promtool) return context.skip("promtool is not installed");
    expect(await promtoolCheck(stdout)).toEqual({ code: 0, output: "" });
  });

  it("escapes what a certificate says so that it cannot break a line or a label", async (context) => {
    // Prepare: a subject written to break out of its label
    const report = {
      scannedAt: "2026-11-22T00:00:00.000Z",
      certificates: [
        {
          source: 'certs/a "b".pem#0',
          subject: 'CN=x"} 1\nx509_cert_expired{path="forged"} 0\\\u001b]0;owned\u0007',
          issuer: "CN=ca",
          serialNumber: "01",
          notBefore: "2026-01-01T00:00:00.000Z",
          notAfter: "2027-01-01T00:00:00.000Z",
          daysLeft: 40,
          sha256: "0".repeat(64),
        },
      ],
      findings: [],
    };

    // Act
    const text = renderOpenMetrics(certificateFamilies(report));

    // Assess
    expect(text.split("\n").filter((l) => l.startsWith("x509_cert_expired"))).toEqual([
      'x509_cert_expired{path="certs/a \\"b\\".pem",index="0",subject="CN=x\\"} 1\\\\x0ax509_cert_expired{path=\\"forged\\"} 0\\\\\\\\x1b]0;owned\\\\x07",issuer="CN=ca",serial="01"} 0',
    ]);
    if (!promtool) return context.skip("promtool is not installed");
    expect((await promtoolCheck(text)).code).toBe(0);
  });
});

describe("watchpost push --metrics-file", () => {
  it("writes the host's certificates, findings, push outcome and clock for node_exporter, replacing the file whole", async (context) => {
    // Prepare: a host with a healthy and an expired certificate; a metrics file from an earlier run
    const ssl = join(work, "etc", "ssl");
    const textfiles = join(work, "node-exporter");
    await mkdir(ssl, { recursive: true });
    await mkdir(textfiles);
    const pki = await chain("web01.example.com");
    const expired = await issue({
      subject: "CN=old.example.com",
      dnsNames: ["old.example.com"],
      issuer: pki.intermediate,
      notBefore: new Date(Date.now() - 90 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    await writeFile(join(ssl, "web.pem"), pki.leaf.pem);
    await writeFile(join(ssl, "old.pem"), expired.pem);
    const metrics = join(textfiles, "watchpost.prom");
    await writeFile(metrics, "stale\n");
    const before = await stat(metrics);

    // Act
    const { code } = await runCli(
      [
        "push",
        ssl,
        "--to",
        "s3://metrics-certs/hosts/",
        "--host",
        "web01",
        "--endpoint-url",
        s3.endpoint,
        "--metrics-file",
        metrics,
      ],
      ENV,
    );

    // Assess
    expect(code).toBe(0);
    const text = await readFile(metrics, "utf8");
    const lines = text.split("\n");
    // Replaced by a rename (a new file), never written in place: the collector never reads half of it.
    expect((await stat(metrics)).ino).not.toBe(before.ino);
    expect(await readdir(textfiles)).toEqual(["watchpost.prom"]);
    expect(lines.filter((l) => l.startsWith("watchpost_findings{"))).toEqual([
      `watchpost_findings{host="web01",path="${ssl}/old.pem",check="expired",severity="critical"} 1`,
    ]);
    expect(
      lines.filter((l) => l.startsWith("x509_cert_expired{")).map((l) => l.replace(/,subject=.*\}/, "}")),
    ).toEqual([
      `x509_cert_expired{host="web01",path="${ssl}/old.pem",index="0"} 1`,
      `x509_cert_expired{host="web01",path="${ssl}/web.pem",index="0"} 0`,
    ]);
    expect(lines.filter((l) => l.startsWith("watchpost_push_files{"))).toEqual([
      'watchpost_push_files{host="web01",outcome="uploaded"} 2',
      'watchpost_push_files{host="web01",outcome="unchanged"} 0',
      'watchpost_push_files{host="web01",outcome="skipped"} 0',
      'watchpost_push_files{host="web01",outcome="failed"} 0',
      'watchpost_push_files{host="web01",outcome="gone"} 0',
      'watchpost_push_files{host="web01",outcome="deleted"} 0',
    ]);
    expect(lines).toContain('watchpost_push_success{host="web01"} 1');
    expect(lines.some((l) => /^watchpost_host_clock_offset_seconds\{host="web01"\} -?\d/.test(l))).toBe(true);
    expect(lines.slice(-2)).toEqual(["# EOF", ""]);
    if (!promtool) return context.skip("promtool is not installed");
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" });
  });

  it("refuses a metrics file in a directory that does not exist, before pushing anything", async () => {
    const { code, stderr } = await runCli(
      ["push", work, "--to", "s3://metrics-certs/hosts/", "--metrics-file", join(work, "missing", "w.prom")],
      ENV,
    );
    expect(code).toBe(3);
    expect(stderr).toBe(
      `watchpost push: --metrics-file: the directory ${join(work, "missing")} does not exist\nRun 'watchpost push --help' for usage.\n`,
    );
  });
});
