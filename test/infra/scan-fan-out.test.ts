/**
 * The wiring that makes scans incremental and lets a large source fan out: the scan-state table,
 * the batch queue with its dead-letter queue, the queue feeding the scan function back, and the
 * environment variables paired with the grants that make them usable.
 */
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { SCAN_STATE_TABLE_KEYS } from "../../functions/adapters/object-inventory";
import { ENV } from "../../functions/handlers/shared/environment";
import { fullConfig, logicalIdOf, synth } from "./support";

let template: Template;
beforeAll(() => {
  template = synth(fullConfig());
});

const scanFunction = () =>
  logicalIdOf(template, "AWS::Lambda::Function", { Description: Match.stringLikeRegexp("^Scans stored") });
const idStartingWith = (type: string, prefix: string) => {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};
const stateTable = () => idStartingWith("AWS::DynamoDB::GlobalTable", "ScanState");
const batchQueue = () => idStartingWith("AWS::SQS::Queue", "ScanStateBatchQueue");
const batchDeadLetters = () => idStartingWith("AWS::SQS::Queue", "ScanStateBatchDeadLetters");

describe("scan state and fan-out", () => {
  it("keeps the inventory in a table keyed as the adapter expects, with TTL, recovery and encryption", () => {
    // Assess
    template.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      KeySchema: [
        { AttributeName: SCAN_STATE_TABLE_KEYS.partitionKey.name, KeyType: "HASH" },
        { AttributeName: SCAN_STATE_TABLE_KEYS.sortKey.name, KeyType: "RANGE" },
      ],
      TimeToLiveSpecification: { AttributeName: SCAN_STATE_TABLE_KEYS.timeToLiveAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(stateTable()).toBeTruthy();
  });

  // Lambda Developer Guide, "Understanding SQS retries" (https://docs.aws.amazon.com/lambda/latest/dg/sqs-retries.html):
  // "Set the maxReceiveCount on the source queue's redrive policy to at least 5", so a batch throttled
  // at the scan's concurrency limit is retried rather than dead-lettered.
  it("hands batches over an encrypted queue whose failures land in a watched dead-letter queue after five tries", () => {
    // Assess
    const queue = template.toJSON().Resources[batchQueue()].Properties;
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { "Fn::GetAtt": [batchDeadLetters(), "Arn"] },
      maxReceiveCount: 5,
    });
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.VisibilityTimeout).toBe(6 * 600); // six times the scan function's timeout
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [batchDeadLetters(), "QueueName"] } }],
    });
  });

  it("feeds batches back to the scan function one at a time, bounded, with partial batch responses", () => {
    // Assess
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: scanFunction() },
      EventSourceArn: { "Fn::GetAtt": [batchQueue(), "Arn"] },
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  // docs/benchmarks.md, "Lambda sizing": below 1,769 MB (one vCPU; AWS Lambda Developer Guide,
  // "Configure Lambda function memory") a CPU-bound scan costs the same GB-seconds at any size, so
  // the smallest size known to hold it is the cheapest per object; the 10-minute timeout stays.
  it("gives the scan function the memory that makes a scan cheapest per object, 512 MB, within its 10 minutes", () => {
    // Assess
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Scans stored"),
      MemorySize: 512,
      Timeout: 600,
    });
  });

  it("tells the scan where the state table and queue are, and lets it use them", () => {
    // Assess
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Scans stored"),
      Environment: {
        Variables: Match.objectLike({
          [ENV.scanStateTable]: { Ref: stateTable() },
          [ENV.scanQueueUrl]: { Ref: batchQueue() },
          [ENV.scanBatchSize]: "500",
        }),
      },
    });
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      )
      .map((s) => ({ actions: [s.Action].flat(), resource: JSON.stringify(s.Resource) }));
    expect(statements).toContainEqual({
      actions: expect.arrayContaining(["sqs:SendMessage"]),
      resource: expect.stringContaining(batchQueue()),
    });
    expect(statements).toContainEqual({
      actions: expect.arrayContaining([
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:UpdateItem",
      ]),
      resource: expect.stringContaining(stateTable()),
    });
  });

  it("takes the batch size and the number of workers from the configuration", () => {
    // Act
    const tuned = synth({ ...fullConfig(), operations: { scanBatchSize: 50, scanWorkers: 3 } });

    // Assess
    tuned.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ScalingConfig: { MaximumConcurrency: 3 },
    });
    tuned.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Scans stored"),
      Environment: { Variables: Match.objectLike({ [ENV.scanBatchSize]: "50" }) },
    });
  });
});
