import * as path from "node:path";
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { SCAN_STATE_TABLE_KEYS } from "../../functions/adapters/table-keys";
import type { WatchpostConfig } from "../../functions/core/config";
import { ENV } from "../../functions/handlers/shared/environment";
import { WatchpostFunction } from "./watchpost-function";

const HANDLER = path.join(import.meta.dirname, "..", "..", "functions", "handlers", "certificate-page.ts");

export interface CertificatePageProps {
  config: WatchpostConfig;
  scanStateTable: dynamodb.ITableV2;
  alarmTable: dynamodb.ITableV2;
}

/**
 * The certificate page as a CloudWatch custom widget: a function CloudWatch calls synchronously
 * with the console user's own permission to invoke it (CloudWatch User Guide, "Details about
 * custom widgets in CloudWatch"), so it has no resource policy, no queue and no dead letters. Its
 * role reads exactly two things: the scan-state table's `inventory-page` index (Query) and the
 * alarm table (Scan of the live alarms). Each environment variable is set by the grant beside it.
 */
export class CertificatePage extends Construct {
  readonly function: WatchpostFunction;

  constructor(scope: Construct, id: string, props: CertificatePageProps) {
    super(scope, id);
    this.function = new WatchpostFunction(this, "Widget", {
      entry: HANDLER,
      description:
        "CloudWatch custom widget: certificates by days left, expiry timeline, active alarms (read-only)",
      config: props.config,
      // Rendering is one thread of CPU work: 1,769 MB is where Lambda gives a whole vCPU. A refresh
      // of 100,000 certificates takes seconds of it (docs/benchmarks.md, "Certificate page"); the
      // timeout leaves room for a cold start on a larger inventory.
      timeout: Duration.seconds(60),
      memorySize: 1769,
      invokedAsynchronously: false,
    });
    const fn = this.function.function;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:Query"],
        resources: [`${props.scanStateTable.tableArn}/index/${SCAN_STATE_TABLE_KEYS.pageIndex.indexName}`],
      }),
    );
    fn.addEnvironment(ENV.scanStateTable, props.scanStateTable.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:Scan"],
        resources: [props.alarmTable.tableArn],
      }),
    );
    fn.addEnvironment(ENV.alarmTable, props.alarmTable.tableName);
  }

  /** The widget on the dashboard, a full row wide, calling this function. */
  widget(): cloudwatch.CustomWidget {
    return new cloudwatch.CustomWidget({
      functionArn: this.function.function.functionArn,
      title: "Certificates by days left, expiry timeline and active alarms",
      width: 24,
      height: 18,
      params: { title: "Certificates", pageSize: 50 },
      updateOnRefresh: true,
      updateOnResize: false,
      updateOnTimeRangeChange: false,
    });
  }
}
