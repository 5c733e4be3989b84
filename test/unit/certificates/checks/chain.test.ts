import { describe, expect, it } from "vitest";
import {
  type ParsedCertificate,
  parseCertificate,
} from "../../../../functions/core/certificates/certificate";
import { MAX_CHAIN_LENGTH } from "../../../../functions/core/certificates/checks/chain";
import { DEFAULT_POLICY, evaluateCertificates } from "../../../../functions/core/certificates/evaluate";
import { asRawIssuer, chain, DAY, type Issued, issue, issueRaw } from "../../../support/pki";

const ROOT = "CN=Watchpost Test Root CA,O=watchpost";
const INTERMEDIATE = "CN=Watchpost Test Intermediate CA,O=watchpost";

function parsed(file: string, ...issued: { der: Uint8Array }[]): ParsedCertificate[] {
  return issued.map(({ der }, index) => parseCertificate(der, file, index));
}

function chainFindings(certs: ParsedCertificate[], trustAnchors: ParsedCertificate[], now = new Date()) {
  return evaluateCertificates(certs, { ...DEFAULT_POLICY, now, trustAnchors }).filter(
    (f) => f.check === "untrusted-chain",
  );
}

describe("untrusted-chain", () => {
  it("trusts a leaf whose intermediate is in the file and whose root is an anchor", async () => {
    // Prepare
    const { root, intermediate, leaf } = await chain();

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf, intermediate), parsed("ca.pem", root));

    // Assess
    expect(findings).toEqual([]);
  });

  it("finds intermediates in any order and skips certificates that do not belong", async () => {
    // Prepare
    const { root, intermediate, leaf } = await chain();
    const stranger = await issue({ subject: "CN=Somebody Else CA", isCA: true });

    // Act
    const findings = chainFindings(parsed("tls.pem", intermediate, stranger, leaf), parsed("ca.pem", root));

    // Assess
    expect(findings).toEqual([]);
  });

  it("reports a missing intermediate as the leaf having no issuer", async () => {
    // Prepare
    const { root, leaf } = await chain("node1.cluster.local");

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf), parsed("ca.pem", root));

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      alarmId: "1005",
      severity: "major",
      source: "tls.pem#0",
      details: {
        reason: "no-issuer",
        linkIndex: 0,
        linkSubject: "CN=node1.cluster.local",
        linkSource: "tls.pem#0",
      },
    });
    expect(findings[0]?.message).toContain(
      `no issuer found for "CN=node1.cluster.local": no certificate named "${INTERMEDIATE.replace(",", ", ")}"`,
    );
    expect(findings[0]?.message).toContain("Add the missing intermediate CA certificate");
  });

  it("names an expired intermediate as the failing link", async () => {
    // Prepare
    const root = await issue({ subject: ROOT, isCA: true });
    const expiredOn = new Date(Date.now() - 2 * DAY);
    const intermediate = await issue({
      subject: INTERMEDIATE,
      isCA: true,
      issuer: root,
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: expiredOn,
    });
    const leaf = await issue({ subject: "CN=node1", dnsNames: ["node1"], issuer: intermediate });

    // Act
    const findings = evaluateCertificates(parsed("tls.pem", leaf, intermediate), {
      ...DEFAULT_POLICY,
      now: new Date(),
      trustAnchors: parsed("ca.pem", root),
    });

    // Assess
    const chainFinding = findings.find((f) => f.check === "untrusted-chain");
    expect(chainFinding).toMatchObject({
      source: "tls.pem#0",
      severity: "major",
      details: {
        reason: "issuer-expired",
        linkIndex: 1,
        linkSubject: INTERMEDIATE.replace(",", ", "),
        linkSource: "tls.pem#1",
      },
    });
    expect(chainFinding?.message).toContain(
      `intermediate "${INTERMEDIATE.replace(",", ", ")}" (tls.pem#1) expired on`,
    );
    expect(findings.find((f) => f.source === "tls.pem#1")?.check).toBe("expired");
  });

  it("names an expired trusted root as the failing link", async () => {
    // Prepare
    const root = await issue({
      subject: ROOT,
      isCA: true,
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const leaf = await issue({ subject: "CN=node1", issuer: root });

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf), parsed("ca.pem", root));

    // Assess
    expect(findings.map((f) => f.details)).toMatchObject([
      { reason: "issuer-expired", linkIndex: 1, linkSource: "ca.pem#0" },
    ]);
    expect(findings[0]?.message).toContain(`trusted CA "${ROOT.replace(",", ", ")}" (ca.pem#0) expired on`);
  });

  it("rejects a CA with the right name but an unrelated key", async () => {
    // Prepare
    const { intermediate, leaf } = await chain();
    const impostor = await issue({ subject: ROOT, isCA: true, key: "p384" });

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf, intermediate), parsed("ca.pem", impostor));

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]?.details).toMatchObject({
      reason: "bad-signature",
      linkIndex: 1,
      linkSource: "tls.pem#1",
    });
    expect(findings[0]?.message).toContain(
      `the signature of "${INTERMEDIATE.replace(",", ", ")}" does not verify with the key of trusted CA "${ROOT.replace(",", ", ")}" (ca.pem#0)`,
    );
  });

  it("prefers the anchor that verifies when an impostor shares its name", async () => {
    // Prepare
    const { root, intermediate, leaf } = await chain();
    const impostor = await issue({ subject: ROOT, isCA: true, key: "p384" });

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf, intermediate), parsed("ca.pem", impostor, root));

    // Assess
    expect(findings).toEqual([]);
  });

  it("warns when an intermediate expires before the leaf, and still trusts the chain today", async () => {
    // Prepare
    const root = await issue({ subject: ROOT, isCA: true, notAfter: new Date(Date.now() + 3650 * DAY) });
    const intermediate = await issue({
      subject: INTERMEDIATE,
      isCA: true,
      issuer: root,
      notAfter: new Date(Date.now() + 20 * DAY),
    });
    const leaf = await issue({
      subject: "CN=node1",
      issuer: intermediate,
      notAfter: new Date(Date.now() + 200 * DAY),
    });
    const certs = parsed("tls.pem", leaf, intermediate);

    // Act
    const findings = evaluateCertificates(certs, {
      ...DEFAULT_POLICY,
      now: new Date(),
      trustAnchors: parsed("ca.pem", root),
    });

    // Assess
    expect(findings.map((f) => [f.source, f.check, f.severity])).toEqual([
      ["tls.pem#0", "untrusted-chain", "warning"],
      ["tls.pem#1", "expiring", "minor"],
    ]);
    expect(findings[0]?.details).toMatchObject({
      reason: "issuer-expires-before-certificate",
      chainStopsWorking: certs[1]?.notAfter.toISOString().replace(".000Z", "Z"),
      issuers: [{ linkIndex: 1, subject: INTERMEDIATE.replace(",", ", "), source: "tls.pem#1" }],
    });
    expect(findings[0]?.message).toContain("stops working on");
  });

  it("warns when the trusted root itself expires before the leaf", async () => {
    // Prepare
    const root = await issue({ subject: ROOT, isCA: true, notAfter: new Date(Date.now() + 100 * DAY) });
    const leaf = await issue({
      subject: "CN=node1",
      issuer: root,
      notAfter: new Date(Date.now() + 300 * DAY),
    });

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf), parsed("ca.pem", root));

    // Assess
    expect(findings.map((f) => [f.severity, f.details?.reason])).toEqual([
      ["warning", "issuer-expires-before-certificate"],
    ]);
    expect(findings[0]?.details?.issuers).toMatchObject([{ linkIndex: 1, source: "ca.pem#0" }]);
  });

  it("rejects an issuer that is not a CA", async () => {
    // Prepare
    const root = await issue({ subject: ROOT, isCA: true });
    const notACa = await issue({ subject: "CN=plain.example.com", issuer: root });
    const leaf = await issue({ subject: "CN=node1", issuer: notACa });

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf, notACa), parsed("ca.pem", root));

    // Assess
    expect(findings.filter((f) => f.source === "tls.pem#0").map((f) => f.details?.reason)).toEqual([
      "issuer-not-ca",
    ]);
  });

  it("reports a self-signed leaf that is not trusted, and trusts one that is pinned", async () => {
    // Prepare
    const selfSigned = await issue({ subject: "CN=node1" });
    const root = await issue({ subject: ROOT, isCA: true });

    // Act
    const untrusted = chainFindings(parsed("tls.pem", selfSigned), parsed("ca.pem", root));
    const pinned = chainFindings(parsed("tls.pem", selfSigned), parsed("ca.pem", root, selfSigned));

    // Assess
    expect(untrusted.map((f) => f.details?.reason)).toEqual(["self-signed-untrusted"]);
    expect(untrusted[0]?.message).toContain(
      '"CN=node1" is self-signed and is not one of the trusted CA certificates',
    );
    expect(pinned).toEqual([]);
  });

  it("checks each CA of a bundle without end-entity certificates against the anchors", async () => {
    // Prepare
    const { root, intermediate } = await chain();
    const stranger = await issue({ subject: "CN=Somebody Else CA", isCA: true });

    // Act
    const findings = chainFindings(
      parsed("bundle.pem", root, intermediate, stranger),
      parsed("ca.pem", root),
    );

    // Assess
    expect(findings.map((f) => [f.source, f.details?.reason])).toEqual([
      ["bundle.pem#2", "self-signed-untrusted"],
    ]);
  });

  it("ends the search on CAs that cross-sign each other", async () => {
    // Prepare: A is signed by B and B by A; neither leads to the anchor
    const keysA = issueRaw({ subject: "CN=Loop CA A", isCA: true });
    const keysB = issueRaw({ subject: "CN=Loop CA B", isCA: true, key: "p384" });
    const aByB = issueRaw({ subject: "CN=Loop CA A", isCA: true, keys: keysA, issuer: keysB });
    const bByA = issueRaw({ subject: "CN=Loop CA B", isCA: true, keys: keysB, issuer: keysA });
    const leaf = issueRaw({ subject: "CN=node1", key: "p384", issuer: aByB });
    const root = await issue({ subject: ROOT, isCA: true });

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf, aByB, bByA), parsed("ca.pem", root));

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]?.details).toMatchObject({
      reason: "no-issuer",
      path: ["CN=node1", "CN=Loop CA A", "CN=Loop CA B"],
    });
  });

  it("gives up on chains longer than the maximum", async () => {
    // Prepare: root → CA 1 → … → CA 11 → leaf
    const root = await issue({ subject: "CN=Deep Root", isCA: true });
    let parent: Issued = root;
    const cas: Issued[] = [];
    for (let level = 1; level <= MAX_CHAIN_LENGTH + 1; level += 1) {
      parent = await issue({ subject: `CN=Deep CA ${level}`, isCA: true, issuer: parent });
      cas.push(parent);
    }
    const leaf = await issue({ subject: "CN=deep.example.com", issuer: parent });

    // Act
    const findings = chainFindings(parsed("deep.pem", leaf, ...cas), parsed("ca.pem", root));

    // Assess
    expect(findings.map((f) => f.details?.reason)).toEqual(["chain-too-long"]);
    expect(findings[0]?.message).toContain("longer than 10 certificates");
  });

  it("verifies links signed with MD5 and with P-224 keys, then refuses them as clients do", async () => {
    // Prepare
    const root = await issue({ subject: ROOT, isCA: true, key: "rsa2048" });
    const rawRoot = asRawIssuer(root);
    const md5Leaf = issueRaw({ subject: "CN=md5.example", issuer: rawRoot, hash: "md5" });
    const smallLeaf = issueRaw({ subject: "CN=small.example", issuer: rawRoot, key: "secp224r1" });

    // Act
    const findings = chainFindings(parsed("legacy.pem", md5Leaf, smallLeaf), parsed("ca.pem", root));

    // Assess: the signatures verify (no bad-signature); the algorithms are what clients refuse
    expect(findings.map((f) => [f.source, f.severity, f.details?.reason, f.details?.rule])).toEqual([
      ["legacy.pem#0", "major", "weak-signature", "CA/B Forum BR §7.1.3.2"],
      ["legacy.pem#1", "major", "weak-key", "CA/B Forum BR §6.1.5"],
    ]);
    expect(findings[0]?.message).toContain(
      "is signed with md5WithRSAEncryption, which can be forged (chain link 0)",
    );
    expect(findings[1]?.message).toContain("has an EC key on secp224r1 (224 bits)");
  });

  it("says so when no trusted CA certificate was given at all", async () => {
    // Prepare
    const { intermediate, leaf } = await chain();

    // Act
    const findings = chainFindings(parsed("tls.pem", leaf, intermediate), []);

    // Assess
    expect(findings[0]?.message).toContain("No trusted CA certificate was given");
    expect(findings[0]?.details).toMatchObject({ anchorCount: 0 });
  });

  it("does not check chains when no trust anchors are configured", async () => {
    // Prepare
    const { leaf } = await chain();

    // Act
    const findings = evaluateCertificates(parsed("tls.pem", leaf), { ...DEFAULT_POLICY, now: new Date() });

    // Assess
    expect(findings).toEqual([]);
  });
});
