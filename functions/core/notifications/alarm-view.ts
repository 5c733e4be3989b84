/**
 * One alarm event as every destination presents it: which deployment paged, what happened to
 * what, the steps with real values, where to click, and for a clear what changed and how long the
 * alarm lasted. The renderers (email, Chatbot, Slack, Teams, webhook) only lay this out, so they
 * cannot disagree on content. Pure: no SDK, no clock (`detail.at` is the instant).
 */
import * as z from "zod";
import { alarmDefinitionById } from "../alarms/catalog";
import { AlarmEventDetail, EVENT_SOURCE } from "../alarms/events";
import { daysBetween } from "../certificates/certificate";
import { formatDuration } from "../certificates/checks/finding";
import type { Severity } from "../contracts";
import { visibleText } from "../visible-text";
import { type ConsoleLink, type Deployment, deploymentLine, iamRoleLink, s3ObjectLink } from "./deployment";
import { materialOf, remediationSteps } from "./remediation";

/** The EventBridge envelope around an alarm detail, as the notifier receives it. */
export const AlarmEventEnvelope = z.object({
  id: z.string(),
  "detail-type": z.string(),
  source: z.literal(EVENT_SOURCE),
  time: z.string(),
  // EventBridge fills both in on every event; they name the deployment that paged.
  account: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .optional(),
  detail: AlarmEventDetail,
});

export interface AlarmEvent {
  id: string;
  "detail-type": string;
  source: string;
  time: string;
  /** Filled in by EventBridge on every event: the account and region of the bus. */
  account?: string;
  region?: string;
  detail: AlarmEventDetail;
}

/** Account and region from the event envelope, the stack name from the configuration. */
export function deploymentOf(event: Pick<AlarmEvent, "account" | "region">, stackName: string): Deployment {
  return {
    stackName,
    ...(event.account ? { account: event.account } : {}),
    ...(event.region ? { region: event.region } : {}),
  };
}

export interface AlarmView {
  detail: AlarmEventDetail;
  deployment: Deployment;
  /** "CRITICAL alarm raised: Certificate expired (1001)". */
  headline: string;
  /** "Watchpost · account 123456789012 · eu-west-1". */
  where: string;
  /** The source, and the object beyond it when there is one. */
  object: string;
  /**
   * Where the fault lives beyond the object: the host, service, role, cluster… parameters,
   * "HostName: flink01 · ServiceName: Flink · Cluster: prod"; absent when the alarm has none.
   */
  location?: string;
  /** The finding in words (control characters made visible). */
  message: string;
  /** "CN=api.example.com, not after 2025-01-01 00:00 UTC (3.0 days ago)", when a certificate is involved. */
  certificate?: string;
  /** Days from the transition to the certificate's notAfter (negative once expired). */
  daysLeft?: number;
  /** For a clear: the fault as it last stood, without the raise's advice. */
  was?: string;
  /** For a clear: what the clearing check saw instead. */
  now?: string;
  /** For a clear: how long the alarm lasted, e.g. "2 days 8 hours". */
  lasted?: string;
  durationSeconds?: number;
  /** Steps with the alarm's values filled in; none for a clear. */
  steps: string[];
  runbook: { url?: string; path: string };
  console?: ConsoleLink;
}

export const SEVERITY_MARK: Record<Severity, string> = {
  critical: "\u{1F534}",
  major: "\u{1F7E0}",
  minor: "\u{1F7E1}",
  warning: "\u{1F535}",
};
export const CLEARED_MARK = "\u2705";

export function markOf(detail: Pick<AlarmEventDetail, "kind" | "severity">): string {
  return detail.kind === "cleared" ? CLEARED_MARK : SEVERITY_MARK[detail.severity];
}

