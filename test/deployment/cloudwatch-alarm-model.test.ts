/**
 * The alarm model the deployment simulation judges the watchdog with (test/support/cloudwatch-alarm-model.ts),
 * against the examples the CloudWatch User Guide gives for it: "How alarm state is evaluated when data
 * is missing" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-evaluating-missing-data),
 * both tables, every cell the model covers. Data points are written oldest first, as in the guide:
 * 0 within the threshold, X breaching, - missing; CloudWatch retrieves five of them for three
 * evaluation periods.
 */
import { describe, expect, it } from "vitest";
import { type AlarmState, evaluateAlarm, type MetricAlarm } from "../support/cloudwatch-alarm-model";

const MINUTE = 60_000;
const NOW = Date.parse("2026-06-01T12:00:00Z");

function alarm(datapointsToAlarm: number, treatMissingData: MetricAlarm["treatMissingData"]): MetricAlarm {
  return {
    namespace: "Example",
    metricName: "Errors",
    dimensions: {},
    statistic: "Maximum",
    periodSeconds: 300,
    evaluationPeriods: 3,
    datapointsToAlarm,
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
    treatMissingData,
  };
}

/** "0 - X - X" as points, oldest first, one per five-minute period ending at NOW. */
function points(pattern: string) {
  const cells = pattern.split(" ");
  return cells.flatMap((cell, i) => {
    if (cell === "-") return [];
    const age = cells.length - i;
    return [{ at: NOW - age * 5 * MINUTE + MINUTE, value: cell === "X" ? 1 : 0 }];
  });
}

const state = (
  pattern: string,
  m: number,
  treat: MetricAlarm["treatMissingData"],
  current: AlarmState = "OK",
) => evaluateAlarm(alarm(m, treat), points(pattern), NOW, { rangePeriods: 5, current });

describe("the CloudWatch alarm model reproduces the User Guide's examples", () => {
  it.each([
    // Datapoints to Alarm 3 of 3: MISSING, IGNORE, BREACHING, NOT BREACHING
    ["0 - X - X", 3, ["OK", "OK", "OK", "OK"]],
    ["0 - - - -", 3, ["OK", "OK", "OK", "OK"]],
    ["- - - - -", 3, ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"]],
    ["0 X X - X", 3, ["ALARM", "ALARM", "ALARM", "ALARM"]],
    ["- - - - X", 3, [undefined, undefined, "ALARM", "OK"]],
    ["X - - - -", 3, [undefined, undefined, "ALARM", "OK"]],
    // 2 of 3
    ["0 - X - X", 2, ["ALARM", "ALARM", "ALARM", "ALARM"]],
    ["0 0 X 0 X", 2, ["ALARM", "ALARM", "ALARM", "ALARM"]],
    ["0 - X - -", 2, [undefined, undefined, "ALARM", "OK"]],
    ["- - - - 0", 2, ["OK", "OK", "ALARM", "OK"]],
    ["- - - - X", 2, [undefined, undefined, "ALARM", "OK"]],
  ] as const)("%s, %i of 3", (pattern, m, expected) => {
    // Act: each setting the model covers (undefined: a cell it refuses rather than guesses)
    const settings = ["missing", "ignore", "breaching", "notBreaching"] as const;
    const found = settings.map((treat, i) => {
      if (expected[i] === undefined) {
        expect(() => state(pattern, m, treat)).toThrow(/not modelled/);
        return undefined;
      }
      // "Retain current state": the same answer whatever the state was.
      const before = state(pattern, m, treat, "OK");
      return before === "OK" && state(pattern, m, treat, "ALARM") === "ALARM" ? "retain" : before;
    });

    // Assess
    expect(found).toEqual([...expected]);
  });
});
