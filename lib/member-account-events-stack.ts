import { Aws, CfnOutput, CfnParameter, DefaultStackSynthesizer, Stack, type StackProps } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { forwardedPatterns } from "../functions/core/aws-certificates/change-patterns";

/**
 * The event forwarder of a member account, deployed with CloudFormation StackSets like the reader
 * role (lib/member-account-reader-stack.ts), but in every Region the selections read: ACM,
 * Parameter Store and Secrets Manager put their events on the default bus of the account and Region
 * an item lives in (EventBridge User Guide, "Events from AWS services"), so each Region needs its own
 * rules, while the reader role is global and deployed once. Three rules on the member's default bus
 * send ACM's certificate events, "Parameter Store Change" and Secrets Manager's write calls (through
 * CloudTrail: a trail must log the account's management events, an organization trail does) to the
 * watchpost account's default bus, whose resource policy admits the account
 * (lib/constructs/aws-certificate-events.ts). The cross-account target needs a role EventBridge
 * assumes, allowed events:PutEvents on that one bus (EventBridge User Guide, "Sending and receiving
 * events between AWS accounts"; "Permissions for event buses": "We recommend always using IAM roles
 * when the target of a rule is an event bus").
 */
export class MemberAccountEventsStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description:
        "watchpost member-account event forwarder: sends ACM certificate events, Parameter Store changes and Secrets Manager write calls (CloudTrail) to the watchpost account's default event bus (deploy with CloudFormation StackSets in every Region watchpost reads)",
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      ...props,
    });
    const watchpostAccount = new CfnParameter(this, "WatchpostAccountId", {
      type: "String",
      allowedPattern: "^\\d{12}$",
      description: "The AWS account ID where the watchpost stack runs",
    });
    const watchpostRegion = new CfnParameter(this, "WatchpostRegion", {
      type: "String",
      allowedPattern: "^[a-z]{2}(-[a-z]+)+-\\d{1,2}$",
      description: "The Region the watchpost stack runs in (its default event bus receives the events)",
    });
    const busArn = `arn:${Aws.PARTITION}:events:${watchpostRegion.valueAsString}:${watchpostAccount.valueAsString}:event-bus/default`;
    const role = new iam.Role(this, "ForwardRole", {
      description:
        "watchpost: lets EventBridge put this account's certificate events on the watchpost account's bus",
      assumedBy: new iam.ServicePrincipal("events.amazonaws.com"),
    });
    // The targets below grant it events:PutEvents on that one bus (aws-events-targets EventBus), and nothing else.
    const bus = events.EventBus.fromEventBusArn(this, "WatchpostBus", busArn);
    const patterns = forwardedPatterns();
    const forward = (name: string, description: string, pattern: Record<string, unknown>) => {
      const {
        source,
        "detail-type": detailType,
        detail,
      } = pattern as {
        source: string[];
        "detail-type": string[];
        detail?: Record<string, unknown>;
      };
      new events.Rule(this, name, {
        description,
        eventPattern: { source, detailType, ...(detail ? { detail } : {}) },
        targets: [new targets.EventBus(bus, { role })],
      });
    };
    forward(
      "ForwardAcmEvents",
      "watchpost: forward ACM certificate events to the watchpost account",
      patterns.acm,
    );
    forward(
      "ForwardParameterChanges",
      "watchpost: forward Parameter Store changes to the watchpost account",
      patterns.ssmParameters,
    );
    forward(
      "ForwardSecretChanges",
      "watchpost: forward Secrets Manager write calls (CloudTrail) to the watchpost account",
      patterns.secretsManager,
    );
    new CfnOutput(this, "ForwardRoleArn", {
      value: role.roleArn,
      description: "The role EventBridge assumes to forward events",
    });
  }
}
