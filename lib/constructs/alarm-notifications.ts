import { Stack, Validations } from "aws-cdk-lib";
import * as chatbot from "aws-cdk-lib/aws-chatbot";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { DETAIL_TYPES, EVENT_SOURCE } from "../../functions/core/alarms/events";
import type { WatchpostConfig } from "../../functions/core/config";
import { isAtLeast, SEVERITIES, type Severity } from "../../functions/core/contracts";
import { ENV } from "../../functions/handlers/shared/environment";
import type { WatchpostFunction } from "./watchpost-function";

export interface AlarmNotificationsProps {
  notifications: WatchpostConfig["notifications"];
  bus: events.IEventBus;
  notifier: WatchpostFunction;
}

/** Severities at or above `minimum`, worst first: what a recipient with that minimum receives. */
export function severitiesFrom(minimum: Severity): Severity[] {
  return SEVERITIES.filter((severity) => isAtLeast(severity, minimum));
}

/**
 * Gets alarm events to people. The notifier (rule on the watchpost bus) publishes each event to:
 * - the alarm topic, where every email subscription filters on the `severity` message attribute;
 * - one chat topic per minimum severity used by Slack / Microsoft Teams channels, because AWS
 *   Chatbot owns its subscriptions and they cannot carry a filter policy.
 * Webhooks are not here: the notifier queues their deliveries for the webhook function
 * (webhook-delivery.ts).
 * Topics are encrypted with a customer-managed key (CloudWatch alarms publish to the alarm topic
 * too, and only a customer-managed key can let them) and accept only TLS.
 */
export class AlarmNotifications extends Construct {
  readonly key: kms.Key;
  readonly alarmTopic: sns.Topic;
  readonly chatTopics = new Map<Severity, sns.Topic>();
  readonly notifierRule: events.Rule;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps) {
    super(scope, id);
    const { notifications, bus, notifier } = props;
    const stack = Stack.of(this);

    this.key = new kms.Key(this, "TopicKey", {
      description: "Encrypts the watchpost alarm topics",
      enableKeyRotation: true,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublishToEncryptedTopics",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    );

    this.alarmTopic = this.topic("AlarmTopic", "watchpost alarms");
    for (const recipient of notifications.email) {
      this.alarmTopic.addSubscription(
        new subscriptions.EmailSubscription(recipient.address, {
          filterPolicy: {
            // Messages without the attribute are the CloudWatch alarms about watchpost itself:
            // everyone gets those, since they mean the watcher is blind.
            severity: new sns.SubscriptionFilter([
              ...severitiesFrom(recipient.minimumSeverity),
              { exists: false },
            ]),
          },
        }),
      );
    }

    const chatChannels = [...notifications.slack, ...notifications.teams];
    for (const minimum of new Set(chatChannels.map((c) => c.minimumSeverity))) {
      this.chatTopics.set(
        minimum,
        this.topic(`ChatTopic-${minimum}`, `watchpost alarms, ${minimum} and worse`),
      );
    }
    if (chatChannels.length > 0) this.addChatChannels(notifications);

    for (const topic of [this.alarmTopic, ...this.chatTopics.values()]) topic.grantPublish(notifier.function);
    Validations.of(notifier.role).acknowledge({
      id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason:
        "Added by grantPublish on the KMS-encrypted topics, on the topic key only: SNS server-side encryption needs a data key per publish.",
    });
    notifier.function.addEnvironment(ENV.alarmTopicArn, this.alarmTopic.topicArn);
    notifier.function.addEnvironment(
      ENV.chatTopicArns,
      stack.toJsonString(
        Object.fromEntries([...this.chatTopics].map(([severity, topic]) => [severity, topic.topicArn])),
      ),
    );

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

  /** Topics that CloudWatch alarms about watchpost itself should notify. */
  operatorTopics(): sns.ITopic[] {
    return [this.alarmTopic, ...this.chatTopics.values()];
  }

  private topic(id: string, displayName: string): sns.Topic {
    return new sns.Topic(this, id, { displayName, masterKey: this.key, enforceSSL: true });
  }

  private addChatChannels(notifications: WatchpostConfig["notifications"]): void {
    // Channel members act through this role; watchpost only posts notifications, so it gets no
    // permissions, and the guardrail caps anything a channel member could do to read-only CloudWatch.
    const role = new iam.Role(this, "ChatRole", {
      assumedBy: new iam.ServicePrincipal("chatbot.amazonaws.com"),
      description: "AWS Chatbot channels that receive watchpost alarms",
    });
    const guardrail = iam.ManagedPolicy.fromAwsManagedPolicyName("CloudWatchReadOnlyAccess");
    const stackName = Stack.of(this).stackName;
    for (const slack of notifications.slack) {
      new chatbot.SlackChannelConfiguration(this, `Slack-${slack.name}`, {
        slackChannelConfigurationName: `${stackName}-${slack.name}`,
        slackWorkspaceId: slack.workspaceId,
        slackChannelId: slack.channelId,
        notificationTopics: [this.chatTopics.get(slack.minimumSeverity)!],
        role,
        guardrailPolicies: [guardrail],
        loggingLevel: chatbot.LoggingLevel.ERROR,
      });
    }
    for (const teams of notifications.teams) {
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams-${teams.name}`, {
        configurationName: `${stackName}-${teams.name}`,
        teamId: teams.teamId,
        teamsTenantId: teams.tenantId,
        // CloudFormation wants the ID as it appears in the channel link (URL-encoded).
        teamsChannelId: teams.channelId.includes("%") ? teams.channelId : encodeURIComponent(teams.channelId),
        iamRoleArn: role.roleArn,
        snsTopicArns: [this.chatTopics.get(teams.minimumSeverity)!.topicArn],
        guardrailPolicies: [guardrail.managedPolicyArn],
        loggingLevel: "ERROR",
      });
    }
  }
}
