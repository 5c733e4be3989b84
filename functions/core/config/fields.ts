/** Field types several sections share: bucket names, object keys and prefixes, host names, secrets. */
import * as z from "zod";

/** S3 bucket naming rules (3–63 characters, lowercase letters, digits, dots and hyphens). */
export const BucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "expected an S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens",
  )
  .refine((name) => !name.includes(".."), "expected an S3 bucket name without two adjacent dots")
  .refine((name) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(name), "expected an S3 bucket name, not an IP address")
  .refine(
    (name) => !/^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|--x-s3|--table-s3|\.mrap)$/.test(name),
    "expected an S3 bucket name without a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3, ...)",
  );

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Key text the stack writes into IAM policies and event patterns: no control characters, no `.`
 * or `..` segments (S3 does not resolve them, so "a/../b/" is not "b/"), and no `*` or `?`, which
 * IAM reads as wildcards and would widen what the scan may read.
 */
function keyText(schema: z.ZodString, what: string) {
  return schema
    .refine((key) => !CONTROL_CHARACTERS.test(key), `expected ${what} without control characters`)
    .refine(
      (key) => !key.split("/").some((segment) => segment === "." || segment === ".."),
      `expected ${what} without '.' or '..' segments: S3 does not resolve them ("a/../b/" is not "b/")`,
    )
    .refine(
      (key) => !/[*?]/.test(key),
      `expected ${what} without '*' or '?', which IAM policies read as wildcards`,
    );
}

/** A key prefix: "" is the whole bucket; no leading slash, because S3 keys do not start with one. */
export const KeyPrefix = keyText(z.string().max(1024), "an object-key prefix").refine(
  (p) => !p.startsWith("/"),
  "expected an object-key prefix without a leading '/', e.g. \"certs/prod/\"",
);

export const ObjectKey = keyText(
  z.string().min(1, "expected an object key").max(1024),
  "an object key",
).refine((k) => !k.startsWith("/") && !k.endsWith("/"), 'expected an object key such as "certs/ca.pem"');

/** DNS names (wildcards allowed) or IP addresses, compared case-insensitively by the checks. */
export const HostName = z
  .string()
  .regex(
    /^(\*\.)?([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.?$|^[0-9a-fA-F:.]+$/,
    'expected a host name such as "api.example.com" or an IP address',
  );

export const SecretName = z
  .string()
  .regex(
    /^[A-Za-z0-9/_+=.@-]{1,512}$/,
    'expected a Secrets Manager secret name such as "watchpost/pager-api-key"',
  );

export const KmsKeyArn = z
  .string()
  .regex(/^arn:[a-z0-9-]+:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-zA-Z0-9-]+$/, "expected a KMS key ARN");

/** The region an ARN names (its fourth field), e.g. "eu-west-1" in a KMS key ARN. */
export function regionOfArn(arn: string): string {
  return arn.split(":")[3] ?? "";
}

/** An AWS Region name such as "eu-west-1", "us-gov-west-1" or "cn-north-1". */
export const AwsRegion = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'expected an AWS Region name such as "eu-west-1"');
