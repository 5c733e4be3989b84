import { describe, expect, it } from "vitest";
import { parseCertificate } from "../../../../functions/core/certificates/certificate";
import { checkValidity } from "../../../../functions/core/certificates/checks/validity";
import { DEFAULT_POLICY, evaluateCertificates } from "../../../../functions/core/certificates/evaluate";
import { factsOf } from "../../../../functions/core/certificates/facts";
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

describe("the whole finding an operator reads", () => {
  const NOT_BEFORE = "2030-01-01T00:00:00Z";
  const NOT_AFTER = "2030-03-01T00:00:00Z";
  const thresholds = { warnDays: 30, majorDays: 7, skewSeconds: 300 };
  const shifted = (instant: string, ms: number) => new Date(Date.parse(instant) + ms);
  const HOUR = 3_600_000;

  it.each([
    {
      when: "expired three days and six hours ago, found in a file",
      now: shifted(NOT_AFTER, 3 * DAY + 6 * HOUR),
      presentedChain: false,
      expected: {
        check: "expired",
        alarmId: "1001",
        severity: "critical",
        message:
          'Certificate "CN=ha.cluster.local" expired on 2030-03-01T00:00:00Z, 3 days 6 hours ago; clients reject it. ' +
          "Issue a new certificate and replace the file.",
        details: { notAfter: NOT_AFTER, daysLeft: -3.3, subject: "CN=ha.cluster.local" },
      },
    },
    {
      when: "expired one minute ago, presented by a live service",
      now: shifted(NOT_AFTER, 60_000),
      presentedChain: true,
      expected: {
        check: "expired",
        alarmId: "1001",
        severity: "critical",
        message:
          'Certificate "CN=ha.cluster.local" expired on 2030-03-01T00:00:00Z, 1 minute ago; clients reject it. ' +
          "Issue a new certificate, install it on the service and reload or restart the service.",
        details: { notAfter: NOT_AFTER, daysLeft: -0.1, subject: "CN=ha.cluster.local" },
      },
    },
    {
      when: "twenty days left, in a file: minor, against the 30-day threshold",
      now: shifted(NOT_AFTER, -20 * DAY),
      presentedChain: false,
      expected: {
        check: "expiring",
        alarmId: "1002",
        severity: "minor",
        message:
          'Certificate "CN=ha.cluster.local" expires on 2030-03-01T00:00:00Z, in 20 days. ' +
          "Renew it and replace the file before then.",
        details: { notAfter: NOT_AFTER, daysLeft: 20, subject: "CN=ha.cluster.local", thresholdDays: 30 },
      },
    },
    {
      when: "two days and three hours left on a live service: major, against the 7-day threshold",
      now: shifted(NOT_AFTER, -(2 * DAY + 3 * HOUR)),
      presentedChain: true,
      expected: {
        check: "expiring",
        alarmId: "1002",
        severity: "major",
        message:
          'Certificate "CN=ha.cluster.local" expires on 2030-03-01T00:00:00Z, in 2 days 3 hours. ' +
          "Renew it, install it on the service and reload the service before then.",
        details: { notAfter: NOT_AFTER, daysLeft: 2.1, subject: "CN=ha.cluster.local", thresholdDays: 7 },
      },
    },
    {
      when: "valid only in two hours (a clock that ran ahead at issue)",
      now: shifted(NOT_BEFORE, -2 * HOUR),
      presentedChain: false,
      expected: {
        check: "not-yet-valid",
        alarmId: "1003",
        severity: "critical",
        message:
          'Certificate "CN=ha.cluster.local" is not valid until 2030-01-01T00:00:00Z, 2 hours from now, so clients ' +
          'reject it as "not yet valid". This usually means it was issued while the issuing host\'s clock ran ahead ' +
          "(for example a VM whose hardware clock was wrong at boot, corrected later by NTP). Check that the issuing " +
          "host's clock is right, then re-issue the certificate.",
        details: {
          notBefore: NOT_BEFORE,
          secondsAhead: 7200,
          skewSeconds: 300,
          subject: "CN=ha.cluster.local",
        },
      },
    },
  ])("$when", async ({ now, presentedChain, expected }) => {
    // Prepare
    const { der } = await issue({
      subject: "CN=ha.cluster.local",
      notBefore: new Date(NOT_BEFORE),
      notAfter: new Date(NOT_AFTER),
    });
    const cert = factsOf(parseCertificate(der, "certs/ha.pem", 0));

    // Act
    const findings = checkValidity(cert, { ...thresholds, now, presentedChain });

    // Assess
    expect(findings).toEqual([{ ...expected, source: "certs/ha.pem#0" }]);
  });
});
