import { describe, expect, it } from "vitest";
import { parseCertificate } from "../../../../functions/core/certificates/certificate";
import { coveredByCommonNameOnly, coversHost } from "../../../../functions/core/certificates/checks/hostname";
import { DEFAULT_POLICY, evaluateCertificates } from "../../../../functions/core/certificates/evaluate";
import { issue } from "../../../support/pki";

function names(dnsNames: string[], commonNames: string[] = [], ipAddresses: string[] = []) {
  return { dnsNames, commonNames, ipAddresses };
}

async function mismatches(options: Parameters<typeof issue>[0], expectedHosts: string[]) {
  const cert = parseCertificate((await issue(options)).der, "certs/peer.pem", 0);
  return evaluateCertificates([cert], { ...DEFAULT_POLICY, now: new Date(), expectedHosts }).filter(
    (f) => f.check === "hostname-mismatch",
  );
}

describe("coversHost (RFC 6125 §6.4, cases after Go's crypto/x509 hostname tests)", () => {
  it.each([
    // exact names, case and trailing dot
    ["example.com", "example.com", true],
    ["Example.COM", "example.com", true],
    ["example.com", "EXAMPLE.com.", true],
    ["example.com.", "example.com", true],
    ["example.com", "www.example.com", false],
    ["www.example.com", "example.com", false],
    // wildcards: one whole left-most label, exactly one label deep
    ["*.example.com", "a.example.com", true],
    ["*.example.com", "A.EXAMPLE.COM.", true],
    ["*.example.com", "example.com", false],
    ["*.example.com", "a.b.example.com", false],
    ["*.example.com", ".example.com", false],
    ["f*.example.com", "foo.example.com", false],
    ["*o.example.com", "foo.example.com", false],
    ["a.*.example.com", "a.b.example.com", false],
    ["*.*.example.com", "a.b.example.com", false],
    ["*.com", "example.com", false],
    ["*", "localhost", false],
    ["*.example.com", "*.example.com", true],
    // internationalised names compared as A-labels
    ["xn--bcher-kva.example", "xn--bcher-kva.example", true],
    ["xn--bcher-kva.example", "bücher.example", true],
    ["*.xn--bcher-kva.example", "www.bücher.example", true],
    ["xn--bcher-kva.example", "bucher.example", false],
    // degenerate input
    ["", "", false],
    ["example..com", "example..com", false],
  ])("DNS SAN %j covers %j: %s", (pattern, host, expected) => {
    expect(coversHost(names([pattern]), host)).toBe(expected);
  });

  it.each([
    // IP addresses match IP SANs only, compared as addresses
    [names([], [], ["10.0.0.1"]), "10.0.0.1", true],
    [names([], [], ["10.0.0.1"]), "10.0.0.2", false],
    [names([], [], ["2001:db8::1"]), "2001:DB8:0:0:0:0:0:1", true],
    [names([], [], ["2001:DB8:0:0:0:0:0:1"]), "[2001:db8::1]", true],
    [names([], [], ["2001:db8::1"]), "2001:db8::2", false],
    [names([], [], ["fe80::1"]), "fe80::1%eth0", true],
    [names(["10.0.0.1"]), "10.0.0.1", false],
    [names([], ["10.0.0.1"]), "10.0.0.1", false],
    [names(["node1.example.com"], [], ["10.0.0.1"]), "node1.example.com", true],
    // Only subjectAltName entries count (Go, browsers and rustls ignore the common name)
    [names(["a.example.com"], ["b.example.com"]), "b.example.com", false],
    [names([], ["b.example.com"]), "b.example.com", false],
    [names([], []), "example.com", false],
  ])("%j covers %j: %s", (cert, host, expected) => {
    expect(coversHost(cert, host)).toBe(expected);
  });

  it.each([
    // The legacy fallback OpenSSL and Java still apply: the CN, only without any DNS SAN
    [names(["a.example.com"], ["b.example.com"]), "b.example.com", false],
    [names([], ["b.example.com"]), "b.example.com", true],
    [names([], ["b.example.com"], ["10.0.0.1"]), "b.example.com", true],
    [names([], ["*.example.com"]), "b.example.com", true],
    [names([], ["bücher.example"]), "xn--bcher-kva.example", true],
    [names([], ["10.0.0.1"]), "10.0.0.1", false],
    [names([], []), "example.com", false],
  ])("%j is covered by its common name alone for %j: %s", (cert, host, expected) => {
    expect(coveredByCommonNameOnly(cert, host)).toBe(expected);
  });
});

