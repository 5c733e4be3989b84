import { describe, expect, it } from "vitest";
import { daysBetween, parseCertificate } from "../../../functions/core/certificates/certificate";
import { DAY, issue } from "../../support/pki";

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

  it("rejects bytes that are not a certificate", () => {
    expect(() => parseCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3]), "x", 0)).toThrow();
  });

  it("counts days left with one decimal, negative once expired", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(daysBetween(now, new Date("2026-01-11T12:00:00Z"))).toBe(10.5);
    expect(daysBetween(now, new Date("2025-12-31T00:00:00Z"))).toBe(-1);
  });
});
