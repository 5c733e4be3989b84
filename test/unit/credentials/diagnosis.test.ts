/**
 * What an operator reads when temporary credentials cannot be had: for every family of STS errors
 * (raised as the SDK raises them: its modelled exception classes, or STSServiceException named after
 * the code for errors the model does not list), and for credentials that arrive unusable, the whole
 * finding — check, severity, message with its likely cause, and the fields a receiver keys on.
 *
 * Codes and statuses: STS API reference, AssumeRole "Errors"
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_Errors)
 * and "Common Errors" (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
 */
import {
  AssumeRoleCommand,
  ExpiredTokenException,
  IDPCommunicationErrorException,
  IDPRejectedClaimException,
  InvalidIdentityTokenException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  SessionDurationEscalationException,
  STSClient,
} from "@aws-sdk/client-sts";
import { CredentialsProviderError } from "@smithy/core/config";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { awsCredentialProbe } from "../../../functions/adapters/credential-probe";
import type { Finding } from "../../../functions/core/contracts";
import { checkCredentialTarget } from "../../../functions/core/credentials/check";
import { StepTimeoutError } from "../../../functions/core/credentials/failure";
import type { CredentialCheckDeps } from "../../../functions/core/credentials/ports";
import { CredentialTarget } from "../../../functions/core/credentials/target";
import { healthyStorage, stsServiceError } from "../../support/sts-errors";

const sts = mockClient(STSClient);
const ROLE = "arn:aws:iam::123456789012:role/cluster-agency";
const NOW = new Date("2026-03-01T12:00:00Z");
const SEARCH = "the SDK looked in the places a test says";
const ISSUED = {
  AccessKeyId: "ASIAQWERTYUIOPASDFGH",
  SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  SessionToken: "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
};

const target = CredentialTarget.parse({
  name: "cluster-a",
  roleArn: ROLE,
  externalId: "ext-123",
  bucket: "cluster-a-data",
  region: "eu-west-1",
});

function deps(): CredentialCheckDeps {
  const caller = { accessKeyId: "AKIACALLER", secretAccessKey: "caller-secret" };
  return {
    ...awsCredentialProbe({
      sts: { credentials: caller },
      ambientCredentials: caller,
      credentialSearch: SEARCH,
    }),
    storage: () => healthyStorage,
    now: () => NOW,
    sleep: async () => undefined,
  };
}

/** The finding for a failed step of `on`, whole. */
function finding(
  on: CredentialTarget,
  step: "assume-role" | "expiration" | "ambient-credentials",
  errorCode: string,
  text: string,
  likelyCause: string,
  httpStatus?: number,
): Finding {
  return {
    check: "credentials-unobtainable",
    alarmId: "2001",
    severity: "major",
    source: `credentials:${on.name}`,
    message: `${text} (${errorCode}): ${likelyCause}.`,
    details: {
      step,
      errorCode,
      ...(on.roleArn ? { roleArn: on.roleArn } : {}),
      bucket: on.bucket,
      region: on.region,
      likelyCause,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
    },
  };
}

beforeEach(() => sts.reset());
afterAll(() => sts.restore());

const CALLER_REJECTED =
  "STS does not accept watchpost's own credentials (unknown key, wrong secret, or a skewed clock — check NTP)";
const IDP = "the identity provider behind the role could not be reached or rejected the claim";

