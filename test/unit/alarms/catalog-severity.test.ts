/**
 * The catalog's severity per alarm is set per deployment: `alarms.severities` in the configuration.
 * FusionInsight's ALM-45655 (an HA certificate file expired) is Major in its seeds, where watchpost's
 * catalog says critical; a site that follows those procedures says so once, and every alarm event,
 * route and reminder follows. Severities a finding grades itself (the 7-day `expiring`) stay.
 */
import { describe, expect, it } from "vitest";
import { type CheckRun, decideTransitions } from "../../../functions/core/alarms/lifecycle";
import { lifecyclePolicyFrom } from "../../../functions/core/alarms/lifecycle-policy";
import { parseConfig } from "../../../functions/core/config";
import type { Finding } from "../../../functions/core/contracts";

const FILE = "s3://certs/opt/flink/ha/local/cert/flink.keystore";

function finding(check: Finding["check"], severity: Finding["severity"], alarmId: string): Finding {
  return { check, alarmId, severity, source: `${FILE}#0`, message: `${check} at ${severity}` };
}

function runOf(findings: Finding[]): CheckRun {
  return {
    scope: "s3://certs/opt/",
    complete: true,
    examinedSources: [FILE],
    findings,
    now: new Date("2026-03-01T01:00:00Z"),
  };
}

describe("alarms.severities", () => {
  it("raises an expired certificate at the deployment's severity for alarm 1001", () => {
    // Prepare
    const config = parseConfig({
      certificates: { sources: [{ prefix: "opt/" }] },
      alarms: { severities: { "1001": "major", "1002": "warning" } },
    });

    // Act
    const decided = decideTransitions(
      runOf([finding("expired", "critical", "1001"), finding("hostname-mismatch", "major", "1004")]),
      [],
      lifecyclePolicyFrom(config.alarms),
    );

    // Assess
    expect(decided.transitions.map((t) => [t.kind, t.alarmId, t.severity])).toEqual([
      ["raised", "1001", "major"],
      ["raised", "1004", "major"],
    ]);
  });

  it("keeps a severity the finding graded itself: inside 7 days `expiring` stays major", () => {
    // Prepare
    const config = parseConfig({
      certificates: { sources: [{ prefix: "opt/" }] },
      alarms: { severities: { "1002": "warning" } },
    });
    const policy = lifecyclePolicyFrom(config.alarms);

    // Act
    const inside30 = decideTransitions(runOf([finding("expiring", "minor", "1002")]), [], policy);
    const inside7 = decideTransitions(runOf([finding("expiring", "major", "1002")]), [], policy);

    // Assess
    expect(inside30.transitions.map((t) => t.severity)).toEqual(["warning"]);
    expect(inside7.transitions.map((t) => t.severity)).toEqual(["major"]);
  });

  it("refuses an alarm ID the catalog does not have", () => {
    expect(() =>
      parseConfig({
        certificates: { sources: [{ prefix: "opt/" }] },
        alarms: { severities: { "45655": "major" } },
      }),
    ).toThrow(/alarms\.severities: expected alarm IDs from the catalog as keys: 1001, 1002/);
  });
});
