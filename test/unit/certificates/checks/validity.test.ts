import { describe, expect, it } from "vitest";
import { parseCertificate } from "../../../../functions/core/certificates/certificate";
import { DEFAULT_POLICY, evaluateCertificates } from "../../../../functions/core/certificates/evaluate";
import { DAY, issue } from "../../../support/pki";

const SECOND = 1000;

async function certificate(options: Parameters<typeof issue>[0] = {}) {
  const { der } = await issue(options);
  return parseCertificate(der, "certs/node.pem", 0);
}

function timeFindings(cert: Awaited<ReturnType<typeof certificate>>, now: Date) {
  return evaluateCertificates([cert], { ...DEFAULT_POLICY, now }).filter((f) =>
    ["expired", "expiring", "not-yet-valid"].includes(f.check),
  );
}

describe("expiry thresholds", () => {
  it.each([
    { left: 30 * DAY + SECOND, expected: [] },
    { left: 30 * DAY, expected: [["expiring", "minor"]] },
    { left: 7 * DAY + SECOND, expected: [["expiring", "minor"]] },
    { left: 7 * DAY, expected: [["expiring", "major"]] },
    { left: 0, expected: [["expiring", "major"]] },
    { left: -SECOND, expected: [["expired", "critical"]] },
  ])("with $left ms left raises $expected", async ({ left, expected }) => {
    // Prepare
    const cert = await certificate({ notAfter: new Date(Date.now() + 60 * DAY) });
    const now = new Date(cert.notAfter.getTime() - left);

    // Act
    const findings = timeFindings(cert, now);

    // Assess
    expect(findings.map((f) => [f.check, f.severity])).toEqual(expected);
  });

  it("says when an expiring certificate runs out and how many days are left", async () => {
    // Prepare
    const cert = await certificate({
      subject: "CN=ha.cluster.local",
      notAfter: new Date(Date.now() + 60 * DAY),
    });
    const now = new Date(cert.notAfter.getTime() - 6.5 * DAY);

    // Act
    const [finding] = timeFindings(cert, now);

    // Assess
    expect(finding).toMatchObject({
      check: "expiring",
      alarmId: "1002",
      severity: "major",
      source: "certs/node.pem#0",
      details: {
        notAfter: cert.notAfter.toISOString().replace(".000Z", "Z"),
        daysLeft: 6.5,
        thresholdDays: 7,
      },
    });
    expect(finding?.message).toContain('"CN=ha.cluster.local" expires on');
    expect(finding?.message).toContain("in 6 days 12 hours");
  });

  it("reports an expired certificate as expired only, with the date it expired", async () => {
    // Prepare
    const cert = await certificate({
      notBefore: new Date(Date.now() - 90 * DAY),
      notAfter: new Date(Date.now() - 3 * DAY),
    });

    // Act
    const findings = timeFindings(cert, new Date());

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: "expired", alarmId: "1001", severity: "critical" });
    expect(findings[0]?.message).toMatch(/expired on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, 3 days/);
    expect(findings[0]?.details?.daysLeft).toBeLessThan(0);
  });

  it("follows thresholds given in the policy", async () => {
    // Prepare
    const cert = await certificate({ notAfter: new Date(Date.now() + 60 * DAY) });
    const now = new Date(cert.notAfter.getTime() - 50 * DAY);

    // Act
    const findings = evaluateCertificates([cert], { ...DEFAULT_POLICY, now, warnDays: 60, majorDays: 50 });

    // Assess
    expect(findings.map((f) => [f.check, f.severity])).toEqual([["expiring", "major"]]);
  });
});

describe("not yet valid", () => {
  it.each([
    { ahead: 300 * SECOND, raised: false },
    { ahead: 301 * SECOND, raised: true },
  ])("notBefore $ahead ms ahead of now raises a finding: $raised", async ({ ahead, raised }) => {
    // Prepare
    const cert = await certificate({ notBefore: new Date(Date.now() + DAY) });
    const now = new Date(cert.notBefore.getTime() - ahead);

    // Act
    const findings = timeFindings(cert, now);

    // Assess
    expect(findings.map((f) => f.check)).toEqual(raised ? ["not-yet-valid"] : []);
  });

  it("explains the clock that ran ahead, when the certificate becomes valid and what to do", async () => {
    // Prepare: issued by an API server whose VM clock was a month ahead at boot
    const cert = await certificate({
      subject: "CN=kube-apiserver",
      notBefore: new Date(Date.now() + 30 * DAY),
      notAfter: new Date(Date.now() + 395 * DAY),
    });
    const now = new Date(cert.notBefore.getTime() - 30 * DAY);

    // Act
    const [finding] = timeFindings(cert, now);

    // Assess
    expect(finding).toMatchObject({
      check: "not-yet-valid",
      alarmId: "1003",
      severity: "critical",
      details: {
        notBefore: cert.notBefore.toISOString().replace(".000Z", "Z"),
        secondsAhead: 30 * 86_400,
        skewSeconds: 300,
      },
    });
    expect(finding?.message).toContain(
      `not valid until ${cert.notBefore.toISOString().replace(".000Z", "Z")}`,
    );
    expect(finding?.message).toContain("30 days from now");
    expect(finding?.message).toContain("clock ran ahead");
    expect(finding?.message).toContain("hardware clock was wrong at boot");
    expect(finding?.message).toContain("re-issue the certificate");
  });

  it("uses the skew from the policy", async () => {
    // Prepare
    const cert = await certificate({ notBefore: new Date(Date.now() + DAY) });
    const now = new Date(cert.notBefore.getTime() - 60 * SECOND);

    // Act
    const findings = evaluateCertificates([cert], { ...DEFAULT_POLICY, now, skewSeconds: 0 });

    // Assess
    expect(findings.map((f) => f.check)).toEqual(["not-yet-valid"]);
  });
});
