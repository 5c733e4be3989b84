import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ALARM_TABLE_KEYS } from "../../functions/adapters/alarm-store";
import { ENV } from "../../functions/handlers/shared/environment";
import { portRanges } from "../../lib/constructs/watchpost-function";
import { fullConfig, logicalIdOf, minimalConfig, synth } from "./support";

let full: Template;
beforeAll(() => {
  full = synth(fullConfig());
});

/** The alarm table is the one whose logical ID says so (the other holds the scan state). */
const alarmTable = () =>
  Object.keys(full.findResources("AWS::DynamoDB::GlobalTable")).find((id) => id.startsWith("AlarmState"));

const scanFunction = () =>
  logicalIdOf(full, "AWS::Lambda::Function", { Description: Match.stringLikeRegexp("^Scans stored") });

describe("schedules", () => {
  it("scans certificates daily at 01:00 UTC and checks credentials every 5 minutes, by default", () => {
    // Assess
    full.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "cron(0 1 * * ? *)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [scanFunction(), "Arn"] } })],
    });
    full.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(5 minutes)" });
    full.resourceCountIs("AWS::Scheduler::Schedule", 0);
  });

  it("uses EventBridge Scheduler when a time zone is configured, so 01:00 is local time", () => {
    // Act
    const template = synth({
      ...minimalConfig(),
      schedules: { certificateScan: { expression: "cron(0 1 * * ? *)", timeZone: "Europe/Berlin" } },
    });

    // Assess
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(0 1 * * ? *)",
      ScheduleExpressionTimezone: "Europe/Berlin",
      Target: Match.objectLike({
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
      }),
    });
    expect(
      template.findResources("AWS::Events::Rule", {
        Properties: { ScheduleExpression: "cron(0 1 * * ? *)" },
      }),
    ).toEqual({});
    // The schedule invokes the unqualified function: its role may invoke exactly that (no ":*").
    const scan = logicalIdOf(template, "AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Scans stored"),
    });
    const invokes = Object.values(template.findResources("AWS::IAM::Policy"))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: unknown }) => s.Action === "lambda:InvokeFunction");
    expect(invokes).toEqual([expect.objectContaining({ Resource: { "Fn::GetAtt": [scan, "Arn"] } })]);
  });

  it("checks the hosts that push every 15 minutes, invoking the scan with the host check's input", () => {
    // Assess: a rule's input replaces the event, so it carries the Scheduled Event's shape itself
    full.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(15 minutes)",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [scanFunction(), "Arn"] },
          InputTransformer: {
            InputPathsMap: { time: "$.time" },
            InputTemplate:
              '{"source":"aws.events","detail-type":"Scheduled Event","time":<time>,"detail":{"check":"host-heartbeats"}}',
          },
        }),
      ],
    });
  });

  it("gives the host check's schedule the same input through EventBridge Scheduler in a time zone", () => {
    // Act
    const template = synth({
      ...minimalConfig(),
      schedules: { hostCheck: { expression: "cron(*/10 * * * ? *)", timeZone: "Europe/Berlin" } },
    });

    // Assess
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(*/10 * * * ? *)",
      Target: Match.objectLike({
        Input:
          '{"source":"aws.scheduler","detail-type":"Scheduled Event","time":"<aws.scheduler.scheduled-time>","detail":{"check":"host-heartbeats"}}',
      }),
    });
  });

  it("leaves a disabled schedule in place but switched off", () => {
    // Act
    const template = synth({
      ...minimalConfig(),
      schedules: { credentialCheck: { expression: "rate(5 minutes)", enabled: false } },
    });

    // Assess
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(5 minutes)",
      State: "DISABLED",
    });
  });
});

