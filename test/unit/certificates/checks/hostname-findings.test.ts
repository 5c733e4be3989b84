/**
 * `hostname-mismatch` as an operator reads it: which certificate, which names it presents, which it
 * lacks, how bad (major when no client finds the name, minor when only clients that fall back to the
 * Common Name do), and the whole message. Names are matched as RFC 6125 §6.4 and Go's crypto/x509 do.
 */
import { describe, expect, it } from "vitest";
import { parseCertificate } from "../../../../functions/core/certificates/certificate";
import {
  COMMON_NAME_FALLBACK,
  checkHostname,
  coversHost,
  normaliseDnsName,
  normaliseIp,
} from "../../../../functions/core/certificates/checks/hostname";
import { factsOf } from "../../../../functions/core/certificates/facts";
import { issue } from "../../../support/pki";

const SOURCE = "certs/peer.pem";

async function leaf(options: Parameters<typeof issue>[0]) {
  return factsOf(parseCertificate((await issue(options)).der, SOURCE, 0));
}

const REISSUE = "Re-issue the certificate with every expected name in its Subject Alternative Names.";
const COMMON_NAME_ONLY = (names: string, subject: string) =>
  `Certificate "${subject}" names ${names} only in its Common Name and has no subjectAltName DNS entry: ` +
  `${COMMON_NAME_FALLBACK.rejectedBy} ignore the Common Name and reject it; ${COMMON_NAME_FALLBACK.acceptedBy} ` +
  `still accept it (CA/B Forum BR §7.1.4.3, RFC 6125 §6.4.4). ${REISSUE}`;

describe("a wildcard covers one label of its own domain, never another domain", () => {
  it.each([
    ["*.example.com", "www.example.com", true],
    // Same label count, same suffix length, another domain: a mismatch, whatever the length.
    ["*.example.com", "www.example.org", false],
    ["*.example.com", "www.exbmple.com", false],
    ["*.example.com", "www.evil.org", false],
    ["*.cluster.local", "node1.cluster.locum", false],
    ["*.a.example.com", "x.b.example.com", false],
    // A wildcard needs a label to stand for: an empty one is not a host.
    ["*.example.com", ".example.com.", false],
    // A pattern is matched as written: an empty label anywhere, or a '*' anywhere but alone on the left, matches nothing.
    ["*.example..com", "a.example..com", false],
    ["*.example.com*", "a.example.com", false],
  ])("%s covers %s: %s", (pattern, host, expected) => {
    expect(coversHost({ dnsNames: [pattern], commonNames: [], ipAddresses: [] }, host)).toBe(expected);
  });
});

