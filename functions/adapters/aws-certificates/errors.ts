/**
 * The SDK's exceptions of ACM, IAM, Secrets Manager and SSM, sorted into what the scan does with
 * them: denied (an `unreadable` finding: fix the policy; the item's other alarms stand), gone (the
 * item is no more), transient (not examined, no finding; the next scan tries again). A failed
 * listing ends the listing: the run is partial and clears nothing it did not list. Only the
 * exception's name and HTTP status are kept: an SDK message may quote what was asked, and what was
 * asked for here can be a secret's value.
 */
import type { LoadResult } from "../../core/scan/read-files";

/** Why a call failed, as the scan treats it. */
export interface CallFailure {
  ok: false;
  denied?: boolean;
  /** Denied by a policy (not by a bad or expired key): the caller lacks the permission. */
  refused?: boolean;
  gone?: boolean;
  transient?: boolean;
  /** The SDK's error name and what was asked; never a value. */
  detail: string;
}

/** A listing that could not go on (its call failed, or a password it needs could not be read). */
export class ListingFailed extends Error {
  override readonly name = "ListingFailed";
}

/**
 * The services' answers to a call no policy allows: AccessDeniedException (ACM, Secrets Manager,
 * SSM: "You do not have sufficient access to perform this action", Common Errors of each API
 * reference), AccessDenied (IAM and STS, the query protocol's code), UnauthorizedOperation (EC2's).
 */
const REFUSED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"]);
const DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "ExpiredTokenException",
  // Secrets Manager and SSM: KMS refused to decrypt the value for this caller (kms:Decrypt, key policy).
  "DecryptionFailure",
  "KMSAccessDeniedException",
  "KMSDisabledException",
]);
const GONE = new Set([
  "ResourceNotFoundException",
  "ParameterNotFound",
  "ParameterVersionNotFound",
  "NoSuchEntity",
  "NoSuchEntityException",
]);
const TRANSIENT =
  /Throttl|TooManyRequests|RequestLimitExceeded|Timeout|ServiceUnavailable|InternalServiceError|InternalFailure|ServiceFailure/;

export function callFailure(error: unknown, what: string): CallFailure {
  const name = (error as { name?: string }).name ?? "Error";
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const label = `${what}: ${name}${status ? ` (HTTP ${status})` : ""}`;
  if (DENIED.has(name) || status === 403) {
    return {
      ok: false,
      denied: true,
      ...(REFUSED.has(name) ? { refused: true } : {}),
      detail: `${label}, access denied`,
    };
  }
  if (GONE.has(name)) return { ok: false, gone: true, detail: `${label}, it no longer exists` };
  if (TRANSIENT.test(name) || status === undefined || status === 429 || status >= 500) {
    return { ok: false, transient: true, detail: label };
  }
  return { ok: false, detail: label };
}

/** A failed read of an item, as the engine's load result. */
export function loadFailure(error: unknown, what: string): LoadResult {
  const failure = callFailure(error, what);
  return {
    ok: false,
    reason: "io-error",
    detail: failure.detail,
    ...(failure.gone ? { gone: true } : {}),
    ...(failure.transient ? { transient: true } : {}),
  };
}
