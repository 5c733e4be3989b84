/**
 * `watchpost scan --peer … --truststore …`: a cluster's peers as they see each other, from the
 * files they keep — a PEM bundle, a JKS truststore written by keytool, a PKCS#12 truststore
 * written by openssl, all made at test time. Every cell of the matrix is held against `openssl
 * verify` with the same trust store's CAs and the role's purpose (sslserver, sslclient): the
 * reference for what a peer's TLS stack decides. Passwords come from WATCHPOST_KEYSTORE_PASSWORD and
 * never appear in the output.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScanReport } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import { javaKeystore } from "../../support/java-stores";
import { type Issued, issue } from "../../support/pki";

const run = promisify(execFile);
const PASSWORD = "trust-pass-31";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const [N1, N2, N3] = ["node1.kafka.test", "node2.kafka.test", "node3.kafka.test"] as const;

function available(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const tools = available("openssl", ["version"]) && available("keytool", ["-help"]);
if (!tools) console.warn("skipping scan --peer tests: keytool or openssl is not installed");

let dir: string;
let ca1: Issued;
let ca2: Issued;

beforeAll(async () => {
  if (!tools) return;
  dir = await mkdtemp(join(tmpdir(), "watchpost-peer-group-"));
  [ca1, ca2] = await Promise.all([
    issue({ subject: "CN=Ops CA 1,O=watchpost", isCA: true }),
    issue({ subject: "CN=Ops CA 2,O=watchpost", isCA: true }),
  ]);
  await writeFile(join(dir, "ca1.pem"), ca1.pem);
  await writeFile(join(dir, "ca2.pem"), ca2.pem);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function peerCertificate(name: string, fqdn: string, issuer: Issued, eku = [SERVER_AUTH, CLIENT_AUTH]) {
  const issued = await issue({ subject: `CN=${fqdn}`, dnsNames: [fqdn], issuer, extendedKeyUsage: eku });
  await writeFile(join(dir, name), issued.pem);
  return join(dir, name);
}

/** The three peers' certificates, from these issuers; `eku` overrides a peer's extendedKeyUsage. */
async function certificatesOf(
  prefix: string,
  [issuer1, issuer2, issuer3]: [Issued, Issued, Issued],
  eku: Partial<Record<string, string[]>> = {},
): Promise<Record<string, string>> {
  return {
    [N1]: await peerCertificate(`${prefix}-1.pem`, N1, issuer1, eku[N1]),
    [N2]: await peerCertificate(`${prefix}-2.pem`, N2, issuer2, eku[N2]),
    [N3]: await peerCertificate(`${prefix}-3.pem`, N3, issuer3, eku[N3]),
  };
}

/** The three kinds of trust store peers keep, each holding `cas`. */
async function trustStores(prefix: string, cas: { [N1]: Issued[]; [N2]: Issued[]; [N3]: Issued[] }) {
  const pem = join(dir, `${prefix}-node1-trust.pem`);
  await writeFile(pem, cas[N1].map((c) => `${c.pem.trim()}\n`).join(""));
  const jks = join(dir, `${prefix}-node2.truststore.jks`);
  await writeFile(
    jks,
    await javaKeystore({
      type: "JKS",
      password: PASSWORD,
      trusted: cas[N2].map((certificate, i) => ({ alias: `ca-${i}`, certificate })),
    }),
  );
  const bundle = join(dir, `${prefix}-node3-cas.pem`);
  await writeFile(bundle, cas[N3].map((c) => `${c.pem.trim()}\n`).join(""));
  const p12 = join(dir, `${prefix}-node3.truststore.p12`);
  await run("openssl", [
    "pkcs12",
    "-export",
    "-nokeys",
    "-in",
    bundle,
    "-out",
    p12,
    "-passout",
    `pass:${PASSWORD}`,
  ]);
  // What `openssl verify -CAfile` reads for each peer: the same CAs, as PEM.
  const verifyFile = { [N1]: pem, [N2]: join(dir, `${prefix}-node2-cas.pem`), [N3]: bundle };
  await writeFile(verifyFile[N2], cas[N2].map((c) => `${c.pem.trim()}\n`).join(""));
  return {
    args: [`--truststore`, `${N1}=${pem}`, `--truststore`, `${N2}=${jks}`, "--truststore", `${N3}=${p12}`],
    verifyFile,
  };
}

async function scanGroup(certificates: Record<string, string>, trust: string[], extra: string[] = []) {
  const peers = Object.entries(certificates).flatMap(([fqdn, file]) => ["--peer", `${fqdn}=${file}`]);
  const result = await runCli(
    ["scan", ...peers, ...trust, "--group", "kafka", ...extra, "--format", "json"],
    {
      WATCHPOST_KEYSTORE_PASSWORD: PASSWORD,
    },
  );
  expect(result.stdout).not.toContain(PASSWORD);
  expect(result.stderr).toBe("");
  return { code: result.code, report: ScanReport.parse(JSON.parse(result.stdout)) };
}

