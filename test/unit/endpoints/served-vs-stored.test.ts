/**
 * Which of two different leaves is newer decides what the served-mismatch finding asks for: a
 * service still serving the certificate renewed on disk must be reloaded (major: it fails first),
 * a service ahead of the store means the stored copy is stale (minor), and two certificates with
 * the same validity need a person to decide (minor).
 */
import { describe, expect, it } from "vitest";
import { type ParsedCertificate, parseCertificate } from "../../../functions/core/certificates/certificate";
import { formatInstant } from "../../../functions/core/certificates/checks/finding";
import { compareServedWithStored } from "../../../functions/core/endpoints/served-vs-stored";
import { DAY, issue } from "../../support/pki";

const HOST = "api.cluster.test";
const START = Date.UTC(2026, 0, 1);

async function leaf(
  notBefore: number,
  notAfter: number,
  file: string,
  host = HOST,
): Promise<ParsedCertificate> {
  const issued = await issue({
    subject: `CN=${host}`,
    dnsNames: [host],
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
  return parseCertificate(issued.der, file, 0);
}

function compare(served: ParsedCertificate, stored: ParsedCertificate) {
  return compareServedWithStored({
    source: "tls://api.cluster.test:6443#0",
    service: "the service at api.cluster.test:6443",
    served,
    stored,
    storedAt: "s3://certs/api.pem",
  });
}

describe("served vs stored", () => {
  it("finds nothing when the service serves the stored certificate", async () => {
    // Prepare
    const certificate = await leaf(START, START + 90 * DAY, "s3://certs/api.pem");

    // Act
    const finding = compare(certificate, certificate);

    // Assess
    expect(finding).toBeUndefined();
  });

  it("asks for a reload, as a major finding, when the stored copy expires later", async () => {
    const served = await leaf(START, START + 30 * DAY, "tls://api.cluster.test:6443");
    const stored = await leaf(START + 20 * DAY, START + 400 * DAY, "s3://certs/api.pem");

    const finding = compare(served, stored);

    expect(finding).toMatchObject({
      check: "served-mismatch",
      severity: "major",
      details: { newer: "stored-newer" },
    });
    expect(finding?.message).toMatch(/still serves the old one — reload or restart the service/);
  });

  it("asks for the stored copy to be updated, as a minor finding, when the served one expires later", async () => {
    const served = await leaf(START + 20 * DAY, START + 400 * DAY, "tls://api.cluster.test:6443");
    const stored = await leaf(START, START + 30 * DAY, "s3://certs/api.pem");

    const finding = compare(served, stored);

    expect(finding).toMatchObject({ severity: "minor", details: { newer: "served-newer" } });
    expect(finding?.message).toMatch(/update the stored copy at s3:\/\/certs\/api\.pem/);
  });

  it("orders by notBefore when both expire at the same instant", async () => {
    const served = await leaf(START, START + 90 * DAY, "tls://api.cluster.test:6443");
    const stored = await leaf(START + DAY, START + 90 * DAY, "s3://certs/api.pem");

    expect(compare(served, stored)).toMatchObject({ severity: "major", details: { newer: "stored-newer" } });
  });

  it("leaves the choice to a person, as a minor finding, when two certificates share their validity", async () => {
    const served = await leaf(START, START + 90 * DAY, "tls://api.cluster.test:6443");
    const stored = await leaf(START, START + 90 * DAY, "s3://certs/api.pem");

    const finding = compare(served, stored);

    expect(finding).toMatchObject({ severity: "minor", details: { newer: "different" } });
    expect(finding?.message).toMatch(/same validity .* decide which is right/);
    expect(finding?.details).toMatchObject({
      served: { sha256: served.sha256 },
      stored: { sha256: stored.sha256, at: "s3://certs/api.pem" },
    });
  });

  // Issue 24, point 4: a served certificate of another subject is no renewal; "renewed on disk"
  // sent the operator reloading a service that would then serve the wrong host's certificate.
  it.each([
    ["the stored one newer", START, START + 30 * DAY, START + 20 * DAY, START + 400 * DAY],
    ["the served one newer", START + 20 * DAY, START + 400 * DAY, START, START + 30 * DAY],
  ])(
    "says the service serves another subject's certificate, whichever is newer (%s)",
    async (_case, servedFrom, servedTo, storedFrom, storedTo) => {
      // Prepare
      const served = await leaf(servedFrom, servedTo, "tls://api.cluster.test:6443", "db.cluster.test");
      const stored = await leaf(storedFrom, storedTo, "s3://certs/api.pem");

      // Act
      const finding = compare(served, stored);

      // Assess
      const describe = (c: ParsedCertificate, host: string) =>
        `"CN=${host}" (serial ${c.serialNumber}, valid ${formatInstant(c.notBefore)} to ${formatInstant(c.notAfter)})`;
      expect(finding).toMatchObject({ severity: "major", details: { newer: "other-subject" } });
      expect(finding?.message).toBe(
        "The service at api.cluster.test:6443 serves a certificate for another subject than the stored copy: " +
          "either it was given another service's certificate, or the stored copy is not this service's. " +
          "Check which one names the service's host, then install that one and reload the service, or fix the stored copy. " +
          `It serves ${describe(served, "db.cluster.test")}; s3://certs/api.pem holds ${describe(stored, HOST)}.`,
      );
    },
  );
});
