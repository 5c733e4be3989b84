/**
 * Silences: an operator's "I know, stop telling me" for a time window. A silenced alarm keeps its
 * full lifecycle in state; only its events carry `silenced: true` so notifiers can drop them.
 */
import * as z from "zod";
import { Severity } from "../contracts";

export const Silence = z
  .object({
    /** Matches one alarm ID from the catalog, e.g. "1002". */
    alarmId: z.string().optional(),
    /** Matches sources that start with this text, e.g. "s3://certs/legacy/". */
    sourcePrefix: z.string().optional(),
    /** Matches this severity and anything milder ("minor" silences minor and warning). */
    severity: Severity.optional(),
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    reason: z.string().min(1),
  })
  .refine((s) => Date.parse(s.startsAt) < Date.parse(s.endsAt), {
    message: "endsAt must be later than startsAt",
    path: ["endsAt"],
  });
export type Silence = z.infer<typeof Silence>;

export interface SilenceSubject {
  alarmId: string;
  source: string;
  severity: Severity;
}

const SEVERITY_ORDER: readonly Severity[] = Severity.options;

/** Every matcher that is set must match; a silence with no matcher silences everything in its window. */
export function silenceMatches(silence: Silence, subject: SilenceSubject, now: Date): boolean {
  const at = now.getTime();
  if (at < Date.parse(silence.startsAt) || at >= Date.parse(silence.endsAt)) return false;
  if (silence.alarmId !== undefined && silence.alarmId !== subject.alarmId) return false;
  if (silence.sourcePrefix !== undefined && !subject.source.startsWith(silence.sourcePrefix)) return false;
  if (
    silence.severity !== undefined &&
    SEVERITY_ORDER.indexOf(subject.severity) < SEVERITY_ORDER.indexOf(silence.severity)
  ) {
    return false;
  }
  return true;
}

export function isSilenced(silences: readonly Silence[], subject: SilenceSubject, now: Date): boolean {
  return silences.some((silence) => silenceMatches(silence, subject, now));
}
