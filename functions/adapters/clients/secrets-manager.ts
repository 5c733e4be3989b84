/** The Secrets Manager client PKCS#12 passwords are read with (one small read, cached for minutes). */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { boundedClientFactory } from "./bounded";

export const secretsManagerClient = boundedClientFactory(SecretsManagerClient, {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
});
