/**
 * The email: plain text that reads top-down on a phone — what happened and where, the fault or
 * (for a clear) what changed, then the steps with real values, then links and identifiers.
 */
import { visibleText as visible } from "../visible-text";
import { type AlarmView, readableTime, severityText } from "./alarm-view";
import { inertLinks, MAX_FINDING_MESSAGE_CHARS, MAX_PARAMETER_VALUE_CHARS, truncate } from "./text";

/**
 * Plain text, so nothing is markup; but mail clients make links of bare URLs, so what a certificate,
 * an uploader or a host wrote gets no live link (text.ts `inertLinks`); our runbook and console
 * links stay live.
 */
export function emailBody(view: AlarmView): string {
  const { detail } = view;
  const cleared = detail.kind === "cleared";
  const safe = inertLinks;
  const lines: string[] = [view.headline, safe(view.where), ""];
  if (cleared) {
    lines.push(`Now: ${safe(view.now ?? "")}`, `Was: ${safe(view.was ?? "")}`, "");
  } else {
    lines.push(truncate(safe(view.message), MAX_FINDING_MESSAGE_CHARS), "");
  }
  lines.push(`Object: ${safe(view.object)}`);
  if (view.location) lines.push(`Location: ${safe(view.location)}`);
  if (view.certificate && !cleared) lines.push(`Certificate: ${safe(view.certificate)}`);
  lines.push(`Severity: ${severityText(detail)}`);
  if (cleared) {
    lines.push(`Raised: ${readableTime(detail.firstSeen)}`);
    lines.push(
      `Cleared: ${readableTime(detail.clearedAt ?? detail.at)}${view.lasted ? ` (lasted ${view.lasted})` : ""}`,
    );
    lines.push("", "No action is needed.");
  } else {
    lines.push(
      `First seen: ${readableTime(detail.firstSeen)}`,
      `Last seen: ${readableTime(detail.lastSeen)}`,
    );
    if (view.steps.length > 0) {
      lines.push("", "What to do:");
      view.steps.forEach((step, index) => {
        lines.push(`${index + 1}. ${step}`);
      });
    }
  }
  lines.push("");
  lines.push(
    view.runbook.url
      ? `Runbook: ${view.runbook.url}`
      : `Runbook: ${view.runbook.path} in the watchpost repository${cleared ? "" : " (its steps are above)"}`,
  );
  if (view.console) lines.push(`${view.console.label}: ${view.console.url}`);
  const parameters = Object.entries(detail.parameters);
  if (parameters.length > 0) {
    lines.push("", "Parameters:");
    for (const [name, value] of parameters) {
      lines.push(`  ${name}: ${truncate(safe(visible(value)), MAX_PARAMETER_VALUE_CHARS)}`);
    }
  }
  lines.push("");
  lines.push(`Alarm ID: ${detail.alarmId}`);
  lines.push(`Occurrence: ${detail.occurrenceId}`);
  lines.push(`Check: ${detail.check}`);
  lines.push(`Fingerprint: ${detail.fingerprint}`);
  return lines.join("\n");
}
