/** The lifecycle policy a deployment configured (reminders, damping, silences, history). */
import type { WatchpostConfig } from "../config";
import { CERTIFICATE_CHECKS, type CheckName, CREDENTIAL_CHECKS } from "../contracts";
import type { LifecyclePolicy } from "./lifecycle";

export function lifecyclePolicyFrom(alarms: WatchpostConfig["alarms"]): LifecyclePolicy {
  const damping: Partial<Record<CheckName, number>> = {};
  for (const check of CERTIFICATE_CHECKS) damping[check] = alarms.consecutiveFailures.certificates;
  for (const check of CREDENTIAL_CHECKS) damping[check] = alarms.consecutiveFailures.credentials;
  return {
    reminderHours: alarms.reminderIntervalHours,
    damping,
    silences: alarms.silences,
    historyDays: alarms.historyRetentionDays,
    severities: alarms.severities,
  };
}
