/**
 * A clock behind blames the clock, not the certificates. A healthy chain (root, intermediate and
 * leaf issued in 2026) judged by a machine whose clock reads 2020-01-01: every certificate is "not
 * yet valid", and watchpost says the clock of the machine running the scan is the likely cause
 * instead of asking for three re-issues. One certificate starting in the future among valid ones
 * is still the certificate's fault (a host clock that ran ahead when it was issued).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { type Issued, issue } from "../../support/pki";

const HOST = "node1.cluster.example";
let dir: string;
let root: Issued;
let intermediate: Issued;
let leaf: Issued;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "watchpost-clock-"));
  const until = new Date("2028-01-01T00:00:00Z");
  root = await issue({
    subject: "CN=Cluster Root CA",
    isCA: true,
    notBefore: new Date("2026-01-10T00:00:00Z"),
    notAfter: until,
  });
  intermediate = await issue({
    subject: "CN=Cluster Intermediate CA",
    isCA: true,
    issuer: root,
    notBefore: new Date("2026-01-11T00:00:00Z"),
    notAfter: until,
  });
  leaf = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: intermediate,
    notBefore: new Date("2026-01-12T00:00:00Z"),
    notAfter: new Date("2027-01-12T00:00:00Z"),
  });
  await writeFile(join(dir, "ca.pem"), root.pem);
  await writeFile(join(dir, "node1.pem"), `${leaf.pem}${intermediate.pem}`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NOTE =
  "Every certificate of this scan (3) is not valid yet, by 2201 days to 2203 days: the clock of the machine running the scan, " +
  "which reads 2020-01-01T00:00:00Z, is the likely cause, being at least 2201 days behind. Check it (`timedatectl status`, " +
  "`chronyc tracking`) and scan again before re-issuing anything; only if that clock is right were they all issued on a host " +
  "whose clock ran ahead.";

describe("scan with a clock behind", () => {
  it("says the scanning clock is the likely cause when every certificate is not yet valid", async () => {
    // Act
    const { code, stdout } = await runCli([
      ...["scan", join(dir, "node1.pem"), "--ca", join(dir, "ca.pem"), "--expect-host", HOST],
      ...["--now", "2020-01-01T00:00:00Z", "--format", "json"],
    ]);
    const findings = JSON.parse(stdout).findings as Record<string, unknown>[];

    // Assess
    expect(code).toBe(2);
    expect(
      findings.filter((f) => f.check === "not-yet-valid").map((f) => [f.source, f.severity, f.message]),
    ).toEqual([
      [
        `${join(dir, "ca.pem")}#0`,
        "critical",
        `Certificate "CN=Cluster Root CA" is not valid until 2026-01-10T00:00:00Z by this machine's clock. ${NOTE}`,
      ],
      [
        `${join(dir, "node1.pem")}#0`,
        "critical",
        `Certificate "CN=${HOST}" is not valid until 2026-01-12T00:00:00Z by this machine's clock. ${NOTE}`,
      ],
      [
        `${join(dir, "node1.pem")}#1`,
        "critical",
        `Certificate "CN=Cluster Intermediate CA" is not valid until 2026-01-11T00:00:00Z by this machine's clock. ${NOTE}`,
      ],
    ]);
    // the leaf's chain finding holds off on re-issuing its CAs too: the same note, not the rule's advice
    expect(
      findings.filter((f) => f.check === "untrusted-chain").map((f) => [f.source, f.severity, f.message]),
    ).toEqual([
      [
        `${join(dir, "node1.pem")}#0`,
        "major",
        `Certificate "CN=${HOST}" does not chain to a trusted CA: intermediate "CN=Cluster Intermediate CA" (${join(dir, "node1.pem")}#1) is not valid until 2026-01-11T00:00:00Z (chain link 1). (RFC 5280 §6.1.3 (a)(2); refused by every TLS client (certificate is not yet valid).) Also: trusted CA "CN=Cluster Root CA" (${join(dir, "ca.pem")}#0) is not valid until 2026-01-10T00:00:00Z (chain link 2; RFC 5280 §6.1.3 (a)(2)). ${NOTE}`,
      ],
    ]);
    expect(stdout).not.toMatch(/re-issue (the certificate|it)/i);
  });

  it("still blames the certificate when only it starts in the future", async () => {
    // Prepare: the same chain judged in mid-2026, with one leaf minted on a host whose clock ran a month ahead
    const ahead = await issue({
      subject: `CN=${HOST}`,
      dnsNames: [HOST],
      issuer: intermediate,
      notBefore: new Date("2026-07-01T00:00:00Z"),
      notAfter: new Date("2027-07-01T00:00:00Z"),
    });
    await writeFile(join(dir, "ahead.pem"), `${ahead.pem}${intermediate.pem}`);

    // Act
    const { stdout } = await runCli([
      ...["scan", join(dir, "ahead.pem"), "--ca", join(dir, "ca.pem"), "--expect-host", HOST],
      ...["--now", "2026-06-01T00:00:00Z", "--format", "json"],
    ]);
    const findings = JSON.parse(stdout).findings as Record<string, unknown>[];

    // Assess
    expect(findings.map((f) => [f.check, f.source, f.message])).toEqual([
      [
        "not-yet-valid",
        `${join(dir, "ahead.pem")}#0`,
        `Certificate "CN=${HOST}" is not valid until 2026-07-01T00:00:00Z, 30 days from now, so clients reject it as "not yet valid". This usually means it was issued while the issuing host's clock ran ahead (for example a VM whose hardware clock was wrong at boot, corrected later by NTP). Check that the issuing host's clock is right, then re-issue the certificate.`,
      ],
    ]);
  });
});
