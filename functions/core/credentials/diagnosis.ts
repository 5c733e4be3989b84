/**
 * The point of the feature: turn "step X failed with code Y" into the check an operator gets paged
 * for and the likely cause in plain words. Pure; see failure.ts for how facts are read off errors.
 */
import type { CheckName } from "../contracts";
import { type FailureFacts, isThrottling } from "./failure";
import { NO_CREDENTIALS_CODE } from "./search";
import type { CredentialTarget } from "./target";

export const STEPS = [
  "assume-role",
  "ambient-credentials",
  "expiration",
  "head-bucket",
  "list-objects",
  "probe-put",
  "probe-get",
  "probe-compare",
  "probe-delete",
] as const;
export type StepName = (typeof STEPS)[number];

export type CredentialCheck = Extract<
  CheckName,
  | "credentials-unobtainable"
  | "credentials-rejected"
  | "storage-access-denied"
  | "storage-unreachable"
  | "bucket-missing"
>;

export interface Diagnosis {
  check: CredentialCheck;
  /** The code the message and details quote (service code, errno, or a watchpost code). */
  errorCode: string;
  /** "was refused", "could not be completed", …: reads after the step's subject. */
  outcome: string;
  likelyCause: string;
}

/** Codes by which STS refuses the caller's own credentials, named as `stsErrorName` gives them. */
const STS_CALLER_REJECTED = new Set([
  "InvalidClientTokenId",
  "UnrecognizedClient",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "InvalidSignature",
]);

/**
 * An STS error code without its "Exception" suffix. The same error reaches us under two names: the
 * code on the wire, which the SDK keeps in `Code` (`MalformedPolicyDocument`, `IDPRejectedClaim`),
 * and the name of the SDK's exception class (`MalformedPolicyDocumentException`), which is all an
 * error built from that class carries; for others the two agree (`RegionDisabledException`).
 */
function stsErrorName(code: string): string {
  // Stryker disable next-line Regex: no STS code has "Exception" but as its suffix, so the anchor changes no code STS sends
  return code.replace(/Exception$/, "");
}

export function codeOrStatus(facts: FailureFacts, fallback: string): string {
  return facts.code ?? (facts.status !== undefined ? `HTTP${facts.status}` : fallback);
}

/**
 * The caller has no credentials at all: whatever the step, nothing was even sent. `search` says where
 * the SDK looked (search.ts); the caller's environment decides it, so the adapter or CLI passes it in.
 */
export function noCredentials(search: string | undefined, forWhat: string, outcome: string): Diagnosis {
  return {
    check: "credentials-unobtainable",
    errorCode: NO_CREDENTIALS_CODE,
    outcome,
    likelyCause: `no AWS credentials were found ${forWhat}: ${search ?? "the SDK's default credential chain found none"}. Configure credentials (for example \`aws configure\` or \`aws sso login\`) and run again`,
  };
}

/** Why the process's own (ambient) credentials could not be loaded. */
export function diagnoseAmbient(facts: FailureFacts, search?: string): Diagnosis {
  if (facts.code === NO_CREDENTIALS_CODE)
    return noCredentials(search, "on this machine", "could not be loaded");
  return {
    check: "credentials-unobtainable",
    errorCode: facts.code ?? (facts.kind === "timeout" ? "Timeout" : "Unknown"),
    outcome: "could not be loaded",
    likelyCause:
      facts.kind === "timeout"
        ? "the SDK's credential chain did not answer in time (an instance metadata or container endpoint that hangs?)"
        : "the SDK's credential chain failed; check the shared config and credentials files and the AWS_* variables",
  };
}

