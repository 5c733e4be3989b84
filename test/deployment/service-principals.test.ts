/**
 * AWS services acting on the stack's resources, judged by @cloud-copilot/iam-simulate on the
 * synthesized policies: CloudWatch alarms publishing to every topic they notify (topic policy and
 * the topic key's policy), EventBridge invoking every rule target and parking undeliverable events
 * in its dead-letter queues, Scheduler invoking its targets through its execution role, Lambda's
 * SQS poller feeding the scan and webhook functions, Lambda's async failure destinations, and the deploy-time
 * trigger. Every request carries the context AWS documents for it (aws:SourceArn, aws:SourceAccount,
 * TLS), so a condition that does not hold in AWS does not hold here either.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { fullConfig, synth } from "../infra/support";
import {
  identityPoliciesOf,
  type PolicyDocument,
  resourcePolicyOf,
  roleOfFunction,
  simulate,
} from "../support/iam-simulation";
import { ResolvedTemplate } from "../support/template";

let stack: ResolvedTemplate;
let account: string;

beforeAll(() => {
  stack = new ResolvedTemplate(
    synth({
      ...fullConfig(),
      schedules: { certificateScan: { expression: "cron(0 1 * * ? *)", timeZone: "Europe/Berlin" } },
    }).toJSON() as never,
  );
  account = stack.env.account;
});

const functionIdByArn = () =>
  new Map(stack.ofType("AWS::Lambda::Function").map((id) => [stack.getAtt(id, "Arn"), id]));

describe("CloudWatch alarms about watchpost publish to every topic they notify", () => {
  it("is allowed sns:Publish by each topic's policy and the data key by the topic key's policy", async () => {
    // Prepare
    const requests = stack
      .ofType("AWS::CloudWatch::Alarm")
      .flatMap((alarm) =>
        (stack.properties(alarm).AlarmActions as string[]).map((topic) => ({ alarm, topic })),
      );
    expect(requests.length).toBeGreaterThan(10);
    const topicKey = (topicArn: string) => {
      const id = stack.ofType("AWS::SNS::Topic").find((t) => stack.ref(t) === topicArn)!;
      return String(stack.properties(id).KmsMasterKeyId);
    };

    // Act
    const verdicts = [];
    for (const { alarm, topic } of requests) {
      const context = { "aws:SourceAccount": account, "aws:SourceArn": stack.getAtt(alarm, "Arn") };
      const principal = "cloudwatch.amazonaws.com";
      const publish = await simulate(
        {
          principal,
          action: "sns:Publish",
          resource: topic,
          context,
          resourcePolicy: resourcePolicyOf(stack, topic),
        },
        account,
      );
      // SNS Developer Guide, "Enable compatibility between event sources from AWS services and
      // encrypted topics": the publishing service needs GenerateDataKey* and Decrypt on the key.
      const key = topicKey(topic);
      const keyVerdicts = await Promise.all(
        ["kms:GenerateDataKey", "kms:Decrypt"].map((action) =>
          simulate(
            { principal, action, resource: key, context, resourcePolicy: resourcePolicyOf(stack, key) },
            account,
          ),
        ),
      );
      verdicts.push([alarm, topic, publish.result, ...keyVerdicts.map((v) => v.result)]);
    }

    // Assess
    expect(verdicts.filter((v) => v.slice(2).some((r) => r !== "Allowed"))).toEqual([]);
  });

  it("is refused for an alarm of another account (aws:SourceAccount)", async () => {
    // Prepare
    const topic = stack.ref(stack.ofType("AWS::SNS::Topic")[0]!);

    // Act
    const verdict = await simulate(
      {
        principal: "cloudwatch.amazonaws.com",
        action: "sns:Publish",
        resource: topic,
        context: {
          "aws:SourceAccount": "999999999999",
          "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:999999999999:alarm:x",
        },
        resourcePolicy: resourcePolicyOf(stack, topic),
      },
      account,
    );

    // Assess
    expect(verdict.result).not.toBe("Allowed");
  });

  it("has no EventBridge rule that publishes to a topic (the notifier publishes), so none needs a grant", () => {
    // Assess
    const topics = new Set(stack.ofType("AWS::SNS::Topic").map((id) => stack.ref(id)));
    const ruleTopics = stack
      .ofType("AWS::Events::Rule")
      .flatMap((id) => (stack.properties(id).Targets as { Arn: string }[]).map((t) => t.Arn))
      .filter((arn) => topics.has(arn));
    expect(ruleTopics).toEqual([]);
  });
});

describe("EventBridge delivers to every rule target", () => {
  it("may invoke each target function of each rule (the function's resource policy)", async () => {
    // Prepare
    const functions = functionIdByArn();
    const requests = stack
      .ofType("AWS::Events::Rule")
      .flatMap((rule) =>
        (stack.properties(rule).Targets as { Arn: string }[])
          .filter((t) => functions.has(t.Arn))
          .map((t) => ({ rule, target: t.Arn })),
      );
    expect(requests.length).toBeGreaterThanOrEqual(3);

    // Act
    const verdicts = await Promise.all(
      requests.map(async ({ rule, target }) => [
        rule,
        (
          await simulate(
            {
              principal: "events.amazonaws.com",
              action: "lambda:InvokeFunction",
              resource: target,
              context: { "aws:SourceArn": stack.getAtt(rule, "Arn"), "aws:SourceAccount": account },
              resourcePolicy: resourcePolicyOf(stack, target),
            },
            account,
          )
        ).result,
      ]),
    );

    // Assess
    expect(verdicts.filter(([, result]) => result !== "Allowed")).toEqual([]);
  });

  it("may park an undeliverable event in each target's dead-letter queue (the queue's policy)", async () => {
    // Prepare
    const requests = stack.ofType("AWS::Events::Rule").flatMap((rule) =>
      (stack.properties(rule).Targets as { DeadLetterConfig?: { Arn: string } }[]).map((t) => ({
        rule,
        queue: t.DeadLetterConfig?.Arn,
      })),
    );
    expect(requests.every((r) => r.queue !== undefined)).toBe(true);

    // Act
    const verdicts = await Promise.all(
      requests.map(async ({ rule, queue }) => [
        rule,
        (
          await simulate(
            {
              principal: "events.amazonaws.com",
              action: "sqs:SendMessage",
              resource: queue!,
              context: { "aws:SourceArn": stack.getAtt(rule, "Arn"), "aws:SourceAccount": account },
              resourcePolicy: resourcePolicyOf(stack, queue!),
            },
            account,
          )
        ).result,
      ]),
    );

    // Assess
    expect(verdicts.filter(([, result]) => result !== "Allowed")).toEqual([]);
  });
});

describe("EventBridge Scheduler", () => {
  it("may assume its execution role, invoke the target and park failures, with the role's policies", async () => {
    // Prepare
    const schedules = stack.ofType("AWS::Scheduler::Schedule");
    expect(schedules).toHaveLength(1);
    const target = stack.properties(schedules[0]!).Target as {
      Arn: string;
      RoleArn: string;
      DeadLetterConfig: { Arn: string };
    };
    const roleId = stack.ofType("AWS::IAM::Role").find((id) => stack.getAtt(id, "Arn") === target.RoleArn)!;
    const trust = stack.properties(roleId).AssumeRolePolicyDocument as PolicyDocument;
    const identity = identityPoliciesOf(stack, roleId);
    // Scheduler names the schedule *group* as aws:SourceArn when it assumes the role (EventBridge
    // Scheduler User Guide, "Setting up the execution role": confused deputy prevention).
    const group = String(stack.properties(schedules[0]!).GroupName ?? "default");
    const context = {
      "aws:SourceAccount": account,
      "aws:SourceArn": `arn:aws:scheduler:${stack.env.region}:${account}:schedule-group/${group}`,
    };

    // Act
    const assume = await simulate(
      {
        principal: "scheduler.amazonaws.com",
        action: "sts:AssumeRole",
        resource: target.RoleArn,
        context,
        resourcePolicy: trust,
      },
      account,
    );
    const invoke = await simulate(
      {
        principal: target.RoleArn,
        action: "lambda:InvokeFunction",
        resource: target.Arn,
        identityPolicies: identity,
        resourcePolicy: resourcePolicyOf(stack, target.Arn),
      },
      account,
    );
    const park = await simulate(
      {
        principal: target.RoleArn,
        action: "sqs:SendMessage",
        resource: target.DeadLetterConfig.Arn,
        identityPolicies: identity,
        resourcePolicy: resourcePolicyOf(stack, target.DeadLetterConfig.Arn),
      },
      account,
    );

    // Assess
    expect([assume.result, invoke.result, park.result]).toEqual(["Allowed", "Allowed", "Allowed"]);
  });
});

describe("Lambda on behalf of the functions", () => {
  it("polls each queue with its function's role (ReceiveMessage, DeleteMessage, GetQueueAttributes): scan batches and webhook deliveries", async () => {
    // Prepare: the actions the Lambda Developer Guide lists for an SQS event source ("Execution role permissions")
    const mappings = stack.ofType("AWS::Lambda::EventSourceMapping").map((id) => stack.properties(id));
    const consumers = mappings.map((mapping) => {
      const functionId = stack
        .ofType("AWS::Lambda::Function")
        .find((id) => stack.ref(id) === mapping.FunctionName)!;
      return String(stack.properties(functionId).Description).split(" ")[0];
    });
    expect(consumers.sort()).toEqual(["Renders", "Scans"]);

    // Act
    const verdicts = [];
    for (const mapping of mappings) {
      const functionId = stack
        .ofType("AWS::Lambda::Function")
        .find((id) => stack.ref(id) === mapping.FunctionName)!;
      const roleId = roleOfFunction(stack, functionId);
      const queue = String(mapping.EventSourceArn);
      for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]) {
        const verdict = await simulate(
          {
            principal: stack.getAtt(roleId, "Arn"),
            action,
            resource: queue,
            identityPolicies: identityPoliciesOf(stack, roleId),
            resourcePolicy: resourcePolicyOf(stack, queue),
          },
          account,
        );
        verdicts.push([functionId, action, verdict.result]);
      }
    }

    // Assess
    expect(verdicts.filter(([, , result]) => result !== "Allowed")).toEqual([]);
    expect(verdicts).toHaveLength(6);
  });

  it("sends a failed asynchronous invocation to the function's failure queue with the function's role", async () => {
    // Prepare
    const configs = stack.ofType("AWS::Lambda::EventInvokeConfig").map((id) => stack.properties(id));
    expect(configs.length).toBeGreaterThanOrEqual(3);

    // Act
    const verdicts = await Promise.all(
      configs.map(async (config) => {
        const functionId = stack
          .ofType("AWS::Lambda::Function")
          .find((id) => stack.ref(id) === config.FunctionName)!;
        const roleId = roleOfFunction(stack, functionId);
        const queue = (config.DestinationConfig as { OnFailure: { Destination: string } }).OnFailure
          .Destination;
        const verdict = await simulate(
          {
            principal: stack.getAtt(roleId, "Arn"),
            action: "sqs:SendMessage",
            resource: queue,
            identityPolicies: identityPoliciesOf(stack, roleId),
            resourcePolicy: resourcePolicyOf(stack, queue),
          },
          account,
        );
        return [functionId, config.Qualifier, verdict.result];
      }),
    );

    // Assess
    expect(verdicts.filter(([, , result]) => result !== "Allowed")).toEqual([]);
  });

  it("lets the deploy-time trigger invoke the version it names, which has its own failure queue", async () => {
    // Prepare
    const triggers = stack.ofType("Custom::Trigger").map((id) => stack.properties(id));
    expect(triggers).toHaveLength(2);
    const configured = stack
      .ofType("AWS::Lambda::EventInvokeConfig")
      .map((id) => stack.properties(id))
      .map(
        (c) =>
          `${stack.getAtt(stack.ofType("AWS::Lambda::Function").find((f) => stack.ref(f) === c.FunctionName)!, "Arn")}:${c.Qualifier}`,
      );

    // Act
    const verdicts = await Promise.all(
      triggers.map(async (trigger) => {
        const provider = functionIdByArn().get(String(trigger.ServiceToken))!;
        const roleId = roleOfFunction(stack, provider);
        const verdict = await simulate(
          {
            principal: stack.getAtt(roleId, "Arn"),
            action: "lambda:InvokeFunction",
            resource: String(trigger.HandlerArn),
            identityPolicies: identityPoliciesOf(stack, roleId),
          },
          account,
        );
        return [trigger.HandlerArn, verdict.result, configured.includes(String(trigger.HandlerArn))];
      }),
    );

    // Assess
    expect(verdicts.map(([, result, hasFailureQueue]) => [result, hasFailureQueue])).toEqual([
      ["Allowed", true],
      ["Allowed", true],
    ]);
  });
});
