/**
 * CA certificates are judged for expiry like leaves, wherever they live, and say what they take
 * down with them (ca-lifecycle.ts). Before: a root expiring in 3 days showed as one `warning` per
 * leaf ("the chain stops working"), and a trust bundle outside the source's prefix was never judged.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { scanSource } from "../../../functions/core/scan/source-scan";
import { runCli } from "../../support/cli";
import { memoryStore } from "../../support/in-memory-ports";
import { DAY, type Issued, issue } from "../../support/pki";

const HOST = "api.prod.example.com";

function storeHolding(objects: Record<string, string>) {
  const bucket = memoryStore();
  for (const [key, text] of Object.entries(objects)) bucket.put(key, text);
  return bucket.store;
}

const pem = (...certs: Issued[]) => certs.map((c) => c.pem).join("\n");

async function pki() {
  const root = await issue({
    subject: "CN=Cluster Root",
    isCA: true,
    notAfter: new Date(Date.now() + 3 * DAY),
  });
  const intermediate = await issue({ subject: "CN=Cluster Issuing CA", isCA: true, issuer: root });
  const stale = await issue({
    subject: "CN=Cluster Issuing CA",
    isCA: true,
    issuer: root,
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - 10 * DAY),
  });
  const leaf = () => issue({ subject: `CN=${HOST}`, dnsNames: [HOST], issuer: intermediate });
  return { root, intermediate, stale, leaves: [await leaf(), await leaf()] };
}

describe("CA certificates expire like leaves", () => {
  it("judges a trust bundle outside the source's prefix and counts the certificates that chain to it", async () => {
    // Prepare
    const { root, intermediate, stale, leaves } = await pki();
    const store = storeHolding({
      "trust/ca.pem": pem(root),
      "prod/a.pem": pem(leaves[0]!, stale, intermediate),
      "prod/b.pem": pem(leaves[1]!, intermediate),
    });
    const config = parseConfig({
      certificates: {
        sources: [{ prefix: "prod/", expectedHostnames: [HOST], caBundleKey: "trust/ca.pem" }],
      },
    });

    // Act
    const scan = await scanSource(
      config.certificates.sources[0]!,
      {
        store,
        certificates: config.certificates,
        now: new Date(),
        keystorePassword: async (name) => {
          throw new Error(`no secret ${name} here`);
        },
        fetchEndpoint: async () => ({ ok: false, reason: "unreachable", detail: "none" }),
      },
      undefined,
      "schedule",
    );
    if (scan.mode !== "inline") throw new Error("a source without a queue is judged inline");
    const findings = scan.check.run.findings;

    // Assess: the root is major (3 days left), counting both leaves; the stale copy is minor
    const root0 = findings.find((f) => f.source === "s3://certs/trust/ca.pem#0");
    expect(root0).toMatchObject({ check: "expiring", severity: "major", details: { dependents: 2 } });
    expect(root0?.message).toMatch(
      /^Trusted CA: Certificate "CN=Cluster Root" expires on .*, in (3 days|2 days 23 hours)/,
    );
    expect(root0?.message).toContain(
      "2 certificates chain through it and stop working with it: s3://certs/prod/a.pem#0, s3://certs/prod/b.pem#0",
    );
    const staleFinding = findings.find((f) => f.source === "s3://certs/prod/a.pem#1");
    expect(staleFinding).toMatchObject({ check: "expired", severity: "minor", details: { dependents: 0 } });
    expect(staleFinding?.message).toContain("No certificate in this file chains through it");
    const intermediateFinding = findings.find((f) => f.source === "s3://certs/prod/b.pem#1");
    expect(intermediateFinding).toBeUndefined();
    expect(
      findings.filter((f) => f.check === "untrusted-chain").map((f) => [f.severity, f.details?.reason]),
    ).toEqual([
      ["warning", "issuer-expires-before-certificate"],
      ["warning", "issuer-expires-before-certificate"],
    ]);
  });

  it("judges the --ca bundle of a command-line scan the same way", async () => {
    // Prepare
    const { root, intermediate, leaves } = await pki();
    const dir = await mkdtemp(join(tmpdir(), "watchpost-ca-expiry-"));
    await writeFile(join(dir, "node.pem"), pem(leaves[0]!, intermediate));
    await writeFile(join(dir, "ca.pem"), pem(root));

    // Act
    const run = await runCli([
      "scan",
      join(dir, "node.pem"),
      "--ca",
      join(dir, "ca.pem"),
      "--format",
      "json",
    ]);

    // Assess
    expect(run.code).toBe(2);
    const findings = JSON.parse(run.stdout).findings as { source: string; check: string; severity: string }[];
    expect(findings.find((f) => f.source === `${join(dir, "ca.pem")}#0`)).toMatchObject({
      check: "expiring",
      severity: "major",
    });
  });
});