/** Why AssumeRole (or the ambient credentials) did not yield usable credentials. */
export function diagnoseAssumeRole(
  facts: FailureFacts,
  target: CredentialTarget,
  search?: string,
): Diagnosis {
  const check = "credentials-unobtainable" as const;
  if (facts.code === NO_CREDENTIALS_CODE)
    return noCredentials(search, "to call STS with", "could not be made");
  const sts = target.stsEndpoint ?? `the STS endpoint of ${target.region}`;
  if (facts.kind === "timeout" || facts.kind === "network") {
    return {
      check,
      errorCode: codeOrStatus(facts, "Timeout"),
      outcome: "could not be completed",
      likelyCause: `${sts} could not be reached (network, DNS, proxy or VPC endpoint); no temporary credentials can be issued until it is`,
    };
  }
  if (isThrottling(facts)) {
    return {
      check,
      // Stryker disable next-line StringLiteral: unreachable, isThrottling holds only for facts with a code or a status
      errorCode: codeOrStatus(facts, "Throttling"),
      outcome: "was throttled",
      likelyCause:
        "STS kept throttling the request through every retry of this run; too many callers share the account's STS quota",
    };
  }
  const refusal = facts.code === undefined ? undefined : refusalCause(stsErrorName(facts.code), target);
  if (facts.code !== undefined && refusal !== undefined) {
    return { check, errorCode: facts.code, outcome: "was refused", likelyCause: refusal };
  }
  if (facts.status !== undefined && facts.status >= 500) {
    return {
      check,
      errorCode: facts.code ?? `HTTP${facts.status}`,
      outcome: "could not be completed",
      likelyCause: "STS answered with a server error; it may be degraded in this region",
    };
  }
  return {
    check,
    errorCode: codeOrStatus(facts, "Unknown"),
    outcome: "failed",
    likelyCause: "STS did not issue temporary credentials for an unrecognised reason; see the error code",
  };
}

/** Why STS refused AssumeRole, for the errors whose cause is known, by `stsErrorName`. */
function refusalCause(name: string, target: CredentialTarget): string | undefined {
  switch (name) {
    case "AccessDenied":
      return `the role's trust policy no longer names this account${target.externalId ? " or the external ID" : ""}, or the role no longer exists — the cluster was probably unbound from its agency`;
    case "NoSuchEntity":
      return "the role does not exist (deleted or renamed)";
    case "ValidationError":
      return "the request is invalid for this role: the role ARN is malformed, or the session duration exceeds the role's maximum session duration, or one hour when the caller itself runs in a role session (role chaining, as the deployed check in Lambda does)";
    case "RegionDisabled":
      return `STS is disabled in ${target.region}; activate the region's STS endpoint in the account settings or use another region's endpoint`;
    case "ExpiredToken":
      return "watchpost's own credentials (the caller's session) have expired; the caller could not refresh them";
    case "MalformedPolicyDocument":
      return "the session policy passed with the request is malformed";
    case "PackedPolicyTooLarge":
      return "the session policies and tags are too large once packed; shorten them";
    case "IDPCommunicationError":
    case "IDPRejectedClaim":
    case "InvalidIdentityToken":
      return "the identity provider behind the role could not be reached or rejected the claim";
    case "SessionDurationEscalation":
      return "the requested session duration exceeds what the role chain allows";
  }
  return STS_CALLER_REJECTED.has(name)
    ? "STS does not accept watchpost's own credentials (unknown key, wrong secret, or a skewed clock — check NTP)"
    : undefined;
}

/** Why the temporary credentials, though issued, cannot be relied on. */
export function diagnoseExpiration(
  expiration: Date | undefined,
  now: Date,
  minRemainingSeconds: number,
): Diagnosis | undefined {
  const check = "credentials-unobtainable" as const;
  if (!expiration || Number.isNaN(expiration.getTime())) {
    return {
      check,
      errorCode: "NoExpiration",
      outcome: "returned unusable credentials",
      likelyCause:
        "STS returned credentials without an expiration time; the endpoint does not behave like STS",
    };
  }
  const remaining = Math.floor((expiration.getTime() - now.getTime()) / 1000);
  if (remaining <= 0) {
    return {
      check,
      errorCode: "AlreadyExpired",
      outcome: "returned unusable credentials",
      likelyCause: `the credentials expired at ${expiration.toISOString()}, ${-remaining} s before they were received — this host's clock is probably ahead; check NTP`,
    };
  }
  if (remaining < minRemainingSeconds) {
    return {
      check,
      errorCode: "ExpiresTooSoon",
      outcome: "returned unusable credentials",
      likelyCause: `the credentials expire at ${expiration.toISOString()}, only ${remaining} s from now (at least ${minRemainingSeconds} s required) — the role's session duration is too short or this host's clock is ahead`,
    };
  }
  return undefined;
}
