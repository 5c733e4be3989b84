/**
 * PKCS#12 key derivation has a bounded cost and never stops the event loop (formats/pkcs12.ts,
 * formats/pkcs12-kdf.ts). Before: a 124-byte file whose MAC asked for 1,000,000 SHA-512
 * iterations blocked the process 5-13 s, a legacy 3DES one 16-27 s, on every scan.
 */
import { randomBytes } from "node:crypto";
import {
  ContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  id_data,
  id_encryptedData,
} from "@peculiar/asn1-cms";
import { AuthenticatedSafe, PFX } from "@peculiar/asn1-pfx";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../../functions/core/certificates/evaluate";
import { declaredKdfCost } from "../../../functions/core/certificates/formats/pkcs12";
import {
  KDF_TIME_BUDGET_MS,
  KdfBudget,
  MAX_ITERATIONS,
  SCAN_BUDGET,
  UNUSUAL_SCAN_BUDGET,
} from "../../../functions/core/certificates/formats/pkcs12-budget";
import { EncryptedData, Pkcs12PbeParams } from "../../../functions/core/certificates/formats/pkcs12-schemas";
import { readCertificates } from "../../../functions/core/certificates/reader";
import { scanFiles } from "../../../functions/core/scan/read-files";
import { macOnlyPfx } from "../../support/crafted-pkcs12";
import { chain, DAY, issue, pkcs12 } from "../../support/pki";

const PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3";

/** A PFX without a MAC whose one safe is encrypted with the legacy 3DES scheme at `iterations`. */
function legacy3desPfx(iterations: number): Uint8Array {
  const encrypted = new EncryptedData();
  encrypted.encryptedContentInfo = new EncryptedContentInfo({
    contentType: id_data,
    contentEncryptionAlgorithm: new AlgorithmIdentifier({
      algorithm: PBE_SHA1_3DES,
      parameters: AsnConvert.serialize(
        Object.assign(new Pkcs12PbeParams(), {
          salt: new OctetString(randomBytes(8)),
          iterations: BigInt(iterations),
        }),
      ),
    }),
    encryptedContent: new EncryptedContent({ value: new OctetString(randomBytes(16)) }),
  });
  const safes = new AuthenticatedSafe([
    new ContentInfo({ contentType: id_encryptedData, content: AsnConvert.serialize(encrypted) }),
  ]);
  const authSafe = new ContentInfo({
    contentType: id_data,
    content: AsnConvert.serialize(new OctetString(AsnConvert.serialize(safes))),
  });
  const pfx = new PFX({ version: 3, authSafe });
  delete (pfx as { macData?: unknown }).macData;
  return new Uint8Array(AsnConvert.serialize(pfx));
}