/** `openssl verify` for one cell: the presenter's certificate against the truster's CAs, for the role's purpose. */
async function opensslAccepts(certificate: string, caFile: string, role: string): Promise<boolean> {
  const purpose = role === "server" ? "sslserver" : "sslclient";
  try {
    await run("openssl", ["verify", "-purpose", purpose, "-CAfile", caFile, certificate]);
    return true;
  } catch {
    return false;
  }
}

async function matchesOpenssl(
  report: ScanReport,
  certificates: Record<string, string>,
  verifyFile: Record<string, string>,
) {
  const cells = report.peerGroups?.[0]?.matrix ?? [];
  expect(cells).toHaveLength(12);
  for (const cell of cells) {
    const accepted = await opensslAccepts(
      certificates[cell.presenter]!,
      verifyFile[cell.truster]!,
      cell.role,
    );
    expect(`${cell.presenter} → ${cell.truster} ${cell.role}: ${cell.verdict}`).toBe(
      `${cell.presenter} → ${cell.truster} ${cell.role}: ${accepted ? "accepted" : "refused"}`,
    );
  }
}

const refusals = (report: ScanReport) =>
  report.findings
    .filter((f) => f.check === "peer-refused")
    .map((f) => [f.source, f.severity, f.details?.refusedBy]);

