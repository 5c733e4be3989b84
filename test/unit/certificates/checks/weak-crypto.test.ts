import { describe, expect, it } from "vitest";
import {
  type ParsedCertificate,
  parseCertificate,
} from "../../../../functions/core/certificates/certificate";
import { DEFAULT_POLICY, evaluateCertificates } from "../../../../functions/core/certificates/evaluate";
import { asRawIssuer, issue, issueRaw, type KeySpec } from "../../../support/pki";

function weakFindings(...certs: ParsedCertificate[]) {
  return evaluateCertificates(certs, { ...DEFAULT_POLICY, now: new Date() }).filter(
    (f) => f.check === "weak-crypto",
  );
}

function parsed(der: Uint8Array, index = 0) {
  return parseCertificate(der, "certs/legacy.pem", index);
}

describe("weak-crypto", () => {
  it("flags an RSA key under 2048 bits", async () => {
    // Prepare
    const cert = parsed((await issue({ subject: "CN=old.example.com", key: "rsa1024" })).der);

    // Act
    const [finding] = weakFindings(cert);

    // Assess
    expect(finding).toMatchObject({
      check: "weak-crypto",
      alarmId: "1006",
      severity: "minor",
      source: "certs/legacy.pem#0",
      details: { reasons: ["rsa-key-too-small"], keyType: "rsa", keyBits: 1024 },
    });
    expect(finding?.message).toContain(
      '"CN=old.example.com" uses weak cryptography: RSA key of 1024 bits (minimum 2048)',
    );
  });

  it.each(["rsa2048", "p256", "p384"] as const)("accepts a %s key signed with SHA-256", async (key) => {
    // Prepare
    const cert = parsed((await issue({ key })).der);

    // Act
    const findings = weakFindings(cert);

    // Assess
    expect(findings).toEqual([]);
  });

  it("flags a SHA-1 signature on a leaf but not on the self-signed root that issued it", async () => {
    // Prepare
    const root = await issue({ subject: "CN=Old Root", isCA: true, hash: "SHA-1" });
    const leaf = await issue({ subject: "CN=leaf.example.com", issuer: root, hash: "SHA-1" });

    // Act
    const findings = weakFindings(parsed(leaf.der, 0), parsed(root.der, 1));

    // Assess
    expect(findings.map((f) => [f.source, f.details?.reasons])).toEqual([
      ["certs/legacy.pem#0", ["weak-signature-hash"]],
    ]);
    expect(findings[0]?.message).toContain("signed with ecdsa-with-SHA1 (SHA-1 signatures can be forged)");
  });

  it("flags an MD5 signature", async () => {
    // Prepare
    const root = asRawIssuer(await issue({ subject: "CN=Root", isCA: true, key: "rsa2048" }));
    const cert = parsed(issueRaw({ subject: "CN=md5.example.com", issuer: root, hash: "md5" }).der);

    // Act
    const [finding] = weakFindings(cert);

    // Assess
    expect(finding?.details).toMatchObject({
      reasons: ["weak-signature-hash"],
      signatureAlgorithm: "md5WithRSAEncryption",
      signatureHash: "md5",
    });
  });

  it("flags an EC key on a curve under 256 bits", () => {
    // Prepare
    const cert = parsed(issueRaw({ key: "secp224r1" }).der);

    // Act
    const [finding] = weakFindings(cert);

    // Assess
    expect(finding?.details).toMatchObject({
      reasons: ["ec-key-too-small"],
      curve: "secp224r1",
      keyBits: 224,
    });
    expect(finding?.message).toContain("EC key on secp224r1 of 224 bits (minimum 256)");
  });

  it("flags any DSA key", () => {
    // Prepare
    const cert = parsed(issueRaw({ key: "dsa2048" }).der);

    // Act
    const [finding] = weakFindings(cert);

    // Assess
    expect(finding?.details).toMatchObject({ reasons: ["dsa-key"], keyType: "dsa" });
  });

  it("lists every weakness of one certificate in a single finding", async () => {
    // Prepare
    const root = asRawIssuer(await issue({ subject: "CN=Root", isCA: true }));
    const cert = parsed(issueRaw({ key: "rsa1024", issuer: root, hash: "sha1" }).der);

    // Act
    const findings = weakFindings(cert);

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]?.details?.reasons).toEqual(["rsa-key-too-small", "weak-signature-hash"]);
  });

  it("raises nothing for a key it cannot identify", async () => {
    // Prepare
    const cert = { ...parsed((await issue()).der), publicKey: { type: "unknown" } };

    // Act
    const findings = weakFindings(cert);

    // Assess
    expect(findings).toEqual([]);
  });

  // NIST SP 800-57 Part 1 Rev. 5, Tables 2 and 4: RSA under 3072 bits (112-bit security) is
  // acceptable for signing through 2030 and disallowed from 2031.
  it.each<[string, KeySpec, string, { severity: string; reasons: string[]; message: string } | undefined]>([
    ["RSA-2048 that expires on the last second of 2030", "rsa2048", "2030-12-31T23:59:59Z", undefined],
    [
      "RSA-2048 valid one second into 2031",
      "rsa2048",
      "2031-01-01T00:00:00Z",
      {
        severity: "warning",
        reasons: ["rsa-key-too-small-after-2030"],
        message:
          'Certificate "CN=long.example.com" uses weak cryptography: RSA key of 2048 bits valid until 2031-01-01T00:00:00Z, past 2030-12-31, after which NIST disallows RSA under 3072 bits for signing (SP 800-57 Part 1 Rev. 5). Re-issue it before 2031 with an RSA key of at least 3072 bits or an EC key on P-256 or larger.',
      },
    ],
    ["RSA-3072 valid into 2040", "rsa3072", "2040-06-01T00:00:00Z", undefined],
    ["P-256 valid into 2040", "p256", "2040-06-01T00:00:00Z", undefined],
  ])("judges %s", async (_, key, notAfter, expected) => {
    // Prepare
    const cert = parsed(
      (await issue({ subject: "CN=long.example.com", key, notAfter: new Date(notAfter) })).der,
    );

    // Act
    const [finding] = weakFindings(cert);

    // Assess
    expect(
      finding && {
        severity: finding.severity,
        reasons: finding.details?.reasons,
        message: finding.message,
      },
    ).toEqual(expected);
  });

  it("keeps the severity of a real weakness when the key is also too small for after 2030", async () => {
    // Prepare
    const root = await issue({ subject: "CN=Old Root", isCA: true });
    const leaf = await issue({
      subject: "CN=both.example.com",
      issuer: root,
      key: "rsa2048",
      hash: "SHA-1",
      notAfter: new Date("2032-01-01T00:00:00Z"),
    });

    // Act
    const [finding] = weakFindings(parsed(leaf.der));

    // Assess
    expect(finding).toMatchObject({
      severity: "minor",
      details: { reasons: ["rsa-key-too-small-after-2030", "weak-signature-hash"] },
    });
    expect(finding?.message).toContain("Re-issue it with an RSA key of at least 3072 bits");
  });
});