describe("PKCS#12 key derivation cost", () => {
  it("refuses a 124-byte file whose MAC asks for 1,000,000 SHA-512 iterations, at once", async () => {
    // Prepare
    const file = macOnlyPfx(1_000_000);

    // Act
    const result = await readCertificates(file, "crafted-mac.p12", { pkcs12Password: "secret" });

    // Assess
    expect(file.length).toBeLessThan(160);
    expect(result).toMatchObject({ status: "unreadable", reason: "unsupported-format", format: "pkcs12" });
    expect(result.status === "unreadable" && result.detail).toContain(
      "(1000000) is beyond what any PKCS#12 tool writes",
    );
  });

  it("refuses a legacy 3DES file asking for 1,000,000 iterations per key, at once", async () => {
    // Prepare
    const file = legacy3desPfx(1_000_000);

    // Act
    const result = await readCertificates(file, "crafted-3des.p12");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "unsupported-format" });
  });

  it("derives keys off the main thread: timers keep firing during a long derivation", async () => {
    // Prepare: the largest count accepted, on the slow SHA-512 KDF
    const file = macOnlyPfx(MAX_ITERATIONS);
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 5);

    // Act
    const result = await readCertificates(file, "slow-mac.p12", { pkcs12Password: "secret" });
    clearInterval(timer);

    // Assess: the MAC does not match (its digest is zeros), and the loop ran meanwhile: a
    // derivation on the main thread would let no timer fire before it ended, however long it took
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-password" });
    expect(ticks).toBeGreaterThan(2);
  });

  it("defers PKCS#12 files once the scan's key-derivation budget is spent, without a finding", async () => {
    // Prepare: two ordinary files (2,048 iterations per derivation) and a budget for one
    const { leaf } = await chain("p12.cluster.local");
    const files = await Promise.all([
      pkcs12([leaf.der], { password: "pw" }),
      pkcs12([leaf.der], { password: "pw" }),
    ]);
    const one = declaredKdfCost(files[0]!, true)!;

    // Act
    const result = await scanFiles(
      files.map((bytes, i) => ({
        file: `vault/${i}.p12`,
        explicit: true,
        load: async () => ({ ok: true as const, bytes }),
      })),
      {
        policy: { ...DEFAULT_POLICY, now: new Date() },
        pkcs12Password: "pw",
        kdfBudget: new KdfBudget(one.total + one.total / 2),
        concurrency: 1,
      },
    );

    // Assess: a budget stops work; it says nothing about the file (no finding, so no alarm)
    expect(one).toEqual({ total: 4096, peak: 2048 });
    expect(result.files[0]?.certificates).toHaveLength(1);
    expect(result.files[1]).toEqual({
      file: "vault/1.p12",
      certificates: [],
      findings: [],
      unexamined: true,
      notExamined:
        "this scan's key-derivation budget (16,000,000 iterations over all PKCS#12 files) is spent; it is read in a later scan",
    });
  });

  it("reads a real expired file with its known password before 45 crafted ones that ask for 250,000 iterations", async () => {
    // Prepare: the crafted files come first in the listing; the real one (OpenSSL's 2,048) last
    const { intermediate } = await chain("flink01.prod.example.com");
    const expired = await issue({
      subject: "CN=flink01.prod.example.com",
      dnsNames: ["flink01.prod.example.com"],
      issuer: intermediate,
      notBefore: new Date(Date.now() - 90 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const crafted = macOnlyPfx(250_000);
    const real = await pkcs12([expired.der, intermediate.der], { password: "ha-pass" });
    const inputs = [
      ...Array.from({ length: 45 }, (_, i) => ({
        name: `crafted-${String(i).padStart(2, "0")}.p12`,
        bytes: crafted,
      })),
      { name: "zz-flink-ha.p12", bytes: real },
    ];
    // Room for two crafted derivations only, so that the test spends seconds, not minutes.
    const budget = new KdfBudget(SCAN_BUDGET, 500_000);

    // Act
    const result = await scanFiles(
      inputs.map(({ name, bytes }) => ({
        file: `hosts/flink01/${name}`,
        explicit: true,
        load: async () => ({ ok: true as const, bytes }),
      })),
      {
        policy: { ...DEFAULT_POLICY, now: new Date() },
        pkcs12Password: "ha-pass",
        kdfBudget: budget,
        concurrency: 4,
      },
    );

    // Assess: the real file is judged; two crafted files are read (the password does not open them);
    // the other 43 are deferred, with no finding at all
    const realOutcome = result.files.at(-1)!;
    expect(realOutcome.findings.map((f) => [f.check, f.severity, f.source])).toEqual([
      ["expired", "critical", "hosts/flink01/zz-flink-ha.p12#0"],
    ]);
    const craftedOutcomes = result.files.slice(0, 45);
    expect(
      craftedOutcomes
        .filter((f) => f.findings.length > 0)
        .map((f) => f.findings.map((x) => x.details?.reason)),
    ).toEqual([["bad-password"], ["bad-password"]]);
    const deferred = craftedOutcomes.filter((f) => f.unexamined);
    expect(deferred).toHaveLength(43);
    for (const file of deferred) {
      expect(file.findings).toEqual([]);
      expect(file.notExamined).toBe(
        "this scan's key-derivation budget for files asking for more than 100,000 iterations per derivation (4,000,000 in all) is spent; it is read in a later scan",
      );
    }
    expect(result.findings.filter((f) => f.details?.reason === "timeout")).toEqual([]);
  });

  it("stops starting key derivations once the scan's time for them is spent, judging nothing it did not read", async () => {
    // Prepare: a clock that has run past the allowance before the first file
    const { leaf } = await chain("p12.cluster.local");
    const bytes = await pkcs12([leaf.der], { password: "pw" });
    let clock = 0;
    const budget = new KdfBudget(SCAN_BUDGET, UNUSUAL_SCAN_BUDGET, { clock: () => clock });
    clock = KDF_TIME_BUDGET_MS + 1;

    // Act
    const result = await scanFiles(
      [{ file: "slow.p12", explicit: true, load: async () => ({ ok: true as const, bytes }) }],
      {
        policy: { ...DEFAULT_POLICY, now: new Date() },
        pkcs12Password: "pw",
        kdfBudget: budget,
      },
    );

    // Assess
    expect(result.files).toEqual([
      {
        file: "slow.p12",
        certificates: [],
        findings: [],
        unexamined: true,
        notExamined:
          "this scan's time for PKCS#12 key derivation (120 s) is spent; it is read in a later scan",
      },
    ]);
  });
});
