import { beforeAll, describe, expect, it } from "vitest";
import {
  looksLikeCertificateMaterial,
  type ReadResult,
  readCertificates,
} from "../../../functions/core/certificates/reader";
import { UNREADABLE_REASONS } from "../../../functions/core/contracts";
import { chain, type Issued, issue, pemOf, pkcs7Der, privateKeyPem } from "../../support/pki";

const text = (value: string) => new Uint8Array(Buffer.from(value, "utf8"));

function certificatesOf(result: ReadResult) {
  if (result.status !== "ok") throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.certificates;
}

let root: Issued;
let intermediate: Issued;
let leaf: Issued;

beforeAll(async () => {
  ({ root, intermediate, leaf } = await chain("node1.cluster.local"));
});

describe("readCertificates: PEM", () => {
  it("reads a single certificate and names it <file>#0", async () => {
    // Act
    const result = await readCertificates(text(leaf.pem), "certs/leaf.pem");

    // Assess
    expect(result).toMatchObject({ status: "ok", format: "pem" });
    const [certificate] = certificatesOf(result);
    expect(certificate?.source).toBe("certs/leaf.pem#0");
    expect(certificate?.subject).toBe("CN=node1.cluster.local");
    expect("problems" in result).toBe(false);
  });

  it("reads a bundle in file order with indexes 0..n-1", async () => {
    // Prepare
    const bundle = [leaf.pem, intermediate.pem, root.pem].join("");

    // Act
    const certificates = certificatesOf(await readCertificates(text(bundle), "bundle.pem"));

    // Assess
    expect(certificates.map((c) => [c.index, c.subject])).toEqual([
      [0, "CN=node1.cluster.local"],
      [1, "CN=Watchpost Test Intermediate CA, O=watchpost"],
      [2, "CN=Watchpost Test Root CA, O=watchpost"],
    ]);
  });

  it("ignores openssl x509 -text output, subject=/issuer= lines and bag attributes around the blocks", async () => {
    // Prepare
    const file = [
      "Bag Attributes",
      "    friendlyName: node1",
      "    localKeyID: 01 02 03 04",
      "subject=CN = node1.cluster.local",
      "issuer=CN = Watchpost Test Intermediate CA, O = watchpost",
      leaf.pem,
      "Certificate:",
      "    Data:",
      "        Version: 3 (0x2)",
      "        Serial Number: 1a:2b (-----not a marker)",
      "    Signature Algorithm: ecdsa-with-SHA256",
      intermediate.pem,
    ].join("\n");

    // Act
    const certificates = certificatesOf(await readCertificates(text(file), "annotated.crt"));

    // Assess
    expect(certificates.map((c) => c.commonNames[0])).toEqual([
      "node1.cluster.local",
      "Watchpost Test Intermediate CA",
    ]);
  });

  it("accepts CRLF endings, blank lines and whitespace inside the base64", async () => {
    // Prepare
    const crlf = pemOf("CERTIFICATE", leaf.der, "\r\n");
    const lines = crlf.split("\r\n");
    const spaced = [lines[0], "", `  ${lines[1]}  `, "\t", ...lines.slice(2)].join("\r\n");

    // Act
    const result = await readCertificates(
      text(`\r\n\r\n${spaced}\r\n\r\n${pemOf("CERTIFICATE", root.der, "\r\n")}`),
      "w.pem",
    );

    // Assess
    expect(certificatesOf(result).map((c) => c.sha256)).toHaveLength(2);
    expect(certificatesOf(result)[0]?.der).toEqual(leaf.der);
  });

  it("reads PEM whose line breaks were lost (pasted into one line)", async () => {
    // Act
    const result = await readCertificates(text(leaf.pem.replace(/\n/g, " ")), "one-line.pem");

    // Assess
    expect(certificatesOf(result)).toHaveLength(1);
  });

  it("reads X509 CERTIFICATE and TRUSTED CERTIFICATE blocks, dropping OpenSSL's trailing aux data", async () => {
    // Prepare: X509_CERT_AUX is a SEQUENCE after the certificate (trust OIDs)
    const aux = Buffer.from("300c300a06082b06010505070301", "hex");
    const trusted = pemOf("TRUSTED CERTIFICATE", Buffer.concat([leaf.der, aux]));

    // Act
    const result = await readCertificates(text(pemOf("X509 CERTIFICATE", root.der) + trusted), "trusted.pem");

    // Assess
    const certificates = certificatesOf(result);
    expect(certificates.map((c) => c.sha256)).toEqual([
      certificatesOf(await readCertificates(root.der, "r"))[0]?.sha256,
      certificatesOf(await readCertificates(leaf.der, "l"))[0]?.sha256,
    ]);
  });

  it("keeps the good certificates and reports the broken block by its number", async () => {
    // Prepare: block 2 has a corrupted body, block 4 is cut off
    const broken = pemOf("CERTIFICATE", leaf.der).replace(/^(.{40})[A-Za-z0-9]/m, "$1!");
    const truncated = root.pem.slice(0, 200);
    const file = [leaf.pem, broken, intermediate.pem, truncated].join("");

    // Act
    const result = await readCertificates(text(file), "mixed.pem");

    // Assess
    expect(result.status).toBe("ok");
    expect(certificatesOf(result).map((c) => [c.source, c.commonNames[0]])).toEqual([
      ["mixed.pem#0", "node1.cluster.local"],
      ["mixed.pem#1", "Watchpost Test Intermediate CA"],
    ]);
    const problems = result.status === "ok" ? (result.problems ?? []) : [];
    expect(problems.map((p) => p.reason)).toEqual(["bad-pem", "bad-pem"]);
    expect(problems[0]?.detail).toContain("PEM block 2 (CERTIFICATE)");
    expect(problems[0]?.detail).toContain("base64");
    expect(problems[1]?.detail).toContain("PEM block 4 (CERTIFICATE)");
    expect(problems[1]?.detail).toContain("no END line");
  });

  it("reports a file whose only certificate block is broken as unreadable bad-pem", async () => {
    // Prepare: valid base64 that decodes to something that is not a certificate
    const notACertificate = pemOf("CERTIFICATE", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]));

    // Act
    const result = await readCertificates(text(notACertificate), "x.pem");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-pem", format: "pem" });
    expect(result.status === "unreadable" && result.detail).toContain("PEM block 1 (CERTIFICATE)");
  });

  it("reports a truncated DER body inside a PEM block as bad-pem", async () => {
    // Act
    const result = await readCertificates(text(pemOf("CERTIFICATE", leaf.der.subarray(0, 120))), "cut.pem");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-pem" });
    expect(result.status === "unreadable" && result.detail).toMatch(/PEM block 1 .*not valid DER/);
  });

  it("says a key-only PEM holds no certificate", async () => {
    // Act
    const result = await readCertificates(text(await privateKeyPem(leaf.keys)), "server.key");

    // Assess
    expect(result).toEqual({ status: "not-certificate", detail: "PEM with PRIVATE KEY and no certificate" });
  });

  it("reads the certificate next to its key and ignores the key", async () => {
    // Act
    const result = await readCertificates(text((await privateKeyPem(leaf.keys)) + leaf.pem), "combined.pem");

    // Assess
    expect(certificatesOf(result).map((c) => c.source)).toEqual(["combined.pem#0"]);
  });

  it("reports PEM blocks of unknown kinds as unsupported-format", async () => {
    // Act
    const result = await readCertificates(text(pemOf("PGP MESSAGE", new Uint8Array([1, 2, 3]))), "x.asc");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "unsupported-format" });
    expect(result.status === "unreadable" && result.detail).toContain("PGP MESSAGE");
  });

  it("reads UTF-8 subjects, and PEM saved as UTF-16 with a byte order mark", async () => {
    // Prepare
    const utf8 = await issue({ subject: "CN=сервер.example,O=Ünïcødé 株式会社" });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf8.pem, "utf16le")]);

    // Act
    const fromUtf8 = certificatesOf(await readCertificates(text(utf8.pem), "u.pem"));
    const fromUtf16 = certificatesOf(await readCertificates(new Uint8Array(utf16), "u16.pem"));

    // Assess
    expect(fromUtf8[0]?.subject).toBe("CN=сервер.example, O=Ünïcødé 株式会社");
    expect(fromUtf16[0]?.sha256).toBe(fromUtf8[0]?.sha256);
  });
});

