/**
 * The chain check as an operator meets it: the purpose a certificate is checked for, several
 * candidate paths, and findings that name the link, the rule, the clients and the fix. The rules
 * themselves are measured against x509-limbo (npm run conformance); these cases are the ones the
 * suite does not exercise, and the configuration and command-line paths to them.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ParsedCertificate, parseCertificate } from "../../../functions/core/certificates/certificate";
import {
  DEFAULT_POLICY,
  type EvaluationPolicy,
  evaluateCertificates,
} from "../../../functions/core/certificates/evaluate";
import { parseConfig } from "../../../functions/core/config";
import { runCli } from "../../support/cli";
import { chain, DAY, issue } from "../../support/pki";

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

function parsed(file: string, ...issued: { der: Uint8Array }[]): ParsedCertificate[] {
  return issued.map(({ der }, index) => parseCertificate(der, file, index));
}

function chainFindings(
  certs: ParsedCertificate[],
  anchors: ParsedCertificate[],
  policy: Partial<EvaluationPolicy> = {},
) {
  return evaluateCertificates(certs, {
    ...DEFAULT_POLICY,
    now: new Date(),
    trustAnchors: anchors,
    ...policy,
  }).filter((f) => f.check === "untrusted-chain");
}

describe("the purpose a certificate is checked for", () => {
  it("holds a client certificate to clientAuth and a server certificate to serverAuth", async () => {
    // Prepare
    const { root, intermediate } = await chain();
    const clientOnly = await issue({
      subject: "CN=agent-7",
      issuer: intermediate,
      extendedKeyUsage: [CLIENT_AUTH],
    });
    const certs = parsed("agent.pem", clientOnly, intermediate);
    const anchors = parsed("ca.pem", root);

    // Act
    const asClient = chainFindings(certs, anchors, { purpose: "client" });
    const asServer = chainFindings(certs, anchors, { purpose: "server" });
    const asAny = chainFindings(certs, anchors, { purpose: "any" });

    // Assess
    expect(asClient).toEqual([]);
    expect(asAny).toEqual([]);
    expect(asServer).toHaveLength(1);
    expect(asServer[0]).toMatchObject({
      severity: "major",
      details: { reason: "extended-key-usage", linkIndex: 0, rule: "RFC 5280 §4.2.1.12", purpose: "server" },
    });
    expect(asServer[0]?.message).toContain(
      "does not allow serverAuth (TLS server) in extendedKeyUsage (chain link 0)",
    );
    expect(asServer[0]?.message).toContain("refused by browsers, Go, OpenSSL, Java and rustls");
  });

  it("checks for a TLS server when names are expected, and for any use otherwise", async () => {
    // Prepare
    const { root, intermediate } = await chain();
    const leaf = await issue({
      subject: "CN=node1.cluster.local",
      dnsNames: ["node1.cluster.local"],
      issuer: intermediate,
      extendedKeyUsage: [CLIENT_AUTH],
    });
    const certs = parsed("node.pem", leaf, intermediate);

    // Act
    const withHost = chainFindings(certs, parsed("ca.pem", root), { expectedHosts: ["node1.cluster.local"] });
    const withoutHost = chainFindings(certs, parsed("ca.pem", root));

    // Assess
    expect(withHost.map((f) => f.details?.reason)).toEqual(["extended-key-usage"]);
    expect(withoutHost).toEqual([]);
  });

  it("accepts a per-source purpose in the configuration, and nothing else", () => {
    // Act
    const config = parseConfig({ certificates: { sources: [{ prefix: "clients/", purpose: "client" }] } });
    const wrong = () => parseConfig({ certificates: { sources: [{ prefix: "x/", purpose: "email" }] } });

    // Assess
    expect(config.certificates.sources[0]?.purpose).toBe("client");
    expect(wrong).toThrow(/purpose/);
  });

  it("takes --purpose on the command line", async () => {
    // Prepare
    const { root, intermediate } = await chain();
    const clientOnly = await issue({
      subject: "CN=agent-7",
      issuer: intermediate,
      extendedKeyUsage: [CLIENT_AUTH],
    });
    const dir = await mkdtemp(join(tmpdir(), "watchpost-purpose-"));
    await writeFile(join(dir, "agent.pem"), `${clientOnly.pem}\n${intermediate.pem}`);
    await writeFile(join(dir, "ca.pem"), root.pem);

    // Act
    const asServer = await runCli([
      "scan",
      join(dir, "agent.pem"),
      "--ca",
      join(dir, "ca.pem"),
      "--purpose",
      "server",
      "--format",
      "json",
    ]);
    const asClient = await runCli([
      "scan",
      join(dir, "agent.pem"),
      "--ca",
      join(dir, "ca.pem"),
      "--purpose",
      "client",
      "--format",
      "json",
    ]);
    const typo = await runCli(["scan", join(dir, "agent.pem"), "--purpose", "servr"]);

    // Assess
    expect(asServer.code).toBe(2);
    expect(
      JSON.parse(asServer.stdout).findings.map((f: { details: { reason: string } }) => f.details.reason),
    ).toEqual(["extended-key-usage"]);
    expect(asClient.code).toBe(0);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain("--purpose takes 'server', 'client' or 'any', not 'servr'");
  });
});

describe("several candidate paths", () => {
  it("trusts the leaf through the renewed intermediate and reports the stale copy in the file for what it is", async () => {
    // Prepare: the file still carries the expired previous certificate of the same issuing CA
    const root = await issue({ subject: "CN=Cluster Root", isCA: true });
    const renewed = await issue({ subject: "CN=Cluster Issuing CA", isCA: true, issuer: root });
    const stale = await issue({
      subject: "CN=Cluster Issuing CA",
      isCA: true,
      issuer: root,
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - 10 * DAY),
    });
    const leaf = await issue({ subject: "CN=node1", dnsNames: ["node1"], issuer: renewed });

    // Act
    const findings = evaluateCertificates(parsed("tls.pem", leaf, stale, renewed), {
      ...DEFAULT_POLICY,
      now: new Date(),
      trustAnchors: parsed("ca.pem", root),
    });

    // Assess
    expect(findings.map((f) => [f.source, f.check, f.severity])).toEqual([["tls.pem#1", "expired", "minor"]]);
    expect(findings[0]?.message).toContain("No certificate in this file chains through it");
  });

  it("reports the mildest path when none is clean, naming the link, the rule, the clients and the fix", async () => {
    // Prepare: an intermediate without keyUsage (refused by some clients) and an expired one (by all)
    const root = await issue({ subject: "CN=Cluster Root", isCA: true });
    const expired = await issue({
      subject: "CN=Cluster Issuing CA",
      isCA: true,
      issuer: root,
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const leaf = await issue({ subject: "CN=node1", dnsNames: ["node1"], issuer: expired });

    // Act
    const [finding] = chainFindings(parsed("tls.pem", leaf, expired), parsed("ca.pem", root));

    // Assess
    expect(finding).toMatchObject({
      severity: "major",
      details: {
        reason: "issuer-expired",
        linkIndex: 1,
        linkSource: "tls.pem#1",
        rule: "RFC 5280 §6.1.3 (a)(2)",
        rejectedBy: "every TLS client (certificate has expired)",
      },
    });
    expect(finding?.message).toMatch(
      /^Certificate "CN=node1" does not chain to a trusted CA: intermediate "CN=Cluster Issuing CA" \(tls\.pem#1\) expired on .* \(chain link 1\)\. Renew that CA certificate/,
    );
  });
});
