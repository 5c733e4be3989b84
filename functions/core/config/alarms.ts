/** `alarms`: reminders, history, damping and silences. */
import * as z from "zod";
import { ALARM_IDS } from "../alarm-ids";
import { Silence } from "../alarms/silences";
import { Severity } from "../contracts";
import { atMost, LIMITS } from "./limits";

const KNOWN_ALARM_IDS: readonly string[] = Object.values(ALARM_IDS);

/**
 * A silence as the configuration file may write it: unknown keys are errors (a typo such as
 * "alarmID" would otherwise leave a silence with no matcher, which silences every alarm), and the
 * alarm ID must be one the catalog has.
 */
function StrictSilence() {
  return Silence.strict()
    .refine((s) => s.alarmId === undefined || KNOWN_ALARM_IDS.includes(s.alarmId), {
      message: `expected an alarm ID from the catalog: ${KNOWN_ALARM_IDS.join(", ")}`,
      path: ["alarmId"],
    })
    .refine((s) => s.reason.length <= 1024 && (s.sourcePrefix ?? "").length <= 1024, {
      message: "expected reason and sourcePrefix of at most 1024 characters",
    });
}

export const Alarms = z.strictObject({
  /** A still-active alarm is repeated as a reminder this often. */
  reminderIntervalHours: z.number().int().min(1).max(720).default(24),
  /** Cleared occurrences are kept this long as history (DynamoDB TTL). */
  historyRetentionDays: z.number().int().min(1).max(3650).default(90),
  /** Raise only after this many consecutive failing runs; one blip should not page anyone. */
  consecutiveFailures: z
    .strictObject({
      certificates: z.number().int().min(1).max(10).default(1),
      credentials: z.number().int().min(1).max(10).default(2),
    })
    .prefault({}),
  silences: z.array(StrictSilence()).max(LIMITS.silences, atMost(LIMITS.silences, "silences")).default([]),
  /**
   * This deployment's severity per alarm ID, where its procedures grade an alarm otherwise than the
   * catalog (`{ "1001": "major" }`: FusionInsight's ALM-45655 calls an expired HA certificate Major).
   * It replaces the catalog's severity; severities a finding grades itself stay (docs/alarms/README.md).
   */
  severities: z
    .record(z.string(), Severity)
    .refine((map) => Object.keys(map).every((id) => KNOWN_ALARM_IDS.includes(id)), {
      message: `expected alarm IDs from the catalog as keys: ${KNOWN_ALARM_IDS.join(", ")}`,
    })
    .default({}),
});
