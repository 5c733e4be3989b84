import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../functions/handlers/shared/environment";
import { fullConfig, grantsOf, logicalIdOf, minimalConfig, synth } from "./support";

let full: Template;
beforeAll(() => {
  full = synth(fullConfig());
});

const topicId = (displayName: string) => logicalIdOf(full, "AWS::SNS::Topic", { DisplayName: displayName });

describe("alarm events to the notifier", () => {
  it("routes every alarm detail-type from the watchpost bus to the notifier, except silenced ones", () => {
    // Assess
    full.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: logicalIdOf(full, "AWS::Events::EventBus") },
      EventPattern: {
        source: ["watchpost"],
        "detail-type": ["Alarm Raised", "Alarm Severity Changed", "Alarm Reminder", "Alarm Cleared"],
        detail: { silenced: [false] },
      },
      Targets: [
        Match.objectLike({
          Arn: {
            "Fn::GetAtt": [
              logicalIdOf(full, "AWS::Lambda::Function", { Description: Match.stringLikeRegexp("^Formats") }),
              "Arn",
            ],
          },
        }),
      ],
    });
  });

  it("tells the notifier its topics and lets it publish to exactly those", () => {
    // Prepare
    const alarmTopic = topicId("watchpost alarms");
    const majorChat = topicId("watchpost alarms, major and worse");
    const minorChat = topicId("watchpost alarms, minor and worse");

    // Assess
    full.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Formats"),
      Environment: {
        Variables: Match.objectLike({
          [ENV.alarmTopics]: Match.objectLike({ "Fn::Join": Match.anyValue() }),
        }),
      },
    });
    const published = grantsOf(full, /./)
      .filter(([action]) => action === "sns:Publish")
      .map(([, resource]) => JSON.parse(resource));
    expect(published).toEqual(
      expect.arrayContaining([{ Ref: alarmTopic }, { Ref: majorChat }, { Ref: minorChat }]),
    );
    expect(published).toHaveLength(3);
  });
});

describe("email", () => {
  it("subscribes each address, without a filter policy, to the topic of its minimum severity", () => {
    // Assess: a filter policy would drop CloudWatch's attribute-less alarm notifications
    full.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
      TopicArn: { Ref: topicId("watchpost alarms, major and worse") },
      FilterPolicy: Match.absent(),
    });
    full.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "team@example.com",
      TopicArn: { Ref: topicId("watchpost alarms") },
      FilterPolicy: Match.absent(),
    });
  });
});

describe("chat", () => {
  it("configures Slack and Microsoft Teams channels on the topic of their minimum severity, with a read-only guardrail", () => {
    // Assess
    full.hasResourceProperties("AWS::Chatbot::SlackChannelConfiguration", {
      SlackWorkspaceId: "T0123ABCD",
      SlackChannelId: "C0123ABCD",
      SnsTopicArns: [{ Ref: topicId("watchpost alarms, major and worse") }],
      GuardrailPolicies: [
        Match.objectLike({
          "Fn::Join": ["", Match.arrayWith([":iam::aws:policy/CloudWatchReadOnlyAccess"])],
        }),
      ],
    });
    full.hasResourceProperties("AWS::Chatbot::MicrosoftTeamsChannelConfiguration", {
      TeamId: "11111111-2222-3333-4444-555555555555",
      TeamsChannelId: "19%3Aabc%40thread.tacv2",
      SnsTopicArns: [{ Ref: topicId("watchpost alarms, minor and worse") }],
    });
  });

  it("creates no chat topic or channel when none is configured", () => {
    // Act
    const template = synth(minimalConfig());

    // Assess
    template.resourceCountIs("AWS::SNS::Topic", 1);
    template.resourceCountIs("AWS::Chatbot::SlackChannelConfiguration", 0);
    template.resourceCountIs("AWS::Chatbot::MicrosoftTeamsChannelConfiguration", 0);
  });
});

describe("webhooks", () => {
  const deliveryFunction = () =>
    logicalIdOf(full, "AWS::Lambda::Function", { Description: Match.stringLikeRegexp("^Renders watchpost") });
  const queues = () => full.findResources("AWS::SQS::Queue", { Properties: { FifoQueue: true } });

  it("queue deliveries on a FIFO queue the notifier may send to, with content-based deduplication and a FIFO dead-letter queue", () => {
    // Prepare
    const fifo = queues();
    const [queueId] = Object.entries(fifo).find(([, q]) => q.Properties.RedrivePolicy)!;
    const [deadLettersId] = Object.entries(fifo).find(([, q]) => !q.Properties.RedrivePolicy)!;

    // Assess
    expect(Object.keys(fifo)).toHaveLength(2);
    expect(fifo[queueId]!.Properties).toMatchObject({
      ContentBasedDeduplication: true,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [deadLettersId, "Arn"] }, maxReceiveCount: 10 },
      // The most SQS keeps a message: during a long outage a webhook's backlog waits in its FIFO
      // group an hour per message, and must end in the dead-letter queue (whose alarm fires), not
      // expire unseen. A FIFO dead-letter queue restarts the clock on arrival (Amazon SQS Developer
      // Guide, "Setting-up dead-letter queue retention in Amazon SQS").
      MessageRetentionPeriod: 14 * 86_400,
    });
    expect(fifo[deadLettersId]!.Properties).toMatchObject({ MessageRetentionPeriod: 14 * 86_400 });
    const notifier = logicalIdOf(full, "AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Formats"),
    });
    full.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ [ENV.webhookQueueUrl]: { Ref: queueId } }) },
    });
    // SendMessage only: the notifier never reads the queue or its attributes.
    expect(
      grantsOf(full, /^NotifierRole/).filter(
        ([, resource]) => resource === JSON.stringify({ "Fn::GetAtt": [queueId, "Arn"] }),
      ),
    ).toEqual([["sqs:SendMessage", JSON.stringify({ "Fn::GetAtt": [queueId, "Arn"] })]]);
    expect(notifier).toBeDefined();
  });

  it("feed the webhook function one message at a time, and let it read exactly the webhooks' secrets", () => {
    // Prepare
    const fn = deliveryFunction();

    // Assess
    full.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: fn },
      BatchSize: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    const secretResources = grantsOf(full, /^WebhooksDeliverRole/)
      .filter(([action]) => action === "secretsmanager:GetSecretValue")
      .map(([, resource]) => resource);
    expect(secretResources).toHaveLength(3);
    for (const name of ["watchpost/pager", "watchpost/slack-hook", "watchpost/teams-hook"]) {
      expect(secretResources.some((r: string) => r.includes(`:secret:${name}-??????`))).toBe(true);
    }
  });

  it("need no EventBridge API destination or connection any more", () => {
    // Assess
    full.resourceCountIs("AWS::Events::ApiDestination", 0);
    full.resourceCountIs("AWS::Events::Connection", 0);
  });
});