export function alarmView(detail: AlarmEventDetail, deployment: Deployment): AlarmView {
  const definition = alarmDefinitionById(detail.alarmId);
  const facts = detail.facts ?? {};
  const at = new Date(detail.at);
  const cleared = detail.kind === "cleared";
  const notAfter = parseInstant(facts.notAfter);
  const durationMs =
    cleared && detail.clearedAt ? Date.parse(detail.clearedAt) - Date.parse(detail.firstSeen) : undefined;
  const view: AlarmView = {
    detail,
    deployment,
    headline: visibleText(headlineOf(detail, durationMs)),
    where: visibleText(deploymentLine(deployment)),
    object: visibleText(detail.object ? `${detail.source} (${detail.object})` : detail.source),
    message: visibleText(detail.message),
    steps:
      cleared || !definition
        ? []
        : remediationSteps(definition, fillers(detail), materialOf(detail.parameters, facts.format)).map(
            visibleText,
          ),
    runbook: {
      ...(/^https?:\/\//.test(detail.doc) ? { url: detail.doc } : {}),
      path: definition?.doc ?? detail.doc,
    },
  };
  const location = locationLine(detail.parameters);
  if (location) view.location = visibleText(location);
  if (facts.subject !== undefined || notAfter) view.certificate = visibleText(certificateLine(facts, at));
  if (notAfter) view.daysLeft = daysBetween(at, notAfter);
  if (cleared) {
    view.was = visibleText(faultLine(detail));
    view.now = visibleText(
      detail.resolution?.text ??
        `the check at ${readableTime(detail.clearedAt ?? detail.at)} no longer finds the fault`,
    );
  }
  if (durationMs !== undefined && durationMs >= 0) {
    view.lasted = formatDuration(durationMs);
    view.durationSeconds = Math.round(durationMs / 1000);
  }
  const link = consoleLinkOf(detail, deployment);
  if (link) view.console = link;
  return view;
}

/** Parameters every view already shows as the object or its console link. */
const SHOWN_AS_OBJECT = new Set(["Source", "Bucket", "Prefix", "Key", "Endpoint"]);
const LOCATION_FIRST = ["HostName", "ServiceName", "RoleName", "Cluster"];
const MAX_LOCATION = 500;

/** "HostName: flink01 · ServiceName: Flink": the parameters that say where, beyond the object. */
export function locationLine(parameters: Record<string, string>): string | undefined {
  const names = Object.keys(parameters).filter((name) => !SHOWN_AS_OBJECT.has(name));
  const rank = (name: string) => {
    const at = LOCATION_FIRST.indexOf(name);
    return at === -1 ? LOCATION_FIRST.length : at;
  };
  names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const line = names.map((name) => `${name}: ${parameters[name]}`).join(" · ");
  if (line === "") return undefined;
  return line.length > MAX_LOCATION ? `${line.slice(0, MAX_LOCATION - 1)}…` : line;
}

/**
 * The parameters, plus what a certificate step needs beyond them: the keystore entry's alias, and
 * the host when no HostName was configured.
 */
function fillers(detail: AlarmEventDetail): Record<string, string> {
  const { facts } = detail;
  const parameters = facts?.alias ? { ...detail.parameters, Alias: facts.alias } : detail.parameters;
  if (parameters.HostName || parameters.Endpoint) return parameters;
  const host = facts?.expectedHost ?? commonNameOf(facts?.subject);
  return host ? { ...parameters, HostName: host } : parameters;
}

/** "CN=api.example.com, O=Acme" → "api.example.com", when it is a host name. */
function commonNameOf(subject: string | undefined): string | undefined {
  const cn = subject ? /(?:^|,\s*)CN=([^,]+)/.exec(subject)?.[1]?.trim() : undefined;
  return cn && /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(cn) ? cn : undefined;
}

function headlineOf(detail: AlarmEventDetail, durationMs: number | undefined): string {
  const severity = detail.severity.toUpperCase();
  const what = `${detail.title} (${detail.alarmId})`;
  switch (detail.kind) {
    case "raised":
      return `${severity} alarm raised: ${what}`;
    case "severity-changed":
      return `Alarm now ${severity}${detail.previousSeverity ? ` (was ${detail.previousSeverity.toUpperCase()})` : ""}: ${what}`;
    case "reminder":
      return `Still active, ${severity}: ${what}`;
    case "cleared":
      return durationMs !== undefined && durationMs >= 0
        ? `Cleared after ${formatDuration(durationMs)}: ${what}`
        : `Cleared: ${what}`;
  }
}

function certificateLine(facts: NonNullable<AlarmEventDetail["facts"]>, at: Date): string {
  const parts: string[] = [];
  if (facts.subject !== undefined) parts.push(facts.subject === "" ? "(no subject)" : facts.subject);
  const notAfter = parseInstant(facts.notAfter);
  if (notAfter) {
    const days = daysBetween(at, notAfter);
    const when = days < 0 ? `${Math.abs(days).toFixed(1)} days ago` : `in ${days.toFixed(1)} days`;
    parts.push(`not after ${readableTime(notAfter.toISOString())} (${when})`);
  }
  const notBefore = parseInstant(facts.notBefore);
  if (notBefore && notBefore > at) parts.push(`not before ${readableTime(notBefore.toISOString())}`);
  return parts.join(", ");
}

/** What the alarm was about, in a line, from its facts rather than the raise's advice. */
function faultLine(detail: AlarmEventDetail): string {
  const facts = detail.facts ?? {};
  const severity = detail.severity;
  const subject = facts.subject ? `${facts.subject} ` : "";
  switch (detail.check) {
    case "expired":
      if (facts.notAfter) return `${severity}: ${subject}expired on ${readableTime(facts.notAfter)}`;
      break;
    case "expiring":
      if (facts.notAfter) return `${severity}: ${subject}expiring on ${readableTime(facts.notAfter)}`;
      break;
    case "not-yet-valid":
      if (facts.notBefore) return `${severity}: ${subject}not valid until ${readableTime(facts.notBefore)}`;
      break;
    case "unreadable":
      if (facts.reason) return `${severity}: the file could not be read (${facts.reason})`;
      break;
    default:
      if (facts.step && facts.errorCode) return `${severity}: ${facts.step} failed (${facts.errorCode})`;
  }
  return `${severity}: ${detail.title.charAt(0).toLowerCase()}${detail.title.slice(1)}`;
}

function consoleLinkOf(detail: AlarmEventDetail, deployment: Deployment): ConsoleLink | undefined {
  const { Bucket, Key, RoleArn, Endpoint } = detail.parameters;
  // The object the alarm is about: an object's own alarm, or a peer's stored certificate (a
  // peer-group source); a live endpoint's alarm is about what it serves, not its stored copy.
  if (Bucket && Key && (detail.source.startsWith("s3://") || !Endpoint))
    return s3ObjectLink(Bucket, Key, deployment.region);
  if (RoleArn) return iamRoleLink(RoleArn, deployment.region);
  return undefined;
}

function parseInstant(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Date and time to the minute, in UTC, which phones show without reflowing. */
export function readableTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function severityText(detail: Pick<AlarmEventDetail, "severity" | "previousSeverity">): string {
  return detail.previousSeverity ? `${detail.severity} (was ${detail.previousSeverity})` : detail.severity;
}
