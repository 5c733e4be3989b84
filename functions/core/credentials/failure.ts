/**
 * What went wrong in one call, reduced to facts that are safe to print: an error code, an HTTP
 * status, a network errno, the bucket's real region. Raw error messages are never kept (SDK errors
 * can echo request data); only a yes/no on whether they mention KMS.
 *
 * The shapes read here are the AWS SDK v3 service exception (`name`, `Code`, `$metadata`,
 * `$response.headers`), Node's system errors (`code: "ECONNREFUSED"`, possibly under `cause`) and
 * the abort/timeout errors of the SDK's HTTP handler. Duck-typed, so the core stays free of the SDK.
 */

export type FailureKind = "service" | "network" | "timeout" | "mismatch";

export interface FailureFacts {
  kind: FailureKind;
  /** Service error code (AccessDenied, NoSuchBucket, …) or errno (ECONNREFUSED, …). */
  code?: string;
  status?: number;
  /** From the x-amz-bucket-region header, when the store says where the bucket really is. */
  bucketRegion?: string;
  mentionsKms: boolean;
  /**
   * The SDK saw the store's clock differ from ours by minutes and corrected its offset for the next
   * request: a bare 403 on HeadBucket was then RequestTimeTooSkewed, and a retry would hide it.
   */
  clockSkewed?: boolean;
  /** Throttled attempts retried before this failure (0 when none). */
  throttledAttempts?: number;
}

/** Raised by the core when a step's deadline passes, whatever the port was doing. */
export class StepTimeoutError extends Error {
  override readonly name = "StepTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

/** Raised by the core when a probe object reads back different from what was written. */
export class ProbeMismatchError extends Error {
  override readonly name = "ProbeMismatchError";
  constructor() {
    super("probe object read back differs from what was written");
  }
}

const SAFE_CODE = /^[A-Za-z][A-Za-z0-9._:-]{0,63}$/;
/** Names the SDK gives errors whose response carried no code (HEAD responses have no body). */
const UNINFORMATIVE_NAMES = new Set([
  "Error",
  "Unknown",
  "UnknownError",
  "Forbidden",
  "BadRequest",
  "ServiceException",
]);
const NETWORK_ERRNO =
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ECONNABORTED|EPROTO|ERR_SSL_[A-Z_]+|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|ERR_INVALID_URL)$/;

type Loose = Record<string, unknown>;

function asRecord(value: unknown): Loose | undefined {
  return typeof value === "object" && value !== null ? (value as Loose) : undefined;
}

function safeCode(value: unknown): string | undefined {
  return typeof value === "string" && SAFE_CODE.test(value) && !/^\d+$/.test(value) ? value : undefined;
}

function headerValue(error: Loose, header: string): string | undefined {
  const headers = asRecord(asRecord(error.$response)?.headers);
  const value = headers?.[header] ?? headers?.[header.toLowerCase()];
  return typeof value === "string" && /^[a-z0-9-]{2,32}$/.test(value) ? value : undefined;
}

function errnoOf(error: Loose, depth = 0): string | undefined {
  const code = error.code ?? error.errno;
  if (typeof code === "string" && NETWORK_ERRNO.test(code)) return code;
  const cause = asRecord(error.cause);
  return cause && depth < 3 ? errnoOf(cause, depth + 1) : undefined;
}

function mentionsKms(error: Loose, code: string | undefined): boolean {
  if (code?.startsWith("KMS.") || code?.startsWith("KMS")) return true;
  const message = typeof error.message === "string" ? error.message : "";
  return /\bKMS\b|kms:|\bkms\b/.test(message);
}

export function failureFacts(error: unknown): FailureFacts {
  if (error instanceof ProbeMismatchError)
    return { kind: "mismatch", code: "ProbeMismatch", mentionsKms: false };
  const record = asRecord(error);
  if (!record) return { kind: "service", mentionsKms: false };
  if (error instanceof StepTimeoutError) return { kind: "timeout", code: "Timeout", mentionsKms: false };
  const name = typeof record.name === "string" ? record.name : undefined;
  // The SDK's handler raises TimeoutError for socket/connection timeouts, AbortError on our signal.
  if (name === "TimeoutError" || name === "AbortError" || name === "RequestTimeout") {
    return { kind: "timeout", code: name === "AbortError" ? "Timeout" : name, mentionsKms: false };
  }
  const errno = errnoOf(record);
  const metadata = asRecord(record.$metadata);
  const status = typeof metadata?.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
  if (errno && status === undefined) return { kind: "network", code: errno, mentionsKms: false };
  const candidate = safeCode(record.Code) ?? safeCode(name) ?? safeCode(record.code);
  const code = candidate && !UNINFORMATIVE_NAMES.has(candidate) ? candidate : undefined;
  const bucketRegion =
    headerValue(record, "x-amz-bucket-region") ??
    (typeof record.Region === "string" && /^[a-z0-9-]{2,32}$/.test(record.Region)
      ? record.Region
      : undefined);
  return {
    kind: "service",
    ...(metadata?.clockSkewCorrected === true ? { clockSkewed: true } : {}),
    ...(code ? { code } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(bucketRegion ? { bucketRegion } : {}),
    mentionsKms: mentionsKms(record, code),
  };
}

const THROTTLING_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "ProvisionedThroughputExceededException",
  "ServiceUnavailable",
  "PriorRequestNotComplete",
]);

export function isThrottling(facts: FailureFacts): boolean {
  if (facts.kind !== "service") return false;
  if (facts.code && THROTTLING_CODES.has(facts.code)) return true;
  return !facts.code && (facts.status === 429 || facts.status === 503);
}

/** A short, printable description of the failure: code and status only. */
export function describeFailure(facts: FailureFacts): string {
  const parts: string[] = [];
  if (facts.kind === "timeout")
    parts.push(facts.code === "Timeout" || !facts.code ? "timed out" : facts.code);
  else if (facts.code) parts.push(facts.code);
  if (facts.status !== undefined) parts.push(`HTTP ${facts.status}`);
  if (parts.length === 0) parts.push("unknown error");
  if (facts.throttledAttempts) parts.push(`after ${facts.throttledAttempts} throttled attempts`);
  return parts.join(", ");
}
