/**
 * What a generic webhook receives: stable, documented fields instead of the raw EventBridge event,
 * so a receiver can route on `severity`, show `summary`, and act on `notAfter` or `errorCode`
 * without parsing prose. Versioned by `schemaVersion` (bumped only on incompatible changes) and
 * shipped as schemas/webhook-payload.schema.json (`npm run generate`).
 */
import * as z from "zod";
import { TransitionKind } from "../alarms/lifecycle";
import { daysBetween } from "../certificates/certificate";
import { CheckName, Severity } from "../contracts";
import type { AlarmView } from "./alarm-view";
import { summaryLine } from "./summary-line";

const Timestamp = z.iso.datetime();

export const WebhookPayload = z
  .strictObject({
    schemaVersion: z.literal("1").describe("Bumped only on incompatible changes to this payload."),
    eventId: z.uuid().describe("Unique per transition; a receiver may de-duplicate on it."),
    kind: TransitionKind.describe("raised, severity-changed, reminder or cleared."),
    at: Timestamp.describe("When the transition was decided."),
    summary: z
      .string()
      .describe("One line: severity, transition, alarm, title, object and deployment (the email subject)."),
    alarm: z.strictObject({
      id: z.string().describe("Stable numeric alarm ID from the catalog."),
      title: z.string(),
      check: CheckName,
      occurrenceId: z.uuid().describe("This occurrence; a fault that returns after clearing gets a new one."),
      fingerprint: z.string().describe("The alarm across occurrences (alarm ID + scope + source + object)."),
    }),
    severity: Severity.describe("Current severity; for `cleared`, the severity the alarm had."),
    previousSeverity: Severity.optional().describe("Only on `severity-changed`."),
    source: z.string().describe("The file, certificate (`<file>#<index>`) or credential target."),
    object: z
      .string()
      .optional()
      .describe("The object beyond the source (bucket, endpoint), when there is one."),
    message: z.string().describe("The fault in words, as last seen."),
    subject: z.string().optional().describe("Subject of the certificate the alarm is about."),
    notBefore: z.string().optional().describe("That certificate's notBefore (ISO 8601)."),
    notAfter: z.string().optional().describe("That certificate's notAfter (ISO 8601)."),
    daysLeft: z
      .number()
      .optional()
      .describe("Days from `at` to notAfter, one decimal, negative once expired."),
    errorCode: z
      .string()
      .optional()
      .describe(
        "The failing credential step's error code (AccessDenied…) or why a file is unreadable (bad-pem…).",
      ),
    step: z.string().optional().describe("The failing credential step (assume-role, head-bucket…)."),
    parameters: z
      .record(z.string(), z.string())
      .describe("Alarm parameters: Source, Bucket, Key, HostName, RoleArn, RoleName, Region…"),
    firstSeen: Timestamp,
    lastSeen: Timestamp,
    clearedAt: Timestamp.optional().describe("Only on `cleared`."),
    durationSeconds: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe("Only on `cleared`: firstSeen → clearedAt."),
    resolution: z
      .strictObject({
        text: z.string().describe("What the clearing check saw, e.g. the renewed certificate's validity."),
        subject: z.string().optional(),
        notBefore: z.string().optional(),
        notAfter: z.string().optional(),
        daysLeft: z.number().optional(),
      })
      .optional()
      .describe("Only on `cleared`: the new state, when the clearing check saw the source."),
    remediation: z
      .array(z.string())
      .describe("The runbook's steps with this alarm's values; empty on `cleared`."),
    deployment: z.strictObject({
      stackName: z.string(),
      account: z.string().optional(),
      region: z.string().optional(),
    }),
    links: z.strictObject({
      runbook: z.url().optional().describe("The runbook page, when notifications.runbookBaseUrl is set."),
      runbookPath: z.string().describe("The runbook's path in the watchpost repository."),
      console: z.url().optional().describe("The object (S3) or role (IAM) in the AWS console."),
    }),
  })
  .meta({
    title: "watchpost webhook payload",
    description: "The JSON body watchpost POSTs to a webhook of format `json` for every alarm transition.",
  });
export type WebhookPayload = z.infer<typeof WebhookPayload>;

export function webhookPayload(view: AlarmView): WebhookPayload {
  const { detail } = view;
  const facts = detail.facts ?? {};
  const resolution = detail.resolution;
  const resolvedNotAfter = resolution?.notAfter ? new Date(resolution.notAfter) : undefined;
  const payload: WebhookPayload = {
    schemaVersion: "1",
    eventId: detail.eventId,
    kind: detail.kind,
    at: detail.at,
    summary: summaryLine(view),
    alarm: {
      id: detail.alarmId,
      title: detail.title,
      check: detail.check,
      occurrenceId: detail.occurrenceId,
      fingerprint: detail.fingerprint,
    },
    severity: detail.severity,
    ...(detail.previousSeverity ? { previousSeverity: detail.previousSeverity } : {}),
    source: detail.source,
    ...(detail.object !== undefined ? { object: detail.object } : {}),
    message: detail.message,
    ...(facts.subject !== undefined ? { subject: facts.subject } : {}),
    ...(facts.notBefore ? { notBefore: facts.notBefore } : {}),
    ...(facts.notAfter ? { notAfter: facts.notAfter } : {}),
    ...(view.daysLeft !== undefined ? { daysLeft: view.daysLeft } : {}),
    ...((facts.errorCode ?? facts.reason) ? { errorCode: facts.errorCode ?? facts.reason } : {}),
    ...(facts.step ? { step: facts.step } : {}),
    parameters: detail.parameters,
    firstSeen: detail.firstSeen,
    lastSeen: detail.lastSeen,
    ...(detail.clearedAt ? { clearedAt: detail.clearedAt } : {}),
    ...(view.durationSeconds !== undefined ? { durationSeconds: view.durationSeconds } : {}),
    ...(resolution
      ? {
          resolution: {
            ...resolution,
            ...(resolvedNotAfter && !Number.isNaN(resolvedNotAfter.getTime())
              ? { daysLeft: daysBetween(new Date(detail.at), resolvedNotAfter) }
              : {}),
          },
        }
      : {}),
    remediation: view.steps,
    deployment: { ...view.deployment },
    links: {
      ...(view.runbook.url ? { runbook: view.runbook.url } : {}),
      runbookPath: view.runbook.path,
      ...(view.console ? { console: view.console.url } : {}),
    },
  };
  return WebhookPayload.parse(payload);
}

/** The JSON Schema shipped as schemas/webhook-payload.schema.json (draft 2020-12). */
export function webhookPayloadJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(WebhookPayload) as Record<string, unknown>;
}
