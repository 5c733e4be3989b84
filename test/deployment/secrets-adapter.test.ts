/**
 * The PKCS#12 password reader against Secrets Manager's client (no local implementation: mocked,
 * raising the SDK's own exception classes). Besides what it proves, it is the call the IAM
 * simulation sees for secretsmanager:GetSecretValue (test/support/aws-call-recorder.ts).
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { startLocalSecretsManager } from "../../bin/local/secrets-manager";
import { SecretReadError, secretReader } from "../../functions/adapters/secrets";

const client = new SecretsManagerClient({ region: "eu-west-1", maxAttempts: 1 });
const secrets = mockClient(client);

beforeEach(() => secrets.reset());
afterAll(() => secrets.restore());

describe("PKCS#12 password secrets", () => {
  it("reads a secret's string once and serves it from the cache for a few minutes", async () => {
    // Prepare
    secrets.on(GetSecretValueCommand, { SecretId: "watchpost/p12" }).resolves({ SecretString: "s3cret-p12" });
    let now = 0;
    const reader = secretReader({ client, now: () => now });

    // Act
    const first = await reader.read("watchpost/p12");
    now += 60_000;
    const second = await reader.read("watchpost/p12");
    now += 10 * 60_000;
    await reader.read("watchpost/p12");

    // Assess
    expect([first, second]).toEqual(["s3cret-p12", "s3cret-p12"]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("names the secret and the cause when it cannot be read, never a value", async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );

    // Act / Assess
    await expect(secretReader({ client }).read("watchpost/missing")).rejects.toThrow(
      "cannot read secret watchpost/missing (ResourceNotFoundException)",
    );
  });

  it("calls a missing secret permanent as the SDK decodes it from the wire, and throttling not", async () => {
    // Prepare — the JSON protocol on loopback (bin/local/secrets-manager.ts), so the SDK itself turns
    // the `ResourceNotFoundException` error body into its exception class
    const local = await startLocalSecretsManager({});
    const wire = new SecretsManagerClient({
      region: "eu-west-1",
      endpoint: local.endpoint,
      credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
      maxAttempts: 1,
    });
    secrets.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: "ThrottlingException",
        $fault: "client",
        message: "Rate exceeded",
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const missing = await secretReader({ client: wire })
      .read("watchpost/missing")
      .catch((error: unknown) => error)
      .finally(() => local.close());
    const throttled = await secretReader({ client })
      .read("watchpost/busy")
      .catch((error: unknown) => error);

    // Assess
    expect(missing).toBeInstanceOf(SecretReadError);
    expect(missing).toMatchObject({
      message: "cannot read secret watchpost/missing (ResourceNotFoundException)",
      permanent: true,
    });
    expect(throttled).toMatchObject({
      message: "cannot read secret watchpost/busy (ThrottlingException)",
      permanent: false,
    });
  });
});
