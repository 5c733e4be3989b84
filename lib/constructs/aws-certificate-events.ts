/**
 * The rules that re-check one AWS item when its store says it changed (handlers/certificate-scan/
 * aws-change.ts), one per kind configured, on the default event bus where AWS services put their
 * events (EventBridge User Guide, "Events from AWS services"), each with the pattern
 * functions/core/aws-certificates/change-patterns.ts builds from the selections:
 *
 * - ACM's certificate events (ACM User Guide, "Amazon EventBridge support for ACM").
 * - Parameter Store's "Parameter Store Change" (Systems Manager User Guide, "Setting up
 *   notifications or triggering actions based on Parameter Store events").
 * - Secrets Manager's API calls, delivered by CloudTrail ("AWS API Call via CloudTrail"). EventBridge
 *   receives these only from an account with a CloudTrail trail that logs management events
 *   (EventBridge User Guide, "Events from AWS services": "To record events with a detail-type value
 *   of AWS API Call via CloudTrail, a CloudTrail trail with logging enabled is required").
 *
 * Member accounts' events arrive on their own default buses; the member-account event forwarder
 * (lib/member-account-events-stack.ts) sends them here, and this bus's resource policy admits those
 * accounts (EventBridge User Guide, "Sending and receiving events between AWS accounts"; "Example
 * policy: Send events to the default bus in a different account").
 */
import { Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import { Construct } from "constructs";
import { changePatterns } from "../../functions/core/aws-certificates/change-patterns";
import type { WatchpostConfig } from "../../functions/core/config";
import type { WatchpostFunction } from "./watchpost-function";

/** The sources whose events member accounts forward (member-account-events-stack.ts). */
const FORWARDED_SOURCES = ["aws.acm", "aws.secretsmanager", "aws.ssm"] as const;

export interface AwsCertificateEventsProps {
  config: WatchpostConfig;
  target: WatchpostFunction;
}

export class AwsCertificateEvents extends Construct {
  readonly rules: events.Rule[] = [];
  /** The default bus's statement admitting the member accounts' forwarded events, when any is named. */
  readonly busPolicy?: events.CfnEventBusPolicy;

  constructor(scope: Construct, id: string, props: AwsCertificateEventsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { awsCertificates } = props.config;
    const patterns = changePatterns(awsCertificates, stack.account);
    const rule = (name: string, description: string, pattern: Record<string, unknown> | undefined) => {
      if (!pattern) return;
      const {
        source,
        "detail-type": detailType,
        account,
        region,
        detail,
      } = pattern as {
        source: string[];
        "detail-type": string[];
        account: string[];
        region: string[];
        detail?: Record<string, unknown>;
      };
      this.rules.push(
        new events.Rule(this, name, {
          description,
          eventPattern: { source, detailType, account, region, ...(detail ? { detail } : {}) },
          targets: [props.target.ruleTarget()],
        }),
      );
    };
    rule("AcmCertificateEvent", "watchpost: re-check an ACM certificate ACM reports on", patterns.acm);
    rule(
      "ParameterChanged",
      "watchpost: re-check a Parameter Store parameter that was created, updated or deleted",
      patterns.ssmParameters,
    );
    rule(
      "SecretChanged",
      "watchpost: re-check a Secrets Manager secret changed by an API call (CloudTrail)",
      patterns.secretsManager,
    );

    const members = [
      ...new Set(
        [...awsCertificates.acm, ...awsCertificates.secretsManager, ...awsCertificates.ssmParameters]
          .flatMap((s) => s.accounts ?? [])
          .filter((id) => id !== stack.account),
      ),
    ].sort();
    if (members.length > 0) {
      // The L1 resource: events.EventBusPolicy cannot render a statement with principals (its
      // grantPrincipal refers to itself). A statement of its own, beside any the bus already has.
      this.busPolicy = new events.CfnEventBusPolicy(this, "MemberAccountEvents", {
        eventBusName: "default",
        statementId: "watchpost-member-account-events",
        statement: {
          Effect: "Allow",
          Principal: { AWS: members.map((id) => `arn:${stack.partition}:iam::${id}:root`) },
          Action: "events:PutEvents",
          Resource: `arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/default`,
          // Only the stores' own events: anyone in a member account could otherwise put any event on
          // this account's default bus (EventBridge User Guide, "Example policy: Send events to a
          // custom bus in a different account": a ForAllValues events:source condition).
          Condition: { "ForAllValues:StringEquals": { "events:source": [...FORWARDED_SOURCES] } },
        },
      });
    }
  }
}
