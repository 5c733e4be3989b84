/**
 * What an alarm decision rests on, and whether a run's evidence may overturn the last one: the
 * run's instant, and the version (ETag, or ABSENT) of each object it judged (the `Evidence` an
 * alarm keeps, and a run's `ObjectVersions`, are in alarm-state.ts). docs/architecture.md,
 * "Settling alarms".
 */
import type { AlarmState, CheckRun } from "./alarm-state";

/** The version of an object found missing: S3 no longer holds it. */
export const ABSENT = "absent";

/** The object a source is about: `s3://bucket/key#2` → `s3://bucket/key`. */
export function objectOfSource(source: string): string {
  return source.replace(/#\d+$/, "");
}

/** The version of the source's object the run judged, when the run knows it. */
export function versionSeen(run: CheckRun, source: string): string | undefined {
  const versions = run.versions;
  if (!versions) return undefined;
  const object = objectOfSource(source);
  const seen = versions.seen.get(object);
  if (seen !== undefined) return seen;
  return run.complete && versions.listed !== undefined && object.startsWith(versions.listed)
    ? ABSENT
    : undefined;
}

/**
 * Whether a run's evidence about a source may change the alarm stored for it:
 * - `fresh`: it may;
 * - `stale`: it is older than what the alarm last changed on, and changes nothing;
 * - `confirm`: it judged another version of the object than the alarm's last change did — it may
 *   change the alarm only if that version is still the one S3 holds (process-run.ts asks, after
 *   reading the alarm and before writing it, so that two decisions land in the order of S3's history).
 * Evidence about the same version (or without versions) is ordered by its instant.
 */
export type Freshness = "fresh" | "stale" | { confirm: string; seen: string };

export function freshness(run: CheckRun, stored: AlarmState | undefined, source: string): Freshness {
  const seen = versionSeen(run, source);
  const last = stored?.evidence;
  const older = last !== undefined && run.now.getTime() < Date.parse(last.at);
  if (seen === undefined || last?.version === seen) return older ? "stale" : "fresh";
  return { confirm: objectOfSource(source), seen };
}
