/**
 * Limits the deployed stack runs into that a workstation does not: the credential check assumes
 * roles from Lambda (role chaining), an SSE-KMS bucket's key, and an existing bucket's region.
 * Each case is a configuration and the whole list of problems the synth reports for it.
 */
import { describe, expect, it } from "vitest";
import type { WatchpostConfigInput } from "../../../functions/core/config";
import { CredentialTarget } from "../../../functions/core/credentials/target";
import { problemsOf } from "../../support/config-problems";

const ROLE = "arn:aws:iam::123456789012:role/agency";
const KEY_EU = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_US = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function withTarget(target: Record<string, unknown>): WatchpostConfigInput {
  return {
    certificates: { sources: [{ prefix: "certs/" }] },
    credentials: { targets: [{ name: "t", bucket: "data-bucket", region: "eu-west-1", ...target }] },
  };
}

describe("a deployed credential check assumes its roles by role chaining", () => {
  // STS API Reference, AssumeRole, DurationSeconds
  // (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html): "if you assume a role
  // using role chaining and provide a DurationSeconds parameter value greater than one hour, the
  // operation fails"; "By default, the value is set to 3600 seconds". A Lambda function already runs
  // in its execution role's session, so every AssumeRole it makes is role chaining.
  it.each<[string, Record<string, unknown>, string[]]>([
    ["the default session and remaining lifetime", {}, []],
    ["a one-hour session asked for explicitly", { sessionDurationSeconds: 3600 }, []],
    ["the most remaining lifetime a one-hour session allows", { minRemainingSeconds: 3540 }, []],
    [
      "a session longer than an hour",
      { sessionDurationSeconds: 7200 },
      [
        "credentials.targets[0].sessionDurationSeconds: expected at most 3600 s: the deployed check assumes the role from Lambda, which is role chaining, and STS refuses a longer DurationSeconds (check-credentials from a workstation may ask for more)",
      ],
    ],
    [
      "more remaining lifetime than a chained session ever has",
      { minRemainingSeconds: 3600 },
      [
        "credentials.targets[0].minRemainingSeconds: expected at most 3540 s: the session lasts 3600 s (one hour, the most a role-chained session gets), so credentials with 3600 s left would never arrive and every check would fail",
      ],
    ],
    [
      "more remaining lifetime than the session asked for",
      { sessionDurationSeconds: 900, minRemainingSeconds: 900 },
      [
        "credentials.targets[0].minRemainingSeconds: expected at most 840 s: the session lasts 900 s, so credentials with 900 s left would never arrive and every check would fail",
      ],
    ],
  ])("%s", (_case, fields, problems) => {
    // Act
    const found = problemsOf(withTarget({ roleArn: ROLE, ...fields }));

    // Assess
    expect(found).toEqual(problems);
  });

  it("leaves targets without a role alone: they assume nothing and their lifetime is not checked", () => {
    // Act
    const found = problemsOf(withTarget({ minRemainingSeconds: 43_200 }));

    // Assess
    expect(found).toEqual([]);
  });

  it("does not limit check-credentials, which runs with a workstation's own keys", () => {
    // Act
    const parsed = CredentialTarget.safeParse({
      name: "t",
      roleArn: ROLE,
      bucket: "data-bucket",
      region: "eu-west-1",
      sessionDurationSeconds: 43_200,
      minRemainingSeconds: 40_000,
    });

    // Assess
    expect(parsed.success).toBe(true);
  });
});

describe("the key of an SSE-KMS bucket a target's write probe uses", () => {
  // S3 User Guide, SSE-KMS: the key must be in the bucket's Region; the S3 calls of a target with a
  // role are made with the role's credentials, and listing needs no key.
  it.each<[string, Record<string, unknown>, string[]]>([
    ["the function's own role, with the write probe", { writeProbe: true, kmsKeyArn: KEY_EU }, []],
    [
      "a target with a role",
      { roleArn: ROLE, writeProbe: true, kmsKeyArn: KEY_EU },
      [
        "credentials.targets[0].kmsKeyArn: expected kmsKeyArn only on a target without roleArn: with a role, the S3 calls use the role's credentials, and the role's own policies must allow the key",
      ],
    ],
    [
      "an S3-compatible store",
      { s3Endpoint: "https://s3.example.com", writeProbe: true, kmsKeyArn: KEY_EU },
      [
        "credentials.targets[0].kmsKeyArn: expected kmsKeyArn only on an AWS S3 target: an S3-compatible store (s3Endpoint) does not use AWS KMS",
      ],
    ],
    [
      "no write probe",
      { kmsKeyArn: KEY_EU },
      [
        "credentials.targets[0].kmsKeyArn: expected kmsKeyArn only with writeProbe: listing the bucket uses no key, so only the probe's put and read-back need it",
      ],
    ],
    [
      "a key in another region than the bucket",
      { writeProbe: true, kmsKeyArn: KEY_US },
      [
        "credentials.targets[0].kmsKeyArn: expected a key in the bucket's region eu-west-1: S3 encrypts with a KMS key of the bucket's own Region",
      ],
    ],
  ])("%s", (_case, fields, problems) => {
    // Act
    const found = problemsOf(withTarget(fields));

    // Assess
    expect(found).toEqual(problems);
  });
});

describe("an existing certificate bucket's region and notifications", () => {
  const withBucket = (bucket: Record<string, unknown>): WatchpostConfigInput => ({
    certificates: { bucket, sources: [{ prefix: "certs/" }] },
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "region and key of the same region",
      { existingBucketName: "acme-certs", region: "eu-west-1", kmsKeyArn: KEY_EU },
      [],
    ],
    [
      "notifications left to the owner",
      { existingBucketName: "acme-certs", eventBridgeNotifications: false },
      [],
    ],
    [
      "a key in another region than the bucket",
      { existingBucketName: "acme-certs", region: "eu-west-1", kmsKeyArn: KEY_US },
      [
        "certificates.bucket.kmsKeyArn: expected kmsKeyArn in the bucket's region: S3 encrypts with a KMS key of the bucket's own Region",
      ],
    ],
    [
      "a region for a bucket the stack creates",
      { region: "eu-west-1" },
      [
        "certificates.bucket.region: expected region only together with existingBucketName (a created bucket is in the stack's region)",
      ],
    ],
    [
      "something that is not a region",
      { existingBucketName: "acme-certs", region: "Frankfurt" },
      ['certificates.bucket.region: expected an AWS Region name such as "eu-west-1"'],
    ],
  ])("%s", (_case, bucket, problems) => {
    // Act
    const found = problemsOf(withBucket(bucket));

    // Assess
    expect(found).toEqual(problems);
  });
});