describe("object events", () => {
  it("re-checks an object created or deleted under a configured prefix of the certificate bucket", () => {
    // Assess
    full.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.s3"],
        "detail-type": ["Object Created", "Object Deleted"],
        detail: {
          bucket: { name: [{ Ref: logicalIdOf(full, "AWS::S3::Bucket") }] },
          // Trust bundles, peer certificates and peers' trust stores outside the prefixes are
          // matched by exact key, a pushed trust store by where `watchpost push` writes it.
          object: {
            key: [
              { prefix: "prod/" },
              { prefix: "staging/" },
              "hosts/k2.example.com/etc/kafka/ssl/kafka.truststore.jks",
              "peers/e1.pem",
              "peers/k1.pem",
              "peers/k2.pem",
              "trust/ca.pem",
              "trust/etcd-ca.pem",
              "trust/k1.truststore.p12",
            ],
          },
        },
      },
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [scanFunction(), "Arn"] } })],
    });
  });

  it("watches the whole bucket when a source's prefix is empty", () => {
    // Act
    const template = synth({ certificates: { sources: [{ prefix: "" }] } });

    // Assess
    const rules = template.findResources("AWS::Events::Rule", {
      Properties: { EventPattern: { source: ["aws.s3"] } },
    });
    const pattern = Object.values(rules)[0]?.Properties.EventPattern;
    expect(pattern.detail.object).toBeUndefined();
  });

  it("turns on EventBridge notifications on the bucket it creates, as the bucket's own property", () => {
    // Assess
    full.hasResourceProperties("AWS::S3::Bucket", {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    full.resourceCountIs("Custom::S3BucketNotifications", 0);
  });

  it("creates no bucket when an existing one is named, and watches that one", () => {
    // Act
    const template = synth({
      certificates: { bucket: { existingBucketName: "acme-certs" }, sources: [{ prefix: "x/" }] },
    });

    // Assess
    template.resourceCountIs("AWS::S3::Bucket", 0);
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ bucket: { name: ["acme-certs"] } }) }),
    });
  });
});

describe("first check after deployment", () => {
  it("invokes every check (certificates, credentials, endpoints) asynchronously after the stack's resources exist", () => {
    // Assess
    const triggers = full.findResources("Custom::Trigger");
    expect(Object.keys(triggers)).toHaveLength(3);
    for (const trigger of Object.values(triggers)) {
      expect(trigger.Properties.InvocationType).toBe("Event");
      expect(trigger.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(full, "AWS::Events::EventBus")]));
    }
  });

  it("gives the version each trigger invokes the same async retries and failure queue as the function", () => {
    // Assess: Lambda keeps async-invoke settings per qualifier; the trigger invokes a version, so
    // settings on $LATEST alone would let the first check's failure go nowhere.
    for (const trigger of Object.values(full.findResources("Custom::Trigger"))) {
      const version = trigger.Properties.HandlerArn.Ref as string;
      const fn = full.toJSON().Resources[version].Properties.FunctionName.Ref as string;
      full.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        FunctionName: { Ref: fn },
        Qualifier: { "Fn::GetAtt": [version, "Version"] },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: {
          OnFailure: { Destination: { "Fn::GetAtt": [Match.stringLikeRegexp("DeadLetters"), "Arn"] } },
        },
      });
    }
  });

  it("is left out when checkAfterDeploy is false", () => {
    // Act
    const template = synth({ ...minimalConfig(), schedules: { checkAfterDeploy: false } });

    // Assess
    template.resourceCountIs("Custom::Trigger", 0);
  });
});

describe("asynchronous delivery never loses an event silently", () => {
  it("gives every function bounded async retries, a maximum event age and a failure queue", () => {
    // Assess
    const configs = Object.values(full.findResources("AWS::Lambda::EventInvokeConfig"));
    // Four functions (the endpoint scan among them; the webhook function is only fed by its queue),
    // and the versions the three triggers invoke.
    expect(configs).toHaveLength(7);
    for (const config of configs) {
      expect(config.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [expect.any(String), "Arn"] } } },
      });
    }
  });

  it("gives every rule target a retry policy and a dead-letter queue", () => {
    // Assess
    const rules = Object.values(full.findResources("AWS::Events::Rule"));
    // Four schedules (certificates, credentials, endpoints, hosts), the object rule, the alarm rule.
    expect(rules.length).toBe(6);
    for (const rule of rules) {
      for (const target of rule.Properties.Targets) {
        expect(target.DeadLetterConfig?.Arn).toBeDefined();
        expect(target.RetryPolicy).toMatchObject({
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        });
      }
    }
  });

  it("encrypts every queue and refuses non-TLS access to it", () => {
    // Assess
    const queues = full.findResources("AWS::SQS::Queue");
    // Four functions' dead letters, the scan batches and theirs, the webhook deliveries and theirs.
    expect(Object.keys(queues)).toHaveLength(8);
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      full.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    }
  });
});

