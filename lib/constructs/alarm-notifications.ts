import { createHash } from "node:crypto";
import { Annotations, Aws, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as chatbot from "aws-cdk-lib/aws-chatbot";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { DETAIL_TYPES, EVENT_SOURCE } from "../../functions/core/alarms/events";
import { ConfigError, type WatchpostConfig } from "../../functions/core/config";
import {
  type AlarmTopic,
  alarmTopics,
  EVERY_EVENT_MINIMUM,
  healthAlarmTopics,
  serializeTopicRoutes,
  type TopicWish,
  topicCountProblem,
  topicKey,
} from "../../functions/core/notifications/topics";
import { ENV } from "../../functions/handlers/shared/environment";
import { knownPartition } from "../partition";
import type { WatchpostFunction } from "./watchpost-function";

export interface AlarmNotificationsProps {
  notifications: WatchpostConfig["notifications"];
  bus: events.IEventBus;
  notifier: WatchpostFunction;
}

/**
 * Gets alarm events to people. There is one SNS topic per minimum severity (and email subject
 * prefix) that some email recipient or chat channel asked for (functions/core/notifications/topics.ts;
 * the `warning` one, "watchpost alarms", always exists and carries every alarm event). Each
 * recipient subscribes to the topic of its own minimum, with no
 * filter policy, and the notifier (rule on the watchpost bus) publishes each event to every topic
 * whose minimum it reaches. So every recipient gets an event at most once, CloudWatch alarms about
 * watchpost itself (sent to every topic) reach every recipient once, and no filter policy has to
 * cope with those attribute-less notifications: SNS evaluates `{"exists": false}` only on messages
 * that carry at least one attribute (SNS Developer Guide, "Key matching"), so an attribute filter
 * would drop them.
 *
 * Events are routed by the occurrence's worst severity so far (`peakSeverity`), here and for
 * webhooks alike: whoever received any event of an occurrence receives every later one, the drop
 * below their minimum and the clear included.
 *
 * Webhooks are not here: the notifier queues their deliveries for the webhook function
 * (webhook-delivery.ts), chosen by the same routing severity.
 * Topics are encrypted with a customer-managed key (the only kind whose key policy can let
 * CloudWatch publish to an encrypted topic) and accept only TLS; their policy, which replaces SNS's
 * default one, allows CloudWatch alarms of this account and region to publish.
 */
export class AlarmNotifications extends Construct {
  readonly key: kms.Key;
  /** Topics by `topicKey` (minimum severity and subject prefix of their subscribers). */
  readonly topics = new Map<string, sns.Topic>();
  private readonly routes = new Map<string, AlarmTopic>();
  readonly notifierRule: events.Rule;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps) {
    super(scope, id);
    const { notifications, bus, notifier } = props;
    const stack = Stack.of(this);
    const chatChannels = [...notifications.slack, ...notifications.teams];

    this.key = new kms.Key(this, "TopicKey", {
      description: "Encrypts the watchpost alarm topics",
      enableKeyRotation: true,
      // SNS keeps no message once delivered, so nothing outlives the stack that this key must
      // decrypt: `cdk destroy` schedules its deletion after the shortest waiting period KMS allows
      // (KMS Developer Guide, "Schedule key deletion": 7-30 days) instead of leaving a key that
      // costs a dollar a month for every install ever torn down.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Nothing here uses KMS grants; only AWS services acting for a principal may create one
    // (Control Tower proactive control CT.KMS.PR.3, run in CI by cfn-guard).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "GrantsOnlyForAwsServices",
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ["kms:CreateGrant"],
        resources: ["*"],
        conditions: {
          BoolIfExists: { "kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false" },
        },
      }),
    );
    // SNS Developer Guide, "Enable compatibility between event sources from AWS services and
    // encrypted topics": the service that publishes needs these on the topic's key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublishToEncryptedTopics",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    );

    const topics = alarmTopics([...notifications.email, ...chatChannels]);
    const problem = topicCountProblem(topics.size);
    if (problem) throw new ConfigError("notifications", [problem]);
    for (const [key, topic] of topics) {
      this.routes.set(key, topic);
      this.topics.set(key, this.topic(topic.id, topic.displayName));
    }
    for (const recipient of notifications.email) {
      this.topicFor(recipient).addSubscription(new subscriptions.EmailSubscription(recipient.address));
    }
    if (chatChannels.length > 0) this.addChatChannels(notifications);

    for (const topic of this.topics.values()) topic.grantPublish(notifier.function);
    Validations.of(notifier.role).acknowledge({
      id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason:
        "Added by grantPublish on the KMS-encrypted topics, on the topic key only: SNS server-side encryption needs a data key per publish.",
    });
    notifier.function.addEnvironment(ENV.alarmTopics, this.topicRoutesJson());

    this.notifierRule = new events.Rule(this, "ToNotifier", {
      description: "watchpost alarm events to the notifier (silenced ones stay quiet)",
      eventBus: bus,
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: Object.values(DETAIL_TYPES),
        detail: { silenced: [false] },
      },
      targets: [notifier.ruleTarget()],
    });
  }

  /** Every alarm event goes to this topic; the stack outputs its ARN. */
  get alarmTopic(): sns.Topic {
    return this.topicFor({ minimumSeverity: EVERY_EVENT_MINIMUM });
  }

  /** The topics in the one text form the notifier and verify-deployment read. */
  topicRoutesJson(): string {
    const routes = [...this.topics].map(([key, topic]) => {
      const { minimumSeverity, subjectPrefix } = this.routes.get(key)!;
      return { minimumSeverity, subjectPrefix, arn: topic.topicArn };
    });
    return serializeTopicRoutes(routes, (value) => Stack.of(this).toJsonString(value));
  }

  /** Topics that CloudWatch alarms about watchpost itself notify: all of them, within CloudWatch's limit. */
  operatorTopics(): readonly sns.ITopic[] {
    return healthAlarmTopics([...this.topics.values()]);
  }

  private topicFor(wish: TopicWish): sns.Topic {
    const topic = this.topics.get(topicKey(wish));
    if (!topic) throw new Error(`no alarm topic for ${topicKey(wish)}`);
    return topic;
  }

  private topic(id: string, displayName: string): sns.Topic {
    const topic = new sns.Topic(this, id, { displayName, masterKey: this.key, enforceSSL: true });
    // The topic policy that enforceSSL writes replaces SNS's default policy, which is what would
    // otherwise let CloudWatch publish. SNS Developer Guide, "Amazon SNS access control use cases":
    // allow the service principal, limited to alarms of this account (aws:SourceArn, aws:SourceAccount).
    const stack = Stack.of(this);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { "aws:SourceAccount": stack.account },
          ArnLike: {
            "aws:SourceArn": `arn:${Aws.PARTITION}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    return topic;
  }

  private addChatChannels(notifications: WatchpostConfig["notifications"]): void {
    // Channel members act through this role; watchpost only posts notifications, so it gets no
    // permissions, and the guardrail caps anything a channel member could do to read-only CloudWatch.
    const role = new iam.Role(this, "ChatRole", {
      assumedBy: new iam.ServicePrincipal("chatbot.amazonaws.com"),
      description: "AWS Chatbot channels that receive watchpost alarms",
    });
    const guardrail = iam.ManagedPolicy.fromAwsManagedPolicyName("CloudWatchReadOnlyAccess");
    const stack = Stack.of(this);
    for (const slack of notifications.slack) {
      new chatbot.SlackChannelConfiguration(this, `Slack-${slack.name}`, {
        slackChannelConfigurationName: chatConfigurationName(stack, slack.name),
        slackWorkspaceId: slack.workspaceId,
        slackChannelId: slack.channelId,
        notificationTopics: [this.topicFor({ minimumSeverity: slack.minimumSeverity })],
        role,
        guardrailPolicies: [guardrail],
        loggingLevel: chatbot.LoggingLevel.ERROR,
      });
    }
    for (const teams of notifications.teams) {
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams-${teams.name}`, {
        configurationName: chatConfigurationName(stack, teams.name),
        teamId: teams.teamId,
        teamsTenantId: teams.tenantId,
        // CloudFormation wants the ID as it appears in the channel link (URL-encoded).
        teamsChannelId: teams.channelId.includes("%") ? teams.channelId : encodeURIComponent(teams.channelId),
        iamRoleArn: role.roleArn,
        snsTopicArns: [this.topicFor({ minimumSeverity: teams.minimumSeverity }).topicArn],
        guardrailPolicies: [guardrail.managedPolicyArn],
        loggingLevel: "ERROR",
      });
    }
  }
}

