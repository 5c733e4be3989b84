import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../../functions/core/certificates/evaluate";
import {
  looksLikeCertificateMaterial,
  type ReadResult,
  readCertificates,
} from "../../../functions/core/certificates/reader";
import { scanFile } from "../../../functions/core/scan/read-files";
import { javaKeystore, legacyPkcs12 } from "../../support/java-stores";
import { chain, type Issued, issue } from "../../support/pki";

const PASSWORD = "changeit-Ä1";
/** keytool refuses non-ASCII passwords for JCEKS secret keys ("Password is not ASCII"). */
const ASCII_PASSWORD = "changeit-1";

let root: Issued;
let intermediate: Issued;
let leaf: Issued;
let peer: Issued;
let jksKeystore: Uint8Array;
let jksTruststore: Uint8Array;
let jceksKeystore: Uint8Array;
let jceksSecretsOnly: Uint8Array;

beforeAll(async () => {
  ({ root, intermediate, leaf } = await chain("flink01.cluster.local"));
  peer = await issue({
    subject: "CN=zk01.cluster.local",
    dnsNames: ["zk01.cluster.local"],
    issuer: intermediate,
  });
  [jksKeystore, jksTruststore, jceksKeystore, jceksSecretsOnly] = await Promise.all([
    javaKeystore({
      type: "JKS",
      password: PASSWORD,
      privateKey: { alias: "flink", chain: [leaf, intermediate] },
      trusted: [{ alias: "root", certificate: root }],
    }),
    javaKeystore({
      type: "JKS",
      password: PASSWORD,
      trusted: [
        { alias: "root", certificate: root },
        { alias: "zk01", certificate: peer },
      ],
    }),
    javaKeystore({
      type: "JCEKS",
      password: ASCII_PASSWORD,
      secretKey: "hadoop.credential",
      privateKey: { alias: "flink", chain: [leaf, intermediate] },
      trusted: [{ alias: "root", certificate: root }],
    }),
    javaKeystore({ type: "JCEKS", password: ASCII_PASSWORD, secretKey: "ssl.server.keystore.password" }),
  ]);
});

function subjectsOf(result: ReadResult): string[] {
  if (result.status !== "ok") throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.certificates.map((c) => c.subject).sort();
}

