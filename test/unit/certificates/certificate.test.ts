import { describe, expect, it } from "vitest";
import { daysBetween, parseCertificate } from "../../../functions/core/certificates/certificate";
import { readCertificates } from "../../../functions/core/certificates/reader";
import { attribute, craftCertificate, judge, OIDS, STRING_TAG } from "../../support/hostile-corpus";
import { DAY, issue, pemOf } from "../../support/pki";

describe("parseCertificate", () => {
  it("describes names, key, signature and validity of a generated certificate", async () => {
    // Prepare
    const notAfter = new Date(Date.now() + 10 * DAY);
    const { der } = await issue({
      subject: "CN=api.example.com,O=Ünïcødé Ltd",
      dnsNames: ["api.example.com", "*.api.example.com"],
      ipAddresses: ["10.0.0.1"],
      key: "rsa2048",
      notAfter,
    });

    // Act
    const cert = parseCertificate(der, "certs/api.pem", 2);

    // Assess
    expect(cert.source).toBe("certs/api.pem#2");
    expect(cert.commonNames).toEqual(["api.example.com"]);
    expect(cert.subject).toContain("Ünïcødé Ltd");
    expect(cert.dnsNames).toEqual(["api.example.com", "*.api.example.com"]);
    expect(cert.ipAddresses).toEqual(["10.0.0.1"]);
    expect(cert.publicKey).toMatchObject({ type: "rsa", bits: 2048 });
    expect(cert.signatureAlgorithm).toMatchObject({ name: "sha256WithRSAEncryption", hash: "sha256" });
    expect(cert.selfIssued).toBe(true);
    expect(cert.isCA).toBe(false);
    expect(cert.notAfter.getTime()).toBe(Math.floor(notAfter.getTime() / 1000) * 1000);
    expect(cert.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("takes a certificate whose subject and issuer are the same name in different encodings as self-issued (RFC 5280 §7.1)", async () => {
    // Prepare: PrintableString "Hostile Root" as subject, UTF8String "hostile  root" as issuer;
    // the bytes differ, the names compare equal (case folded, white space collapsed)
    const der = craftCertificate({
      subject: [attribute(OIDS.commonName, STRING_TAG.printable, "Hostile Root")],
      issuer: [attribute(OIDS.commonName, STRING_TAG.utf8, "hostile  root")],
    });
    const anchor = craftCertificate({ subject: [attribute(OIDS.commonName, STRING_TAG.utf8, "Other CA")] });

    // Act
    const cert = parseCertificate(der, "root.der", 0);
    const judged = await judge(der, "root.der", {
      trustAnchors: [parseCertificate(anchor, "ca.der", 0)],
    });

    // Assess: before, the re-serialized bytes were compared, and the chain check said the CAs
    // sign each other in a loop
    expect(cert.selfIssued).toBe(true);
    const chain = judged.findings.find((finding) => finding.check === "untrusted-chain");
    expect(chain?.details?.reason).toBe("self-signed-untrusted");
    expect(chain?.message).toContain("is self-signed and is not one of the trusted CA certificates");
  });

  it("describes a certificate met again in another file as found there", async () => {
    // Prepare: the same certificate in two files, and the same broken one twice
    const { der } = await issue({ subject: "CN=shared.example.com" });
    const broken = der.subarray(0, der.length - 10);
    const pem = pemOf("CERTIFICATE", der);

    // Act
    const first = await readCertificates(new TextEncoder().encode(pem), "a.pem");
    const second = await readCertificates(new TextEncoder().encode(`${pem}${pem}`), "b.pem");
    const again = parseCertificate(der, "c.der", 4);

    // Assess
    if (first.status !== "ok" || second.status !== "ok") throw new Error("not read");
    expect(first.certificates.map((c) => c.source)).toEqual(["a.pem#0"]);
    expect(second.certificates.map((c) => c.source)).toEqual(["b.pem#0", "b.pem#1"]);
    expect(again).toMatchObject({ source: "c.der#4", file: "c.der", index: 4 });
    expect(again.sha256).toBe(first.certificates[0]?.sha256);
    const failures = [0, 1].map(() => {
      try {
        parseCertificate(broken, "broken.der", 0);
        return "read";
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(failures[0]).not.toBe("read");
    expect(failures[1]).toBe(failures[0]);
  });

  it("rejects bytes that are not a certificate", () => {
    expect(() => parseCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3]), "x", 0)).toThrow();
  });

  it("counts days left with one decimal, negative once expired", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(daysBetween(now, new Date("2026-01-11T12:00:00Z"))).toBe(10.5);
    expect(daysBetween(now, new Date("2025-12-31T00:00:00Z"))).toBe(-1);
  });
});