describe.skipIf(!tools)("watchpost scan --peer", () => {
  it("accepts every pair when every trust store holds the CA (PEM bundle, keytool JKS, openssl PKCS#12)", async () => {
    // Prepare
    const certificates = await certificatesOf("all", [ca1, ca1, ca1]);
    const trust = await trustStores("all", { [N1]: [ca1], [N2]: [ca1], [N3]: [ca1] });

    // Act
    const { code, report } = await scanGroup(certificates, trust.args);

    // Assess
    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.peerGroups?.[0]?.peers.map((p) => [p.fqdn, p.status])).toEqual([
      [N1, "Certificate: Valid"],
      [N2, "Certificate: Valid"],
      [N3, "Certificate: Valid"],
    ]);
    await matchesOpenssl(report, certificates, trust.verifyFile);
  }, 60_000);

  it("names the peer whose JKS truststore lacks the CA of a renewed certificate, and that CA", async () => {
    // Prepare: node1 renewed by Ops CA 2; node2's truststore never got it
    const certificates = await certificatesOf("missing", [ca2, ca1, ca1]);
    const trust = await trustStores("missing", { [N1]: [ca1, ca2], [N2]: [ca1], [N3]: [ca1, ca2] });

    // Act
    const { code, report } = await scanGroup(certificates, trust.args);

    // Assess
    expect(code).toBe(2);
    const jks = join(dir, "missing-node2.truststore.jks");
    expect(refusals(report)).toEqual([
      [
        `peer-group:kafka/${N1}`,
        "major",
        [{ peer: N2, roles: ["server", "client"], reasons: ["no-issuer"], trustStore: jks }],
      ],
    ]);
    expect(report.findings[0]?.message).toBe(
      `${N2} will refuse ${N1}'s certificate: it chains to 'Ops CA 2', which ${N2}'s trust store (${jks}) does not hold. ` +
        `Add 'Ops CA 2' to ${N2}'s trust store (${jks}) and reload ${N2}, or re-issue ${N1}'s certificate from a CA every peer trusts. ` +
        `(Peer group kafka; its certificate ${certificates[N1]}.)`,
    );
    await matchesOpenssl(report, certificates, trust.verifyFile);
  }, 60_000);

  it("lists the peers that refuse a CA only some trust stores hold", async () => {
    // Prepare: Ops CA 2 is in node1's PEM bundle only; node3 was issued by it
    const certificates = await certificatesOf("some", [ca1, ca1, ca2]);
    const trust = await trustStores("some", { [N1]: [ca1, ca2], [N2]: [ca1], [N3]: [ca1] });

    // Act
    const { report } = await scanGroup(certificates, trust.args);

    // Assess
    expect(refusals(report)).toEqual([
      [
        `peer-group:kafka/${N3}`,
        "major",
        [
          {
            peer: N2,
            roles: ["server", "client"],
            reasons: ["no-issuer"],
            trustStore: join(dir, "some-node2.truststore.jks"),
          },
        ],
      ],
    ]);
    expect(report.peerGroups?.[0]?.peers.find((p) => p.fqdn === N3)?.status).toBe(
      "Certificate: Invalid (certificate does not chain to a CA every peer trusts)",
    );
    await matchesOpenssl(report, certificates, trust.verifyFile);
  }, 60_000);

  it("refuses a certificate re-issued with serverAuth only when its peer connects as a client, and only then", async () => {
    // Prepare
    const certificates = await certificatesOf("eku", [ca1, ca1, ca1], { [N2]: [SERVER_AUTH] });
    const trust = await trustStores("eku", { [N1]: [ca1], [N2]: [ca1], [N3]: [ca1] });

    // Act
    const both = await scanGroup(certificates, trust.args);
    const table = await runCli(
      [
        "scan",
        ...Object.entries(certificates).flatMap(([f, file]) => ["--peer", `${f}=${file}`]),
        ...trust.args,
        "--group",
        "kafka",
      ],
      { WATCHPOST_KEYSTORE_PASSWORD: PASSWORD },
    );
    const serverOnly = await scanGroup(certificates, trust.args, ["--roles", "server"]);

    // Assess
    expect(refusals(both.report)).toEqual([
      [
        `peer-group:kafka/${N2}`,
        "major",
        [
          {
            peer: N1,
            roles: ["client"],
            reasons: ["extended-key-usage"],
            trustStore: join(dir, "eku-node1-trust.pem"),
          },
          {
            peer: N3,
            roles: ["client"],
            reasons: ["extended-key-usage"],
            trustStore: join(dir, "eku-node3.truststore.p12"),
          },
        ],
      ],
    ]);
    await matchesOpenssl(both.report, certificates, trust.verifyFile);
    expect(table.stdout).toContain(
      [
        "PEER GROUP kafka (stored certificates; roles: server, client)",
        "Each row's certificate as each column's trust store judges it (ok, REFUSED, ? not known):",
        `PRESENTS \\ TRUSTS  ${N1}   ${N2}  ${N3}`,
        `${N1}   -                  ok                ok`,
        `${N2}   REFUSED as client  -                 REFUSED as client`,
        `${N3}   ok                 ok                -`,
      ].join("\n"),
    );
    expect(table.stdout).toContain(
      `${N2}  Certificate: Invalid (certificate is not allowed for TLS client authentication)`,
    );
    expect(serverOnly.code).toBe(0);
    expect(serverOnly.report.findings).toEqual([]);
  }, 60_000);

  it("reports a truststore it cannot open, judges the pairs it can, and never prints the password", async () => {
    // Prepare
    const certificates = await certificatesOf("pw", [ca1, ca1, ca1]);
    const trust = await trustStores("pw", { [N1]: [ca1], [N2]: [ca1], [N3]: [ca1] });
    const peers = Object.entries(certificates).flatMap(([fqdn, file]) => ["--peer", `${fqdn}=${file}`]);

    // Act: the PKCS#12 truststore needs the password to be read at all; the JKS one only to be verified
    const wrong = await runCli(["scan", ...peers, ...trust.args, "--format", "json"], {
      WATCHPOST_KEYSTORE_PASSWORD: "not-the-password",
    });

    // Assess
    const report = ScanReport.parse(JSON.parse(wrong.stdout));
    expect(
      report.findings
        .map((f) => [f.check, f.source, f.details?.reason])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual([
      ["unreadable", join(dir, "pw-node2.truststore.jks"), "bad-password"],
      ["unreadable", join(dir, "pw-node3.truststore.p12"), "bad-password"],
    ]);
    const cells = report.peerGroups?.[0]?.matrix ?? [];
    expect(cells.filter((c) => c.verdict === "unknown").map((c) => `${c.presenter} → ${c.truster}`)).toEqual([
      `${N1} → ${N3}`,
      `${N1} → ${N3}`,
      `${N2} → ${N3}`,
      `${N2} → ${N3}`,
    ]);
    expect(cells.filter((c) => c.verdict === "refused")).toEqual([]);
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain("not-the-password");
  }, 60_000);

  it("refuses command lines that cannot describe a group", async () => {
    // Act
    const results = await Promise.all([
      runCli(["scan", "--peer", "node1.kafka.test"]),
      runCli(["scan", "--peer", "node1.kafka.test=a.pem"]),
      runCli(["scan", "--peer", "node1.kafka.test=a.pem", "--truststore", "node9.kafka.test=t.jks"]),
      runCli(["scan", "--peer", "node1.kafka.test=a.pem", "--ca", join(dir, "ca1.pem"), "--roles", "peer"]),
    ]);

    // Assess
    expect(results.map((r) => [r.code, r.stderr.split("\n")[0]])).toEqual([
      [3, "watchpost scan: --peer takes FQDN=FILE, not 'node1.kafka.test'"],
      [
        3,
        "watchpost scan: peer node1.kafka.test has no --truststore, and no --ca bundle is given for peers without one",
      ],
      [3, "watchpost scan: --truststore node9.kafka.test: no --peer node9.kafka.test is given"],
      [3, "watchpost scan: --roles takes server, client or both, not 'peer'"],
    ]);
  });
});
