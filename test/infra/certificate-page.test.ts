/**
 * The certificate page on the dashboard: a CloudWatch custom widget whose function reads the
 * scan-state table's page index and the alarm table and nothing else, each environment variable
 * beside the grant that makes it usable; the index projects only what the page shows. cdk-nag's
 * AwsSolutions checks run on every synth here (support.ts).
 */
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { SCAN_STATE_TABLE_KEYS } from "../../functions/adapters/table-keys";
import { ENV } from "../../functions/handlers/shared/environment";
import { fullConfig, grantsOf, logicalIdOf, synth } from "./support";

let template: Template;
beforeAll(() => {
  template = synth(fullConfig());
});

const widgetFunction = () =>
  logicalIdOf(template, "AWS::Lambda::Function", {
    Description: Match.stringLikeRegexp("^CloudWatch custom widget: certificates"),
  });
const tableOf = (prefix: string) =>
  Object.keys(template.findResources("AWS::DynamoDB::GlobalTable")).find((id) => id.startsWith(prefix))!;

describe("the certificate page widget", () => {
  it("is the dashboard's first widget, a full row calling the widget function", () => {
    // Assess
    const dashboard = Object.values(template.findResources("AWS::CloudWatch::Dashboard"))[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    const first = body.indexOf('{\\"type\\":\\"');
    expect(body.slice(first, first + 120)).toContain(
      '{\\"type\\":\\"custom\\",\\"width\\":24,\\"height\\":18,\\"x\\":0,\\"y\\":0',
    );
    expect(dashboard.Properties.DashboardBody["Fn::Join"][1]).toContainEqual({
      "Fn::GetAtt": [widgetFunction(), "Arn"],
    });
    expect(body).toContain('\\"params\\":{\\"title\\":\\"Certificates\\",\\"pageSize\\":50}');
  });

  it("may Query the page index and Scan the alarm table, and write only its logs", () => {
    // Assess
    const role = template.toJSON().Resources[widgetFunction()].Properties.Role["Fn::GetAtt"][0] as string;
    const grants = grantsOf(template, new RegExp(`^${role}$`));
    const scanState = tableOf("ScanState");
    const alarms = tableOf("AlarmState");
    expect(grants.map(([action]) => action).sort()).toEqual([
      "dynamodb:Query",
      "dynamodb:Scan",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    expect(grants.find(([action]) => action === "dynamodb:Query")![1]).toBe(
      JSON.stringify({
        "Fn::Join": [
          "",
          [{ "Fn::GetAtt": [scanState, "Arn"] }, `/index/${SCAN_STATE_TABLE_KEYS.pageIndex.indexName}`],
        ],
      }),
    );
    expect(grants.find(([action]) => action === "dynamodb:Scan")![1]).toBe(
      JSON.stringify({ "Fn::GetAtt": [alarms, "Arn"] }),
    );
  });

  it("names exactly the two tables it is granted, and has no queue or dead letters (CloudWatch calls it synchronously)", () => {
    // Assess
    const fn = template.toJSON().Resources[widgetFunction()].Properties;
    expect(fn.Environment.Variables).toEqual({
      POWERTOOLS_SERVICE_NAME: expect.any(String),
      POWERTOOLS_METRICS_NAMESPACE: expect.any(String),
      [ENV.scanStateTable]: { Ref: tableOf("ScanState") },
      [ENV.alarmTable]: { Ref: tableOf("AlarmState") },
    });
    expect(fn.DeadLetterConfig).toBeUndefined();
    expect(fn.Runtime).toBe("nodejs24.x");
    const invokeConfigs = template.findResources("AWS::Lambda::EventInvokeConfig", {
      Properties: { FunctionName: { Ref: widgetFunction() } },
    });
    expect(invokeConfigs).toEqual({});
  });

  it("keeps the scan's grant on the table itself: the scan never reads the page index", () => {
    // Assess
    const scan = logicalIdOf(template, "AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Scans stored"),
    });
    const role = template.toJSON().Resources[scan].Properties.Role["Fn::GetAtt"][0] as string;
    const onStateTable = grantsOf(template, new RegExp(`^${role}$`)).filter(
      ([action, resource]) => action.startsWith("dynamodb:") && resource.includes(tableOf("ScanState")),
    );
    expect(onStateTable.map(([, resource]) => resource)).toEqual(
      onStateTable.map(() => JSON.stringify({ "Fn::GetAtt": [tableOf("ScanState"), "Arn"] })),
    );
  });

  it("indexes inventory entries by shard, projecting only the page attribute and the time to live", () => {
    // Assess
    template.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      GlobalSecondaryIndexes: [
        {
          IndexName: SCAN_STATE_TABLE_KEYS.pageIndex.indexName,
          KeySchema: [{ AttributeName: SCAN_STATE_TABLE_KEYS.pageIndex.partitionKey.name, KeyType: "HASH" }],
          Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["page", "expiresAt"] },
        },
      ],
    });
  });

  it("is not deployed without the dashboard", () => {
    // Act
    const without = synth({ ...fullConfig(), operations: { dashboard: false } });

    // Assess
    expect(
      Object.values(without.findResources("AWS::Lambda::Function")).filter((f) =>
        String(f.Properties.Description).startsWith("CloudWatch custom widget"),
      ),
    ).toEqual([]);
  });
});
