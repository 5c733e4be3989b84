import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as cr from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { SEVERITIES } from "../../functions/core/contracts";
import { DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from "../../functions/core/metrics";
import { healthAlarmTopics } from "../../functions/core/notifications/topics";
import type { DeadLetterQueue } from "./dead-letter-queue";
import type { WatchpostFunction } from "./watchpost-function";

export interface WatchdogProps {
  functions: Record<string, WatchpostFunction>;
  deadLetterQueues: Record<string, DeadLetterQueue>;
  /** Topics every health alarm notifies (at most CloudWatch's five actions per alarm state). */
  topics: readonly sns.ITopic[];
  /** Hours without a successful full certificate scan before the staleness alarm fires. */
  scanStalenessHours: number;
  dashboard: boolean;
  /** The certificate page (a custom widget), shown first on the dashboard. */
  pageWidget?: cloudwatch.IWidget;
  /** Retention of the log group of CDK's custom-resource function, as for watchpost's own. */
  logRetentionDays: number;
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
    const notify = healthAlarmTopics(props.topics).map((topic) => new actions.SnsAction(topic));
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
    const stale = watchpostMetric(
      METRIC.scanSucceeded,
      {},
      cloudwatch.Stats.SUM,
      Duration.hours(STALENESS_PERIOD_HOURS),
    ).createAlarm(this, "CertificateScanStale", {
      alarmDescription: `No full certificate scan has succeeded for ${props.scanStalenessHours} hours (or since the stack was created): expiring certificates would go unnoticed.`,
      threshold: 1,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    stale.node.addDependency(this.startStalenessWindow(props.logRetentionDays));
    add(stale);

    if (props.dashboard) this.dashboard = this.buildDashboard(props);
  }

  /**
   * Starts the staleness window at the stack's creation. The alarm treats missing data as breaching
   * (a scan that never runs is what it is for), and a new stack has no ScanSucceeded data yet:
   * CloudWatch fills every period of the evaluation range as breaching and the alarm goes to ALARM
   * at its first evaluation, paging everyone minutes before the first scan (or, without the
   * deploy-time check, until 01:00). One data point of 1, put before the alarm is created, is a real
   * non-breaching point in that range, and CloudWatch counts real points first and fills as few as
   * it must (CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data": "any
   * real data points in the evaluation range ... are included"; "If data points are missing soon
   * after you create an alarm, and the metric was being reported to CloudWatch before you created
   * the alarm, CloudWatch retrieves the most recent data points from before the alarm was created").
   * So the alarm stays OK until that point leaves the range, by when a scan must have succeeded.
   * Once, when the stack is created: a later deploy must not hide a scan that has stopped.
   */
  private startStalenessWindow(logRetentionDays: number): cr.AwsCustomResource {
    const marker = new cr.AwsCustomResource(this, "StalenessWindowStart", {
      logGroup: new logs.LogGroup(this, "StalenessWindowStartLogs", {
        retention: logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      onCreate: {
        service: "CloudWatch",
        action: "putMetricData",
        parameters: {
          Namespace: METRICS_NAMESPACE,
          MetricData: [
            {
              MetricName: METRIC.scanSucceeded,
              Dimensions: [{ Name: DIMENSION.service, Value: SERVICE_NAME }],
              Value: 1,
              Unit: "Count",
            },
          ],
        },
        physicalResourceId: cr.PhysicalResourceId.of("watchpost-staleness-window-start"),
      },
      // PutMetricData takes no resource (Service Authorization Reference, CloudWatch); the namespace
      // condition keeps this role to watchpost's own metrics.
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ["cloudwatch:PutMetricData"],
          resources: ["*"],
          conditions: { StringEquals: { "cloudwatch:namespace": METRICS_NAMESPACE } },
        }),
      ]),
      installLatestAwsSdk: false,
    });
    Validations.of(marker).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "cloudwatch:PutMetricData takes no resource ARN; the cloudwatch:namespace condition limits it to watchpost's namespace.",
    });
    // CDK's one function behind every AwsCustomResource of the stack, created with the first.
    const provider = Stack.of(this).node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, "")}`,
    );
    const providerRole = provider?.node.tryFindChild("ServiceRole");
    if (providerRole) {
      Validations.of(providerRole).acknowledge({
        // Managed policy ARNs always use the AWS::Partition pseudo-parameter, whatever the flags say.
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        reason:
          "CDK's function behind AwsCustomResource, which puts the one data point that starts the staleness window; the managed policy only lets it write its own logs.",
      });
    }
    return marker;
  }

  private buildDashboard(props: WatchdogProps): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      defaultInterval: Duration.days(7),
    });
    if (props.pageWidget) dashboard.addWidgets(props.pageWidget);
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
