/**
 * The heartbeat `watchpost push` leaves in the bucket after each run that reached it: a small
 * JSON object at `PREFIX/<host>/.watchpost-heartbeat.json`, inside the host's own prefix (the
 * push role may write there already), so the stack knows the host is alive and how its clock
 * compares with S3's. What the object says is the host's word; when it was written is S3's
 * (LastModified), which is what "silent for too long" is judged on.
 *
 * The clock: S3 stamps every response with its own time (the HTTP `Date` header, RFC 9110
 * §6.6.1, whole seconds). Bracketing a request between two readings of the host clock bounds
 * the host's offset: offset = midpoint − (Date + 0.5 s), within ± (half the round trip + 0.5 s).
 * The shortest round trip of the run gives the tightest bound.
 */
import * as z from "zod";

export const HEARTBEAT_NAME = ".watchpost-heartbeat.json";
/** A heartbeat larger than this is not read: it is not one push wrote. */
export const MAX_HEARTBEAT_BYTES = 16 * 1024;

export const ClockReading = z.object({
  /** Host clock minus S3's clock: positive when the host's clock is ahead. */
  offsetSeconds: z.number().finite(),
  /** How far the true offset may lie from `offsetSeconds`, either way. */
  uncertaintySeconds: z.number().finite().nonnegative(),
  /** The server clock the host was compared with. */
  against: z.literal("s3-date-header"),
});
export type ClockReading = z.infer<typeof ClockReading>;

export const Heartbeat = z.object({
  format: z.literal(1),
  host: z.string().max(253),
  /** When the run started, on the host's clock. */
  pushedAt: z.iso.datetime(),
  /** The watchpost release that wrote it. */
  agent: z.string().max(64).optional(),
  /** How often the host runs push (`--every`): the stack's default for "silent" follows it. */
  everySeconds: z
    .number()
    .int()
    .positive()
    .max(31 * 86_400)
    .optional(),
  clock: ClockReading.optional(),
  /** The run's outcome counts (uploaded, unchanged, skipped, failed, …). */
  counts: z.record(z.string().max(32), z.number().int().nonnegative()).optional(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

export function heartbeatKey(prefix: string, host: string): string {
  return `${prefix}${host}/${HEARTBEAT_NAME}`;
}

/** The push prefix and host a heartbeat key names; undefined for any other key. */
export function heartbeatLocation(key: string): { prefix: string; host: string } | undefined {
  if (!key.endsWith(`/${HEARTBEAT_NAME}`)) return undefined;
  const hostPrefix = key.slice(0, -HEARTBEAT_NAME.length - 1);
  const slash = hostPrefix.lastIndexOf("/");
  const host = hostPrefix.slice(slash + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(host)) return undefined;
  return { prefix: hostPrefix.slice(0, slash + 1), host };
}

export function isHeartbeatKey(key: string): boolean {
  return heartbeatLocation(key) !== undefined;
}

/** One request's timing: the host clock before and after it, and the server's `Date` (ms, whole seconds). */
export interface ClockSample {
  sentAt: number;
  receivedAt: number;
  serverDate: number;
}

/** The host's clock offset from the tightest sample; undefined without one. */
export function clockOffset(samples: readonly ClockSample[]): ClockReading | undefined {
  const valid = samples.filter(
    (s) => Number.isFinite(s.serverDate) && Number.isFinite(s.sentAt) && s.receivedAt >= s.sentAt,
  );
  if (valid.length === 0) return undefined;
  const best = valid.reduce((a, b) => (b.receivedAt - b.sentAt < a.receivedAt - a.sentAt ? b : a));
  const midpoint = (best.sentAt + best.receivedAt) / 2;
  // The Date header drops the fraction of its second: the server's instant lies in [Date, Date + 1 s).
  const offsetMs = midpoint - (best.serverDate + 500);
  const uncertaintyMs = (best.receivedAt - best.sentAt) / 2 + 500;
  return {
    offsetSeconds: Math.round(offsetMs) / 1000,
    uncertaintySeconds: Math.round(uncertaintyMs) / 1000,
    against: "s3-date-header",
  };
}

/** "612 s ahead", "3 min 5 s behind": how an offset reads in messages. */
export function describeOffset(offsetSeconds: number): string {
  const magnitude = Math.abs(offsetSeconds);
  const whole = Math.round(magnitude);
  const text =
    whole >= 3600
      ? `${Math.floor(whole / 3600)} h ${Math.round((whole % 3600) / 60)} min`
      : whole >= 120
        ? `${Math.floor(whole / 60)} min ${whole % 60} s`
        : `${magnitude < 10 ? magnitude.toFixed(1) : whole} s`;
  return `${text} ${offsetSeconds >= 0 ? "ahead" : "behind"}`;
}
