import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScanReport } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import { REPO_ROOT } from "../../support/paths";
import { chain, DAY, issue, privateKeyPem } from "../../support/pki";

const HOST = "node1.cluster.local";
let dir: string;
let caFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "watchpost-scan-"));
  const now = Date.now();
  const { root, intermediate, leaf } = await chain(HOST);
  const soon = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: intermediate,
    notAfter: new Date(now + 20 * DAY),
  });
  const verySoon = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: intermediate,
    notAfter: new Date(now + 3 * DAY),
  });
  const expired = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: intermediate,
    notBefore: new Date(now - 90 * DAY),
    notAfter: new Date(now - 2 * DAY),
  });
  const ahead = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: intermediate,
    notBefore: new Date(now + 30 * DAY),
    notAfter: new Date(now + 300 * DAY),
  });

  caFile = join(dir, "..", `${join(dir).split("/").pop()}-ca.pem`);
  await writeFile(caFile, root.pem);
  await writeFile(join(dir, "healthy.pem"), `${leaf.pem}\n${intermediate.pem}`);
  await writeFile(join(dir, "expiring-20d.pem"), `${soon.pem}${intermediate.pem}`);
  await writeFile(join(dir, "expiring-3d.crt"), Buffer.from(verySoon.der));
  await writeFile(join(dir, "expired.der"), Buffer.from(expired.der));
  await writeFile(join(dir, "clock-ahead.pem"), `${ahead.pem}${intermediate.pem}`);
  await writeFile(
    join(dir, "corrupt.pem"),
    "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
  );
  await writeFile(join(dir, "empty.crt"), "");
  await writeFile(join(dir, "README.md"), "# certificates of node1\n");
  await writeFile(join(dir, "node1.key"), await privateKeyPem(leaf.keys));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(caFile, { force: true });
});

function findingsBySource(report: ScanReport) {
  const map: Record<string, string[]> = {};
  for (const f of report.findings) {
    const file = f.source.split("/").pop() as string;
    map[file] = [...(map[file] ?? []), f.check].sort();
  }
  return map;
}

