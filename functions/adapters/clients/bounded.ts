/**
 * Client settings that make every AWS call end within a bounded time. The SDK's defaults wait up to
 * five minutes of socket silence, three times over, and an exceeded `requestTimeout` alone is only
 * a warning; a run holding alarm claims must instead fail fast and leave the work to its retry.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

export interface BoundedClientOptions {
  /** Attempts per call inside the SDK (standard mode; default 3). */
  maxAttempts?: number;
  /** Longest wait for the TCP connection. */
  connectionTimeoutMs?: number;
  /** Longest wait for the answer, and longest silence on the socket; then TimeoutError. */
  requestTimeoutMs?: number;
  /** Another endpoint (a local stand-in in tests); default the region's service endpoint. */
  endpoint?: string;
  region?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

export function boundedClientConfig(
  options: BoundedClientOptions,
  defaults: { connectionTimeoutMs: number; requestTimeoutMs: number },
) {
  const requestTimeout = options.requestTimeoutMs ?? defaults.requestTimeoutMs;
  return {
    retryMode: "standard",
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? defaults.connectionTimeoutMs,
      requestTimeout,
      // Without it an exceeded requestTimeout is only a warning.
      throwOnRequestTimeout: true,
      socketTimeout: requestTimeout,
    },
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  };
}

/** Clients of one service, each call bounded by `defaults` unless the options say otherwise. */
export function boundedClientFactory<Client>(
  Service: new (config: ReturnType<typeof boundedClientConfig>) => Client,
  defaults: { connectionTimeoutMs: number; requestTimeoutMs: number },
): (options?: BoundedClientOptions) => Client {
  return (options = {}) => new Service(boundedClientConfig(options, defaults));
}