describe("readCertificates: Java keystores", () => {
  it("reads every certificate of a JKS keystore: the key entry's chain and the trusted entries", async () => {
    // Act
    const result = await readCertificates(jksKeystore, "keystore.jks", { pkcs12Password: PASSWORD });

    // Assess
    expect(result).toMatchObject({ status: "ok", format: "jks", integrity: "verified" });
    expect(subjectsOf(result)).toEqual([intermediate, leaf, root].map((c) => c.cert.subject).sort());
    expect(result.status === "ok" && result.problems).toBeUndefined();
  });

  it("reads a JKS truststore's trusted certificates", async () => {
    // Act
    const result = await readCertificates(jksTruststore, "truststore.jks", { pkcs12Password: PASSWORD });

    // Assess
    expect(subjectsOf(result)).toEqual([peer, root].map((c) => c.cert.subject).sort());
  });

  it("reads a JCEKS keystore, stepping over its secret-key entry", async () => {
    // Act
    const result = await readCertificates(jceksKeystore, "keystore.jceks", {
      pkcs12Password: ASCII_PASSWORD,
    });

    // Assess
    expect(result).toMatchObject({ status: "ok", format: "jceks", integrity: "verified" });
    expect(subjectsOf(result)).toEqual([intermediate, leaf, root].map((c) => c.cert.subject).sort());
  });

  it("reads certificates without the password, and says integrity was not checked", async () => {
    // Act
    const jks = await readCertificates(jksKeystore, "keystore.jks");
    const jceks = await readCertificates(jceksKeystore, "keystore.jceks");

    // Assess
    expect(jks).toMatchObject({ status: "ok", integrity: "not-checked" });
    expect(jceks).toMatchObject({ status: "ok", integrity: "not-checked" });
    expect(subjectsOf(jks)).toHaveLength(3);
  });

  it("keeps the certificates when the password does not match, and reports the failed integrity check", async () => {
    // Act
    const result = await readCertificates(jksKeystore, "keystore.jks", { pkcs12Password: "wrong-password" });

    // Assess
    expect(result).toMatchObject({ status: "ok", integrity: "mismatch" });
    expect(subjectsOf(result)).toHaveLength(3);
    expect(result.status === "ok" && result.problems).toEqual([
      expect.objectContaining({
        reason: "bad-password",
        detail: expect.stringContaining("integrity check fails"),
      }),
    ]);
    expect(JSON.stringify(result)).not.toContain("wrong-password");
  });

  it("says a JCEKS file of secret keys only holds no certificate", async () => {
    // Act
    const result = await readCertificates(jceksSecretsOnly, "credentials.jceks", {
      pkcs12Password: ASCII_PASSWORD,
    });

    // Assess
    expect(result).toEqual({
      status: "not-certificate",
      detail: "a JCEKS keystore holding 1 secret key(s) and no certificate",
    });
  });

  it("reports a truncated keystore as damaged", async () => {
    // Act
    const result = await readCertificates(jksKeystore.subarray(0, 200), "cut.jks");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-keystore", format: "jks" });
  });

  it("reports as damaged a truncated keystore whose certificate declares 0x7fffffff bytes", async () => {
    // Prepare: keytool's truststore, the certificate's length field set to 2^31-1, the digest cut off
    const store = Buffer.from(jksTruststore);
    const at = store.indexOf(Buffer.from(root.der));
    const crafted = Buffer.from(store.subarray(0, at + root.der.length));
    crafted.writeUInt32BE(0x7fffffff, at - 4);

    // Act
    const result = await readCertificates(crafted, "cut.jks");

    // Assess: before, the bytes that remained were read as a healthy certificate
    expect(result).toEqual({
      status: "unreadable",
      format: "jks",
      reason: "bad-keystore",
      detail: `the JKS keystore ends before all its entries are read (truncated?): they declare ${(at + 0x7fffffff + 20).toLocaleString("en-US")} bytes, the file has ${crafted.length.toLocaleString("en-US")}`,
    });
  });

  it("refuses a crafted entry count before reading any entry", async () => {
    // Prepare: 2^32-1 entries claimed by a 32-byte file
    const crafted = Buffer.alloc(32);
    crafted.writeUInt32BE(0xfeedfeed, 0);
    crafted.writeUInt32BE(2, 4);
    crafted.writeUInt32BE(0xffffffff, 8);

    // Act
    const result = await readCertificates(crafted, "crafted.jks");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-keystore" });
    expect(result.status === "unreadable" && result.detail).toContain("4,294,967,295 entries");
  });

  it("recognises keystores in a directory walk by their magic number", () => {
    expect(looksLikeCertificateMaterial(jksKeystore)).toBe(true);
    expect(looksLikeCertificateMaterial(jceksKeystore)).toBe(true);
  });
});

