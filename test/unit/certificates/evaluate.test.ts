import { describe, expect, it } from "vitest";
import { ALARM_IDS, DEFAULT_SEVERITY } from "../../../functions/core/alarm-ids";
import { type ParsedCertificate, parseCertificate } from "../../../functions/core/certificates/certificate";
import {
  DEFAULT_POLICY,
  evaluateCertificates,
  unreadableFinding,
} from "../../../functions/core/certificates/evaluate";
import { ENDPOINT_FAILURES, Finding, UNREADABLE_REASONS } from "../../../functions/core/contracts";
import { DAY, issue } from "../../support/pki";

async function messyBundle(): Promise<ParsedCertificate[]> {
  const now = Date.now();
  const specs = [
    {
      subject: "CN=expired.example.com",
      notBefore: new Date(now - 90 * DAY),
      notAfter: new Date(now - DAY),
      key: "rsa1024" as const,
    },
    { subject: "CN=fine.example.com", dnsNames: ["node1.example.com"] },
    {
      subject: "CN=future.example.com",
      notBefore: new Date(now + 30 * DAY),
      notAfter: new Date(now + 400 * DAY),
    },
  ];
  const certs: ParsedCertificate[] = [];
  // Twelve certificates so that "#10" and "#11" have to sort after "#2".
  for (let index = 0; index < 12; index += 1) {
    const spec = specs[index % specs.length]!;
    certs.push(parseCertificate((await issue(spec)).der, "bundle.pem", index));
  }
  return certs.reverse();
}

describe("evaluateCertificates", () => {
  it("has the documented defaults", () => {
    expect(DEFAULT_POLICY).toEqual({ warnDays: 30, majorDays: 7, skewSeconds: 300 });
  });

  it("returns findings in a stable order: by source (numeric index), then check", async () => {
    // Prepare
    const certs = await messyBundle();

    // Act
    const findings = evaluateCertificates(certs, {
      ...DEFAULT_POLICY,
      now: new Date(),
      expectedHosts: ["node1.example.com"],
    });

    // Assess
    const order = findings.map((f) => `${f.source} ${f.check}`);
    expect(order.slice(0, 7)).toEqual([
      "bundle.pem#0 expired",
      "bundle.pem#0 hostname-mismatch",
      "bundle.pem#0 weak-crypto",
      "bundle.pem#2 hostname-mismatch",
      "bundle.pem#2 not-yet-valid",
      "bundle.pem#3 expired",
      "bundle.pem#3 hostname-mismatch",
    ]);
    expect(order.slice(-2)).toEqual(["bundle.pem#11 hostname-mismatch", "bundle.pem#11 not-yet-valid"]);
  });

  it("produces findings that satisfy the contract: one per source and check, catalog ID and severity", async () => {
    // Prepare
    const certs = await messyBundle();

    // Act
    const findings = evaluateCertificates(certs, {
      ...DEFAULT_POLICY,
      now: new Date(),
      expectedHosts: ["node1.example.com"],
    });

    // Assess
    const keys = findings.map((f) => `${f.source} ${f.check}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const finding of findings) {
      expect(Finding.parse(finding)).toEqual(finding);
      expect(finding.alarmId).toBe(ALARM_IDS[finding.check]);
      expect(finding.severity).toBe(DEFAULT_SEVERITY[finding.check]);
    }
  });

  it("returns nothing for a healthy certificate", async () => {
    // Prepare
    const cert = parseCertificate((await issue({ dnsNames: ["api.example.com"] })).der, "api.pem", 0);

    // Act
    const findings = evaluateCertificates([cert], {
      ...DEFAULT_POLICY,
      now: new Date(),
      expectedHosts: ["api.example.com"],
    });

    // Assess
    expect(findings).toEqual([]);
  });

  it("refuses a policy with impossible numbers", async () => {
    const cert = parseCertificate((await issue()).der, "api.pem", 0);
    expect(() =>
      evaluateCertificates([cert], { ...DEFAULT_POLICY, now: new Date(), warnDays: Number.NaN }),
    ).toThrow(/warnDays/);
    expect(() => evaluateCertificates([cert], { ...DEFAULT_POLICY, now: new Date("nonsense") })).toThrow(
      /now/,
    );
  });
});

describe("unreadableFinding", () => {
  it("describes a file that cannot be read, with the reason code", () => {
    // Act
    const finding = unreadableFinding("s3://certs/ha/server.p12", "bad-password", "MAC verification failed");

    // Assess
    expect(finding).toEqual({
      check: "unreadable",
      alarmId: "1007",
      severity: "major",
      source: "s3://certs/ha/server.p12",
      message:
        "Certificate file s3://certs/ha/server.p12 cannot be opened with the configured password (MAC verification failed). " +
        "Whatever uses it cannot load a certificate either; fix or replace it.",
      details: { reason: "bad-password", detail: "MAC verification failed" },
    });
  });

  it.each(UNREADABLE_REASONS.filter((r) => !(ENDPOINT_FAILURES as readonly string[]).includes(r)))(
    "has a message for reason %s",
    (reason) => {
      const finding = unreadableFinding("f.pem", reason, "");
      expect(Finding.parse(finding).message).toMatch(
        /^(Certificate file|Java keystore) f\.pem \w.*\. Whatever/,
      );
    },
  );

  it.each(ENDPOINT_FAILURES)(
    "speaks of the endpoint and the service, not a file, for reason %s",
    (reason) => {
      const finding = unreadableFinding("tls://[::1]:443", reason, "");
      expect(Finding.parse(finding).message).toMatch(/^Endpoint tls:\/\/\[::1\]:443 \w.*\. Check /);
      expect(finding.message).not.toMatch(/file|replace/);
    },
  );
});
