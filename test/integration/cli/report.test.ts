/**
 * `watchpost report --html FILE`: a real scan's JSON results (generated certificates, one of them
 * with markup in its subject) rendered into the certificate page, from a file and from a pipe as
 * users chain the two commands; bad input exits 3 with a message that says what is wrong.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScanReport } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import { summaryOf, tableRows } from "../../support/page-html";
import { REPO_ROOT } from "../../support/paths";
import { chain, DAY, issue } from "../../support/pki";

const HOST = "node1.cluster.local";
const HOSTILE = `CN=<img src=x onerror=alert(1)>${HOST}`;
let dir: string;
let scanJson: string;
let report: ScanReport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "watchpost-report-"));
  const now = Date.now();
  const { intermediate, leaf } = await chain(HOST);
  const expired = await issue({
    subject: HOSTILE,
    dnsNames: [HOST],
    issuer: intermediate,
    notBefore: new Date(now - 90 * DAY),
    notAfter: new Date(now - 2 * DAY),
  });
  await writeFile(join(dir, "healthy.pem"), [leaf.pem, intermediate.pem].join("\n"));
  await writeFile(join(dir, "expired.pem"), expired.pem);
  const scan = await runCli(["scan", dir, "--format", "json"]);
  scanJson = join(dir, "scan.json");
  await writeFile(scanJson, scan.stdout);
  report = ScanReport.parse(JSON.parse(scan.stdout));
}, 60_000);

/** The subject as the scan prints it (RFC 4514 escapes < and > in a name, the page shows it as is). */
function hostileSubject(): string {
  return report.certificates.find((c) => c.source.includes("expired.pem"))!.subject;
}

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("watchpost report --html", () => {
  it("writes the page of a scan's results: certificates by days left, the findings as alarms, markup as text", async () => {
    // Prepare
    const page = join(dir, "page.html");

    // Act
    const result = await runCli(["report", "--html", page, scanJson]);

    // Assess
    expect(result).toEqual({
      code: 0,
      stdout: `wrote ${page} (3 certificates, 1 findings)\n`,
      stderr: "",
    });
    const html = await readFile(page, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    const rows = tableRows(html, "certificates");
    expect(rows.map((r) => [r[0], r[1], r[5], r[6]])).toEqual([
      [hostileSubject(), join(dir, "expired.pem"), "expired", "critical 1001 runbook"],
      ...report.certificates
        .filter((c) => !c.source.includes("expired.pem"))
        .sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))
        .map((c) => [c.subject, c.source.replace(/#\d+$/, ""), "valid", ""]),
    ]);
    expect(hostileSubject()).toBe(String.raw`CN=\<img src=x onerror=alert(1)\>node1.cluster.local`);
    expect(html).not.toContain("<img src=x");
    expect(summaryOf(html)).toMatch(
      /^3 certificates · 1 expired · 0 expiring within 30 days · 1 active alarm · as of /,
    );
    const alarms = tableRows(html, "alarms");
    expect(alarms).toHaveLength(1);
    expect(alarms[0]![0]).toBe("critical");
    // A local file is not fetched from a bucket: its first step is to look at it.
    expect(alarms[0]![4]).toMatch(/^See its dates and names: `openssl x509 -noout -dates/);
    expect(alarms[0]![5]).toBe("runbook");
    expect(html).toContain('<a href="docs/alarms/1001.md"');
  });

  it("reads the scan from a pipe, as `watchpost scan … --format json | watchpost report --html FILE`", async () => {
    // Prepare
    const page = join(dir, "piped.html");

    // Act
    const { stdout } = await promisify(execFile)(
      "bash",
      [
        "-c",
        `node bin/watchpost.mjs scan "$1" --format json | node bin/watchpost.mjs report --html "$2"`,
        "-",
        dir,
        page,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" } },
    );

    // Assess
    expect(stdout).toBe(`wrote ${page} (3 certificates, 1 findings)\n`);
    expect(tableRows(await readFile(page, "utf8"), "certificates")).toHaveLength(3);
  }, 60_000);

  it.each([
    [["report", "SCAN"], "watchpost report: --html: required: the file to write the page to"],
    [["report", "--html", "OUT", "NOPE"], "watchpost report: cannot read NOPE: ENOENT"],
    [
      ["report", "--html", "OUT", "BAD"],
      "watchpost report: BAD is not JSON: expected the output of 'watchpost scan --format json'",
    ],
    [
      ["report", "--html", "OUT", "EMPTY"],
      "watchpost report: EMPTY is not a scan's JSON results (at scannedAt: Invalid input: expected string, received undefined)",
    ],
    [["report", "--html", "OUT", "SCAN", "--severity", "fatal"], "watchpost report: --severity: "],
  ])("refuses %j with exit 3 and says why", async (argv, message) => {
    // Prepare
    await writeFile(join(dir, "bad.json"), "{not json");
    await writeFile(join(dir, "empty.json"), "{}");
    const files: Record<string, string> = {
      SCAN: scanJson,
      OUT: join(dir, "never.html"),
      NOPE: join(dir, "missing.json"),
      BAD: join(dir, "bad.json"),
      EMPTY: join(dir, "empty.json"),
    };
    const args = argv.map((a) => files[a] ?? a);

    // Act
    const result = await runCli(args);

    // Assess
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    const expected = message.replace(/NOPE|BAD|EMPTY/g, (name) => files[name]!);
    expect(result.stderr.startsWith(expected)).toBe(true);
    await expect(readFile(files.OUT!)).rejects.toThrow(/ENOENT/);
  });
});