describe("functions", () => {
  it("run a current Node.js on ARM64 with JSON logs in their own log group with retention", () => {
    // Assess
    const functions = full.findResources("AWS::Lambda::Function", {
      Properties: { Description: Match.anyValue() },
    });
    const ours = Object.values(functions).filter(
      (f) => String(f.Properties.Description).length > 0 && f.Properties.LoggingConfig,
    );
    // The two scans, the credential check, the notifier, the webhook sender and the page widget.
    expect(ours).toHaveLength(6);
    for (const fn of ours) {
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        LoggingConfig: { LogFormat: "JSON", LogGroup: { Ref: expect.any(String) } },
      });
    }
    full.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("tell the scan where the bucket, table and bus are", () => {
    // Assess
    full.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Scans stored"),
      Environment: {
        Variables: Match.objectLike({
          [ENV.certificateBucket]: { Ref: logicalIdOf(full, "AWS::S3::Bucket") },
          [ENV.alarmTable]: { Ref: alarmTable() },
          [ENV.eventBus]: { Ref: logicalIdOf(full, "AWS::Events::EventBus") },
          POWERTOOLS_SERVICE_NAME: "watchpost",
          POWERTOOLS_METRICS_NAMESPACE: "Watchpost",
        }),
      },
    });
  });
});

describe("alarm state", () => {
  it("uses the store adapter's keys and TTL attribute, with point-in-time recovery and encryption", () => {
    // Assess
    full.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      KeySchema: [
        { AttributeName: ALARM_TABLE_KEYS.partitionKey.name, KeyType: "HASH" },
        { AttributeName: ALARM_TABLE_KEYS.sortKey.name, KeyType: "RANGE" },
      ],
      TimeToLiveSpecification: { AttributeName: ALARM_TABLE_KEYS.timeToLiveAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });
});

describe("endpoint scan", () => {
  it("runs hourly, in the configured subnets, with a security group that only lets it reach the endpoints and HTTPS", () => {
    // Assess
    const [id, fn] = Object.entries(full.findResources("AWS::Lambda::Function")).find(([, f]) =>
      String(f.Properties.Description).startsWith("Probes live TLS endpoints"),
    )!;
    expect(fn.Properties.VpcConfig).toEqual({
      SubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"],
      SecurityGroupIds: [{ "Fn::GetAtt": [expect.stringMatching(/^EndpointScanSecurityGroup/), "GroupId"] }],
    });
    const groups = Object.values(full.findResources("AWS::EC2::SecurityGroup"));
    expect(groups).toHaveLength(1);
    expect(groups[0]!.Properties.SecurityGroupIngress).toBeUndefined();
    const egress = groups[0]!.Properties.SecurityGroupEgress as { FromPort: number; ToPort: number }[];
    expect([...new Set(egress.map((r) => `${r.FromPort}-${r.ToPort}`))].sort()).toEqual([
      "25-25",
      "443-443",
      "5432-5432",
      "6443-6443",
    ]);
    full.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [id, "Arn"] } })],
    });
  });

  it("is the only function in a VPC", () => {
    // Assess
    const inVpc = Object.values(full.findResources("AWS::Lambda::Function")).filter(
      (f) => f.Properties.VpcConfig,
    );
    expect(inVpc.map((f) => String(f.Properties.Description).split(" ")[0])).toEqual(["Probes"]);
  });

  it("merges many endpoint ports into at most 25 ranges, covering every port", () => {
    // Act
    const ports = Array.from({ length: 100 }, (_, i) => 1000 + i * 7);
    const ranges = portRanges([...ports, 443], 25);

    // Assess
    expect(ranges).toHaveLength(25);
    for (const port of [...ports, 443])
      expect(ranges.some(([from, to]) => from <= port && port <= to)).toBe(true);
    expect(portRanges([25, 26, 27, 443], 25)).toEqual([
      [25, 27],
      [443, 443],
    ]);
  });
});
