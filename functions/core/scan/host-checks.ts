/**
 * The hosts that run `watchpost push`, judged from their heartbeats (heartbeat.ts): a host whose
 * last push is older than its limit is `host-silent` (1020); one whose clock was off by more than
 * the tolerance at its last push is `host-clock-skew` (1021). No SDK and no clock here: every run
 * is judged at the instant it is given.
 *
 * Each host is its own alarm scope (`host:s3://<bucket>/<prefix><host>/`), and its alarms' source is
 * its heartbeat object, so a run judged from an older heartbeat than the alarm's last decision is
 * confirmed against the version S3 holds before it changes anything (alarms/evidence.ts).
 *
 * Where the judgements come from:
 * - the heartbeat's S3 event (a push just ended): both checks, on the heartbeat as read — the host
 *   is not silent, and its clock is what the heartbeat measured;
 * - the heartbeat's deletion (the host was retired): both alarms clear;
 * - the schedule (schedules.hostCheck): silence only, for every host the stack has heard from.
 * Each goes through the scan pipeline as a scope adapter (scope-adapter.ts): `heartbeatObjectAdapter`
 * for the event (fetch the object, judge, record or forget), `recordedHostAdapter` for the schedule.
 */

import { alarmIdFor } from "../alarm-ids";
import type { CheckRun } from "../alarms/alarm-state";
import { ABSENT } from "../alarms/evidence";
import type { WatchpostConfig } from "../config";
import { DEFAULT_SILENT_AFTER_MINUTES, SILENCE_SLACK_MINUTES } from "../config/hosts";
import type { CheckName, Finding } from "../contracts";
import {
  type ClockReading,
  describeOffset,
  Heartbeat,
  heartbeatLocation,
  MAX_HEARTBEAT_BYTES,
} from "../hosts/heartbeat";
import type { CertificateStorePort, ScanLog } from "./ports";
import type { LoadResult } from "./read-files";
import { checkScopeAdapter, type ItemJudgement, type ScopeAdapter, settledRun } from "./scope-adapter";

/** What the stack keeps of a host's last heartbeat (adapters/host-heartbeats.ts). */
export interface HeartbeatRecord {
  /** The heartbeat object's key. */
  key: string;
  host: string;
  /** The push prefix (`--to s3://BUCKET/PREFIX/`). */
  prefix: string;
  /** The heartbeat object's ETag: the version the record describes. */
  etag: string;
  /** When S3 wrote the heartbeat (LastModified): the host's last push, on S3's clock. */
  lastPushAt: string;
  everySeconds?: number;
  clock?: ClockReading;
}

/** Where the stack keeps the last heartbeat of every host it has heard from. */
export interface HostHeartbeatsPort {
  /** Keeps `record` unless a newer heartbeat of the same key is kept already. */
  record(record: HeartbeatRecord): Promise<void>;
  /** Forgets the host whose heartbeat is `key` (it was deleted: the host is retired). */
  forget(key: string): Promise<void>;
  list(): Promise<HeartbeatRecord[]>;
}

export const HOST_CHECKS_ALL: readonly CheckName[] = ["host-silent", "host-clock-skew"];

export function hostScope(
  uri: (key: string) => string,
  record: Pick<HeartbeatRecord, "prefix" | "host">,
): string {
  return `host:${uri(`${record.prefix}${record.host}/`)}`;
}

type HostsConfig = Pick<WatchpostConfig, "hosts" | "certificates">;

/** The silence limit that applies to a host: the first matching rule, the configured default, the host's interval, 25 h. */
export function silentAfterMinutes(
  config: HostsConfig,
  record: Pick<HeartbeatRecord, "host" | "prefix" | "everySeconds">,
): number {
  const rule = config.hosts.silentAfterByHost.find(
    (r) =>
      (r.hostPattern === undefined || hostPatternMatches(r.hostPattern, record.host)) &&
      (r.prefix === undefined || record.prefix.startsWith(r.prefix)),
  );
  if (rule) return rule.silentAfterMinutes;
  if (config.hosts.silentAfterMinutes !== undefined) return config.hosts.silentAfterMinutes;
  if (record.everySeconds !== undefined) return Math.ceil(record.everySeconds / 60) + SILENCE_SLACK_MINUTES;
  return DEFAULT_SILENT_AFTER_MINUTES;
}

