/** `schedules`: when the certificate scan, the credential check, the endpoint scan and the host check run. */
import * as z from "zod";

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((\S+ ){5}\S+\)$/;

/** EventBridge schedule expressions; a rate of 1 takes the singular unit, others the plural. */
const ScheduleExpression = z
  .string()
  .refine((e) => CRON.test(e) || RATE.test(e), 'expected "cron(M H DoM Mon DoW Y)" or "rate(N unit)"')
  .refine((e) => {
    const rate = RATE.exec(e);
    if (!rate) return true;
    const value = Number(rate[1]);
    return value >= 1 && (value === 1) === !rate[2]!.endsWith("s");
  }, 'expected a rate of at least 1 with a singular unit for 1 ("rate(1 hour)") and plural otherwise');

const TimeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as "Europe/Berlin"');

const Schedule = z.strictObject({
  expression: ScheduleExpression,
  /** Cron fields read in this zone (EventBridge Scheduler); absent: UTC (an EventBridge rule). */
  timeZone: TimeZone.optional(),
  enabled: z.boolean().default(true),
});

export const Schedules = z.strictObject({
  certificateScan: Schedule.prefault({ expression: "cron(0 1 * * ? *)" }),
  credentialCheck: Schedule.prefault({ expression: "rate(5 minutes)" }),
  /** The live endpoints of `endpoints.targets` (only deployed when there are some). */
  endpointScan: Schedule.prefault({ expression: "rate(1 hour)" }),
  /** Hosts that stopped pushing: the heartbeats `watchpost push` leaves, against hosts.silentAfterMinutes. */
  hostCheck: Schedule.prefault({ expression: "rate(15 minutes)" }),
  /** Run both checks once right after each deployment that changes them. */
  checkAfterDeploy: z.boolean().default(true),
});
