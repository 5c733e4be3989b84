/**
 * The alarm lifecycle, as pure decisions: given what one check run saw over a scope and the
 * stored state of that scope, decide which alarms are raised, change severity, remind or clear.
 * No SDK and no clock here — `run.now` is the only time — so every edge is unit-testable and the
 * orchestrator (process-run.ts) can re-decide one alarm after a write conflict. Decisions are
 * ordered by the evidence they rest on (`freshness`): docs/architecture.md, "Settling alarms".
 */
import { createHash, randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { alarmIdFor, DEFAULT_SEVERITY } from "../alarm-ids";
import type { CheckName, Finding, Severity } from "../contracts";
import {
  alarmFacts,
  alarmParameters,
  mergeFindings,
  observationOf,
  transitionOf,
  worseOf,
} from "./alarm-content";
import type {
  AlarmState,
  AlarmTransition,
  CheckRun,
  Evidence,
  SourceObservation,
  TransitionKind,
} from "./alarm-state";
import { isCredentialCheck } from "./catalog";
import { freshness, versionSeen } from "./evidence";
import { isSilenced, type Silence } from "./silences";

// The lifecycle's data lives in alarm-state.ts; named here too, where callers have always found it.
export {
  AlarmFacts,
  AlarmState,
  AlarmStatus,
  AlarmTransition,
  type CheckRun,
  PendingTransition,
  SourceObservation,
  TRANSITION_KINDS,
  TransitionKind,
} from "./alarm-state";

export interface LifecyclePolicy {
  /** Remind every this many hours while an alarm is active (default 24). */
  reminderHours: number;
  /** Consecutive failing runs before raising; default 1 for certificate checks, 2 for credential checks. */
  damping: Partial<Record<CheckName, number>>;
  silences: Silence[];
  /** How long cleared occurrences are kept (default 90 days). */
  historyDays: number;
  /** The deployment's severity per alarm ID, in place of the catalog's (see catalogSeverity). */
  severities?: Readonly<Partial<Record<string, Severity>>>;
}

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = Object.freeze({
  reminderHours: 24,
  damping: {},
  silences: [],
  historyDays: 90,
});

/**
 * A finding raised at its alarm's catalog severity (alarm-ids.ts DEFAULT_SEVERITY) takes the
 * deployment's severity for that alarm instead, when one is configured: a site whose procedures
 * call an expired HA certificate Major (FusionInsight's ALM-45655) says so once. Severities a
 * finding grades itself (expiring inside 30 or 7 days, a chain only some clients refuse) stay.
 */
export function catalogSeverity(check: CheckName, severity: Severity, policy: LifecyclePolicy): Severity {
  const configured = policy.severities?.[alarmIdFor(check)];
  return configured !== undefined && severity === DEFAULT_SEVERITY[check] ? configured : severity;
}

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
  /** The state to write (its `pending` as stored: new transitions are added by whoever writes it), or undefined when nothing changed. */
  state?: AlarmState;
  transitions: AlarmTransition[];
}

/**
 * Decides one alarm. `findings` are this run's findings with this fingerprint (possibly none),
 * `stored` the state read for it (possibly none). The caller has checked the run's `freshness`:
 * evidence older than the stored decision is not given here.
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
  // Writes that change nothing are not made: concurrent runs of the same instant stay out of each
  // other's way. A decision with a transition always changes the state (its status, its severity,
  // or lastNotified, by at least the 1-hour minimum reminder interval), so none is lost here.
  const finish = (state: AlarmState, transitions: AlarmTransition[]): Decision =>
    stored !== undefined && sameDecision(state, stored) ? { transitions: [] } : { state, transitions };
  const source = findings[0]?.source ?? stored?.source;
  const evidence: Evidence = {
    at: now,
    ...(source !== undefined && versionSeen(run, source) !== undefined
      ? { version: versionSeen(run, source) }
      : {}),
  };
  // The same instant seen twice (concurrent runs, a redelivered settle) is one observation, not two.
  const later = !stored?.evidence || run.now.getTime() > Date.parse(stored.evidence.at);

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
        evidence,
        version: stored.version + 1,
      };
      return finish(cleared, [transition(cleared, "cleared", undefined, observationOf(run, stored.source))]);
    }
    // Not active, so tracking or cleared; clearing resets the count, so a count is a damped streak.
    if (stored.consecutiveFailures > 0) {
      // Damped and gone again: forget the streak without telling anyone.
      return finish(
        { ...stored, consecutiveFailures: 0, expiresAt, evidence, version: stored.version + 1 },
        [],
      );
    }
    return { transitions: [] };
  }

  const merged = mergeFindings(findings);
  const { message, worst } = merged;
  const check = first.check;
  const severity = catalogSeverity(check, merged.severity, policy);
  const facts = alarmFacts(worst);
  const seen = {
    severity,
    message,
    // A run on an earlier clock never moves lastSeen back.
    lastSeen: new Date(Math.max(run.now.getTime(), stored ? Date.parse(stored.lastSeen) : 0)).toISOString(),
    parameters: alarmParameters(check, first, run),
    ...(facts ? { facts } : {}),
    evidence,
    version: (stored?.version ?? 0) + 1,
  };
  const threshold = dampingFor(policy, check);

  // No failure counted: nothing stored, an occurrence that cleared (clearing resets the count), or a
  // damped streak forgotten; an active alarm always counts at least the failure that raised it.
  if (!stored || stored.consecutiveFailures === 0) {
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
      pending: stored?.pending ?? {},
      ...seen,
      lastSeen: now,
    };
    if (threshold > 1) return finish(fresh, []);
    const raised: AlarmState = { ...fresh, status: "active", lastNotified: now, peakSeverity: severity };
    return finish(raised, [transition(raised, "raised")]);
  }

  const consecutiveFailures = stored.consecutiveFailures + (later ? 1 : 0);
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

/**
 * Everything but the revision and the pending transitions, compared as data: in any key order (the
 * store returns attributes in its own), and with no key holding undefined on either side (the
 * decisions here never write one, and the store drops them).
 */
function sameDecision(a: AlarmState, b: AlarmState): boolean {
  const { version: _a, pending: _pa, ...left } = a;
  const { version: _b, pending: _pb, ...right } = b;
  return isDeepStrictEqual(left, right);
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
 * Decides the whole scope at once, on evidence taken as current (no store to confirm versions
 * against): what process-run.ts does alarm by alarm. `next` holds only the states that changed,
 * each with its revision bumped and its new transitions added to `pending` (unleased).
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
    const found = groups.get(fingerprint) ?? [];
    const stored = byFingerprint.get(fingerprint);
    const source = found[0]?.source ?? stored?.source;
    if (source !== undefined && freshness(run, stored, source) === "stale") continue;
    const decision = decideAlarm(run, found, stored, policy, newId);
    if (!decision.state) continue;
    const pending = { ...decision.state.pending };
    for (const t of decision.transitions) pending[t.id] = { transition: t, owner: "", until: 0 };
    next.push({ ...decision.state, pending });
    transitions.push(...decision.transitions);
  }
  return { next, transitions, partial: !run.complete };
}
