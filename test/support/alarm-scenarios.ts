/**
 * Alarm events as the deployed code produces them: a sequence of check runs goes through the real
 * lifecycle (decideTransitions) and every transition through the real event builder
 * (toEventDetail), wrapped in the envelope EventBridge delivers to rule targets.
 */
import { alarmIdFor } from "../../functions/core/alarm-ids";
import { detailTypeOf, EVENT_SOURCE, toEventDetail } from "../../functions/core/alarms/events";
import {
  type AlarmState,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
  decideTransitions,
  type LifecyclePolicy,
} from "../../functions/core/alarms/lifecycle";
import type { Severity } from "../../functions/core/contracts";
import type { AlarmEvent } from "../../functions/core/notifications/alarm-message";

const HOUR = 3_600_000;
const T0 = Date.parse("2030-01-01T01:00:00.000Z");

/** One check run: the fault at a severity, still there a day later (a reminder), or gone. */
export type Step = Severity | "remind" | "clear";

export interface DeliveredEvent extends AlarmEvent {
  account: string;
  region: string;
  resources: string[];
}

/**
 * The events one alarm produces over `steps`, one run an hour apart (a `remind` step comes a day
 * after the previous run, past the default 24-hour reminder interval).
 */
export function occurrenceEvents(
  steps: readonly Step[],
  policy: LifecyclePolicy = DEFAULT_LIFECYCLE_POLICY,
): DeliveredEvent[] {
  const states = new Map<string, AlarmState>();
  const events: DeliveredEvent[] = [];
  let now = T0;
  let current: Severity | undefined;
  for (const step of steps) {
    now += step === "remind" ? 25 * HOUR : HOUR;
    if (step !== "remind" && step !== "clear") current = step;
    const findings =
      step === "clear" || current === undefined
        ? []
        : [
            {
              check: "expiring" as const,
              alarmId: alarmIdFor("expiring"),
              severity: current,
              source: "s3://certs/prod/api.pem#0",
              message: "The certificate expires soon",
            },
          ];
    const run: CheckRun = {
      scope: "s3://certs/prod/",
      complete: true,
      examinedSources: [],
      findings,
      now: new Date(now),
    };
    const decided = decideTransitions(run, [...states.values()], policy);
    for (const state of decided.next) states.set(state.fingerprint, state);
    for (const transition of decided.transitions) {
      events.push({
        id: transition.id,
        "detail-type": detailTypeOf(transition.kind),
        source: EVENT_SOURCE,
        account: "123456789012",
        region: "eu-west-1",
        time: transition.at,
        resources: [],
        detail: toEventDetail(transition),
      });
    }
  }
  return events;
}
