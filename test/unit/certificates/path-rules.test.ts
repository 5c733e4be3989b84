/**
 * The chain check as an operator meets it: the purpose a certificate is checked for, several
 * candidate paths, and findings that name the link, the rule, the clients and the fix. The rules
 * themselves are measured against x509-limbo (npm run conformance); these cases are the ones the
 * suite does not exercise, and the configuration and command-line paths to them.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
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
import { CHILD_TIMEOUT_MS } from "../../support/timeouts";

const run = promisify(execFile);

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

describe("rules the held-back half of x509-limbo exercises (implemented as rules, tested on certificates made here)", () => {
  const AKI = "2.5.29.35";
  const HOST = "node1.cluster.local";

  it("refuses a root whose authorityKeyIdentifier has no keyIdentifier (CA/B Forum BR §7.1.2.1.3)", async () => {
    // Prepare: an authorityKeyIdentifier that is an empty SEQUENCE
    const root = await issue({
      subject: "CN=Root AKI",
      isCA: true,
      rawExtensions: [{ oid: AKI, value: new Uint8Array([0x30, 0x00]) }],
    });
    const leaf = await issue({ subject: `CN=${HOST}`, dnsNames: [HOST], issuer: root });

    // Act
    const findings = chainFindings(parsed("leaf.pem", leaf), parsed("ca.pem", root), {
      expectedHosts: [HOST],
    });

    // Assess
    expect(findings.map((f) => [f.severity, f.details?.reason])).toEqual([
      ["minor", "root-authority-key-identifier"],
    ]);
    expect(findings[0]?.message).toContain(
      'trusted CA "CN=Root AKI" (ca.pem#0) is self-signed but its authorityKeyIdentifier has no keyIdentifier',
    );
  });

  it("refuses a certificate whose serial number is longer than 20 octets, and accepts 20", async () => {
    // Prepare: 22 octets, as the suite makes it (many validators let 21 pass, a sign-byte slip)
    const { root, intermediate } = await chain();
    const long = await issue({
      subject: `CN=${HOST}`,
      dnsNames: [HOST],
      issuer: intermediate,
      serialNumber: `7f${"ab".repeat(21)}`,
    });
    const twenty = await issue({
      subject: `CN=${HOST}`,
      dnsNames: [HOST],
      issuer: intermediate,
      serialNumber: `7f${"ab".repeat(19)}`,
    });

    // Act
    const tooLong = chainFindings(parsed("long.pem", long, intermediate), parsed("ca.pem", root));
    const fits = chainFindings(parsed("ok.pem", twenty, intermediate), parsed("ca.pem", root));

    // Assess
    expect(tooLong.map((f) => [f.severity, f.details?.reason, f.details?.rule])).toEqual([
      ["warning", "serial-number-too-long", "RFC 5280 §4.1.2.2"],
    ]);
    expect(fits).toEqual([]);
  });

  it("refuses a serial number of 0 in a certificate it checks, not in a trust anchor (real roots carry one)", async () => {
    // Prepare: made with openssl -set_serial 0, root and leaf alike
    const dir = await mkdtemp(join(tmpdir(), "watchpost-serial-"));
    const openssl = (args: string[]) => run("openssl", args, { cwd: dir, timeout: CHILD_TIMEOUT_MS });
    const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    await openssl([
      "req",
      "-x509",
      ...key,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-subj",
      "/CN=Root Zero",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-days",
      "30",
      "-set_serial",
      "0",
    ]);
    await openssl(["req", "-new", ...key, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${HOST}`]);
    await writeFile(join(dir, "leaf.ext"), `subjectAltName=DNS:${HOST}\nauthorityKeyIdentifier=keyid\n`);
    for (const [serial, out] of [
      ["0", "zero.pem"],
      ["0x1234", "leaf.pem"],
    ] as const)
      await openssl([
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        serial,
        "-days",
        "30",
        "-extfile",
        "leaf.ext",
        "-out",
        out,
      ]);
    const read = async (file: string) =>
      parsed(file, {
        der: new Uint8Array(
          Buffer.from((await readFile(join(dir, file), "utf8")).replace(/-----[^-]+-----|\s/g, ""), "base64"),
        ),
      });

    // Act
    const ofZero = chainFindings(await read("zero.pem"), await read("ca.pem"));
    const ofLeaf = chainFindings(await read("leaf.pem"), await read("ca.pem"));

    // Assess
    expect(ofZero.map((f) => [f.severity, f.details?.reason])).toEqual([["warning", "serial-number-zero"]]);
    expect(ofLeaf).toEqual([]);
  });

  it("holds a CA certificate in the leaf's place to the expected name, as clients do", async () => {
    // Prepare: an intermediate presented as the server certificate, its SAN another name
    const { root } = await chain();
    const ica = await issue({
      subject: "CN=ca.example.com",
      dnsNames: ["ca.example.com"],
      isCA: true,
      issuer: root,
    });

    // Act
    const findings = evaluateCertificates(parsed("peer", ica), {
      ...DEFAULT_POLICY,
      now: new Date(),
      trustAnchors: parsed("ca.pem", root),
      expectedHosts: ["wrong.example.com"],
      presentedChain: true,
    });

    // Assess
    expect(findings.map((f) => [f.check, f.severity, f.details?.reason])).toEqual([
      ["hostname-mismatch", "major", undefined],
      // keyCertSign alone does not let it sign a handshake; and rustls refuses a CA as the leaf
      ["untrusted-chain", "major", "key-usage"],
    ]);
  });
});
