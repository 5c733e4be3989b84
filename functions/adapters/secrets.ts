/**
 * Secret values (PKCS#12 passwords) from Secrets Manager. Values are cached for a few minutes per
 * execution environment so a scan of many files costs one read, and a rotated secret is picked up
 * soon after. Values are returned to the caller only: never logged, never put in an error.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

const CACHE_MS = 5 * 60_000;

/**
 * A secret that could not be read. `permanent` when asking again cannot help until someone changes
 * the secret (it does not exist, or holds binary only); throttling, 5xx and network trouble are not.
 */
export class SecretReadError extends Error {
  override readonly name = "SecretReadError";
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface SecretReader {
  read(name: string): Promise<string>;
}

/*
 * The client and the SDK's command and exception classes are imported at the first read: a scan
 * whose configuration names no password, or whose store holds no PKCS#12 file, never loads them
 * (the Lambda bundle is split there, lib/bundling.ts).
 */
const secretsManager = () => import("@aws-sdk/client-secrets-manager");

let sharedClient: Promise<Pick<SecretsManagerClient, "send">> | undefined;
function defaultClient(): Promise<Pick<SecretsManagerClient, "send">> {
  sharedClient ??= import("./clients/secrets-manager").then((m) => m.secretsManagerClient());
  return sharedClient;
}

export function secretReader(
  options: { client?: Pick<SecretsManagerClient, "send">; now?: () => number } = {},
): SecretReader {
  const client = options.client;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: string; until: number }>();
  return {
    async read(name) {
      const hit = cache.get(name);
      if (hit && hit.until > now()) return hit.value;
      const { GetSecretValueCommand, ResourceNotFoundException } = await secretsManager();
      const sender = client ?? (await defaultClient());
      let value: string | undefined;
      try {
        value = (await sender.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
      } catch (error) {
        // The SDK's error names the secret and the cause; nothing in it is the value.
        const code = error instanceof Error ? error.name : "Error";
        throw new SecretReadError(
          `cannot read secret ${name} (${code})`,
          error instanceof ResourceNotFoundException,
        );
      }
      if (value === undefined) throw new SecretReadError(`secret ${name} holds no string value`, true);
      cache.set(name, { value, until: now() + CACHE_MS });
      return value;
    },
  };
}
