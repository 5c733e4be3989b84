import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { SEVERITIES } from "../../functions/core/contracts";
import { DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from "../../functions/core/metrics";
import type { DeadLetterQueue } from "./dead-letter-queue";
import type { WatchpostFunction } from "./watchpost-function";

export interface WatchdogProps {
  functions: Record<string, WatchpostFunction>;
  deadLetterQueues: Record<string, DeadLetterQueue>;
  topics: sns.ITopic[];
  /** Hours without a successful full certificate scan before the staleness alarm fires. */
  scanStalenessHours: number;
  dashboard: boolean;
}

/** Two-hour periods keep the staleness window inside CloudWatch's limits on evaluation ranges. */
const STALENESS_PERIOD_HOURS = 2;

/**
 * Watching the watcher: CloudWatch alarms to the alarm topic when a function fails, a dead-letter
 * queue holds messages, or no full certificate scan has succeeded for too long (missing data counts
 * as breaching: a scan that never runs is exactly what this alarm is for); and a dashboard.
 */
export class Watchdog extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: WatchdogProps) {
    super(scope, id);
    const notify = props.topics.map((topic) => new actions.SnsAction(topic));
    const add = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(...notify);
      alarm.addOkAction(...notify);
      this.alarms.push(alarm);
    };

    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        fn.function
          .metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM })
          .createAlarm(this, `${name}Errors`, {
            alarmDescription: `watchpost ${name} function failed; see its log group for the error.`,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      );
    }
    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      add(
        dlq.queue
          .metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
          })
          .createAlarm(this, `${name}DeadLetters`, {
            alarmDescription: `watchpost ${name}: events failed every retry and wait in the dead-letter queue.`,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      );
    }
    const periods = Math.ceil(props.scanStalenessHours / STALENESS_PERIOD_HOURS);
    add(
      watchpostMetric(
        METRIC.scanSucceeded,
        {},
        cloudwatch.Stats.SUM,
        Duration.hours(STALENESS_PERIOD_HOURS),
      ).createAlarm(this, "CertificateScanStale", {
        alarmDescription: `No full certificate scan has succeeded for ${props.scanStalenessHours} hours: expiring certificates would go unnoticed.`,
        threshold: 1,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );

    if (props.dashboard) this.dashboard = this.buildDashboard(props);
  }

  private buildDashboard(props: WatchdogProps): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      defaultInterval: Duration.days(7),
    });
    const fiveMinutes = Duration.minutes(5);
    dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: "Soonest certificate expiry (days)",
        metrics: [
          watchpostMetric(METRIC.soonestDaysToExpiry, {}, cloudwatch.Stats.MINIMUM, Duration.days(1)),
        ],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: "Soonest certificate expiry (days)",
        left: [watchpostMetric(METRIC.soonestDaysToExpiry, {}, cloudwatch.Stats.MINIMUM, Duration.hours(6))],
        width: 9,
      }),
      new cloudwatch.GraphWidget({
        title: "Active alarms by severity",
        left: SEVERITIES.map((severity) =>
          watchpostMetric(
            METRIC.activeAlarms,
            { [DIMENSION.severity]: severity },
            cloudwatch.Stats.MAXIMUM,
            fiveMinutes,
          ),
        ),
        stacked: true,
        width: 9,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Check durations (ms)",
        left: [watchpostMetric(METRIC.scanDurationMs, {}, cloudwatch.Stats.MAXIMUM, fiveMinutes)],
        right: [watchpostMetric(METRIC.certificatesScanned, {}, cloudwatch.Stats.MAXIMUM, fiveMinutes)],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "Credential step latency (ms, p90)",
        left: [searchByDimension(METRIC.credentialStepLatencyMs, DIMENSION.step, "p90")],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "Findings by check",
        left: [searchByDimension(METRIC.findings, DIMENSION.check, "Sum")],
        stacked: true,
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Function errors",
        left: Object.entries(props.functions).map(([name, fn]) =>
          fn.function.metricErrors({ label: name, period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        ),
        width: 8,
      }),
      // An incremental scan should download little: a jump in downloads means the store churned,
      // the trust bundle changed, or the inventory is not being kept.
      new cloudwatch.GraphWidget({
        title: "Scanned objects: downloaded vs judged from the inventory",
        left: [
          watchpostMetric(METRIC.objectsDownloaded, {}, cloudwatch.Stats.SUM, Duration.hours(1)),
          watchpostMetric(METRIC.objectsReused, {}, cloudwatch.Stats.SUM, Duration.hours(1)),
        ],
        stacked: true,
        width: 8,
      }),
      new cloudwatch.AlarmStatusWidget({ title: "watchpost health", alarms: this.alarms, width: 8 }),
    );
    return dashboard;
  }
}

function watchpostMetric(
  metricName: string,
  dimensions: Record<string, string>,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [DIMENSION.service]: SERVICE_NAME, ...dimensions },
    statistic,
    period,
  });
}

/**
 * One line per dimension value (check names, credential steps) without listing them here: the
 * values are bounded by the code, and a new check appears on the dashboard without a redeploy.
 */
function searchByDimension(
  metricName: string,
  dimension: string,
  statistic: string,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${DIMENSION.service},${dimension}} MetricName="${metricName}"', '${statistic}', 300)`,
    usingMetrics: {},
    label: "",
    period: Duration.minutes(5),
  });
}