describe("watching the watcher", () => {
  it("alarms on errors of each function and on messages in each dead-letter queue, to the alarm and chat topics", () => {
    // Assess
    const alarms = Object.values(full.findResources("AWS::CloudWatch::Alarm"));
    const errors = alarms.filter((a) => a.Properties.MetricName === "Errors");
    const deadLetters = alarms.filter(
      (a) => a.Properties.MetricName === "ApproximateNumberOfMessagesVisible",
    );
    expect(errors).toHaveLength(5); // scan, credential check, notifier, endpoint scan, webhook delivery
    expect(deadLetters).toHaveLength(6); // four functions, the webhooks, and the scan batches
    for (const alarm of [...errors, ...deadLetters]) {
      expect(alarm.Properties.AlarmActions).toEqual(
        expect.arrayContaining([
          { Ref: topicId("watchpost alarms") },
          { Ref: topicId("watchpost alarms, major and worse") },
        ]),
      );
      expect(alarm.Properties.Threshold).toBe(1);
    }
  });

  it("alarms when no full certificate scan succeeded for 26 hours, counting missing data as breaching", () => {
    // Assess
    full.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Watchpost",
      MetricName: "ScanSucceeded",
      Dimensions: [{ Name: "service", Value: "watchpost" }],
      Statistic: "Sum",
      Period: 7200,
      EvaluationPeriods: 13,
      DatapointsToAlarm: 13,
      ComparisonOperator: "LessThanThreshold",
      Threshold: 1,
      TreatMissingData: "breaching",
    });
  });

  it("lets CloudWatch alarms publish to the encrypted topics", () => {
    // Assess
    full.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          }),
        ]),
      },
    });
  });

  it("draws a dashboard of expiries, active alarms by severity, check durations, credential latencies and scan downloads", () => {
    // Assess
    const dashboard = Object.values(full.findResources("AWS::CloudWatch::Dashboard"))[0];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const expected of [
      "SoonestDaysToExpiry",
      "ActiveAlarms",
      "Severity",
      "ScanDurationMs",
      "CredentialStepLatencyMs",
      "Findings",
      "ObjectsDownloaded",
      "ObjectsReused",
    ]) {
      expect(body).toContain(expected);
    }
  });

  it("leaves the dashboard out when asked to", () => {
    // Act
    const template = synth({ ...minimalConfig(), operations: { dashboard: false } });

    // Assess
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 0);
  });
});

describe("CloudWatch's limit of five actions per alarm state", () => {
  it("refuses at synth recipients who would need more topics than a health alarm can notify, saying what to change", () => {
    // Prepare: with the "warning" topic, five prefixes make six topics
    const config = minimalConfig();
    config.notifications = {
      email: ["[a]", "[b]", "[c]", "[d]", "[e]"].map((subjectPrefix, i) => ({
        address: `ops${i}@example.com`,
        minimumSeverity: "major" as const,
        subjectPrefix,
      })),
    };

    // Act / Assess
    expect(() => synth(config)).toThrow(
      "email / slack / teams: their minimumSeverity and subjectPrefix values need 6 SNS topics, but watchpost's health alarms notify every topic and CloudWatch takes at most 5 actions per alarm state",
    );
  });

  it("takes four prefixed topics besides the one for every event", () => {
    // Prepare
    const config = minimalConfig();
    config.notifications = {
      email: ["[a]", "[b]", "[c]", "[d]"].map((subjectPrefix, i) => ({
        address: `ops${i}@example.com`,
        minimumSeverity: "major" as const,
        subjectPrefix,
      })),
    };

    // Act
    const template = synth(config);

    // Assess
    expect(Object.keys(template.findResources("AWS::SNS::Topic"))).toHaveLength(5);
    for (const alarm of Object.values(template.findResources("AWS::CloudWatch::Alarm"))) {
      expect(alarm.Properties.AlarmActions).toHaveLength(5);
      expect(alarm.Properties.OKActions).toHaveLength(5);
    }
  });
});
