/**
 * The runbook's steps for one alarm, with the real bucket, key, host and role filled in, so the
 * commands in a notification can be pasted as they are. Placeholders a notification cannot fill
 * stay as written (the runbook explains them). A filled value that the shell would split or expand
 * is single-quoted on its own: `s3://bucket/'my cert.pem'` is one word to every POSIX shell.
 */
import { type AlarmDefinition, STEP_LABELS, type StepMaterial } from "../alarms/catalog";

/** Placeholder → the alarm parameter that fills it; longer names first so HOST:PORT wins over HOST. */
const PLACEHOLDERS: readonly (readonly [string, (p: Record<string, string>) => string | undefined])[] = [
  ["HOST:PORT", (p) => p.Endpoint],
  ["ROLE_ARN", (p) => p.RoleArn],
  ["ROLE_NAME", (p) => p.RoleName],
  // The ACM certificate, IAM server certificate, secret or parameter (aws-certificates/).
  ["ARN", (p) => p.Arn],
  ["NAME", (p) => p.Name],
  ["BUCKET", (p) => p.Bucket],
  ["PREFIX", (p) => p.Prefix],
  ["REGION", (p) => p.Region],
  ["TRUST_KEY", (p) => p.TrustStoreKey],
  ["KEY", (p) => p.Key],
  ["ALIAS", (p) => p.Alias],
  // The peer that refuses a certificate (peer-refused), when it is one.
  ["PEER", (p) => (p.RefusedBy?.includes(",") ? undefined : p.RefusedBy)],
  ["HOST", (p) => p.HostName ?? hostOf(p.Endpoint)],
];

// Placeholders are whole words: CA_KEY, KEY_ID and S3_HOST are other placeholders, not KEY or HOST.
const PATTERN = new RegExp(
  `(?<![A-Za-z0-9_])(${PLACEHOLDERS.map(([name]) => name).join("|")})(?![A-Za-z0-9_])`,
  "g",
);

function hostOf(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  const at = endpoint.lastIndexOf(":");
  return (at > 0 ? endpoint.slice(0, at) : endpoint).replace(/^\[|\]$/g, "");
}

const SHELL_SAFE = /^[A-Za-z0-9@%+=:,./_-]+$/;

export function shellWord(value: string): string {
  return SHELL_SAFE.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export function fillPlaceholders(step: string, parameters: Record<string, string>): string {
  const fillers = new Map(PLACEHOLDERS);
  return step.replace(PATTERN, (name: string) => {
    const value = fillers.get(name)?.(parameters);
    return value === undefined || value === "" ? name : shellWord(value);
  });
}

/**
 * What the alarm's certificate is kept in, which decides the steps that fit it: a live peer (the
 * alarm names an Endpoint), a Java keystore or PKCS#12 file (the format the scan read it as), or
 * another stored file (a Key); undefined when the alarm says neither, and every step is kept.
 */
export function materialOf(
  parameters: Record<string, string>,
  format: string | undefined,
): StepMaterial | undefined {
  if (parameters.Endpoint !== undefined) return "peer";
  if (format === "jks" || format === "jceks") return "keystore";
  if (format === "pkcs12") return "pkcs12";
  return parameters.Key !== undefined ? "file" : undefined;
}

/**
 * The steps that apply to this alarm, filled in. A labelled step (catalog.ts `STEP_LABELS`) is kept
 * only for the material it names, its label dropped; with no material known all are kept.
 */
export function remediationSteps(
  definition: AlarmDefinition,
  parameters: Record<string, string>,
  material: StepMaterial | undefined = materialOf(parameters, undefined),
): string[] {
  return definition.handlingProcedure.flatMap((step) => {
    const label = STEP_LABELS.find(([prefix]) => step.startsWith(prefix));
    if (label && material !== undefined && !label[1].includes(material)) return [];
    // The label only says which kind of certificate a step is for; once chosen, it is noise.
    const text = label && material !== undefined ? step.slice(label[0].length) : step;
    return [fillPlaceholders(capitalize(text), parameters)];
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