describe("keystore entries: what a person looks for, and which certificate is the service's own", () => {
  it("names each certificate's entry: the alias, a key entry's chain position, a trusted entry", async () => {
    // Act
    const result = await readCertificates(jksKeystore, "flink.jks", { pkcs12Password: PASSWORD });

    // Assess
    if (result.status !== "ok") throw new Error(result.status);
    expect(result.certificates.map((c) => [c.subject, c.entry]).sort()).toEqual([
      [
        "CN=Watchpost Test Intermediate CA, O=watchpost",
        { alias: "flink", kind: "private-key", position: 1 },
      ],
      ["CN=Watchpost Test Root CA, O=watchpost", { alias: "root", kind: "trusted-certificate", position: 0 }],
      ["CN=flink01.cluster.local", { alias: "flink", kind: "private-key", position: 0 }],
    ]);
  });

  it("names the entry of a PKCS#12 file by its friendlyName (openssl pkcs12 -name), the key's own by its localKeyId", async () => {
    // Prepare
    const file = await legacyPkcs12([leaf, intermediate], ASCII_PASSWORD);

    // Act
    const result = await readCertificates(file, "server.p12", { pkcs12Password: ASCII_PASSWORD });

    // Assess: the chain's CA certificate belongs to no entry of its own
    if (result.status !== "ok") throw new Error(result.status);
    expect(result.certificates.map((c) => [c.subject, c.entry])).toEqual([
      ["CN=flink01.cluster.local", { alias: "server", kind: "private-key", position: 0 }],
      ["CN=Watchpost Test Intermediate CA, O=watchpost", undefined],
    ]);
  });

  it("checks the name of a key entry's own certificate even when it is a CA certificate, and names the alias", async () => {
    // Prepare: a self-signed CA:TRUE certificate as the key's certificate, as `openssl req -x509` makes
    const self = await issue({
      subject: "CN=right.cluster.local",
      dnsNames: ["right.cluster.local"],
      isCA: true,
    });
    const store = await javaKeystore({
      type: "JKS",
      password: PASSWORD,
      privateKey: { alias: "node", chain: [self] },
    });

    // Act
    const outcome = await scanFile(
      { file: "node.jks", explicit: true, load: async () => ({ ok: true, bytes: store }) },
      {
        policy: { ...DEFAULT_POLICY, now: new Date(), expectedHosts: ["wrong.cluster.local"] },
        pkcs12Password: PASSWORD,
      },
    );

    // Assess
    expect(
      outcome.findings.map((f) => [f.check, f.source, f.message, f.details?.alias, f.details?.format]),
    ).toEqual([
      [
        "hostname-mismatch",
        "node.jks#0",
        'Names in certificate do not match: certificate "CN=right.cluster.local" (keystore alias "node") names right.cluster.local; expected wrong.cluster.local. Clients connecting to that name reject it. Re-issue the certificate with every expected name in its Subject Alternative Names.',
        "node",
        "jks",
      ],
    ]);
  });
});

describe("readCertificates: legacy PKCS#12", () => {
  it.each([
    ["rc2-40" as const, "openssl pkcs12 -export -legacy, Java 8 keytool, Windows"],
    ["rc2-128" as const, "RC2-128"],
    ["3des" as const, "3DES"],
  ])("reads a file whose certificates are encrypted with %s (%s)", async (certificateCipher, _writer) => {
    // Prepare
    const file = await legacyPkcs12([leaf, intermediate], PASSWORD, { certificateCipher });

    // Act
    const result = await readCertificates(file, "legacy.p12", { pkcs12Password: PASSWORD });

    // Assess
    expect(result).toMatchObject({ status: "ok", format: "pkcs12" });
    expect(subjectsOf(result)).toEqual([intermediate, leaf].map((c) => c.cert.subject).sort());
  });

  it("says a wrong password does not match an RC2 file (its SHA-1 MAC fails), without revealing it", async () => {
    // Prepare
    const file = await legacyPkcs12([leaf], PASSWORD);

    // Act
    const wrong = await readCertificates(file, "legacy.p12", { pkcs12Password: "not-it-at-all" });

    // Assess
    expect(wrong).toMatchObject({ status: "unreadable", reason: "bad-password" });
    expect(JSON.stringify(wrong)).not.toContain("not-it-at-all");
  });

  it("reads a file without a MAC, whose certificates OpenSSL then leaves unencrypted, with any password", async () => {
    // Prepare
    const file = await legacyPkcs12([leaf], PASSWORD, { mac: false });

    // Act
    const result = await readCertificates(file, "nomac.p12", { pkcs12Password: "another" });

    // Assess
    expect(subjectsOf(result)).toEqual([leaf.cert.subject]);
  });
});
