import { TimeZone } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import { Construct } from "constructs";
import type { WatchpostConfig } from "../../functions/core/config";
import type { WatchpostFunction } from "./watchpost-function";

export interface CheckScheduleProps {
  schedule: WatchpostConfig["schedules"]["certificateScan"];
  target: WatchpostFunction;
  description: string;
  /** The Scheduled Event's `detail`, when the target tells its checks apart by it (the host check). */
  detail?: Record<string, unknown>;
}

/**
 * Runs a check on its schedule. EventBridge rules read cron fields in UTC only, so a configured
 * time zone switches to EventBridge Scheduler, where "01:00" means 01:00 local time all year.
 * Both deliver a "Scheduled Event"-shaped payload, so the handler needs no second code path.
 */
export class CheckSchedule extends Construct {
  readonly rule?: events.Rule;
  readonly schedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: CheckScheduleProps) {
    super(scope, id);
    const { expression, timeZone, enabled } = props.schedule;
    if (timeZone) {
      this.schedule = new scheduler.Schedule(this, "Schedule", {
        description: props.description,
        schedule: scheduler.ScheduleExpression.expression(expression, TimeZone.of(timeZone)),
        enabled,
        target: props.target.scheduleTarget(
          scheduler.ScheduleTargetInput.fromObject({
            source: "aws.scheduler",
            "detail-type": "Scheduled Event",
            time: scheduler.ContextAttribute.scheduledTime,
            detail: props.detail ?? {},
          }),
        ),
      });
    } else {
      this.rule = new events.Rule(this, "Rule", {
        description: props.description,
        schedule: events.Schedule.expression(expression),
        enabled,
        targets: [
          props.target.ruleTarget(
            props.detail
              ? events.RuleTargetInput.fromObject({
                  source: "aws.events",
                  "detail-type": "Scheduled Event",
                  time: events.EventField.time,
                  detail: props.detail,
                })
              : undefined,
          ),
        ],
      });
    }
  }
}