describe("hostname-mismatch findings", () => {
  it("says the Common Name does not match when the certificate has no SAN", async () => {
    // Prepare
    const options = { subject: "CN=node2.cluster.local" };

    // Act
    const [finding] = await mismatches(options, ["node1.cluster.local"]);

    // Assess
    expect(finding).toMatchObject({
      check: "hostname-mismatch",
      alarmId: "1004",
      severity: "major",
      source: "certs/peer.pem#0",
      details: {
        expected: ["node1.cluster.local"],
        missing: ["node1.cluster.local"],
        nameSource: "commonName",
        commonNames: ["node2.cluster.local"],
      },
    });
    expect(finding?.message).toMatch(/^Common Name in certificate does not match: /);
    expect(finding?.message).toContain("names node2.cluster.local; expected node1.cluster.local");
  });

  it("lists the names the certificate presents and the ones it lacks", async () => {
    // Prepare
    const options = { subject: "CN=a.x", dnsNames: ["a.x", "b.x"], ipAddresses: ["10.0.0.9"] };

    // Act
    const [finding] = await mismatches(options, ["a.x", "node1.x", "10.0.0.1"]);

    // Assess
    expect(finding?.message).toContain(
      'certificate "CN=a.x" names a.x, b.x, 10.0.0.9; expected node1.x, 10.0.0.1',
    );
    expect(finding?.details).toMatchObject({
      missing: ["node1.x", "10.0.0.1"],
      nameSource: "subjectAltName",
      presentedDnsNames: ["a.x", "b.x"],
      presentedIpAddresses: ["10.0.0.9"],
    });
  });

  it("accepts a certificate that covers every expected name, IPv6 included", async () => {
    // Prepare
    const options = { dnsNames: ["*.cluster.local"], ipAddresses: ["2001:db8::10"] };

    // Act
    const findings = await mismatches(options, [
      "node3.cluster.local",
      "2001:db8:0:0::10",
      "NODE1.cluster.local.",
    ]);

    // Assess
    expect(findings).toEqual([]);
  });

  it("says a host named only in the Common Name is refused by Go, browsers and rustls, not by OpenSSL or Java", async () => {
    // Prepare
    const options = { subject: "CN=node1.cluster.local" };

    // Act
    const [finding] = await mismatches(options, ["node1.cluster.local"]);

    // Assess
    expect(finding).toMatchObject({
      check: "hostname-mismatch",
      severity: "minor",
      details: { reason: "common-name-only", nameSource: "commonName", missing: ["node1.cluster.local"] },
    });
    expect(finding?.message).toContain("names node1.cluster.local only in its Common Name");
    expect(finding?.message).toMatch(
      /Go \(since 1\.15.*Chrome, Firefox, Safari and rustls ignore the Common Name/,
    );
    expect(finding?.message).toContain("Java still accept it");
  });

  it("matches a UTF-8 Common Name as its A-label, as the clients that read the Common Name do", async () => {
    // Prepare
    const options = { subject: "CN=bücher.example,O=Bücherei Ünïcødé" };

    // Act
    const matching = await mismatches(options, ["xn--bcher-kva.example"]);
    const other = await mismatches(options, ["xn--bcher-kva.test"]);

    // Assess
    expect(matching.map((f) => [f.severity, f.details?.reason])).toEqual([["minor", "common-name-only"]]);
    expect(other[0]?.severity).toBe("major");
    expect(other[0]?.message).toContain("names bücher.example; expected xn--bcher-kva.test");
  });

  it("does not hold CA certificates to the expected names", async () => {
    // Prepare
    const options = { subject: "CN=Cluster CA", isCA: true };

    // Act
    const findings = await mismatches(options, ["node1.cluster.local"]);

    // Assess
    expect(findings).toEqual([]);
  });

  it("checks nothing when no names are expected", async () => {
    expect(await mismatches({ subject: "CN=anything" }, [])).toEqual([]);
  });
});
