/**
 * Why a call to the object store, made with the temporary credentials, failed: the store's error
 * code (or, for a bodiless HeadBucket answer, what ListObjectsV2 says next) turned into the check
 * an operator is paged for and the likely cause.
 */
import { codeOrStatus, type Diagnosis, noCredentials, type StepName } from "./diagnosis";
import { type FailureFacts, isThrottling } from "./failure";
import { NO_CREDENTIALS_CODE } from "./search";
import type { CredentialTarget } from "./target";

const STORE_REJECTS_KEY = new Set([
  "InvalidAccessKeyId",
  "ExpiredToken",
  "InvalidToken",
  "SignatureDoesNotMatch",
  "TokenRefreshRequired",
  "InvalidSecurity",
  "AuthorizationHeaderMalformed",
  "ExpiredTokenException",
  "InvalidClientTokenId",
]);

const ACCESS_DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "AllAccessDisabled",
  "AccountProblem",
]);

function storageDenied(code: string, facts: FailureFacts, step: StepName): Diagnosis {
  if (facts.mentionsKms) {
    return {
      check: "storage-access-denied",
      errorCode: code,
      outcome: "was denied",
      likelyCause:
        "the bucket's KMS key does not let this role encrypt or decrypt (key policy or kms:GenerateDataKey/kms:Decrypt missing from the role)",
    };
  }
  const action =
    step === "probe-put"
      ? "s3:PutObject on the probe prefix"
      : step === "probe-get"
        ? "s3:GetObject on the probe prefix"
        : step === "probe-delete"
          ? "s3:DeleteObject on the probe prefix"
          : "s3:ListBucket on the bucket";
  return {
    check: "storage-access-denied",
    errorCode: code,
    outcome: "was denied",
    likelyCause: `the credentials are valid but a policy denies them: the role's permissions or the bucket policy no longer grant ${action}`,
  };
}

/** Why an object-storage call made with the temporary credentials failed. */
export function diagnoseStorage(
  step: StepName,
  facts: FailureFacts,
  target: CredentialTarget,
  search?: string,
): Diagnosis {
  if (facts.code === NO_CREDENTIALS_CODE)
    return noCredentials(search, "on this machine", "could not be made");
  const store = target.s3Endpoint ?? `S3 in ${target.region}`;
  if (facts.kind === "mismatch") {
    return {
      check: "storage-unreachable",
      errorCode: "ProbeMismatch",
      outcome: "returned different content",
      likelyCause:
        "the object read back differs from what was written; a proxy or gateway in front of the store is rewriting content",
    };
  }
  if (facts.kind === "timeout" || facts.kind === "network") {
    return {
      check: "storage-unreachable",
      errorCode: codeOrStatus(facts, "Timeout"),
      outcome: "could not be completed",
      likelyCause:
        facts.kind === "timeout"
          ? `${store} did not answer in time (network path, firewall, proxy or an overloaded store)`
          : `${store} could not be reached (${facts.code}: DNS, firewall, proxy or VPC endpoint)`,
    };
  }
  if (isThrottling(facts)) {
    return {
      check: "storage-unreachable",
      errorCode: codeOrStatus(facts, "SlowDown"),
      outcome: "was throttled",
      likelyCause:
        "the store kept throttling the request through every retry of this run; the bucket or prefix is overloaded",
    };
  }
  const code = facts.code ?? (facts.clockSkewed ? "RequestTimeTooSkewed" : undefined);
  if (code === "RequestTimeTooSkewed") {
    return {
      check: "credentials-rejected",
      errorCode: code,
      outcome: "was refused",
      likelyCause:
        "this host's clock and the store's clock disagree by more than 15 minutes; check NTP on this host",
    };
  }
  if (code && STORE_REJECTS_KEY.has(code)) {
    const cause =
      code === "InvalidAccessKeyId"
        ? "the store does not know the temporary access key (credentials issued for another account, partition or store)"
        : code === "ExpiredToken" || code === "ExpiredTokenException" || code === "TokenRefreshRequired"
          ? "the store considers the session token expired (clock skew or a session too short for the check)"
          : code === "SignatureDoesNotMatch"
            ? "the store rejects the request signature (secret key does not match the access key, or a proxy altered the request)"
            : "the store refuses the temporary key or its session token";
    return { check: "credentials-rejected", errorCode: code, outcome: "was refused", likelyCause: cause };
  }
  const redirected =
    code === "PermanentRedirect" ||
    code === "AuthorizationHeaderMalformed" ||
    code === "IllegalLocationConstraintException" ||
    facts.status === 301;
  // S3 answers a request sent to the wrong region with 301 (global endpoint) or 400 (regional one).
  const elsewhere =
    facts.bucketRegion !== undefined &&
    facts.bucketRegion !== target.region &&
    (redirected || facts.status === 400 || facts.status === 307);
  if (elsewhere || (redirected && facts.bucketRegion === undefined)) {
    return {
      check: "bucket-missing",
      errorCode: codeOrStatus(facts, "PermanentRedirect"),
      outcome: "was redirected",
      likelyCause: facts.bucketRegion
        ? `bucket ${target.bucket} is in ${facts.bucketRegion}, not ${target.region}; fix the target's region`
        : `bucket ${target.bucket} is not in ${target.region}; fix the target's region`,
    };
  }
  if (code === "NoSuchBucket" || (step === "head-bucket" && (code === "NotFound" || facts.status === 404))) {
    return {
      check: "bucket-missing",
      errorCode: code ?? "NotFound",
      outcome: "found no bucket",
      likelyCause: `bucket ${target.bucket} does not exist (deleted, or the name is wrong)`,
    };
  }
  if (code === "NoSuchKey" || (step === "probe-get" && facts.status === 404)) {
    return {
      check: "storage-unreachable",
      errorCode: code ?? "NoSuchKey",
      outcome: "did not find the probe object",
      likelyCause:
        "the probe object just written could not be read back; the store is not serving what it accepts",
    };
  }
  if (
    (code && ACCESS_DENIED.has(code)) ||
    (code?.startsWith("KMS.") ?? false) ||
    facts.mentionsKms ||
    facts.status === 403
  ) {
    return storageDenied(code ?? `HTTP${facts.status ?? 403}`, facts, step);
  }
  if (facts.status !== undefined && facts.status >= 500) {
    return {
      check: "storage-unreachable",
      errorCode: codeOrStatus(facts, "ServerError"),
      outcome: "could not be completed",
      likelyCause: `${store} answered with a server error; it may be degraded`,
    };
  }
  return {
    check: "storage-unreachable",
    errorCode: codeOrStatus(facts, "Unknown"),
    outcome: "failed",
    likelyCause: "the store refused the request for an unrecognised reason; see the error code",
  };
}

/**
 * HeadBucket answers have no body, so a bare 400/403 says nothing about why; ListObjectsV2 (which
 * has an XML error body) is asked next to learn the code.
 */
export function isAmbiguousHeadBucketFailure(facts: FailureFacts, target: CredentialTarget): boolean {
  const sameRegion = facts.bucketRegion === undefined || facts.bucketRegion === target.region;
  return (
    facts.kind === "service" &&
    !facts.code &&
    !facts.clockSkewed &&
    (facts.status === 403 || (facts.status === 400 && sameRegion))
  );
}
