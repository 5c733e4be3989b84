/**
 * What a first deploy into a real account depends on beyond what IAM decides: an existing bucket's
 * notifications and region, the partition's resource schemas, SSE-KMS buckets, what `cdk destroy`
 * leaves behind, and the watchdog's state before any data exists. Each case states the template a
 * user would deploy; the AWS documentation each one encodes is cited at the test.
 */
import { Annotations, Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, type WatchpostConfigInput } from "../../functions/core/config";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../functions/core/metrics";
import { buildStack, fullConfig, grantsOf, logicalIdOf, minimalConfig, synth } from "./support";

const ACCOUNT = "123456789012";
const KEY = (region: string) => `arn:aws:kms:${region}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function existingBucket(bucket: Record<string, unknown>): WatchpostConfigInput {
  return {
    certificates: { bucket: { existingBucketName: "acme-certs", ...bucket }, sources: [{ prefix: "x/" }] },
  };
}

/** The configuration error the synth stops with, or a failure when it does not stop. */
function refusal(input: WatchpostConfigInput, region = "eu-west-1"): string[] {
  try {
    synth(input, { account: ACCOUNT, region });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the synth to be refused");
}

describe("an existing bucket", () => {
  let template: Template;
  beforeAll(() => {
    template = synth(existingBucket({ region: "eu-west-1" }));
  });

  // S3 User Guide, "Using EventBridge" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html):
  // S3 sends events to EventBridge only once the bucket's EventBridgeConfiguration is on. The README
  // used to tell users to run put-bucket-notification-configuration, which replaces every
  // notification the bucket has (S3 API Reference, PutBucketNotificationConfiguration: "This
  // action replaces the existing notification configuration"); CDK's handler for an imported bucket
  // (Managed: false) reads the configuration first and writes it back with EventBridge added.
  it("gets its EventBridge notifications turned on, merged with the owner's other notifications", () => {
    // Assess
    const notifications = Object.values(template.findResources("Custom::S3BucketNotifications"));
    expect(notifications.map((n) => n.Properties)).toEqual([
      {
        ServiceToken: expect.anything(),
        BucketName: "acme-certs",
        NotificationConfiguration: { EventBridgeConfiguration: {} },
        Managed: false,
        SkipDestinationValidation: false,
      },
    ]);
    const bucketArn = JSON.stringify("arn:aws:s3:::acme-certs");
    expect(grantsOf(template, /BucketNotificationsHandler/).sort()).toEqual([
      ["s3:GetBucketNotification", bucketArn],
      ["s3:PutBucketNotification", bucketArn],
    ]);
  });

  it("is left alone when its owner manages its notifications (eventBridgeNotifications: false)", () => {
    // Act
    const template = synth(existingBucket({ region: "eu-west-1", eventBridgeNotifications: false }));

    // Assess
    template.resourceCountIs("Custom::S3BucketNotifications", 0);
    const functions = Object.keys(template.findResources("AWS::Lambda::Function"));
    expect(functions.filter((id) => id.startsWith("BucketNotificationsHandler"))).toEqual([]);
  });

  // S3 User Guide, "Using EventBridge": S3 delivers a bucket's events to the default event bus of the
  // bucket's own Region; SSE-KMS: "the KMS key must be in the same Region as the bucket".
  it.each([
    [
      "its region",
      { region: "us-east-1" },
      "existingBucketName: bucket acme-certs is in us-east-1, the stack in eu-west-1: S3 sends the bucket's events only to the default event bus of us-east-1, so uploads would never be re-checked, and the scan reads through eu-west-1. Deploy the stack to us-east-1 (AWS_REGION or the profile's region), or keep the certificates in a bucket in eu-west-1",
    ],
    [
      "the region of its KMS key",
      { kmsKeyArn: KEY("ap-southeast-2") },
      "existingBucketName: bucket acme-certs is in ap-southeast-2 (the region of its kmsKeyArn), the stack in eu-west-1: S3 sends the bucket's events only to the default event bus of ap-southeast-2, so uploads would never be re-checked, and the scan reads through eu-west-1. Deploy the stack to ap-southeast-2 (AWS_REGION or the profile's region), or keep the certificates in a bucket in eu-west-1",
    ],
  ])(
    "in another region than the stack stops the synth, known by %s, saying what to do",
    (_how, bucket, problem) => {
      // Act
      const problems = refusal(existingBucket(bucket));

      // Assess
      expect(problems).toEqual([problem]);
    },
  );

  it("whose region the configuration does not say makes the synth warn, saying how to check it", () => {
    // Act
    const { stack } = buildStack(existingBucket({}));

    // Assess
    Annotations.fromStack(stack).hasWarning(
      "/Watchpost/CertificateStore",
      "Bucket acme-certs must be in the stack's region (eu-west-1): S3 sends its events only to the default event bus of the bucket's own region, and the scan reads through the stack's. Set certificates.bucket.region (aws s3api get-bucket-location --bucket acme-certs) so the synth checks it; watchpost verify-deployment checks it after the deploy. [ack: watchpost:bucket-region-unchecked]",
    );
  });

  it("in the stack's region synthesizes without a warning about it", () => {
    // Act
    const { stack } = buildStack(existingBucket({ region: "eu-west-1", kmsKeyArn: KEY("eu-west-1") }));

    // Assess
    Annotations.fromStack(stack).hasNoWarning(
      "*",
      Match.stringLikeRegexp("watchpost:bucket-region-unchecked"),
    );
  });
});

describe("partitions", () => {
  const bus = (template: Template) =>
    Object.values(template.findResources("AWS::Events::EventBus"))[0]!.Properties as Record<string, unknown>;

  // AWS::Events::EventBus in GovCloud has no Description property: cfn-lint's us-gov-west-1 schema
  // (E3002), from CloudFormation's per-Region resource schemas; the first deploy would roll back.
  it.each([
    ["eu-west-1", "watchpost alarm events (source: watchpost)"],
    ["cn-north-1", "watchpost alarm events (source: watchpost)"],
    ["us-gov-west-1", undefined],
    [undefined, undefined],
  ])("the alarm bus in %s carries a description only where the schema has one", (region, description) => {
    // Act
    const template = synth(minimalConfig(), { account: ACCOUNT, ...(region ? { region } : {}) });

    // Assess
    expect(bus(template)).toEqual({
      Name: expect.any(String),
      ...(description ? { Description: description } : {}),
      Tags: [{ Key: "application", Value: "watchpost" }],
    });
  });

  // Getting Started with AWS in China, Lambda (https://docs.amazonaws.cn/en_us/aws/latest/userguide/lambda.html),
  // "Feature Availability and Implementation Differences": event source mapping (ESM) tags are not
  // available in the China Regions.
  it.each(["eu-west-1", "cn-north-1", "us-gov-west-1"])(
    "event source mappings carry no tags (%s), as the China Regions take none",
    (region) => {
      // Act
      const template = synth(
        { ...fullConfig(), notifications: { webhooks: fullConfig().notifications!.webhooks } },
        { account: ACCOUNT, region },
      );

      // Assess
      const mappings = Object.values(template.findResources("AWS::Lambda::EventSourceMapping"));
      expect(mappings).toHaveLength(2);
      expect(mappings.map((m) => m.Properties.Tags)).toEqual([undefined, undefined]);
    },
  );
});

describe("a credential target whose bucket encrypts with SSE-KMS", () => {
  // S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)", permissions: the
  // caller of PutObject needs kms:GenerateDataKey, of GetObject kms:Decrypt; S3 calls KMS with the
  // bucket's (S3 Bucket Key) or the object's ARN as the encryption context aws:s3:arn.
  it("lets the probe's put and read-back use the bucket's key, through S3, for its own objects only", () => {
    // Prepare
    const key = KEY("eu-west-1");
    const input: WatchpostConfigInput = {
      ...minimalConfig(),
      credentials: {
        targets: [
          {
            name: "kms",
            bucket: "kms-data",
            prefix: "meta/",
            region: "eu-west-1",
            writeProbe: true,
            kmsKeyArn: key,
          },
        ],
      },
    };

    // Act
    const template = synth(input);

    // Assess
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref.startsWith("CredentialCheck")))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: unknown }) => [s.Action].flat().some((a) => String(a).startsWith("kms:")));
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: key,
        Condition: {
          StringEquals: {
            "kms:ViaService": { "Fn::Join": ["", ["s3.eu-west-1.", { Ref: "AWS::URLSuffix" }]] },
          },
          StringLike: {
            "kms:EncryptionContext:aws:s3:arn": [
              "arn:aws:s3:::kms-data/meta/.watchpost-probe/*",
              "arn:aws:s3:::kms-data",
            ],
          },
        },
      },
    ]);
  });
});

describe("tear down", () => {
  // KMS Developer Guide, "Schedule key deletion": 7 to 30 days of waiting; a key left by the
  // stack (CloudFormation DeletionPolicy Retain) costs a month's fee forever.
  it("schedules the topic key's deletion after the shortest waiting period", () => {
    // Act
    const template = synth(minimalConfig());

    // Assess
    const keys = Object.values(template.findResources("AWS::KMS::Key"));
    expect(
      keys.map((k) => [k.DeletionPolicy, k.UpdateReplacePolicy, k.Properties.PendingWindowInDays]),
    ).toEqual([["Delete", "Delete", 7]]);
  });

  // What CloudFormation leaves on stack deletion (DeletionPolicy Retain): exactly what the README's
  // "Tear down" section names, the created bucket and the policy that keeps it TLS-only.
  it("keeps only the created bucket and its TLS-only policy", () => {
    // Act
    const template = synth(fullConfig());

    // Assess
    const kept = Object.entries(
      template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>,
    )
      .filter(([, resource]) => resource.DeletionPolicy === "Retain")
      .map(([, resource]) => resource.Type)
      .sort();
    expect(kept).toEqual(["AWS::S3::Bucket", "AWS::S3::BucketPolicy"]);
    const policy = Object.values(template.findResources("AWS::S3::BucketPolicy"))[0]!;
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      expect.objectContaining({ Effect: "Deny", Condition: { NumericLessThan: { "s3:TlsVersion": 1.2 } } }),
    ]);
  });
});

describe("the staleness alarm on a fresh install", () => {
  // CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data"
  // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data):
  // with every point missing and missing treated as breaching the alarm goes to ALARM; real points
  // in the evaluation range count first, "including ... data points from before the alarm was
  // created". The stack puts one ScanSucceeded point of 1 before it creates the alarm.
  it("is created after one ScanSucceeded data point starts its window", () => {
    // Act
    const template = synth(minimalConfig());

    // Assess
    const alarmId = logicalIdOf(template, "AWS::CloudWatch::Alarm", { MetricName: "ScanSucceeded" });
    const alarm = template.toJSON().Resources[alarmId];
    const markers = template.findResources("Custom::AWS");
    expect(Object.keys(markers)).toHaveLength(1);
    const [markerId, marker] = Object.entries(markers)[0]!;
    expect(alarm.DependsOn).toContain(markerId);
    expect(alarm.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [{ Name: "service", Value: SERVICE_NAME }],
      TreatMissingData: "breaching",
    });
    expect(JSON.parse(marker.Properties.Create)).toEqual({
      service: "CloudWatch",
      action: "putMetricData",
      parameters: {
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          {
            MetricName: "ScanSucceeded",
            Dimensions: [{ Name: "service", Value: SERVICE_NAME }],
            Value: 1,
            Unit: "Count",
          },
        ],
      },
      physicalResourceId: { id: "watchpost-staleness-window-start" },
    });
    expect(marker.Properties.Update).toBeUndefined();
  });
});

describe("the webhook function", () => {
  it("has no asynchronous retry settings nor a dead-letter queue nothing could fill", () => {
    // Act
    const template = synth(fullConfig());

    // Assess
    const webhook = logicalIdOf(template, "AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Renders watchpost alarm notifications for webhooks"),
    });
    const invokeConfigs = Object.values(template.findResources("AWS::Lambda::EventInvokeConfig")).map(
      (c) => c.Properties.FunctionName.Ref,
    );
    expect(invokeConfigs).not.toContain(webhook);
    expect(
      Object.keys(template.findResources("AWS::SQS::Queue")).filter((id) => id.startsWith("WebhooksDeliver")),
    ).toEqual([]);
  });
});