describe("why AssumeRole yielded no credentials, for every family of STS errors", () => {
  it.each([
    {
      family: "trust removed or role gone (AccessDenied)",
      error: stsServiceError("AccessDenied", 403),
      code: "AccessDenied",
      status: 403,
      outcome: "was refused",
      cause:
        "the role's trust policy no longer names this account or the external ID, or the role no longer exists — the cluster was probably unbound from its agency",
    },
    {
      family: "role missing (NoSuchEntity)",
      error: stsServiceError("NoSuchEntity", 404),
      code: "NoSuchEntity",
      status: 404,
      outcome: "was refused",
      cause: "the role does not exist (deleted or renamed)",
    },
    {
      family: "invalid request (ValidationError)",
      error: stsServiceError("ValidationError", 400),
      code: "ValidationError",
      status: 400,
      outcome: "was refused",
      cause:
        "the request is invalid for this role: the role ARN is malformed, or the session duration exceeds the role's maximum session duration, or one hour when the caller itself runs in a role session (role chaining, as the deployed check in Lambda does)",
    },
    {
      family: "STS switched off in the region",
      error: new RegionDisabledException({
        message: "STS is not activated",
        $metadata: { httpStatusCode: 403 },
      }),
      code: "RegionDisabledException",
      status: 403,
      outcome: "was refused",
      cause:
        "STS is disabled in eu-west-1; activate the region's STS endpoint in the account settings or use another region's endpoint",
    },
    {
      family: "watchpost's own session expired",
      error: new ExpiredTokenException({ message: "expired", $metadata: { httpStatusCode: 400 } }),
      code: "ExpiredTokenException",
      status: 400,
      outcome: "was refused",
      cause:
        "watchpost's own credentials (the caller's session) have expired; the caller could not refresh them",
    },
    {
      family: "malformed session policy",
      error: new MalformedPolicyDocumentException({ message: "bad", $metadata: { httpStatusCode: 400 } }),
      code: "MalformedPolicyDocumentException",
      status: 400,
      outcome: "was refused",
      cause: "the session policy passed with the request is malformed",
    },
    {
      family: "packed policy too large",
      error: new PackedPolicyTooLargeException({ message: "big", $metadata: { httpStatusCode: 400 } }),
      code: "PackedPolicyTooLargeException",
      status: 400,
      outcome: "was refused",
      cause: "the session policies and tags are too large once packed; shorten them",
    },
    {
      family: "identity provider unreachable",
      error: new IDPCommunicationErrorException({ message: "idp", $metadata: { httpStatusCode: 400 } }),
      code: "IDPCommunicationErrorException",
      status: 400,
      outcome: "was refused",
      cause: IDP,
    },
    {
      family: "identity provider rejected the claim",
      error: new IDPRejectedClaimException({ message: "idp", $metadata: { httpStatusCode: 403 } }),
      code: "IDPRejectedClaimException",
      status: 403,
      outcome: "was refused",
      cause: IDP,
    },
    {
      family: "identity token not valid",
      error: new InvalidIdentityTokenException({ message: "idp", $metadata: { httpStatusCode: 400 } }),
      code: "InvalidIdentityTokenException",
      status: 400,
      outcome: "was refused",
      cause: IDP,
    },
    {
      family: "session duration beyond the role chain",
      error: new SessionDurationEscalationException({ message: "long", $metadata: { httpStatusCode: 403 } }),
      code: "SessionDurationEscalationException",
      status: 403,
      outcome: "was refused",
      cause: "the requested session duration exceeds what the role chain allows",
    },
    ...[
      ["InvalidClientTokenId", 403],
      ["UnrecognizedClientException", 400],
      ["SignatureDoesNotMatch", 403],
      ["IncompleteSignature", 400],
      ["MissingAuthenticationToken", 403],
      ["InvalidSignatureException", 400],
    ].map(([code, status]) => ({
      family: `watchpost's own key refused: a wrong key or a skewed clock (${code})`,
      error: stsServiceError(String(code), Number(status)),
      code: String(code),
      status: Number(status),
      outcome: "was refused",
      cause: CALLER_REJECTED,
    })),
    {
      family: "STS failing on its side (InternalFailure, HTTP 500)",
      error: stsServiceError("InternalFailure", 500, "server"),
      code: "InternalFailure",
      status: 500,
      outcome: "could not be completed",
      cause: "STS answered with a server error; it may be degraded in this region",
    },
    {
      family: "a bare server error without a code (HTTP 502)",
      error: stsServiceError("UnknownError", 502, "server"),
      code: "HTTP502",
      status: 502,
      outcome: "could not be completed",
      cause: "STS answered with a server error; it may be degraded in this region",
    },
    {
      family: "throttling that outlasts every retry",
      error: stsServiceError("Throttling", 400),
      code: "Throttling",
      status: 400,
      outcome: "was throttled",
      cause:
        "STS kept throttling the request through every retry of this run; too many callers share the account's STS quota",
    },
    {
      family: "a bare 429 without a code: throttling",
      error: stsServiceError("UnknownError", 429),
      code: "HTTP429",
      status: 429,
      outcome: "was throttled",
      cause:
        "STS kept throttling the request through every retry of this run; too many callers share the account's STS quota",
    },
    {
      family: "a code watchpost does not know (OptInRequired)",
      error: stsServiceError("OptInRequired", 403),
      code: "OptInRequired",
      status: 403,
      outcome: "failed",
      cause: "STS did not issue temporary credentials for an unrecognised reason; see the error code",
    },
    {
      family: "a client error with neither code nor status",
      error: new Error("socket hang up in a way nobody documented"),
      code: "Unknown",
      status: undefined,
      outcome: "failed",
      cause: "STS did not issue temporary credentials for an unrecognised reason; see the error code",
    },
    {
      family: "STS unreachable (connection refused)",
      error: Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:443"), { code: "ECONNREFUSED" }),
      code: "ECONNREFUSED",
      status: undefined,
      outcome: "could not be completed",
      cause:
        "the STS endpoint of eu-west-1 could not be reached (network, DNS, proxy or VPC endpoint); no temporary credentials can be issued until it is",
    },
    {
      family: "STS silent past the SDK's socket timeout",
      error: Object.assign(new Error("socket timed out"), { name: "TimeoutError" }),
      code: "TimeoutError",
      status: undefined,
      outcome: "could not be completed",
      cause:
        "the STS endpoint of eu-west-1 could not be reached (network, DNS, proxy or VPC endpoint); no temporary credentials can be issued until it is",
    },
    {
      family: "no credentials of its own to call STS with",
      error: new CredentialsProviderError("Could not load credentials from any providers", {
        tryNextLink: false,
      }),
      code: "CredentialsProviderError",
      status: undefined,
      outcome: "could not be made",
      cause: `no AWS credentials were found to call STS with: ${SEARCH}. Configure credentials (for example \`aws configure\` or \`aws sso login\`) and run again`,
    },
  ])("$family", async ({ error, code, status, outcome, cause }) => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(error);

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    expect(result.findings).toEqual([
      finding(target, "assume-role", code, `AssumeRole for ${ROLE} ${outcome}`, cause, status),
    ]);
  });

  it("names the configured STS endpoint when it cannot be reached, and leaves the external ID out of a refusal when there is none", async () => {
    // Prepare
    const private_ = CredentialTarget.parse({
      name: "private-link",
      roleArn: ROLE,
      bucket: "cluster-a-data",
      region: "eu-west-1",
      stsEndpoint: "https://sts.vpce.example.internal",
    });
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }))
      .rejectsOnce(stsServiceError("AccessDenied", 403));

    // Act
    const unreachable = await checkCredentialTarget(private_, deps());
    const refused = await checkCredentialTarget(private_, deps());

    // Assess
    expect([...unreachable.findings, ...refused.findings]).toEqual([
      finding(
        private_,
        "assume-role",
        "ENOTFOUND",
        `AssumeRole for ${ROLE} could not be completed`,
        "https://sts.vpce.example.internal could not be reached (network, DNS, proxy or VPC endpoint); no temporary credentials can be issued until it is",
      ),
      finding(
        private_,
        "assume-role",
        "AccessDenied",
        `AssumeRole for ${ROLE} was refused`,
        "the role's trust policy no longer names this account, or the role no longer exists — the cluster was probably unbound from its agency",
        403,
      ),
    ]);
  });

  it("says where the SDK looked by default when the caller does not say", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(new CredentialsProviderError("none", { tryNextLink: false }));
    const { credentialSearch: _unsaid, ...silent } = deps();

    // Act
    const result = await checkCredentialTarget(target, silent);

    // Assess
    expect(result.findings.map((f) => f.message)).toEqual([
      `AssumeRole for ${ROLE} could not be made (CredentialsProviderError): no AWS credentials were found to call STS with: ` +
        "the SDK's default credential chain found none. Configure credentials (for example `aws configure` or `aws sso login`) and run again.",
    ]);
  });
});

