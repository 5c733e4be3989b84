/**
 * STS errors as they arrive: the error document STS sends for AssumeRole (the awsQuery protocol's
 * <ErrorResponse>, https://smithy.io/2.0/aws/protocols/aws-query-protocol.html, "Operation error
 * serialization"), turned into an exception by the SDK's own deserializer, then diagnosed. The SDK
 * keeps the code on the wire in `Code` and names the exception after its class, and for several
 * errors the two differ (MalformedPolicyDocument, PackedPolicyTooLarge, IDPRejectedClaim: the codes
 * of the STS model's awsQueryError traits, as @aws-sdk/client-sts carries them).
 * Codes and statuses: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_Errors
 * and https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html.
 */
import { Readable } from "node:stream";
import { STSClient } from "@aws-sdk/client-sts";
import { HttpResponse } from "@smithy/core/transport";
import { describe, expect, it } from "vitest";
import { awsCredentialProbe } from "../../../functions/adapters/credential-probe";
import { checkCredentialTarget } from "../../../functions/core/credentials/check";
import { diagnoseAmbient, diagnoseAssumeRole } from "../../../functions/core/credentials/diagnosis";
import { CredentialTarget } from "../../../functions/core/credentials/target";

const ROLE = "arn:aws:iam::123456789012:role/cluster-agency";
const target = CredentialTarget.parse({
  name: "cluster-a",
  roleArn: ROLE,
  bucket: "cluster-a-data",
  region: "eu-west-1",
});

/** An STS endpoint that answers every request with this error document. */
function stsAnswering(status: number, type: "Sender" | "Receiver", code: string) {
  const body =
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
    `<Error><Type>${type}</Type><Code>${code}</Code><Message>as STS words it</Message></Error>` +
    "<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>";
  const requestHandler = {
    handle: async () => ({
      response: new HttpResponse({
        statusCode: status,
        headers: { "content-type": "text/xml" },
        body: Readable.from([Buffer.from(body)]),
      }),
    }),
  };
  return awsCredentialProbe({
    sts: { credentials: { accessKeyId: "AKIACALLER", secretAccessKey: "caller-secret" } },
    stsClientFactory: (config) => new STSClient({ ...config, requestHandler }),
  });
}

describe("AssumeRole errors as STS sends them", () => {
  it.each([
    [
      400,
      "Sender",
      "ExpiredTokenException",
      "was refused",
      "watchpost's own credentials (the caller's session) have expired; the caller could not refresh them",
    ],
    [
      400,
      "Sender",
      "MalformedPolicyDocument",
      "was refused",
      "the session policy passed with the request is malformed",
    ],
    [
      400,
      "Sender",
      "PackedPolicyTooLarge",
      "was refused",
      "the session policies and tags are too large once packed; shorten them",
    ],
    [
      403,
      "Sender",
      "RegionDisabledException",
      "was refused",
      "STS is disabled in eu-west-1; activate the region's STS endpoint in the account settings or use another region's endpoint",
    ],
    [
      403,
      "Sender",
      "IDPRejectedClaim",
      "was refused",
      "the identity provider behind the role could not be reached or rejected the claim",
    ],
    [
      403,
      "Sender",
      "AccessDenied",
      "was refused",
      "the role's trust policy no longer names this account, or the role no longer exists — the cluster was probably unbound from its agency",
    ],
    [
      403,
      "Sender",
      "InvalidClientTokenId",
      "was refused",
      "STS does not accept watchpost's own credentials (unknown key, wrong secret, or a skewed clock — check NTP)",
    ],
    [
      403,
      "Sender",
      "SignatureDoesNotMatch",
      "was refused",
      "STS does not accept watchpost's own credentials (unknown key, wrong secret, or a skewed clock — check NTP)",
    ],
    [
      400,
      "Sender",
      "ValidationError",
      "was refused",
      "the request is invalid for this role: the role ARN is malformed, or the session duration exceeds the role's maximum session duration, or one hour when the caller itself runs in a role session (role chaining, as the deployed check in Lambda does)",
    ],
    [
      500,
      "Receiver",
      "InternalFailure",
      "could not be completed",
      "STS answered with a server error; it may be degraded in this region",
    ],
  ] as const)("HTTP %i %s %s", async (status, type, code, outcome, cause) => {
    // Prepare
    const probe = stsAnswering(status, type, code);

    // Act
    const result = await checkCredentialTarget(target, {
      ...probe,
      storage: () => ({}) as never,
      sleep: async () => undefined,
    });
    probe.close();

    // Assess
    expect(result.findings.map((f) => [f.message, f.details?.errorCode, f.details?.httpStatus])).toEqual([
      [`AssumeRole for ${ROLE} ${outcome} (${code}): ${cause}.`, code, status],
    ]);
  });
});

describe("failures that carry no code", () => {
  // failureFacts always names a timeout; the diagnosis, being pure, still says something for facts that do not.
  it("are a timeout when they are one, and unknown otherwise", () => {
    expect([
      diagnoseAssumeRole({ kind: "timeout", mentionsKms: false }, target).errorCode,
      diagnoseAssumeRole({ kind: "network", mentionsKms: false }, target).errorCode,
      diagnoseAmbient({ kind: "timeout", mentionsKms: false }).errorCode,
      diagnoseAmbient({ kind: "service", mentionsKms: false }).errorCode,
    ]).toEqual(["Timeout", "Timeout", "Timeout", "Unknown"]);
  });
});
