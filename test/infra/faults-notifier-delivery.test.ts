/**
 * When SNS fails, the notifier throws (test/integration/faults-notifier.test.ts). These are the
 * pieces of the stack that turn that throw into retries and finally a parked, alarmed-on event
 * instead of a lost one: EventBridge's retry policy and DLQ on the rule target, Lambda's own async
 * retries with the same DLQ as failure destination, the permissions both need to write to it, and
 * an alarm on the queue that does not itself depend on the notifier.
 */
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { fullConfig, grantsOf, logicalIdOf, synth } from "./support";

let template: Template;
let notifier: string;
let queue: string;
let rule: string;

beforeAll(() => {
  template = synth(fullConfig());
  notifier = logicalIdOf(template, "AWS::Lambda::Function", {
    Description: Match.stringLikeRegexp("^Formats watchpost alarm events"),
  });
  rule = logicalIdOf(template, "AWS::Events::Rule", {
    Description: Match.stringLikeRegexp("to the notifier"),
  });
  const [target] = template.toJSON().Resources[rule].Properties.Targets;
  queue = target.DeadLetterConfig.Arn["Fn::GetAtt"][0];
});

const arnOf = (id: string) => ({ "Fn::GetAtt": [id, "Arn"] });

describe("a notification SNS refuses is retried, then parked in a dead-letter queue, never dropped", () => {
  it("has EventBridge retry delivering an alarm event to the notifier, then park it in the notifier's queue", () => {
    // Assess
    template.hasResourceProperties("AWS::Events::Rule", {
      Targets: [
        Match.objectLike({
          Arn: arnOf(notifier),
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: arnOf(queue) },
        }),
      ],
    });
    expect(template.toJSON().Resources[queue].Type).toBe("AWS::SQS::Queue");
  });

  it("has Lambda retry a notifier invocation that threw, then send the event to the same queue", () => {
    // Assess
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: notifier },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: arnOf(queue) } },
    });
  });

  it("lets both EventBridge (for this rule only) and the notifier's role write to the queue, and keeps messages 14 days", () => {
    // Assess
    template.hasResourceProperties("AWS::SQS::Queue", { MessageRetentionPeriod: 14 * 86_400 });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "sqs:SendMessage",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Condition: { ArnEquals: { "aws:SourceArn": arnOf(rule) } },
          }),
        ]),
      },
    });
    const role = template.toJSON().Resources[notifier].Properties.Role["Fn::GetAtt"][0];
    // SendMessage only: what Lambda sends a failed invocation with (nothing reads the queue's attributes).
    expect(
      grantsOf(template, new RegExp(`^${role}$`)).filter(
        ([, resource]) => resource === JSON.stringify(arnOf(queue)),
      ),
    ).toEqual([["sqs:SendMessage", JSON.stringify(arnOf(queue))]]);
  });

  it("alarms on the first parked event straight to the topics, not through the notifier that failed", () => {
    // Assess
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: Match.arrayWith([
        { Ref: logicalIdOf(template, "AWS::SNS::Topic", { DisplayName: "watchpost alarms" }) },
      ]),
    });
  });
});