describe("credentials that arrive unusable", () => {
  const expiring = (ms: number | undefined) =>
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        ...ISSUED,
        ...(ms === undefined ? {} : { Expiration: new Date(NOW.getTime() + ms) }),
      } as never,
    });
  const expiredCause = (at: string, seconds: number) =>
    `the credentials expired at ${at}, ${seconds} s before they were received — this host's clock is probably ahead; check NTP`;
  const tooSoonCause = (at: string, seconds: number) =>
    `the credentials expire at ${at}, only ${seconds} s from now (at least 900 s required) — the role's session duration is too short or this host's clock is ahead`;

  it.each([
    {
      when: "without an expiration time",
      expiresIn: undefined,
      code: "NoExpiration",
      cause: "STS returned credentials without an expiration time; the endpoint does not behave like STS",
    },
    {
      when: "expired 90 s before they arrived",
      expiresIn: -90_000,
      code: "AlreadyExpired",
      cause: expiredCause("2026-03-01T11:58:30.000Z", 90),
    },
    {
      when: "expiring the very second they arrive",
      expiresIn: 0,
      code: "AlreadyExpired",
      cause: expiredCause("2026-03-01T12:00:00.000Z", 0),
    },
    {
      when: "living one second",
      expiresIn: 1_000,
      code: "ExpiresTooSoon",
      cause: tooSoonCause("2026-03-01T12:00:01.000Z", 1),
    },
    {
      when: "living one second less than the 900 s required",
      expiresIn: 899_000,
      code: "ExpiresTooSoon",
      cause: tooSoonCause("2026-03-01T12:14:59.000Z", 899),
    },
  ])("are refused when $when", async ({ expiresIn, code, cause }) => {
    // Prepare
    expiring(expiresIn);

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    expect(result.steps.map((s) => [s.step, s.ok, s.error])).toEqual([
      ["assume-role", true, undefined],
      ["expiration", false, code],
    ]);
    expect(result.findings).toEqual([
      finding(target, "expiration", code, `AssumeRole for ${ROLE} returned unusable credentials`, cause),
    ]);
  });

  it("are taken when they live exactly the 900 s required", async () => {
    // Prepare
    expiring(900_000);

    // Act
    const result = await checkCredentialTarget(target, deps());

    // Assess
    expect(result.findings).toEqual([]);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["assume-role", true],
      ["expiration", true],
      ["head-bucket", true],
      ["list-objects", true],
    ]);
  });
});

