/**
 * What the credential check needs from the outside world. The core drives the steps; adapters
 * (functions/adapters/credential-probe.ts) implement these ports with STS and S3 clients, tests with
 * fakes. Every call receives an AbortSignal that fires when the step's timeout expires.
 */
import type { CredentialTarget } from "./target";

/** Temporary AK/SK. The secret and token must never reach a log line, message or error text. */
export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface CallOptions {
  signal: AbortSignal;
}

export interface AssumeRoleRequest extends CallOptions {
  /** Identifies watchpost and the target in CloudTrail. */
  sessionName: string;
}

/** Object-storage calls made with one set of credentials against one target's bucket. */
export interface StorageSession {
  headBucket(options: CallOptions): Promise<void>;
  /** ListObjectsV2 with MaxKeys 1 under `prefix`. */
  listObjects(prefix: string, options: CallOptions): Promise<void>;
  putObject(key: string, body: Uint8Array, options: CallOptions): Promise<void>;
  getObject(key: string, options: CallOptions): Promise<Uint8Array>;
  deleteObject(key: string, options: CallOptions): Promise<void>;
}

/** Structured log sink; fields are plain data and never carry secrets. */
export interface CredentialLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface CredentialCheckDeps {
  assumeRole(target: CredentialTarget, request: AssumeRoleRequest): Promise<TemporaryCredentials>;
  /** `credentials` undefined: the ambient credentials of the process. */
  storage(target: CredentialTarget, credentials: TemporaryCredentials | undefined): StorageSession;
  /**
   * Loads the process's own credentials for a target without a role, so that having none is told
   * apart from storage refusing them. Absent: the ambient credentials are taken on trust.
   */
  resolveAmbientCredentials?(target: CredentialTarget, options: CallOptions): Promise<void>;
  /** Where the SDK looks for the caller's credentials (search.ts), for "none found" findings. */
  credentialSearch?: string;
  /** Wall clock, for the expiration check. */
  now?: () => Date;
  /** Monotonic milliseconds, for step timings. */
  elapsed?: () => number;
  /** Backoff between throttled attempts; injected so tests do not wait. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Probe object name; injected so tests can find the object. */
  probeKeyName?: () => string;
  logger?: CredentialLogger;
}

export const silentLogger: CredentialLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
