import { beforeAll, describe, expect, it } from "vitest";
import { type ReadResult, readCertificates } from "../../../functions/core/certificates/reader";
import { chain, type Issued, pkcs12 } from "../../support/pki";

const PASSWORD = "correct horse ✓";

let leaf: Issued;
let intermediate: Issued;

beforeAll(async () => {
  ({ leaf, intermediate } = await chain("p12.cluster.local"));
});

function dersOf(result: ReadResult): Uint8Array[] {
  if (result.status !== "ok") throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.certificates.map((c) => c.der);
}

describe("readCertificates: PKCS#12", () => {
  it("reads every certificate of a PBES2/AES-256 file with the right password", async () => {
    // Prepare
    const file = await pkcs12([leaf.der, intermediate.der], { password: PASSWORD });

    // Act
    const result = await readCertificates(file, "node.p12", { pkcs12Password: PASSWORD });

    // Assess
    expect(result).toMatchObject({ status: "ok", format: "pkcs12" });
    expect(dersOf(result)).toEqual([leaf.der, intermediate.der]);
    expect(result.status === "ok" && result.certificates.map((c) => c.source)).toEqual([
      "node.p12#0",
      "node.p12#1",
    ]);
  });

  it("reads the legacy pbeWithSHAAnd3-KeyTripleDES-CBC encryption", async () => {
    // Prepare
    const file = await pkcs12([leaf.der], { password: PASSWORD, encryption: "3des" });

    // Act
    const result = await readCertificates(file, "legacy.pfx", { pkcs12Password: PASSWORD });

    // Assess
    expect(dersOf(result)).toEqual([leaf.der]);
  });

  it("reads certificates kept outside any encrypted safe", async () => {
    // Prepare
    const file = await pkcs12([leaf.der], { password: PASSWORD, encryption: "none" });

    // Act
    const result = await readCertificates(file, "plain.p12", { pkcs12Password: PASSWORD });

    // Assess
    expect(dersOf(result)).toEqual([leaf.der]);
  });

  it("says the password does not match, without revealing it", async () => {
    // Prepare
    const file = await pkcs12([leaf.der], { password: PASSWORD });

    // Act
    const result = await readCertificates(file, "node.p12", { pkcs12Password: "hunter2-wrong" });

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-password", format: "pkcs12" });
    const detail = result.status === "unreadable" ? result.detail : "";
    expect(detail).toContain("password given does not match");
    expect(detail).not.toContain("hunter2");
    expect(detail).not.toContain(PASSWORD);
  });

  it("says no password was given when the file needs one", async () => {
    // Prepare
    const file = await pkcs12([leaf.der], { password: PASSWORD });

    // Act
    const result = await readCertificates(file, "node.p12");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-password" });
    expect(result.status === "unreadable" && result.detail).toContain("no password was given");
  });

  it("opens an empty-password file without a password, as OpenSSL does", async () => {
    // Prepare
    const file = await pkcs12([leaf.der], { password: "" });

    // Act
    const withoutPassword = await readCertificates(file, "open.p12");
    const withEmptyPassword = await readCertificates(file, "open.p12", { pkcs12Password: "" });

    // Assess
    expect(dersOf(withoutPassword)).toEqual([leaf.der]);
    expect(dersOf(withEmptyPassword)).toEqual([leaf.der]);
  });

  it("proves the password by decryption when the file has no MAC", async () => {
    // Prepare
    const file = await pkcs12([leaf.der], { password: PASSWORD, mac: false });

    // Act
    const right = await readCertificates(file, "nomac.p12", { pkcs12Password: PASSWORD });
    const wrong = await readCertificates(file, "nomac.p12", { pkcs12Password: "nope" });

    // Assess
    expect(dersOf(right)).toEqual([leaf.der]);
    expect(wrong).toMatchObject({ status: "unreadable", reason: "bad-password" });
  });

  it("refuses RC4 encryption with a re-export hint", async () => {
    // Prepare
    const file = await pkcs12([leaf.der], { password: PASSWORD, encryption: "rc4-128" });

    // Act
    const result = await readCertificates(file, "old.p12", { pkcs12Password: PASSWORD });

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "unsupported-format", format: "pkcs12" });
    const detail = result.status === "unreadable" ? result.detail : "";
    expect(detail).toContain("RC4");
    expect(detail).toContain("-certpbe AES-256-CBC -keypbe AES-256-CBC");
  });

  it("refuses a crafted iteration count instead of stalling", async () => {
    // Prepare: patch the MAC's iteration INTEGER (the last element of the file) to 2^31 - 1,
    // fixing the lengths of MacData (short form) and of the outer SEQUENCE (two-byte form)
    const file = Buffer.from(await pkcs12([leaf.der], { password: PASSWORD, iterations: 0x7ffe }));
    const at = file.lastIndexOf(Buffer.from([0x02, 0x02, 0x7f, 0xfe]));
    let macData = at;
    while (!(file[macData] === 0x30 && file[macData + 1] === file.length - macData - 2)) macData -= 1;
    const crafted = Buffer.concat([file.subarray(0, at), Buffer.from([0x02, 0x04, 0x7f, 0xff, 0xff, 0xff])]);
    crafted[macData + 1] = (crafted[macData + 1] ?? 0) + 2;
    crafted.writeUInt16BE(crafted.length - 4, 2);

    // Act
    const result = await readCertificates(new Uint8Array(crafted), "crafted.p12", {
      pkcs12Password: PASSWORD,
    });

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "unsupported-format" });
    expect(result.status === "unreadable" && result.detail).toContain("2147483647");
  });
});
