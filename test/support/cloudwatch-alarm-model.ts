/**
 * How CloudWatch decides a metric alarm's state, as the CloudWatch User Guide documents it
 * ("Using Amazon CloudWatch alarms": "Evaluating an alarm", "Configuring how CloudWatch alarms treat
 * missing data", "How alarm state is evaluated when data is missing";
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html), for the
 * deployment simulation: what the stack's alarms do while a metric has no data yet.
 *
 * - CloudWatch retrieves more periods than Evaluation Periods, the evaluation range (the guide's
 *   example: five for three); its exact length is not documented, so it is a parameter here.
 * - With at least Evaluation Periods real data points in the range, the most recent of them decide,
 *   and the missing-data setting is ignored.
 * - With fewer, every real point in the range counts and missing ones are filled in with the
 *   setting, "as few times as possible", up to Evaluation Periods.
 * - ALARM when at least Datapoints to Alarm of those are breaching, else OK; with every point
 *   missing, `missing` gives INSUFFICIENT_DATA and `ignore` keeps the current state.
 * - Data points put before the alarm existed count ("If data points are missing soon after you
 *   create an alarm, and the metric was being reported to CloudWatch before you created the alarm,
 *   CloudWatch retrieves the most recent data points from before the alarm was created").
 *
 * Only what the guide states unambiguously is modelled: a `missing` or `ignore` alarm with too few
 * real points of which some breach, and math-expression alarms, are refused rather than guessed.
 */

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface MetricAlarm {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: "Sum" | "Maximum" | "Minimum" | "Average" | "SampleCount";
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison:
    | "GreaterThanOrEqualToThreshold"
    | "GreaterThanThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  treatMissingData: "breaching" | "notBreaching" | "missing" | "ignore";
}

export interface DataPoint {
  /** Milliseconds since the epoch. */
  at: number;
  value: number;
}

/** The alarm CloudFormation creates from an AWS::CloudWatch::Alarm's properties (metric alarms only). */
export function metricAlarmOf(properties: Record<string, unknown>): MetricAlarm {
  if (properties.Metrics) throw new Error("math-expression alarms are not modelled");
  const dimensions = (properties.Dimensions ?? []) as { Name: string; Value: string }[];
  return {
    namespace: String(properties.Namespace),
    metricName: String(properties.MetricName),
    dimensions: Object.fromEntries(dimensions.map((d) => [d.Name, String(d.Value)])),
    statistic: properties.Statistic as MetricAlarm["statistic"],
    periodSeconds: Number(properties.Period),
    evaluationPeriods: Number(properties.EvaluationPeriods),
    datapointsToAlarm: Number(properties.DatapointsToAlarm ?? properties.EvaluationPeriods),
    threshold: Number(properties.Threshold),
    comparison: properties.ComparisonOperator as MetricAlarm["comparison"],
    // PutMetricAlarm: "If this parameter is omitted, the default behavior of missing is used."
    treatMissingData: (properties.TreatMissingData ?? "missing") as MetricAlarm["treatMissingData"],
  };
}

function aggregate(statistic: MetricAlarm["statistic"], values: number[]): number {
  switch (statistic) {
    case "Sum":
      return values.reduce((a, b) => a + b, 0);
    case "Maximum":
      return Math.max(...values);
    case "Minimum":
      return Math.min(...values);
    case "Average":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "SampleCount":
      return values.length;
  }
}

function breaches(alarm: MetricAlarm, value: number): boolean {
  switch (alarm.comparison) {
    case "GreaterThanOrEqualToThreshold":
      return value >= alarm.threshold;
    case "GreaterThanThreshold":
      return value > alarm.threshold;
    case "LessThanThreshold":
      return value < alarm.threshold;
    case "LessThanOrEqualToThreshold":
      return value <= alarm.threshold;
  }
}

/**
 * The state the alarm is set to when evaluated at `now`, from the metric's data points (any time),
 * `rangePeriods` periods back, given its state before.
 */
export function evaluateAlarm(
  alarm: MetricAlarm,
  points: readonly DataPoint[],
  now: number,
  options: { rangePeriods: number; current: AlarmState },
): AlarmState {
  const period = alarm.periodSeconds * 1000;
  if (options.rangePeriods < alarm.evaluationPeriods) throw new Error("the range holds at least N periods");
  // Periods newest first, each [end - period, end).
  const periods: (number | undefined)[] = [];
  for (let k = 0; k < options.rangePeriods; k++) {
    const end = now - k * period;
    const values = points.filter((p) => p.at < end && p.at >= end - period).map((p) => p.value);
    periods.push(values.length > 0 ? aggregate(alarm.statistic, values) : undefined);
  }
  const real = periods.filter((v): v is number => v !== undefined);
  let evaluated: boolean[];
  if (real.length >= alarm.evaluationPeriods) {
    evaluated = real.slice(0, alarm.evaluationPeriods).map((v) => breaches(alarm, v));
  } else if (real.length === 0 && alarm.treatMissingData === "missing") {
    return "INSUFFICIENT_DATA";
  } else if (real.length === 0 && alarm.treatMissingData === "ignore") {
    return options.current;
  } else if (real.every((v) => !breaches(alarm, v)) && alarm.treatMissingData !== "breaching") {
    // The guide's "0 - - - -" and "- - - - 0" rows: no real point breaches, nothing to fill with one.
    return "OK";
  } else if (alarm.treatMissingData === "breaching" || alarm.treatMissingData === "notBreaching") {
    const filled = alarm.evaluationPeriods - real.length;
    evaluated = [
      ...real.map((v) => breaches(alarm, v)),
      ...Array<boolean>(filled).fill(alarm.treatMissingData === "breaching"),
    ];
  } else {
    throw new Error(
      `not modelled: treatMissingData ${alarm.treatMissingData} with ${real.length} of ${alarm.evaluationPeriods} points`,
    );
  }
  return evaluated.filter(Boolean).length >= alarm.datapointsToAlarm ? "ALARM" : "OK";
}

/** The state after each evaluation from `from` to `to`, every `stepMs` (CloudWatch evaluates continually). */
export function stateHistory(
  alarm: MetricAlarm,
  points: readonly DataPoint[],
  from: number,
  to: number,
  stepMs: number,
  rangePeriods: number,
): { at: number; state: AlarmState }[] {
  const history: { at: number; state: AlarmState }[] = [];
  // A new alarm starts in INSUFFICIENT_DATA (guide, "Alarm states").
  let current: AlarmState = "INSUFFICIENT_DATA";
  for (let at = from; at <= to; at += stepMs) {
    current = evaluateAlarm(alarm, points, at, { rangePeriods, current });
    history.push({ at, state: current });
  }
  return history;
}
