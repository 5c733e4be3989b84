/**
 * Secrets Manager has no local implementation: this loopback server speaks the JSON protocol of
 * `GetSecretValue` (awsJson1_1, `X-Amz-Target: secretsmanager.GetSecretValue`), so the real
 * SecretsManagerClient and the real reader (functions/adapters/secrets.ts) run unchanged. Secrets
 * are looked up by name; any other is refused with ResourceNotFoundException, as Secrets Manager
 * would. Every read is counted by name (never its value).
 */
import { randomUUID } from "node:crypto";
import { awsJson, awsJsonError, startLoopbackServer } from "./http";

export interface LocalSecretsManager {
  endpoint: string;
  /** Names read, in order. */
  reads: string[];
  close(): Promise<void>;
}

export async function startLocalSecretsManager(
  secrets: Readonly<Record<string, string>>,
): Promise<LocalSecretsManager> {
  const reads: string[] = [];
  const server = await startLoopbackServer(({ headers, body }) => {
    const target = headers["x-amz-target"];
    if (target !== "secretsmanager.GetSecretValue") {
      return awsJsonError(
        "1.1",
        400,
        "InvalidRequestException",
        `the local Secrets Manager answers GetSecretValue only, not ${target}`,
      );
    }
    const { SecretId = "" } = JSON.parse(body) as { SecretId?: string };
    reads.push(SecretId);
    const value = secrets[SecretId];
    if (value === undefined) {
      return awsJsonError(
        "1.1",
        400,
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
      );
    }
    return awsJson("1.1", {
      ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${SecretId}-AbCdEf`,
      Name: SecretId,
      VersionId: randomUUID(),
      SecretString: value,
      VersionStages: ["AWSCURRENT"],
      CreatedDate: Date.now() / 1000,
    });
  });
  return { endpoint: server.endpoint, reads, close: () => server.close() };
}