/** `*` any run of characters, `?` one; case-insensitive, as host names are. */
export function hostPatternMatches(pattern: string, host: string): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\-]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${expression}$`, "i").test(host);
}

export function clockToleranceSeconds(config: HostsConfig): number {
  return config.hosts.clockSkewSeconds ?? config.certificates.thresholds.skewSeconds;
}

function parametersOf(record: Pick<HeartbeatRecord, "key" | "host" | "prefix">, bucket: string) {
  return { HostName: record.host, Bucket: bucket, Key: record.key, Prefix: record.prefix };
}

/** "26 h 5 min", "45 min": a silence in words. */
function duration(minutes: number): string {
  const whole = Math.floor(minutes);
  if (whole < 60) return `${whole} min`;
  const hours = Math.floor(whole / 60);
  if (hours >= 48) return `${Math.floor(hours / 24)} days ${hours % 24} h`;
  return whole % 60 === 0 ? `${hours} h` : `${hours} h ${whole % 60} min`;
}

export function silenceFinding(
  config: HostsConfig,
  record: HeartbeatRecord,
  now: Date,
  source: string,
): Finding | undefined {
  const limit = silentAfterMinutes(config, record);
  const silentFor = (now.getTime() - Date.parse(record.lastPushAt)) / 60_000;
  if (!(silentFor > limit)) return undefined;
  return {
    check: "host-silent",
    alarmId: alarmIdFor("host-silent"),
    severity: "major",
    source,
    message:
      `${record.host} has not pushed for ${duration(silentFor)} (its last push reached the bucket at ${record.lastPushAt}; ` +
      `it is silent after ${duration(limit)}): its timer stopped, its pushes fail before reaching the bucket, ` +
      "or it was decommissioned without being retired. What it holds now is not watched.",
    details: {
      host: record.host,
      prefix: record.prefix,
      lastPushAt: record.lastPushAt,
      silentForMinutes: Math.floor(silentFor),
      silentAfterMinutes: limit,
      ...(record.everySeconds !== undefined ? { everySeconds: record.everySeconds } : {}),
    },
  };
}

export function clockFinding(
  config: HostsConfig,
  record: HeartbeatRecord,
  source: string,
): Finding | undefined {
  const clock = record.clock;
  if (!clock) return undefined;
  const tolerance = clockToleranceSeconds(config);
  // Only what the measurement proves: the offset less its uncertainty.
  if (!(Math.abs(clock.offsetSeconds) - clock.uncertaintySeconds > tolerance)) return undefined;
  const ahead = clock.offsetSeconds > 0;
  const consequence = ahead
    ? "certificates issued or regenerated on it start in the future and are not yet valid anywhere else; fix its time synchronisation before re-issuing them"
    : "it refuses valid certificates as not yet valid and accepts expired ones, and AWS refuses its requests beyond 15 minutes; fix its time synchronisation";
  return {
    check: "host-clock-skew",
    alarmId: alarmIdFor("host-clock-skew"),
    severity: "major",
    source,
    message:
      `The clock of ${record.host} was ${describeOffset(clock.offsetSeconds)} of S3's (±${clock.uncertaintySeconds} s) ` +
      `when it pushed at ${record.lastPushAt}, more than the ${tolerance} s tolerated: ${consequence}.`,
    details: {
      host: record.host,
      offsetSeconds: clock.offsetSeconds,
      uncertaintySeconds: clock.uncertaintySeconds,
      toleranceSeconds: tolerance,
      measuredAt: record.lastPushAt,
    },
  };
}

interface HostRunContext {
  config: HostsConfig;
  uri: (key: string) => string;
  bucket: string;
  now: Date;
}

/** A host's heartbeat judged: the record it makes, when it was read. */
interface HeartbeatJudgement extends ItemJudgement {
  record?: HeartbeatRecord;
}

/** The scope of the host whose heartbeat is `record`, and the parameters its alarms carry. */
function hostOf(record: Pick<HeartbeatRecord, "key" | "host" | "prefix">, ctx: HostRunContext) {
  return { scope: hostScope(ctx.uri, record), parameters: parametersOf(record, ctx.bucket) };
}

/** A push just ended: the host is not silent, and its clock is judged from what it measured. */
function pushedJudgement(record: HeartbeatRecord, ctx: HostRunContext): HeartbeatJudgement {
  const clock = clockFinding(ctx.config, record, ctx.uri(record.key));
  return {
    examined: true,
    findings: clock ? [clock] : [],
    // A heartbeat without a clock reading says nothing about the clock: that alarm stands.
    examinedChecks: record.clock ? HOST_CHECKS_ALL : ["host-silent"],
    version: record.etag,
    record,
  };
}

/** The heartbeat is gone: the host was retired, and its alarms clear. */
const RETIRED: HeartbeatJudgement = {
  examined: true,
  findings: [],
  examinedChecks: HOST_CHECKS_ALL,
  version: ABSENT,
};

/** The schedule's judgement of one host: silent or not, on the heartbeat the stack last recorded. */
function silenceJudgement(record: HeartbeatRecord, ctx: HostRunContext): HeartbeatJudgement {
  const silent = silenceFinding(ctx.config, record, ctx.now, ctx.uri(record.key));
  return {
    examined: true,
    findings: silent ? [silent] : [],
    examinedChecks: ["host-silent"],
    version: record.etag,
  };
}

/** The run of a push that just ended (heartbeatJudgement) over the host's scope. */
export function heartbeatRun(record: HeartbeatRecord, ctx: HostRunContext): CheckRun {
  const source = ctx.uri(record.key);
  return settledRun(hostOf(record, ctx), [{ source, judgement: pushedJudgement(record, ctx) }], ctx.now);
}

