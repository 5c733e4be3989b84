/**
 * What an alarm carries from the findings it stands for: its parameters (never one that smells of
 * a secret), the facts receivers get as fields, one message for several findings, and what the
 * run saw at the source, which a clear carries as the new state.
 */
import { type CheckName, compareSeverity, type Finding, type Severity } from "../contracts";
import type {
  AlarmFacts,
  AlarmState,
  AlarmTransition,
  CheckRun,
  SourceObservation,
  TransitionKind,
} from "./alarm-state";
import { alarmDefinition } from "./catalog";

// Parameters end up in events and e-mails; anything that smells of a secret is dropped at the door.
const SECRET_NAME = /secret|token|password|passphrase|private.?key|credential/i;

export function alarmParameters(check: CheckName, finding: Finding, run: CheckRun): Record<string, string> {
  const parameters: Record<string, string> = { Source: finding.source };
  for (const [name, value] of Object.entries(run.parameters ?? {})) parameters[name] = value;
  // Where the file lives (certificates/location.ts); the configuration refuses names set above.
  for (const [name, value] of Object.entries(finding.parameters ?? {})) parameters[name] ??= value;
  // The object key is known from the source itself, whichever object of the run the alarm is about.
  const key = keyInBucket(finding.source, parameters.Bucket);
  if (key !== undefined) parameters.Key = key;
  const known = new Map(alarmDefinition(check).parameters.map((p) => [p.name.toLowerCase(), p.name]));
  for (const [name, value] of Object.entries(finding.details ?? {})) {
    const canonical = known.get(name.toLowerCase());
    if (canonical && (typeof value === "string" || typeof value === "number")) {
      parameters[canonical] = String(value);
    }
  }
  for (const name of Object.keys(parameters)) {
    if (SECRET_NAME.test(name)) delete parameters[name];
  }
  return parameters;
}

/** "s3://<bucket>/<key>" or "s3://<bucket>/<key>#<index>" → key, when the bucket is the run's. */
function keyInBucket(source: string, bucket: string | undefined): string | undefined {
  if (!bucket) return undefined;
  const prefix = `s3://${bucket}/`;
  if (!source.startsWith(prefix)) return undefined;
  const key = source.slice(prefix.length).replace(/#\d+$/, "");
  return key === "" ? undefined : key;
}

const MAX_FACT = 1000;
const FACT_NAMES = [
  "subject",
  "notBefore",
  "notAfter",
  "errorCode",
  "step",
  "reason",
  "format",
  "alias",
] as const;

export function alarmFacts(finding: Finding): AlarmFacts | undefined {
  const facts: AlarmFacts = {};
  for (const name of FACT_NAMES) {
    const value = finding.details?.[name];
    if (typeof value === "string" && value !== "") facts[name] = value.slice(0, MAX_FACT);
  }
  const missing = finding.details?.missing;
  const host = Array.isArray(missing) && typeof missing[0] === "string" ? missing[0] : finding.details?.peer;
  if (typeof host === "string" && host !== "") facts.expectedHost = host.slice(0, MAX_FACT);
  return Object.keys(facts).length > 0 ? facts : undefined;
}

/** What the run saw at a source: the exact source, else the file a certificate source is in. */
export function observationOf(run: CheckRun, source: string): SourceObservation | undefined {
  const observations = run.observations;
  if (!observations) return undefined;
  return observations.get(source) ?? observations.get(source.replace(/#\d+$/, ""));
}

const MAX_MESSAGE = 4000;

/** Several findings of one check on one source (e.g. weak key and weak signature) are one alarm. */
export function mergeFindings(findings: readonly Finding[]): {
  severity: Severity;
  message: string;
  worst: Finding;
} {
  const sorted = [...findings].sort((a, b) => compareSeverity(a.severity, b.severity));
  const messages = [...new Set(sorted.map((f) => f.message))].join("; ");
  // Bounded so an event always fits EventBridge's 256 KB entry limit.
  const message = messages.length > MAX_MESSAGE ? `${messages.slice(0, MAX_MESSAGE - 1)}…` : messages;
  return { severity: sorted[0]!.severity, message, worst: sorted[0]! };
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
