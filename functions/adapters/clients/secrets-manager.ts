/** The Secrets Manager client PKCS#12 passwords are read with; bounded in time like every other client. */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type BoundedClientOptions, boundedClientConfig } from "./bounded";

export const SECRETS_MANAGER_CLIENT_DEFAULTS = {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
} as const;

export function secretsManagerClient(options: BoundedClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient(boundedClientConfig(options, SECRETS_MANAGER_CLIENT_DEFAULTS));
}