describe("the whole hostname-mismatch finding", () => {
  it("is major and names every missing host when the Common Name covers only some of them", async () => {
    // Prepare: a certificate for node1 deployed on node1 and node2.
    const cert = await leaf({ subject: "CN=node1.cluster.local" });

    // Act
    const finding = checkHostname(cert, ["node1.cluster.local", "node2.cluster.local"]);

    // Assess
    expect(finding).toEqual({
      check: "hostname-mismatch",
      alarmId: "1004",
      severity: "major",
      source: `${SOURCE}#0`,
      message:
        'Common Name in certificate does not match: certificate "CN=node1.cluster.local" names node1.cluster.local; ' +
        "expected node1.cluster.local, node2.cluster.local. Clients connecting to those names reject it. " +
        REISSUE,
      details: {
        expected: ["node1.cluster.local", "node2.cluster.local"],
        missing: ["node1.cluster.local", "node2.cluster.local"],
        nameSource: "commonName",
        presentedDnsNames: [],
        presentedIpAddresses: [],
        commonNames: ["node1.cluster.local"],
      },
    });
  });

  it("is minor, naming the clients that refuse it, when the Common Name covers every expected host", async () => {
    // Prepare
    const cert = await leaf({ subject: "CN=*.cluster.local" });

    // Act
    const finding = checkHostname(cert, ["node1.cluster.local", "node2.cluster.local"]);

    // Assess
    expect(finding).toEqual({
      check: "hostname-mismatch",
      alarmId: "1004",
      severity: "minor",
      source: `${SOURCE}#0`,
      message: COMMON_NAME_ONLY("node1.cluster.local, node2.cluster.local", "CN=*.cluster.local"),
      details: {
        expected: ["node1.cluster.local", "node2.cluster.local"],
        missing: ["node1.cluster.local", "node2.cluster.local"],
        reason: "common-name-only",
        nameSource: "commonName",
        rejectedBy: COMMON_NAME_FALLBACK.rejectedBy,
        acceptedBy: COMMON_NAME_FALLBACK.acceptedBy,
        presentedDnsNames: [],
        presentedIpAddresses: [],
        commonNames: ["*.cluster.local"],
      },
    });
    expect(COMMON_NAME_FALLBACK).toEqual({
      acceptedBy: "OpenSSL-based clients (curl, Python, Nginx and HAProxy upstreams) and Java",
      rejectedBy: "Go (since 1.15: kubectl, etcd, Prometheus, Docker), Chrome, Firefox, Safari and rustls",
    });
  });

  it("is major when an IP address is expected and only the Common Name holds it", async () => {
    // Prepare
    const cert = await leaf({ subject: "CN=10.0.0.7" });

    // Act
    const finding = checkHostname(cert, ["10.0.0.7"]);

    // Assess
    expect([finding?.severity, finding?.message]).toEqual([
      "major",
      'Common Name in certificate does not match: certificate "CN=10.0.0.7" names 10.0.0.7; expected 10.0.0.7. ' +
        `Clients connecting to that name reject it. ${REISSUE}`,
    ]);
  });

  it("is major for a wildcard certificate of another domain, listing what it presents", async () => {
    // Prepare
    const cert = await leaf({
      subject: "CN=wildcard",
      dnsNames: ["*.example.com"],
      ipAddresses: ["192.0.2.10"],
    });

    // Act
    const finding = checkHostname(cert, ["www.example.com", "www.evil.org"]);

    // Assess
    expect(finding).toEqual({
      check: "hostname-mismatch",
      alarmId: "1004",
      severity: "major",
      source: `${SOURCE}#0`,
      message:
        'Names in certificate do not match: certificate "CN=wildcard" names *.example.com, 192.0.2.10; ' +
        `expected www.evil.org. Clients connecting to that name reject it. ${REISSUE}`,
      details: {
        expected: ["www.example.com", "www.evil.org"],
        missing: ["www.evil.org"],
        nameSource: "subjectAltName",
        presentedDnsNames: ["*.example.com"],
        presentedIpAddresses: ["192.0.2.10"],
        commonNames: ["wildcard"],
      },
    });
  });

  it("says the certificate names nothing when it has neither a SAN nor a Common Name", async () => {
    // Prepare
    const cert = await leaf({ subject: "O=watchpost" });

    // Act
    const finding = checkHostname(cert, ["node1.cluster.local"]);

    // Assess
    expect(finding?.message).toBe(
      'Common Name in certificate does not match: certificate "O=watchpost" names nothing; ' +
        `expected node1.cluster.local. Clients connecting to that name reject it. ${REISSUE}`,
    );
  });

  it("finds nothing when the subjectAltName covers every expected host", async () => {
    // Prepare
    const cert = await leaf({
      subject: "CN=other",
      dnsNames: ["node1.cluster.local"],
      ipAddresses: ["10.0.0.1"],
    });

    // Act + Assess
    expect(checkHostname(cert, ["node1.cluster.local", "10.0.0.1"])).toBeUndefined();
  });
});

describe("how names and addresses are compared", () => {
  it.each([
    ["  Node1.Cluster.Local.  ", "node1.cluster.local"],
    ["node1.cluster.local", "node1.cluster.local"],
    [".", ""],
    ["", ""],
    [".cluster.local", ""],
    ["node1..local", ""],
    ["node1.cluster.local..", ""],
    ["bücher.example", "xn--bcher-kva.example"],
    ["*.bücher.example", "*.xn--bcher-kva.example"],
    ["BÜCHER.example.", "xn--bcher-kva.example"],
    // ASCII is compared as written, on every Node: no A-label check that differs between versions.
    ["xn--a.example", "xn--a.example"],
    ["a b.example", "a b.example"],
    ["*.bad\ufffd.example", ""],
  ])("the DNS name %j is compared as %j", (name, normalised) => {
    expect(normaliseDnsName(name)).toBe(normalised);
  });

  it("refuses a name that has no A-label form", () => {
    // A U-label with a character IDNA refuses (U+FFFD) cannot be turned into an A-label.
    expect(normaliseDnsName("bad\ufffd.example")).toBe("");
    expect(
      coversHost({ dnsNames: ["bad\ufffd.example"], commonNames: [], ipAddresses: [] }, "bad\ufffd.example"),
    ).toBe(false);
  });

  it.each([
    ["10.0.0.1", "10.0.0.1"],
    [" 10.0.0.1 ", "10.0.0.1"],
    ["[10.0.0.1]", "10.0.0.1"],
    ["2001:DB8::1", "2001:db8:0:0:0:0:0:1"],
    ["[2001:db8::1]", "2001:db8:0:0:0:0:0:1"],
    ["::1", "0:0:0:0:0:0:0:1"],
    ["::", "0:0:0:0:0:0:0:0"],
    ["fe80::1%eth0", "fe80:0:0:0:0:0:0:1"],
    ["2001:db8::", "2001:db8:0:0:0:0:0:0"],
    ["::ffff:192.0.2.1", "0:0:0:0:0:ffff:c000:201"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8:0:0:0:0:0:1"],
    ["[2001:db8::1", undefined],
    ["2001:db8::1]", undefined],
    ["::ffff:192.0.2.1%eth0", "0:0:0:0:0:ffff:c000:201"],
    ["FE80::ABCD%eth0", "fe80:0:0:0:0:0:0:abcd"],
    ["node1.cluster.local", undefined],
    ["10.0.0", undefined],
  ])("the address %j is compared as %j", (text, normalised) => {
    expect(normaliseIp(text)).toBe(normalised);
  });
});