/** The run of a retired host: its heartbeat is gone, and both its alarms clear. */
export function retiredRun(key: string, ctx: HostRunContext): CheckRun | undefined {
  const location = heartbeatLocation(key);
  if (!location) return undefined;
  return settledRun(
    hostOf({ key, ...location }, ctx),
    [{ source: ctx.uri(key), judgement: RETIRED }],
    ctx.now,
  );
}

/** The schedule's run of one host. */
export function silenceRun(record: HeartbeatRecord, ctx: HostRunContext): CheckRun {
  const source = ctx.uri(record.key);
  return settledRun(hostOf(record, ctx), [{ source, judgement: silenceJudgement(record, ctx) }], ctx.now);
}

/** The record a heartbeat object makes: where and when from the key and S3, the rest from what the host wrote. */
export function recordOf(
  key: string,
  object: { bytes: Uint8Array; etag?: string; lastModified?: Date },
  now: Date,
): HeartbeatRecord | undefined {
  const location = heartbeatLocation(key);
  if (!location) return undefined;
  let said: Heartbeat | undefined;
  try {
    const parsed = Heartbeat.safeParse(JSON.parse(Buffer.from(object.bytes).toString("utf8")));
    if (parsed.success) said = parsed.data;
  } catch {
    // Not what push writes; the object's existence still says the host reached the bucket.
  }
  return {
    key,
    ...location,
    etag: object.etag ?? "",
    lastPushAt: (object.lastModified ?? now).toISOString(),
    ...(said?.everySeconds !== undefined ? { everySeconds: said.everySeconds } : {}),
    ...(said?.clock ? { clock: said.clock } : {}),
  };
}

export interface HostCheckContext extends HostRunContext {
  store: Pick<CertificateStorePort, "load">;
  heartbeats: HostHeartbeatsPort;
  log?: Pick<ScanLog, "warn">;
}

/**
 * A heartbeat object an S3 event names, as a scope adapter: fetched as S3 holds it now — events
 * can come late or out of order — read into the record it makes and judged for both checks, and
 * that record kept; a heartbeat that is gone retires its host (forgotten, both alarms clear).
 * Undefined for a key that is not a heartbeat's.
 */
export function heartbeatObjectAdapter(
  key: string,
  ctx: HostCheckContext,
): ScopeAdapter<string, LoadResult, HeartbeatJudgement> | undefined {
  const location = heartbeatLocation(key);
  if (!location) return undefined;
  return {
    ...hostOf({ key, ...location }, ctx),
    list: () => [key],
    uri: ctx.uri,
    fetch: async () => {
      const loaded = await ctx.store.load(key, { maxBytes: MAX_HEARTBEAT_BYTES });
      if (loaded.ok || loaded.gone) return loaded;
      if (loaded.reason === "too-large") {
        ctx.log?.warn("a heartbeat larger than any push writes; not read", { key });
        return loaded;
      }
      throw new Error(`the heartbeat ${ctx.uri(key)} could not be read: ${loaded.detail}`);
    },
    judge: (_key, loaded) => {
      if (!loaded.ok) return loaded.gone ? RETIRED : { examined: false, findings: [] };
      const record = recordOf(key, loaded, ctx.now);
      return record ? pushedJudgement(record, ctx) : { examined: false, findings: [] };
    },
    record: async (_key, judged) => {
      if (judged.record) await ctx.heartbeats.record(judged.record);
      else if (judged.version === ABSENT) await ctx.heartbeats.forget(key);
    },
  };
}

/**
 * The schedule's check of one host, as a scope adapter: its item is the heartbeat the stack last
 * recorded, which is what silence is judged on (nothing is fetched from S3).
 */
export function recordedHostAdapter(
  record: HeartbeatRecord,
  ctx: HostRunContext,
): ScopeAdapter<HeartbeatRecord, HeartbeatRecord, HeartbeatJudgement> {
  return {
    ...hostOf(record, ctx),
    list: () => [record],
    uri: (kept) => ctx.uri(kept.key),
    fetch: async (kept) => kept,
    judge: (_record, kept) => silenceJudgement(kept, ctx),
  };
}

/**
 * A heartbeat object changed (its S3 event): its host's run, or undefined when there is nothing to
 * settle (not a heartbeat's key, or a heartbeat too large to be one push wrote).
 */
export async function checkHeartbeatObject(
  key: string,
  ctx: HostCheckContext,
): Promise<CheckRun | undefined> {
  const adapter = heartbeatObjectAdapter(key, ctx);
  if (!adapter) return undefined;
  const { run, items } = await checkScopeAdapter(adapter, ctx.now);
  return items.every((item) => item.judgement.examined) ? run : undefined;
}

/** The schedule's check: every host the stack has heard from, silent or not. */
export async function checkSilentHosts(ctx: HostCheckContext): Promise<CheckRun[]> {
  const runs: CheckRun[] = [];
  for (const record of await ctx.heartbeats.list()) {
    runs.push((await checkScopeAdapter(recordedHostAdapter(record, ctx), ctx.now)).run);
  }
  return runs;
}
