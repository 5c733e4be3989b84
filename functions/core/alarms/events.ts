/**
 * The alarm event contract on the EventBridge bus: `source: "watchpost"`, one detail-type per
 * transition kind, and the detail schema below. schemas/alarm-event.schema.json is generated from
 * `AlarmEventDetail` (`npm run generate`) and documented in docs/events.md.
 */
import * as z from "zod";
import { CheckName, Severity } from "../contracts";
import { worseOf } from "./alarm-content";
import { alarmDefinition } from "./catalog";
import { AlarmFacts, type AlarmTransition, SourceObservation, TransitionKind } from "./lifecycle";

export const EVENT_SOURCE = "watchpost";

export const DETAIL_TYPES = {
  raised: "Alarm Raised",
  "severity-changed": "Alarm Severity Changed",
  reminder: "Alarm Reminder",
  cleared: "Alarm Cleared",
} as const satisfies Record<TransitionKind, string>;
export type DetailType = (typeof DETAIL_TYPES)[TransitionKind];

const Timestamp = z.iso.datetime();

export const AlarmEventDetail = z
  .object({
    schemaVersion: z.literal("1").describe("Bumped only on incompatible changes to this detail."),
    eventId: z.uuid().describe("Unique per transition; consumers may de-duplicate on it."),
    kind: TransitionKind.describe("The transition; mirrors the event's detail-type."),
    alarmId: z.string().regex(/^\d+$/).describe("Stable numeric alarm ID from the catalog."),
    title: z.string().describe("Catalog title of the alarm."),
    severity: Severity.describe("Current severity; for `cleared`, the severity the alarm had."),
    previousSeverity: Severity.optional().describe("Only on `Alarm Severity Changed`."),
    peakSeverity: Severity.optional().describe(
      "The worst severity this occurrence has had up to this event. Route on it, not on `severity`: " +
        "whoever received any event of an occurrence then receives every later one, the drop below " +
        "their minimum and the clear included. Always set by this version; absent on events of versions before it.",
    ),
    check: CheckName,
    fingerprint: z
      .string()
      .describe("Identifies the alarm (alarm ID + scope + source + object) across runs."),
    occurrenceId: z
      .uuid()
      .describe("Identifies this occurrence; a fault that returns after clearing gets a new one."),
    scope: z
      .string()
      .describe("What the check run covered, e.g. s3://bucket/prefix/ or credentials:<target>."),
    source: z.string().describe("The file, object or target the alarm is about."),
    object: z
      .string()
      .optional()
      .describe("The object beyond the source (bucket, endpoint), when the check names one."),
    parameters: z
      .record(z.string(), z.string())
      .describe("Alarm parameters: Source, ServiceName, HostName, RoleName, Bucket…"),
    message: z.string().describe("Human-readable detail of the fault."),
    firstSeen: Timestamp,
    lastSeen: Timestamp,
    clearedAt: Timestamp.optional().describe("Only on `Alarm Cleared`."),
    at: Timestamp.describe("When the transition was decided."),
    doc: z
      .string()
      .describe(
        "Runbook: a URL under the configured runbookBaseUrl, else the repository-relative path docs/alarms/<id>.md.",
      ),
    facts: AlarmFacts.extend({
      subject: z.string().optional().describe("Subject of the certificate the alarm is about."),
      notBefore: z.string().optional().describe("Its notBefore (ISO 8601)."),
      notAfter: z.string().optional().describe("Its notAfter (ISO 8601)."),
      errorCode: z.string().optional().describe("Error code of the failing credential step."),
      step: z.string().optional().describe("The failing credential step (assume-role, head-bucket…)."),
      reason: z.string().optional().describe("Why a file could not be read (bad-pem, bad-password…)."),
      expectedHost: z
        .string()
        .optional()
        .describe("The host the certificate must name (a missing name, or the peer's FQDN)."),
      format: z
        .string()
        .optional()
        .describe("The format the file was read as: pem, der, pkcs7-pem, pkcs7-der, pkcs12, jks or jceks."),
      alias: z.string().optional().describe("The alias of the keystore entry that holds the certificate."),
    })
      .optional()
      .describe("Facts of the finding, as fields; absent when the check has none."),
    resolution: SourceObservation.extend({
      text: z.string().describe("What the clearing check saw, e.g. the renewed certificate's validity."),
      subject: z.string().optional(),
      notBefore: z.string().optional(),
      notAfter: z.string().optional(),
    })
      .optional()
      .describe("Only on `Alarm Cleared`, when the clearing check saw the source: its new state."),
    silenced: z
      .boolean()
      .describe("True when a silence matched: state changed, but nobody should be notified."),
  })
  .meta({
    title: "watchpost alarm event detail",
    description: "The `detail` of every event watchpost puts on its EventBridge bus (source `watchpost`).",
  });
export type AlarmEventDetail = z.infer<typeof AlarmEventDetail>;

export interface EventOptions {
  /** Prefix for runbook links, e.g. "https://github.com/org/watchpost/blob/main/"; default: repository-relative. */
  docBaseUrl?: string;
}

export function toEventDetail(transition: AlarmTransition, options: EventOptions = {}): AlarmEventDetail {
  const definition = alarmDefinition(transition.check);
  const base = options.docBaseUrl ?? "";
  const detail: AlarmEventDetail = {
    schemaVersion: "1",
    eventId: transition.id,
    kind: transition.kind,
    alarmId: transition.alarmId,
    title: definition.title,
    severity: transition.severity,
    ...(transition.previousSeverity ? { previousSeverity: transition.previousSeverity } : {}),
    peakSeverity: transition.peakSeverity ?? worseOf(transition.severity, transition.previousSeverity),
    check: transition.check,
    fingerprint: transition.fingerprint,
    occurrenceId: transition.occurrenceId,
    scope: transition.scope,
    source: transition.source,
    ...(transition.object !== undefined ? { object: transition.object } : {}),
    parameters: transition.parameters,
    message: transition.message,
    firstSeen: transition.firstSeen,
    lastSeen: transition.lastSeen,
    ...(transition.clearedAt ? { clearedAt: transition.clearedAt } : {}),
    at: transition.at,
    doc: base ? `${base.replace(/\/+$/, "")}/${definition.doc}` : definition.doc,
    ...(transition.facts ? { facts: transition.facts } : {}),
    ...(transition.resolution ? { resolution: transition.resolution } : {}),
    silenced: transition.silenced,
  };
  return AlarmEventDetail.parse(detail);
}

export function detailTypeOf(kind: TransitionKind): DetailType {
  return DETAIL_TYPES[kind];
}

/** The JSON Schema shipped as schemas/alarm-event.schema.json (draft 2020-12). */
export function alarmEventJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(AlarmEventDetail) as Record<string, unknown>;
}