describe("readCertificates: DER and PKCS#7", () => {
  it("reads a DER certificate", async () => {
    // Act
    const result = await readCertificates(leaf.der, "leaf.cer");

    // Assess
    expect(result).toMatchObject({ status: "ok", format: "der" });
    expect(certificatesOf(result)[0]?.der).toEqual(leaf.der);
  });

  it("reads DER certificates written back to back", async () => {
    // Act
    const result = await readCertificates(new Uint8Array(Buffer.concat([leaf.der, root.der])), "two.der");

    // Assess
    expect(certificatesOf(result).map((c) => c.index)).toEqual([0, 1]);
  });

  it("reports a truncated DER certificate as bad-der", async () => {
    // Act
    const result = await readCertificates(leaf.der.subarray(0, leaf.der.length - 10), "cut.der");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-der" });
  });

  it("reports garbage that starts like DER as bad-der", async () => {
    // Act
    const result = await readCertificates(text("0 = zero, which is 0x30"), "notes.txt");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "bad-der" });
  });

  it("reads a PKCS#7 bundle in DER and in PEM, in order", async () => {
    // Prepare
    const der = pkcs7Der([leaf.der, intermediate.der, root.der]);

    // Act
    const fromDer = await readCertificates(der, "bundle.p7c");
    const fromPem = await readCertificates(text(pemOf("PKCS7", der)), "bundle.p7b");

    // Assess
    expect(fromDer).toMatchObject({ status: "ok", format: "pkcs7-der" });
    expect(fromPem).toMatchObject({ status: "ok", format: "pkcs7-pem" });
    for (const result of [fromDer, fromPem]) {
      expect(certificatesOf(result).map((c) => c.der)).toEqual([leaf.der, intermediate.der, root.der]);
    }
  });

  it("reads a large PKCS#7 bundle whole (more elements than a default asn1js tree allows)", async () => {
    // Prepare: ~200 certificates hold over 10,000 ASN.1 elements
    const many = Array.from({ length: 200 }, (_, i) => (i % 2 ? root.der : leaf.der));

    // Act
    const result = await readCertificates(pkcs7Der(many), "ca-bundle.p7b");

    // Assess
    expect(certificatesOf(result)).toHaveLength(200);
    expect(certificatesOf(result)[199]?.source).toBe("ca-bundle.p7b#199");
  });

  it("says a PKCS#7 without certificates holds none", async () => {
    // Act
    const result = await readCertificates(pkcs7Der([]), "empty.p7b");

    // Assess
    expect(result.status).toBe("not-certificate");
  });

  it("says a DER private key holds no certificate", async () => {
    // Prepare
    const pem = await privateKeyPem(leaf.keys);
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");

    // Act
    const result = await readCertificates(new Uint8Array(der), "server.key.der");

    // Assess
    expect(result).toMatchObject({ status: "not-certificate" });
    expect(result.status === "not-certificate" && result.detail).toContain("private key");
  });
});