describe("watchpost scan", () => {
  it("judges a directory of mixed files and exits 2 when anything is major or worse", async () => {
    // Act
    const { code, stdout } = await runCli([
      "scan",
      dir,
      "--ca",
      caFile,
      "--expect-host",
      HOST,
      "--format",
      "json",
    ]);

    // Assess
    const report = ScanReport.parse(JSON.parse(stdout));
    expect(code).toBe(2);
    expect(findingsBySource(report)).toEqual({
      "clock-ahead.pem#0": ["not-yet-valid"],
      "corrupt.pem": ["unreadable"],
      "empty.crt": ["unreadable"],
      // A bare DER leaf carries no intermediate, so no path to the CA can be built.
      "expired.der#0": ["expired", "untrusted-chain"],
      "expiring-20d.pem#0": ["expiring"],
      "expiring-3d.crt#0": ["expiring", "untrusted-chain"],
    });
    const severities = Object.fromEntries(
      report.findings.map((f) => [`${f.source.split("/").pop()} ${f.check}`, f.severity]),
    );
    expect(severities["expiring-20d.pem#0 expiring"]).toBe("minor");
    expect(severities["expiring-3d.crt#0 expiring"]).toBe("major");
    expect(severities["expired.der#0 expired"]).toBe("critical");
    expect(severities["clock-ahead.pem#0 not-yet-valid"]).toBe("critical");
    const reasons = report.findings.filter((f) => f.check === "unreadable").map((f) => f.details?.reason);
    expect(reasons.sort()).toEqual(["bad-pem", "empty"]);
    // README.md and the private key are not certificates and are passed over, not reported.
    expect(report.certificates.map((c) => c.source.split("/").pop()).sort()).toEqual([
      "clock-ahead.pem#0",
      "clock-ahead.pem#1",
      "expired.der#0",
      "expiring-20d.pem#0",
      "expiring-20d.pem#1",
      "expiring-3d.crt#0",
      "healthy.pem#0",
      "healthy.pem#1",
    ]);
  });

  it("exits 0 on a healthy file and 1 when only minor findings remain", async () => {
    const healthy = await runCli(["scan", join(dir, "healthy.pem"), "--ca", caFile, "--format", "json"]);
    const minor = await runCli(["scan", join(dir, "expiring-20d.pem"), "--ca", caFile, "--format", "json"]);

    expect(healthy.code).toBe(0);
    expect(JSON.parse(healthy.stdout).findings).toEqual([]);
    expect(minor.code).toBe(1);
  });

  it("judges at another instant with --now", async () => {
    const later = new Date(Date.now() + 2 * 365 * DAY).toISOString();

    const { code, stdout } = await runCli([
      "scan",
      join(dir, "healthy.pem"),
      "--now",
      later,
      "--format",
      "json",
    ]);

    const report = ScanReport.parse(JSON.parse(stdout));
    expect(code).toBe(2);
    expect(report.scannedAt).toBe(later);
    expect(report.findings.map((f) => f.check)).toContain("expired");
    expect(report.certificates.every((c) => c.daysLeft < 365)).toBe(true);
  });

  it("reports a named file that holds no certificate", async () => {
    const { code, stdout } = await runCli(["scan", join(dir, "node1.key"), "--format", "json"]);

    const report = ScanReport.parse(JSON.parse(stdout));
    expect(code).toBe(2);
    expect(report.findings).toMatchObject([
      { check: "unreadable", details: { reason: "unsupported-format" } },
    ]);
  });

  it("reports a file over the size cap as too-large", async () => {
    const { stdout } = await runCli([
      "scan",
      join(dir, "healthy.pem"),
      "--max-bytes",
      "100",
      "--format",
      "json",
    ]);

    expect(JSON.parse(stdout).findings).toMatchObject([
      { check: "unreadable", details: { reason: "too-large" } },
    ]);
  });

  it("prints a table with the soonest expiry first", async () => {
    const { stdout } = await runCli(["scan", dir, "--ca", caFile]);

    const rows = stdout.split("\n").filter((l) => /^-?\d+\.\d\s/.test(l));
    const days = rows.map((r) => Number.parseFloat(r));
    expect(days.length).toBe(8);
    expect(days).toEqual([...days].sort((a, b) => a - b));
    expect(stdout).toMatch(/FINDINGS \(8\)/);
    // Every file is accounted for: 7 judged (2 of them unreadable), README.md and node1.key skipped.
    expect(stdout.trimEnd().split("\n").at(-1)).toMatch(
      /^8 certificates in 7 files \(2 unreadable\), 2 other files skipped \(not certificates\); 8 findings \(\d+ critical, \d+ major, \d+ minor\)$/,
    );
  });

  it("counts a FIFO and a link loop met in a directory as skipped, and still finishes", async () => {
    // Prepare — `mkfifo DIR/pipe; ln -s . DIR/loop` beside a certificate and a README
    const special = await mkdtemp(join(tmpdir(), "watchpost-special-"));
    await writeFile(join(special, "healthy.pem"), await readFile(join(dir, "healthy.pem")));
    await writeFile(join(special, "README.md"), "# certificates\n");
    await promisify(execFile)("mkfifo", [join(special, "pipe")]);
    await symlink(".", join(special, "loop"));

    // Act
    const { code, stdout } = await runCli(["scan", special, "--ca", caFile]).finally(() =>
      rm(special, { recursive: true, force: true }),
    );

    // Assess
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(
      "2 certificates in 1 file, 3 other files skipped (1 not a certificate, 1 not a regular file, 1 directory already walked); no findings",
    );
  });

  it("counts in the singular, and counts a file that cannot be read", async () => {
    // Act
    const one = await runCli(["scan", join(dir, "expiring-3d.crt")]);
    const missing = await runCli(["scan", join(dir, "expired.der"), join(dir, "no-such-file.pem")]);

    // Assess
    expect(one.stdout.trimEnd().split("\n").at(-1)).toBe("1 certificate in 1 file; 1 finding (1 major)");
    expect(missing.stdout.trimEnd().split("\n").at(-1)).toMatch(
      /^1 certificate in 2 files \(1 unreadable\); 2 findings \(1 critical, 1 major\)$/,
    );
  });

  it("exits 3 naming the password file when WATCHPOST_PKCS12_PASSWORD_FILE cannot be read", async () => {
    // Act
    const { code, stdout, stderr } = await runCli(["scan", join(dir, "healthy.pem")], {
      WATCHPOST_PKCS12_PASSWORD_FILE: "/nonexistent/p12-password",
    });

    // Assess
    expect(code).toBe(3);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "watchpost scan: cannot read WATCHPOST_PKCS12_PASSWORD_FILE (/nonexistent/p12-password): no such file or directory (ENOENT)\n" +
        "Run 'watchpost scan --help' for usage.\n",
    );
  });

  it.each([
    [["scan"], /at least one file/],
    [["scan", "x.pem", "--warn-days", "soon"], /--warn-days takes a non-negative number/],
    [["scan", "x.pem", "--warn-days", "5", "--major-days", "9"], /--major-days must not exceed --warn-days/],
    [["scan", "x.pem", "--now", "yesterday"], /--now takes an ISO 8601 instant/],
    [["scan", "x.pem", "--format", "xml"], /--format takes 'table', 'json' or 'openmetrics', not 'xml'/],
    [["scan", "x.pem", "--password", "hunter2"], /Unknown option '--password'/],
    [["scan", "x.pem", "--ca", "/nonexistent/ca.pem"], /--ca \/nonexistent\/ca.pem/],
  ])("exits 3 with a clear message on usage errors: %j", async (argv, message) => {
    const { code, stderr } = await runCli(argv);

    expect(code).toBe(3);
    expect(stderr).toMatch(message);
  });

  it("runs as the installed `watchpost` command", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bin/watchpost.mjs", "scan", join(dir, "healthy.pem"), "--format", "json"],
      { cwd: REPO_ROOT },
    );

    expect(ScanReport.parse(JSON.parse(stdout)).certificates).toHaveLength(2);
  });
});
