/**
 * The alarm lifecycle's data: what a check run hands to the settlement (`CheckRun`), the state
 * kept per alarm (`AlarmState`) and the transitions sent (`AlarmTransition`). Its own file, below
 * the lifecycle's decisions (lifecycle.ts), what an alarm carries (alarm-content.ts) and the
 * ordering of evidence (evidence.ts): all three import it, and lifecycle.ts uses the other two
 * without either of them needing lifecycle.ts back.
 */
import * as z from "zod";
import { CheckName, type Finding, Severity } from "../contracts";

export interface ObjectVersions {
  /**
   * By `s3://bucket/key`: the ETag of what was judged (read, or the listing's when judged from the
   * inventory), or ABSENT for an object found missing.
   */
  seen: ReadonlyMap<string, string>;
  /** The run listed every object under this `s3://bucket/prefix`: one under it that `seen` does not name was absent. */
  listed?: string;
}

/** What an alarm's state last changed on: the run's instant, and the object version it judged. */
export const Evidence = z.object({ at: z.iso.datetime(), version: z.string().optional() });
export type Evidence = z.infer<typeof Evidence>;

export interface CheckRun {
  /** What this run covered, e.g. "s3://bucket/prefix/", "credentials:<target>", "peer-group:<name>". */
  scope: string;
  /** false = partial or failed run: it clears nothing it did not examine. */
  complete: boolean;
  /**
   * Sources actually re-examined. In a partial run only alarms on these sources may clear; a
   * source "<file>" also covers the certificates "<file>#<index>" found in it.
   */
  examinedSources: string[];
  /**
   * Checks this run actually performed, when it is fewer than all: a credential check that stopped
   * at AssumeRole never reached the bucket, so it may not clear a bucket alarm. Absent: all checks.
   */
  examinedChecks?: CheckName[];
  findings: Finding[];
  /** Alarm parameters carried by every alarm of the run: ServiceName, RoleName, HostName, Bucket… */
  parameters?: Record<string, string>;
  /**
   * What the run saw at examined sources, keyed by source ("<file>", "<file>#<index>",
   * "credentials:<target>"): a clear carries it as the new state. Optional and possibly partial
   * (a large scan keeps a bounded number); a clear without one says only that the fault is gone.
   */
  observations?: ReadonlyMap<string, SourceObservation>;
  /**
   * The run's instant, on its observer's clock: certificates are judged against it, and it is the
   * instant of the run's evidence — taken before anything was read (a listing's start; for a
   * fanned-out run, its lister's), so the evidence is never older than it says.
   */
  now: Date;
  /** Which version of each object the run judged; absent for evidence that has none (credentials, live peers). */
  versions?: ObjectVersions;
}

/** The state of a source as a check run saw it, in words and in the facts a receiver may want. */
export const SourceObservation = z.object({
  /** "certificate CN=api valid until 2027-03-01T00:00:00Z (365 days)", "every step passed: …". */
  text: z.string(),
  subject: z.string().optional(),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
});
export type SourceObservation = z.infer<typeof SourceObservation>;

/**
 * Facts of the finding an alarm stands for, kept apart from the free-text message so receivers
 * (webhooks) get them as fields: the certificate's subject and dates, the credential step and
 * error code, the reason a file could not be read.
 */
export const AlarmFacts = z.object({
  subject: z.string().optional(),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
  errorCode: z.string().optional(),
  step: z.string().optional(),
  reason: z.string().optional(),
  /** The host the certificate must name: the first missing name, or the peer's FQDN. */
  expectedHost: z.string().optional(),
  /** The format the file was read as (pem, der, pkcs7-pem, pkcs7-der, pkcs12, jks, jceks). */
  format: z.string().optional(),
  /** The alias of the keystore entry that holds the certificate. */
  alias: z.string().optional(),
});
export type AlarmFacts = z.infer<typeof AlarmFacts>;

export const TRANSITION_KINDS = ["raised", "severity-changed", "reminder", "cleared"] as const;
export const TransitionKind = z.enum(TRANSITION_KINDS);
export type TransitionKind = z.infer<typeof TransitionKind>;

const Timestamp = z.iso.datetime();

export const AlarmTransition = z.object({
  /** Unique per transition; the publisher and the "mark sent" step key on it. */
  id: z.uuid(),
  kind: TransitionKind,
  fingerprint: z.string(),
  occurrenceId: z.uuid(),
  alarmId: z.string(),
  check: CheckName,
  severity: Severity,
  previousSeverity: Severity.optional(),
  /** The worst severity of the occurrence up to this transition (absent in older stored transitions). */
  peakSeverity: Severity.optional(),
  scope: z.string(),
  source: z.string(),
  object: z.string().optional(),
  message: z.string(),
  parameters: z.record(z.string(), z.string()),
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  clearedAt: Timestamp.optional(),
  silenced: z.boolean(),
  at: Timestamp,
  facts: AlarmFacts.optional(),
  /** Only on `cleared`: what the clearing run saw at the source, when it says. */
  resolution: SourceObservation.optional(),
});
export type AlarmTransition = z.infer<typeof AlarmTransition>;

/**
 * - `tracking`: seen, but on fewer consecutive runs than the damping asks; nothing was sent.
 * - `active`: raised and not yet cleared.
 * - `cleared`: the last occurrence, kept as history until `expiresAt`.
 */
export const AlarmStatus = z.enum(["tracking", "active", "cleared"]);
export type AlarmStatus = z.infer<typeof AlarmStatus>;

/**
 * A transition decided and not yet confirmed published, leased to the run that sends it: others
 * leave it alone until `until` (epoch ms, on the holder's clock) has passed on theirs.
 */
export const PendingTransition = z.object({
  transition: AlarmTransition,
  owner: z.string(),
  until: z.number().int().nonnegative(),
});
export type PendingTransition = z.infer<typeof PendingTransition>;

export const AlarmState = z.object({
  fingerprint: z.string(),
  alarmId: z.string(),
  check: CheckName,
  scope: z.string(),
  source: z.string(),
  object: z.string().optional(),
  occurrenceId: z.uuid(),
  status: AlarmStatus,
  severity: Severity,
  /**
   * The worst severity since the occurrence was raised: recipients are chosen by it, so whoever
   * received any event of the occurrence receives every later one. Absent while tracking, and in
   * states written before it existed (then `severity` stands in).
   */
  peakSeverity: Severity.optional(),
  consecutiveFailures: z.number().int().nonnegative(),
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  /** Absent while tracking: nothing has been sent for this occurrence yet. */
  lastNotified: Timestamp.optional(),
  clearedAt: Timestamp.optional(),
  message: z.string(),
  parameters: z.record(z.string(), z.string()),
  facts: AlarmFacts.optional(),
  /**
   * Revision of the decision: every decision write expects the revision it read and bumps it.
   * Publishing and recording delivery never touch it, so they never conflict with a decision.
   */
  version: z.number().int().positive(),
  /** Transitions decided but not yet confirmed published, by transition id; the next run sends what is left. */
  pending: z.record(z.string(), PendingTransition),
  /** The newest evidence the decision rests on; absent on items written before it was kept. */
  evidence: Evidence.optional(),
  /** TTL (epoch seconds) for cleared history and abandoned tracking entries. */
  expiresAt: z.number().int().optional(),
});
export type AlarmState = z.infer<typeof AlarmState>;
