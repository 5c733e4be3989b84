/**
 * Volume: a certificate with 10,000 SAN names, bundles of 5,000 certificates, thousands of broken
 * blocks, and files far over the size cap. Nothing here is timed (benchmarks live in test/bench);
 * the assertions are about completeness (every certificate counted), bounded output, and the
 * amount of work the hostname check does, counted rather than timed.
 */
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ParsedCertificate } from "../../../functions/core/certificates/certificate";
import { checkHostname, coversHost } from "../../../functions/core/certificates/checks/hostname";
import { factsOf } from "../../../functions/core/certificates/facts";
import { readCertificates } from "../../../functions/core/certificates/reader";
import { runCli } from "../../support/cli";
import {
  cn,
  craftCertificate,
  endEntityConstraints,
  judge,
  pkcs7Bundle,
  sanExtension,
  twosComplement,
} from "../../support/hostile-corpus";
import { pemOf } from "../../support/pki";

const NAMES = 10_000;
const BUNDLE = 5_000;
const PKCS7_BUNDLE = 2_500;

let root: string;
let sanCertificate: ParsedCertificate;
let bundleDers: Uint8Array[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "watchpost-volume-"));
  const names = Array.from({ length: NAMES }, (_, i) => `host-${i}.cluster.example`);
  const judged = await judge(
    craftCertificate({
      extensions: [endEntityConstraints(), sanExtension([...names, "*.apps.cluster.example"])],
    }),
  );
  expect(judged.unreadable).toEqual([]);
  sanCertificate = judged.certificates[0]!;
  bundleDers = Array.from({ length: BUNDLE }, (_, i) =>
    craftCertificate({ serial: twosComplement(BigInt(i + 1)), subject: [cn(`node-${i}.cluster.example`)] }),
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A view of a certificate that counts how often the checks read a name from its lists. */
function countingReads(cert: ParsedCertificate): { cert: ParsedCertificate; reads: () => number } {
  let reads = 0;
  const counted = (list: string[]) =>
    new Proxy(list, {
      get(target, property, receiver) {
        if (typeof property === "string" && /^\d+$/.test(property)) reads += 1;
        return Reflect.get(target, property, receiver);
      },
    });
  return {
    cert: { ...cert, dnsNames: counted(cert.dnsNames), commonNames: counted(cert.commonNames) },
    reads: () => reads,
  };
}

describe("a certificate with 10,000 SAN names", () => {
  it("is read whole: every name, in order", () => {
    // Assess
    expect(sanCertificate.dnsNames).toHaveLength(NAMES + 1);
    expect(sanCertificate.dnsNames[0]).toBe("host-0.cluster.example");
    expect(sanCertificate.dnsNames[NAMES - 1]).toBe(`host-${NAMES - 1}.cluster.example`);
  });

  it("is matched correctly: first, last, case and trailing dot, wildcard, and a name it lacks", () => {
    // Act / Assess
    expect(coversHost(sanCertificate, "host-0.cluster.example")).toBe(true);
    expect(coversHost(sanCertificate, `HOST-${NAMES - 1}.Cluster.Example.`)).toBe(true);
    expect(coversHost(sanCertificate, "console.apps.cluster.example")).toBe(true);
    expect(coversHost(sanCertificate, "a.b.apps.cluster.example")).toBe(false);
    expect(coversHost(sanCertificate, `host-${NAMES}.cluster.example`)).toBe(false);
  });

  it("raises one hostname-mismatch naming only the missing host", () => {
    // Act
    const finding = checkHostname(factsOf(sanCertificate), [
      "host-42.cluster.example",
      "absent.cluster.example",
    ]);

    // Assess
    expect(finding?.check).toBe("hostname-mismatch");
    expect(finding?.details?.missing).toEqual(["absent.cluster.example"]);
  });

  it("reads each presented name at most once per expected host: linear, not quadratic", () => {
    // Prepare
    const hosts = ["absent-1.cluster.example", "absent-2.cluster.example", "absent-3.cluster.example"];
    const { cert, reads } = countingReads(sanCertificate);

    // Act
    const covered = hosts.map((host) => coversHost(cert, host));

    // Assess: a full scan per host, no more
    expect(covered).toEqual([false, false, false]);
    expect(reads()).toBeLessThanOrEqual(hosts.length * (NAMES + 1));
  });
});

describe("bundles of thousands of certificates", () => {
  // The PEM bundle of 5,000 goes through the CLI below (what an operator runs).
  it(`reads all ${PKCS7_BUNDLE} certificates of a DER PKCS#7 bundle (far over asn1js's default node cap)`, async () => {
    // Act
    const result = await readCertificates(pkcs7Bundle(bundleDers.slice(0, PKCS7_BUNDLE)), "ca-bundle.p7b");

    // Assess
    expect(result).toMatchObject({ status: "ok", format: "pkcs7-der" });
    const certificates = result.status === "ok" ? result.certificates : [];
    expect(certificates).toHaveLength(PKCS7_BUNDLE);
    expect(certificates.map((c) => c.index)).toEqual(certificates.map((_, i) => i));
    expect(certificates[PKCS7_BUNDLE - 1]?.commonNames).toEqual([`node-${PKCS7_BUNDLE - 1}.cluster.example`]);
    expect(result.status === "ok" && result.problems).toBeFalsy();
  });

  it("reports thousands of broken blocks next to good ones as a bounded list, keeping every good one", async () => {
    // Prepare: 3 good certificates among 3,000 blocks whose base64 is corrupt
    const broken = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    const good = pemOf("CERTIFICATE", bundleDers[0]!);
    const file = [good, broken.repeat(1_500), good, broken.repeat(1_500), good].join("");

    // Act
    const judged = await judge(new Uint8Array(Buffer.from(file)), "noisy.pem");

    // Assess
    expect(judged.certificates.map((c) => c.source)).toEqual(["noisy.pem#0", "noisy.pem#1", "noisy.pem#2"]);
    expect(judged.unreadable).toHaveLength(5);
    const details = judged.unreadable.map((f) => f.details?.detail);
    expect(details[0]).toBe("PEM block 2 (CERTIFICATE) is broken: its content is not valid base64");
    expect(details[4]).toBe(
      "2996 more parts of the file cannot be read, the next being: PEM block 6 (CERTIFICATE) is broken: its content is not valid base64",
    );
  });
});

describe("files over the size cap", () => {
  it("refuses a 3 GiB file from its size, and still reads the files beside it", async () => {
    // Prepare: a sparse file; reading it whole would need 3 GiB, more than a Buffer may hold
    const dir = join(root, "oversized");
    await mkdir(dir);
    await writeFile(join(dir, "huge.pem"), "");
    await truncate(join(dir, "huge.pem"), 3 * 1024 ** 3);
    await writeFile(join(dir, "good.pem"), pemOf("CERTIFICATE", bundleDers[0]!));

    // Act
    const { code, stdout } = await runCli(["scan", dir, "--format", "json", "--now", "2030-01-01T00:00:00Z"]);

    // Assess
    const report = JSON.parse(stdout);
    expect(code).toBe(2);
    expect(report.certificates.map((c: { source: string }) => c.source)).toEqual([
      `${join(dir, "good.pem")}#0`,
    ]);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      check: "unreadable",
      source: join(dir, "huge.pem"),
      details: {
        reason: "too-large",
        detail: `the file has ${3 * 1024 ** 3} bytes, more than the limit of 1048576 bytes`,
      },
    });
  });

  it(`reads a ${BUNDLE}-certificate bundle through the CLI once --max-bytes allows it`, async () => {
    // Prepare
    const path = join(root, "big-bundle.pem");
    await writeFile(path, bundleDers.map((der) => pemOf("CERTIFICATE", der)).join(""));

    // Act
    const refused = await runCli(["scan", path, "--format", "json", "--now", "2030-01-01T00:00:00Z"]);
    const read = await runCli([
      "scan",
      path,
      "--format",
      "json",
      "--now",
      "2030-01-01T00:00:00Z",
      "--max-bytes",
      String(8 * 1024 * 1024),
    ]);

    // Assess
    expect(
      JSON.parse(refused.stdout).findings.map((f: { details: { reason: string } }) => f.details.reason),
    ).toEqual(["too-large"]);
    const report = JSON.parse(read.stdout);
    expect(read.code).toBe(0);
    expect(report.findings).toEqual([]);
    const sources = report.certificates.map((c: { source: string }) => c.source);
    expect(new Set(sources)).toEqual(new Set(bundleDers.map((_, i) => `${path}#${i}`)));
  });
});