describe("readCertificates: files that are not certificates", () => {
  it.each([
    ["0 bytes", new Uint8Array(0), "empty (0 bytes)"],
    ["whitespace", text(" \r\n\t\n  "), "only whitespace"],
    ["NUL bytes", new Uint8Array(64), "only NUL bytes"],
  ])("reports %s as empty", async (_name, bytes, detail) => {
    // Act
    const result = await readCertificates(bytes, "f");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "empty" });
    expect(result.status === "unreadable" && result.detail).toContain(detail);
  });

  it.each([
    ["plain text", text("# Certificates\nPut them here.\n"), "no -----BEGIN line"],
    ["random binary", new Uint8Array([0x01, 0x02, 0x03, 0x04, 0xff]), "binary data"],
    ["an OpenSSH key", text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA me@host\n"), "OpenSSH"],
  ])("reports %s as unsupported-format and says what it looks like", async (_name, bytes, detail) => {
    // Act
    const result = await readCertificates(bytes, "f");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "unsupported-format" });
    expect(result.status === "unreadable" && result.detail).toContain(detail);
  });

  it("hints at the missing armour for bare base64 of a certificate", async () => {
    // Act
    const result = await readCertificates(text(Buffer.from(leaf.der).toString("base64")), "bare.b64");

    // Assess
    expect(result).toMatchObject({ status: "unreadable", reason: "unsupported-format" });
    expect(result.status === "unreadable" && result.detail).toContain("without PEM BEGIN/END lines");
  });

  it("only ever reports reasons of the contract", async () => {
    // Act
    const results = await Promise.all(
      [
        new Uint8Array([0x30]),
        new Uint8Array([0x30, 0x80]),
        text("-----BEGIN"),
        text("-----END CERTIFICATE-----"),
      ].map((bytes) => readCertificates(bytes, "f")),
    );

    // Assess
    for (const result of results) {
      expect(result.status).toBe("unreadable");
      if (result.status === "unreadable") expect(UNREADABLE_REASONS).toContain(result.reason);
    }
  });
});

describe("looksLikeCertificateMaterial", () => {
  it("recognises PEM (also UTF-16) and DER, and skips other files", async () => {
    expect(looksLikeCertificateMaterial(text(`notes\n${leaf.pem}`))).toBe(true);
    expect(looksLikeCertificateMaterial(new Uint8Array(Buffer.from(leaf.pem, "utf16le")))).toBe(true);
    expect(looksLikeCertificateMaterial(leaf.der)).toBe(true);
    expect(looksLikeCertificateMaterial(text("# README\nNothing here.\n"))).toBe(false);
    expect(looksLikeCertificateMaterial(new Uint8Array(0))).toBe(false);
  });
});
