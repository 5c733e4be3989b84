/**
 * The alarm lifecycle, as pure decisions: given what one check run saw over a scope and the
 * stored state of that scope, decide which alarms are raised, change severity, remind or clear.
 * No SDK and no clock here — `run.now` is the only time — so every edge is unit-testable and the
 * orchestrator (process-run.ts) can re-decide one alarm after a write conflict.
 */
import { createHash, randomUUID } from "node:crypto";
import * as z from "zod";
import { CheckName, compareSeverity, type Finding, Severity } from "../contracts";
import { alarmFacts, alarmParameters, mergeFindings, observationOf } from "./alarm-content";
import { isCredentialCheck } from "./catalog";
import { isSilenced, type Silence } from "./silences";

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
  now: Date;
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
  /** Optimistic-locking counter: every write expects the version it read. */
  version: z.number().int().positive(),
  /** Transitions decided but not yet confirmed published; the next run sends what is left. */
  pending: z.array(AlarmTransition),
  /** TTL (epoch seconds) for cleared history and abandoned tracking entries. */
  expiresAt: z.number().int().optional(),
  /** A run that is publishing this item's pending transitions; others leave them alone until it expires. */
  claim: z.object({ runId: z.string(), expiresAt: Timestamp }).optional(),
});
export type AlarmState = z.infer<typeof AlarmState>;

export interface LifecyclePolicy {
  /** Remind every this many hours while an alarm is active (default 24). */
  reminderHours: number;
  /** Consecutive failing runs before raising; default 1 for certificate checks, 2 for credential checks. */
  damping: Partial<Record<CheckName, number>>;
  silences: Silence[];
  /** How long cleared occurrences are kept (default 90 days). */
  historyDays: number;
}

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = Object.freeze({
  reminderHours: 24,
  damping: {},
  silences: [],
  historyDays: 90,
});

export function dampingFor(policy: LifecyclePolicy, check: CheckName): number {
  return Math.max(1, policy.damping[check] ?? (isCredentialCheck(check) ? 2 : 1));
}

/** The object a finding is about beyond its source (a bucket, an endpoint), when the check says so. */
export function objectOf(finding: Finding): string | undefined {
  const object = finding.details?.object;
  return typeof object === "string" ? object : undefined;
}

/** Stable across runs: the same fault on the same thing in the same scope always maps here. */
export function fingerprintOf(finding: Finding, scope: string): string {
  return createHash("sha256")
    .update([finding.alarmId, scope, finding.source, objectOf(finding) ?? ""].join("\u0000"))
    .digest("hex")
    .slice(0, 32);
}

function wasExamined(run: CheckRun, source: string, check: CheckName): boolean {
  if (run.examinedChecks && !run.examinedChecks.includes(check)) return false;
  if (run.complete) return true;
  return run.examinedSources.some((examined) => source === examined || source.startsWith(`${examined}#`));
}

const HOUR_MS = 3_600_000;
const DAY_S = 86_400;

export interface Decision {
  /** The state to write, or undefined when nothing changed. */
  state?: AlarmState;
  transitions: AlarmTransition[];
}

/**
 * Decides one alarm. `findings` are this run's findings with this fingerprint (possibly none),
 * `stored` the state read for it (possibly none).
 */