/** Chatbot configuration names: 1-128 letters, digits, '-' and '_' (CloudFormation resource reference). */
const MAX_CHAT_CONFIGURATION_NAME = 128;
/** Room kept for the region, which may only be known at deploy time (e.g. "ap-southeast-5"). */
const REGION_ROOM = 20;

/**
 * A Chatbot channel configuration name unique per account, as Chatbot requires: the same stack in
 * two regions (or two stacks with the same channel name) must not collide. Stack and channel name
 * stay readable, cut if need be, followed by a hash of both (so two cut names cannot collide) and
 * the region; at most 128 characters.
 */
export function chatConfigurationName(stack: Stack, channel: string): string {
  const hash = createHash("sha256").update(`${stack.stackName}\u0000${channel}`).digest("hex").slice(0, 8);
  const readable = `${stack.stackName}-${channel}`.slice(
    0,
    MAX_CHAT_CONFIGURATION_NAME - REGION_ROOM - hash.length - 2,
  );
  return `${readable}-${hash}-${stack.region}`;
}

/**
 * AWS Chatbot (Amazon Q Developer in chat applications) exists only in the `aws` partition ("Regions
 * and quotas for Amazon Q Developer in chat applications" lists no aws-cn or aws-us-gov Region):
 * a stack for another partition with chat channels would fail in CloudFormation, halfway through.
 * The partition is known at synth when the stack has a concrete region (bin/app.ts takes it from
 * CDK_DEFAULT_REGION, which the CDK CLI sets from the profile); it is then refused here, clearly.
 */
export function refuseChatOutsideAwsPartition(stack: Stack): void {
  const partition = knownPartition(stack);
  if (partition === undefined) {
    Annotations.of(stack).addWarningV2(
      "watchpost:chat-partition-unknown",
      "The stack's region is not known at synth (no CDK_DEFAULT_REGION), so neither is its partition: AWS Chatbot exists only in the aws partition, and chat channels fail to deploy in aws-cn or aws-us-gov.",
    );
    return;
  }
  if (partition === "aws") return;
  throw new ConfigError("notifications", [
    `slack / teams: AWS Chatbot (Amazon Q Developer in chat applications) is not available in the ${partition} partition (region ${stack.region}); remove the chat channels and use email or webhooks there`,
  ]);
}