describe("why the ambient credentials could not be loaded", () => {
  const ambient = CredentialTarget.parse({ name: "minio", bucket: "data", region: "us-east-1" });
  const failing = (error: unknown, search?: string): CredentialCheckDeps => ({
    ...deps(),
    ...(search ? { credentialSearch: search } : { credentialSearch: undefined }),
    resolveAmbientCredentials: async () => {
      throw error;
    },
  });

  it.each([
    {
      when: "the SDK's chain found none",
      error: new CredentialsProviderError("Could not load credentials from any providers", {
        tryNextLink: false,
      }),
      code: "CredentialsProviderError",
      cause: `no AWS credentials were found on this machine: ${SEARCH}. Configure credentials (for example \`aws configure\` or \`aws sso login\`) and run again`,
    },
    {
      when: "the chain did not answer in time",
      error: new StepTimeoutError(5_000),
      code: "Timeout",
      cause:
        "the SDK's credential chain did not answer in time (an instance metadata or container endpoint that hangs?)",
    },
    {
      when: "the chain failed with a code",
      error: Object.assign(new Error("profile loop"), { name: "ProfileConfigurationError" }),
      code: "ProfileConfigurationError",
      cause:
        "the SDK's credential chain failed; check the shared config and credentials files and the AWS_* variables",
    },
    {
      when: "the chain failed without a code",
      error: new Error("something else"),
      code: "Unknown",
      cause:
        "the SDK's credential chain failed; check the shared config and credentials files and the AWS_* variables",
    },
  ])("says so when $when", async ({ error, code, cause }) => {
    // Prepare
    const withSearch = failing(error, SEARCH);

    // Act
    const result = await checkCredentialTarget(ambient, withSearch);

    // Assess
    expect(result.findings).toEqual([
      finding(ambient, "ambient-credentials", code, "The ambient credentials could not be loaded", cause),
    ]);
  });
});
