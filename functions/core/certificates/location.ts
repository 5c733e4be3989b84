/**
 * Where a stored certificate lives, as alarm parameters (ServiceName, RoleName, HostName, Cluster,
 * any other name): declared by the configuration for a whole source, or per key pattern, literally
 * or captured from the key (`clusters/{Cluster}/{HostName}/flink/ha/*`), and for objects that
 * `watchpost push` uploaded, read from their metadata. The configuration wins over metadata: a
 * host may write any metadata it likes, but IAM confines the keys it may write to.
 *
 * Parameters describe an alarm; they never identify it: fingerprints are built from the alarm
 * ID, scope, source and object (alarms/lifecycle.ts), and the source already holds the key.
 */

import { keyPatternToRegExp } from "./checks/expected-hosts";

/** User metadata `watchpost push` writes (S3 returns it as x-amz-meta-<name>, names lower-cased). */
export const PUSH_METADATA = {
  host: "watchpost-host",
  service: "watchpost-service",
  role: "watchpost-role",
  path: "watchpost-path",
  sha256: "watchpost-sha256",
} as const;

/** What each metadata entry becomes among the alarm's parameters. */
const METADATA_PARAMETERS: readonly (readonly [string, string])[] = [
  [PUSH_METADATA.host, "HostName"],
  [PUSH_METADATA.service, "ServiceName"],
  [PUSH_METADATA.role, "RoleName"],
  [PUSH_METADATA.path, "HostPath"],
];

/** Names watchpost sets itself on every finding about a stored file or endpoint; configuration may not claim them. */
export const RESERVED_PARAMETERS = ["Source", "Bucket", "Prefix", "Key", "Endpoint"] as const;

/**
 * Names watchpost sets on an item kept in AWS (aws-certificates/location.ts `itemParameters`,
 * scan/source-adapter.ts `locationParametersOf`), which would otherwise silently replace what a user
 * declared: refused in the parameters of an AWS selection. Only there: S3 and endpoint findings never
 * carry them, and a configuration that already labels an S3 source `Region` or captures `{Name}`
 * from its keys stays valid.
 */
export const AWS_ITEM_PARAMETERS = ["SourceKind", "Account", "Region", "Arn", "Name"] as const;

export const MAX_PARAMETER_VALUE = 256;

/** Parameters an object's metadata declares; values are bounded and stripped of control characters. */
export function metadataParameters(
  metadata: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (!metadata) return parameters;
  const lowered = new Map(Object.entries(metadata).map(([name, value]) => [name.toLowerCase(), value]));
  for (const [entry, parameter] of METADATA_PARAMETERS) {
    const raw = lowered.get(entry);
    if (raw === undefined) continue;
    const value = cleanValue(entry === PUSH_METADATA.path ? decodedPath(raw) : raw);
    if (value !== "") parameters[parameter] = value;
  }
  return parameters;
}

/** The path is written percent-encoded (S3 metadata is ASCII): decoded here, kept as is if malformed. */
function decodedPath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function cleanValue(value: string): string {
  return value.replace(CONTROL, "").trim().slice(0, MAX_PARAMETER_VALUE);
}

export interface LocationDeclarations {
  parameters: Readonly<Record<string, string>>;
  parametersByKey: readonly { keyPattern: string; parameters: Readonly<Record<string, string>> }[];
}

/**
 * An object's location parameters: the metadata's, then the source's, then the first matching key
 * pattern's literal parameters and captures, each overriding what came before.
 */
export function locationParameters(
  source: LocationDeclarations,
  key: string,
  fromMetadata: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const parameters: Record<string, string> = { ...fromMetadata, ...source.parameters };
  for (const entry of source.parametersByKey) {
    const captured = capturePattern(entry.keyPattern).exec(key);
    if (!captured) continue;
    Object.assign(parameters, entry.parameters);
    for (const [name, value] of Object.entries(captured.groups ?? {})) {
      const clean = cleanValue(value);
      if (clean !== "") parameters[name] = clean;
    }
    break;
  }
  return parameters;
}

/** Names captured by a pattern: `{Name}` segments, in order. */
export function capturedNames(pattern: string): string[] {
  return [...pattern.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? "");
}

const compiled = new Map<string, RegExp>();

/**
 * A key pattern (checks/expected-hosts.ts) in which `{Name}` is one non-empty part of a segment,
 * captured as the parameter Name.
 */
export function capturePattern(pattern: string): RegExp {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const regexp = keyPatternToRegExp(pattern, { captures: true });
  compiled.set(pattern, regexp);
  return regexp;
}
