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
import { AuthenticatedSafe, MacData, PFX } from "@peculiar/asn1-pfx";
import { DigestInfo } from "@peculiar/asn1-rsa";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../../functions/core/certificates/evaluate";
import { KdfBudget, MAX_ITERATIONS } from "../../../functions/core/certificates/formats/pkcs12-budget";
import { EncryptedData, Pkcs12PbeParams } from "../../../functions/core/certificates/formats/pkcs12-schemas";
import { readCertificates } from "../../../functions/core/certificates/reader";
import { scanFiles } from "../../../functions/core/certificates/scan";
import { chain, pkcs12 } from "../../support/pki";

const SHA512 = "2.16.840.1.101.3.4.2.3";
const PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3";

/** A PFX with an empty authenticated safe and a MAC over SHA-512 asking for `iterations`. */
function macOnlyPfx(iterations: number): Uint8Array {
  const authSafe = new ContentInfo({
    contentType: id_data,
    content: AsnConvert.serialize(new OctetString(AsnConvert.serialize(new AuthenticatedSafe([])))),
  });
  const macData = new MacData({
    mac: new DigestInfo({
      digestAlgorithm: new AlgorithmIdentifier({ algorithm: SHA512 }),
      digest: new OctetString(new Uint8Array(64)),
    }),
    macSalt: new OctetString(new Uint8Array(8)),
    iterations,
  });
  return new Uint8Array(AsnConvert.serialize(new PFX({ version: 3, authSafe, macData })));
}

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
    const started = performance.now();
    const result = await readCertificates(file, "slow-mac.p12", { pkcs12Password: "secret" });
    const elapsed = performance.now() - started;
    clearInterval(timer);

    // Assess: the MAC does not match (its digest is zeros), and the loop ran meanwhile
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-password" });
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 5 / 4));
    expect(ticks).toBeGreaterThan(2);
  });

  it("defers PKCS#12 files once the scan's key-derivation budget is spent, without judging them", async () => {
    // Prepare: two ordinary files (2,048 iterations for the MAC, key and IV each) and a budget for one
    const { leaf } = await chain("p12.cluster.local");
    const files = await Promise.all([
      pkcs12([leaf.der], { password: "pw" }),
      pkcs12([leaf.der], { password: "pw" }),
    ]);

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
        kdfBudget: new KdfBudget(5_000),
        concurrency: 1,
      },
    );

    // Assess
    expect(result.files[0]?.certificates).toHaveLength(1);
    expect(result.files[1]).toMatchObject({ unexamined: true, certificates: [] });
    expect(result.files[1]?.verdict).toBeUndefined();
    expect(result.files[1]?.findings[0]?.details).toMatchObject({ reason: "timeout" });
    expect(result.files[1]?.findings[0]?.message).toContain("key-derivation budget of this scan");
  });
});
