/**
 * `watchpost scan` on a host directory as clusters lay it out: a JKS keystore, a JKS truststore, a
 * JCEKS keystore and a `-legacy` PKCS#12 (keytool and openssl, at test time), with passwords from
 * WATCHPOST_KEYSTORE_PASSWORD, the old WATCHPOST_PKCS12_PASSWORD, or a --password-map. Findings say
 * whether a keystore's integrity was checked; no password is ever printed.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { javaKeystore, legacyPkcs12 } from "../../support/java-stores";
import { chain, DAY, type Issued, issue } from "../../support/pki";

const STORE_PASSWORD = "store-pass-1";
const HA_PASSWORD = "flink-ha-pass-2";

let dir: string;
let pki: Awaited<ReturnType<typeof chain>>;
let expired: Issued;

beforeAll(async () => {
  pki = await chain("kafka01.prod.example.com");
  expired = await issue({
    subject: "CN=flink01.prod.example.com",
    dnsNames: ["flink01.prod.example.com"],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 90 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  dir = await mkdtemp(join(tmpdir(), "watchpost-scan-keystores-"));
  await mkdir(join(dir, "flink/ha/local/cert"), { recursive: true });
  await mkdir(join(dir, "kafka"), { recursive: true });
  const [haKeystore, truststore, jceks, legacy] = await Promise.all([
    javaKeystore({
      type: "JKS",
      password: HA_PASSWORD,
      privateKey: { alias: "ha", chain: [expired, pki.intermediate] },
    }),
    javaKeystore({
      type: "JKS",
      password: STORE_PASSWORD,
      trusted: [{ alias: "root", certificate: pki.root }],
    }),
    javaKeystore({
      type: "JCEKS",
      password: STORE_PASSWORD,
      secretKey: "broker.secret",
      privateKey: { alias: "broker", chain: [pki.leaf, pki.intermediate] },
    }),
    legacyPkcs12([pki.leaf, pki.intermediate], STORE_PASSWORD),
  ]);
  // Names without certificate extensions: found by their content.
  await writeFile(join(dir, "flink/ha/local/cert/flink.keystore"), haKeystore);
  await writeFile(join(dir, "kafka/kafka.server.truststore"), truststore);
  await writeFile(join(dir, "kafka/kafka.server.keystore"), jceks);
  await writeFile(join(dir, "kafka/legacy.bin"), legacy);
  await writeFile(join(dir, "ha.pass"), `${HA_PASSWORD}\n`);
  await writeFile(
    join(dir, "passwords.map"),
    `# flink's HA keystore has its own password\nflink/ha/local/cert/* file:${join(dir, "ha.pass")}\n`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Report {
  certificates: { source: string; subject: string }[];
  findings: { check: string; source: string; severity: string; details?: Record<string, unknown> }[];
}

async function scanJson(env: NodeJS.ProcessEnv, ...extra: string[]) {
  const { code, stdout, stderr } = await runCli(["scan", dir, "--format", "json", ...extra], env);
  return { code, report: JSON.parse(stdout) as Report, stdout, stderr };
}

describe("watchpost scan: keystores, truststores and legacy PKCS#12 on a host", () => {
  it("reads every store found in a directory walk and verifies integrity with the mapped passwords", async () => {
    // Act
    const { code, report, stdout } = await scanJson(
      { WATCHPOST_KEYSTORE_PASSWORD: STORE_PASSWORD },
      "--password-map",
      join(dir, "passwords.map"),
    );

    // Assess
    expect(code).toBe(2); // the HA keystore's certificate has expired: critical
    const files = new Set(
      report.certificates.map((c) => c.source.replace(/#\d+$/, "").slice(dir.length + 1)),
    );
    expect([...files].sort()).toEqual([
      "flink/ha/local/cert/flink.keystore",
      "kafka/kafka.server.keystore",
      "kafka/kafka.server.truststore",
      "kafka/legacy.bin",
    ]);
    const expiredFinding = report.findings.find((f) => f.check === "expired");
    expect(expiredFinding).toMatchObject({
      source: `${join(dir, "flink/ha/local/cert/flink.keystore")}#0`,
      severity: "critical",
      details: expect.objectContaining({ integrity: "verified" }),
    });
    expect(report.findings.filter((f) => f.check === "unreadable")).toEqual([]);
    for (const password of [STORE_PASSWORD, HA_PASSWORD]) expect(stdout).not.toContain(password);
  });

  it("keeps the certificates of a keystore its password does not open, and honours the old variable name", async () => {
    // Act: WATCHPOST_PKCS12_PASSWORD, no map: the HA keystore gets the store password too
    const { report } = await scanJson({ WATCHPOST_PKCS12_PASSWORD: STORE_PASSWORD });

    // Assess: the HA keystore's password differs from the store password: its check fails, its certificates are kept
    const byFile = (file: string) => report.findings.filter((f) => f.source.startsWith(join(dir, file)));
    expect(byFile("flink/ha/local/cert/flink.keystore")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          check: "expired",
          details: expect.objectContaining({ integrity: "mismatch" }),
        }),
        expect.objectContaining({
          check: "unreadable",
          details: expect.objectContaining({ reason: "bad-password" }),
        }),
      ]),
    );
    expect(report.certificates.map((c) => c.source)).toContain(`${join(dir, "kafka/legacy.bin")}#0`);
  });

  it("reads a keystore named on the command line with no password at all", async () => {
    // Act
    const { code, stdout } = await runCli(
      ["scan", join(dir, "flink/ha/local/cert/flink.keystore"), "--format", "json"],
      {},
    );

    // Assess
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as Report;
    expect(report.findings).toEqual([
      expect.objectContaining({
        check: "expired",
        details: expect.objectContaining({ integrity: "not-checked" }),
      }),
    ]);
  });

  it("exits 3 naming the map line when a mapped password cannot be had, and never prints a password", async () => {
    // Prepare
    const map = join(dir, "broken.map");
    await writeFile(map, "kafka/* env:KAFKA_KEYSTORE_PASSWORD\n");

    // Act
    const { code, stderr } = await runCli(["scan", dir, "--password-map", map], {});

    // Assess
    expect(code).toBe(3);
    expect(stderr).toContain(
      `--password-map ${map} line 1: the environment variable KAFKA_KEYSTORE_PASSWORD is not set`,
    );
  });
});