export function decideAlarm(
  run: CheckRun,
  findings: readonly Finding[],
  stored: AlarmState | undefined,
  policy: LifecyclePolicy,
  newId: () => string = randomUUID,
): Decision {
  const now = run.now.toISOString();
  const transition = (
    state: AlarmState,
    kind: TransitionKind,
    previousSeverity?: Severity,
    resolution?: SourceObservation,
  ): AlarmTransition =>
    transitionOf(state, kind, {
      id: newId(),
      at: now,
      silenced: isSilenced(policy.silences, state, run.now),
      ...(previousSeverity ? { previousSeverity } : {}),
      ...(resolution ? { resolution } : {}),
    });
  const finish = (state: AlarmState, transitions: AlarmTransition[]): Decision => ({
    state: { ...state, pending: [...state.pending, ...transitions] },
    transitions,
  });

  const first = findings[0];
  if (!first) {
    if (!stored || !wasExamined(run, stored.source, stored.check)) return { transitions: [] };
    const expiresAt = Math.floor(run.now.getTime() / 1000) + policy.historyDays * DAY_S;
    if (stored.status === "active") {
      const cleared: AlarmState = {
        ...stored,
        status: "cleared",
        clearedAt: now,
        consecutiveFailures: 0,
        expiresAt,
        version: stored.version + 1,
      };
      return finish(cleared, [transition(cleared, "cleared", undefined, observationOf(run, stored.source))]);
    }
    if (stored.status === "tracking" && stored.consecutiveFailures > 0) {
      // Damped and gone again: forget the streak without telling anyone.
      return finish({ ...stored, consecutiveFailures: 0, expiresAt, version: stored.version + 1 }, []);
    }
    return { transitions: [] };
  }

  const { severity, message, worst } = mergeFindings(findings);
  const check = first.check;
  const facts = alarmFacts(worst);
  const seen = {
    severity,
    message,
    lastSeen: now,
    parameters: alarmParameters(check, first, run),
    ...(facts ? { facts } : {}),
    version: (stored?.version ?? 0) + 1,
  };
  const threshold = dampingFor(policy, check);

  if (
    !stored ||
    stored.status === "cleared" ||
    (stored.status === "tracking" && stored.consecutiveFailures === 0)
  ) {
    // A new streak. A fault that returns after clearing is a new occurrence with a new UUID.
    const fresh: AlarmState = {
      fingerprint: fingerprintOf(first, run.scope),
      alarmId: first.alarmId,
      check,
      scope: run.scope,
      source: first.source,
      ...(objectOf(first) !== undefined ? { object: objectOf(first) } : {}),
      occurrenceId: newId(),
      status: "tracking",
      consecutiveFailures: 1,
      firstSeen: now,
      pending: stored?.pending ?? [],
      ...(stored?.claim ? { claim: stored.claim } : {}),
      ...seen,
    };
    if (threshold > 1) return finish(fresh, []);
    const raised: AlarmState = { ...fresh, status: "active", lastNotified: now, peakSeverity: severity };
    return finish(raised, [transition(raised, "raised")]);
  }

  const consecutiveFailures = stored.consecutiveFailures + 1;
  const { expiresAt: _dropped, facts: _replaced, ...kept } = stored;
  if (stored.status === "tracking") {
    const tracked: AlarmState = { ...kept, ...seen, consecutiveFailures };
    if (consecutiveFailures < threshold) return finish(tracked, []);
    const raised: AlarmState = { ...tracked, status: "active", lastNotified: now, peakSeverity: severity };
    return finish(raised, [transition(raised, "raised")]);
  }

  const active: AlarmState = {
    ...kept,
    ...seen,
    consecutiveFailures,
    peakSeverity: worseOf(stored.peakSeverity ?? stored.severity, severity),
  };
  if (severity !== stored.severity) {
    const changed = { ...active, lastNotified: now };
    return finish(changed, [transition(changed, "severity-changed", stored.severity)]);
  }
  const lastNotified = Date.parse(stored.lastNotified ?? stored.firstSeen);
  if (run.now.getTime() - lastNotified >= policy.reminderHours * HOUR_MS) {
    const reminded = { ...active, lastNotified: now };
    return finish(reminded, [transition(reminded, "reminder")]);
  }
  return finish(active, []);
}

/** What the event of a transition of an alarm in `state` carries. */
export function transitionOf(
  state: AlarmState,
  kind: TransitionKind,
  options: {
    id: string;
    at: string;
    silenced: boolean;
    previousSeverity?: Severity;
    /** On a clear: what the check saw instead. */
    resolution?: SourceObservation;
  },
): AlarmTransition {
  return {
    id: options.id,
    kind,
    fingerprint: state.fingerprint,
    occurrenceId: state.occurrenceId,
    alarmId: state.alarmId,
    check: state.check,
    severity: state.severity,
    ...(options.previousSeverity ? { previousSeverity: options.previousSeverity } : {}),
    peakSeverity: state.peakSeverity ?? state.severity,
    scope: state.scope,
    source: state.source,
    ...(state.object !== undefined ? { object: state.object } : {}),
    message: state.message,
    parameters: state.parameters,
    firstSeen: state.firstSeen,
    lastSeen: state.lastSeen,
    ...(state.clearedAt ? { clearedAt: state.clearedAt } : {}),
    silenced: options.silenced,
    at: options.at,
    ...(state.facts ? { facts: state.facts } : {}),
    ...(options.resolution ? { resolution: options.resolution } : {}),
  };
}

/** The worse of two severities. */
export function worseOf(a: Severity, b: Severity | undefined): Severity {
  return b !== undefined && compareSeverity(b, a) < 0 ? b : a;
}

/** Groups the run's findings by fingerprint. */
export function findingsByFingerprint(run: CheckRun): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const finding of run.findings) {
    const fingerprint = fingerprintOf(finding, run.scope);
    const group = groups.get(fingerprint);
    if (group) group.push(finding);
    else groups.set(fingerprint, [finding]);
  }
  return groups;
}

/**
 * Decides the whole scope. `next` holds only the states that changed (each with its version
 * bumped and its new transitions appended to `pending`), ready for conditional writes.
 */
export function decideTransitions(
  run: CheckRun,
  stored: AlarmState[],
  policy: LifecyclePolicy,
  newId: () => string = randomUUID,
): { next: AlarmState[]; transitions: AlarmTransition[]; partial: boolean } {
  const groups = findingsByFingerprint(run);
  const byFingerprint = new Map(stored.map((state) => [state.fingerprint, state]));
  const fingerprints = new Set([...byFingerprint.keys(), ...groups.keys()]);
  const next: AlarmState[] = [];
  const transitions: AlarmTransition[] = [];
  for (const fingerprint of fingerprints) {
    const decision = decideAlarm(
      run,
      groups.get(fingerprint) ?? [],
      byFingerprint.get(fingerprint),
      policy,
      newId,
    );
    if (decision.state) next.push(decision.state);
    transitions.push(...decision.transitions);
  }
  return { next, transitions, partial: !run.complete };
}
