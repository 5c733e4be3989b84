/**
 * The runbook's steps for one alarm, with the real bucket, key, host and role filled in, so the
 * commands in a notification can be pasted as they are. Placeholders a notification cannot fill
 * stay as written (the runbook explains them). A filled value that the shell would split or expand
 * is single-quoted on its own: `s3://bucket/'my cert.pem'` is one word to every POSIX shell.
 */
import { type AlarmDefinition, LIVE_PEER, STORED_FILE } from "../alarms/catalog";

/** Placeholder → the alarm parameter that fills it; longer names first so HOST:PORT wins over HOST. */
const PLACEHOLDERS: readonly (readonly [string, (p: Record<string, string>) => string | undefined])[] = [
  ["HOST:PORT", (p) => p.Endpoint],
  ["ROLE_ARN", (p) => p.RoleArn],
  ["ROLE_NAME", (p) => p.RoleName],
  ["BUCKET", (p) => p.Bucket],
  ["PREFIX", (p) => p.Prefix],
  ["REGION", (p) => p.Region],
  ["TRUST_KEY", (p) => p.TrustStoreKey],
  ["KEY", (p) => p.Key],
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
 * The steps that apply to this alarm, filled in. Steps for stored files are dropped for a live peer
 * and the other way round; when the alarm says neither (no Key, no Endpoint) all are kept.
 */
export function remediationSteps(definition: AlarmDefinition, parameters: Record<string, string>): string[] {
  const stored = parameters.Key !== undefined;
  const live = parameters.Endpoint !== undefined;
  return definition.handlingProcedure
    .filter((step) => {
      if (step.startsWith(STORED_FILE)) return stored || !live;
      if (step.startsWith(LIVE_PEER)) return live || !stored;
      return true;
    })
    .map((step) => {
      // The prefix only says which kind of certificate a step is for; once chosen, it is noise.
      const text =
        stored && step.startsWith(STORED_FILE)
          ? step.slice(STORED_FILE.length)
          : live && step.startsWith(LIVE_PEER)
            ? step.slice(LIVE_PEER.length)
            : step;
      return fillPlaceholders(capitalize(text), parameters);
    });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
