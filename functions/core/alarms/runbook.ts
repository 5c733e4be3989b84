/**
 * Renders the runbook pages in docs/alarms/ from the catalog, so the page an operator reads at
 * 3 a.m. says exactly what the code raises (`npm run generate` writes them).
 */
import type { Severity } from "../contracts";
import { type AlarmDefinition, STEP_LABELS } from "./catalog";

export function severityLabel(severity: Severity): string {
  return severity.charAt(0).toUpperCase() + severity.slice(1);
}

export function renderRunbook(alarm: AlarmDefinition): string {
  const lines = [
    `# ${alarm.id} ${alarm.title}`,
    "",
    "## Description",
    "",
    alarm.description,
    "",
    "## Attributes",
    "",
    "| Alarm ID | Severity | Auto Clear |",
    "|----------|----------|------------|",
    `| ${alarm.id} | ${severityLabel(alarm.severity)} | ${alarm.autoClear ? "Yes" : "No"} |`,
    "",
    `The severity is the catalog's; a deployment sets its own with \`alarms.severities\` (\`{ "${alarm.id}": "major" }\`).` +
      (alarm.seed
        ? ` Mirrors: ${alarm.seed.case}${alarm.seed.severity ? ` — ${severityLabel(alarm.seed.severity)} there.` : "."}`
        : ""),
    "",
    "## Parameters",
    "",
    "| Name | Meaning |",
    "|------|---------|",
    ...alarm.parameters.map((p) => `| ${p.name} | ${p.description.replaceAll("|", "\\|")} |`),
    "",
    "Parameters that do not apply to a source are left out of the event.",
    "",
    "## Impact on the System",
    "",
    alarm.impact,
    "",
    "## Possible Causes",
    "",
    ...alarm.possibleCauses.map((cause) => `- ${cause}`),
    "",
    "## Handling Procedure",
    "",
    "Notifications carry these steps with the upper-case placeholders (BUCKET, KEY, HOST, ROLE_ARN…) filled in from the alarm's parameters; here, replace them yourself. " +
      (alarm.handlingProcedure.some((step) => STEP_LABELS.some(([label]) => step.startsWith(label)))
        ? 'A labelled step is for one kind of certificate only: "Stored file:" a PEM or DER file kept in the bucket, "Live peer:" one a peer presents, "Java keystore:" a JKS or JCEKS file (ALIAS: the entry\'s alias, as `keytool -list` shows it), "PKCS#12 file:" a .p12/.pfx file; notifications carry only the steps for the alarm\'s own.'
        : ""),
    "",
    ...alarm.handlingProcedure.map((step, index) => `${index + 1}. ${step}`),
    "",
    "## Alarm Clearance",
    "",
    alarm.clearance,
    "",
    "## Related Information",
    "",
    `- Check name: \`${alarm.check}\`; list all alarms with \`watchpost alarms catalog\`.`,
    "- Event format and filtering by severity: [docs/events.md](../events.md).",
    "",
  ];
  return lines.join("\n");
}

export function renderRunbookIndex(catalog: readonly AlarmDefinition[]): string {
  return [
    "# Alarm reference",
    "",
    "Every alarm watchpost raises, with its runbook. All alarms clear automatically once a later",
    "check no longer finds the fault; a fault that returns is raised again as a new occurrence.",
    "Print the same list with `watchpost alarms catalog` (`--format json` for scripts).",
    "",
    "| Alarm ID | Title | Check | Severity | Seed severity | Auto Clear |",
    "|----------|-------|-------|----------|---------------|------------|",
    ...catalog.map(
      (a) =>
        `| [${a.id}](${a.id}.md) | ${a.title} | \`${a.check}\` | ${severityLabel(a.severity)} | ${a.seed?.severity ? severityLabel(a.seed.severity) : "–"} | ${a.autoClear ? "Yes" : "No"} |`,
    ),
    "",
    "**Seed severity** is what the operational case an alarm mirrors gives it (each runbook says which",
    "case): an expired HA certificate is Major in FusionInsight's ALM-45655, temporary AK/SK that cannot",
    "be obtained are Major in the metadata-service case. A deployment that follows those procedures sets",
    "them in its configuration, which replaces the catalog's severity in every alarm, event and route:",
    "",
    "```json",
    '{ "alarms": { "severities": { "1001": "major" } } }',
    "```",
    "",
    "Severities a finding grades itself stay as they are: `expiring` inside the last 7 days is Major",
    "whatever 1002 is set to, and `untrusted-chain` is Minor or Warning when only some clients refuse.",
    "",
    "Severities: **Critical** — service down now; **Major** — service down or about to be, act today;",
    "**Minor** — act within days; **Warning** — informational. `expiring` (1002) is raised as Minor inside",
    "the warning window (default 30 days) and becomes Major inside the last 7 days.",
    "",
  ].join("\n");
}
