/**
 * The clients of the four stores, created once per execution environment, account and region
 * (the SDK keeps its connections per client). `credentialsFor` is where a member account's reader
 * role comes in (accounts: issue 26); without it the function's own credentials are used.
 */
import { ACMClient } from "@aws-sdk/client-acm";
import { IAMClient } from "@aws-sdk/client-iam";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { boundedClientConfig } from "../clients/bounded";

export interface AwsCertificateClients {
  acm(account: string, region: string): ACMClient;
  iam(account: string): IAMClient;
  secretsManager(account: string, region: string): SecretsManagerClient;
  ssm(account: string, region: string): SSMClient;
}

export interface ClientOptions {
  /** Credentials for an account other than the function's own; undefined: the default chain. */
  credentialsFor?: (account: string) => AwsCredentialIdentityProvider | undefined;
  /** One endpoint for every service (a loopback stand-in in the demo and the tests). */
  endpoint?: string;
  maxAttempts?: number;
  /** The region IAM is called in (its endpoint is global; the partition's signing region). */
  iamRegion?: string;
}

const TIMEOUTS = { connectionTimeoutMs: 3_000, requestTimeoutMs: 10_000 };

export function awsCertificateClients(options: ClientOptions = {}): AwsCertificateClients {
  const cache = new Map<string, unknown>();
  const once = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
  const config = (account: string, region: string) => {
    const credentials = options.credentialsFor?.(account);
    return boundedClientConfig(
      {
        region,
        ...(credentials ? { credentials } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      },
      TIMEOUTS,
    );
  };
  return {
    acm: (account, region) => once(`acm/${account}/${region}`, () => new ACMClient(config(account, region))),
    iam: (account) =>
      once(`iam/${account}`, () => new IAMClient(config(account, options.iamRegion ?? "us-east-1"))),
    secretsManager: (account, region) =>
      once(`sm/${account}/${region}`, () => new SecretsManagerClient(config(account, region))),
    ssm: (account, region) => once(`ssm/${account}/${region}`, () => new SSMClient(config(account, region))),
  };
}
