/**
 * `awsCertificates`: certificates where AWS users already keep them — ACM, IAM server certificates,
 * Secrets Manager secrets and SSM parameters — per account and region. Only selections and names
 * are configured here; what the scan may read follows from them (the stack's grants), and no value
 * of a secret or parameter ever appears in the configuration.
 */
import * as z from "zod";
import { AwsItemLocationParameters } from "./certificates";
import { AwsRegion, CONTROL_CHARACTERS, HostName, ObjectKey, SecretName } from "./fields";
import { atMost, LIMITS } from "./limits";

/** A 12-digit AWS account ID. */
export const AccountId = z
  .string()
  .regex(/^\d{12}$/, 'expected a 12-digit AWS account ID such as "111122223333"');

/** Accounts to read, each once; absent: the stack's own account only (no role is assumed). */
const Accounts = z
  .array(AccountId)
  .min(1, "expected at least one account (leave `accounts` out to read the stack's own account)")
  .max(LIMITS.awsAccounts, atMost(LIMITS.awsAccounts, "accounts"))
  .refine((accounts) => new Set(accounts).size === accounts.length, "expected each account once")
  .optional();

const Regions = z
  .array(AwsRegion)
  .min(1, "expected at least one region")
  .max(LIMITS.awsRegions, atMost(LIMITS.awsRegions, "regions"))
  .refine((regions) => new Set(regions).size === regions.length, "expected each region once");

const TagText = z
  .string()
  .min(1)
  .max(256)
  .refine((text) => !CONTROL_CHARACTERS.test(text), "expected a tag without control characters");

/** Tags every selected resource must carry (each key with exactly this value); absent: no tag filter. */
const Tags = z
  .record(TagText, z.string().max(256))
  .refine(
    (tags) => Object.keys(tags).length >= 1,
    "expected at least one tag (leave `tags` out for no filter)",
  )
  .refine((tags) => Object.keys(tags).length <= 10, "expected at most 10 tags")
  .optional();

const ExpectedHostnames = z
  .array(HostName)
  .max(LIMITS.hostnames, atMost(LIMITS.hostnames, "host names"))
  .optional();

/** An SSM parameter name or path: "/tls/kafka" (hierarchy levels separated by '/'). */
export const ParameterPath = z
  .string()
  .max(1011)
  .regex(
    /^\/[A-Za-z0-9_.\-/]*$/,
    'expected a Parameter Store path such as "/tls/" (letters, digits, _ . - /)',
  );

/** Where the password of PKCS#12 material comes from: another secret or a SecureString parameter. */
const PasswordSource = z.union([
  z.strictObject({ secretName: SecretName }),
  z.strictObject({ parameterName: ParameterPath }),
]);

const Common = {
  accounts: Accounts,
  /** Names every certificate of the selection must cover; none: host names are not checked (ACM: its domain names). */
  expectedHostnames: ExpectedHostnames,
  /** Alarm parameters of every finding of the selection (ServiceName, Cluster, ...). */
  parameters: AwsItemLocationParameters.optional(),
};

const AcmSelection = z.strictObject({
  regions: Regions,
  ...Common,
  tags: Tags,
  /**
   * The CA bundle (an object in the certificate bucket) imported certificates' chains are judged
   * against, as a source's `caBundleKey`: a private CA's root. None: no chain check.
   */
  caBundleKey: ObjectKey.optional(),
});

/** IAM is global: server certificates have no region. */
const IamSelection = z.strictObject({
  ...Common,
  /** ListServerCertificates' PathPrefix: "/" (all) or "/cloudfront/". */
  pathPrefix: z
    .string()
    .max(512)
    .regex(
      /^\/([\x21-\x7e]*\/)?$/,
      'expected an IAM path such as "/" or "/cloudfront/" (starts and ends with \'/\')',
    )
    .refine(
      (path) => !/[*?]/.test(path),
      "expected a path without '*' or '?', which IAM policies read as wildcards",
    )
    .default("/"),
});

const SecretSelection = z
  .strictObject({
    regions: Regions,
    ...Common,
    /** Secrets whose names start with this text. */
    namePrefix: SecretName.optional(),
    tags: Tags,
    /** The password of PKCS#12 secrets. */
    password: PasswordSource.optional(),
  })
  .refine((s) => s.namePrefix !== undefined || s.tags !== undefined, {
    message: "expected namePrefix or tags: a selection of every secret would read passwords and keys",
    path: ["namePrefix"],
  });

const ParameterSelection = z.strictObject({
  regions: Regions,
  ...Common,
  /** Parameters under this path (GetParametersByPath's hierarchy). */
  path: ParameterPath,
  /** Also the levels below `path`. */
  recursive: z.boolean().default(true),
  tags: Tags,
  password: PasswordSource.optional(),
});

export const AwsCertificates = z.strictObject({
  acm: z
    .array(AcmSelection)
    .max(LIMITS.awsSelections, atMost(LIMITS.awsSelections, "ACM selections"))
    .default([]),
  iamServerCertificates: z
    .array(IamSelection)
    .max(LIMITS.awsSelections, atMost(LIMITS.awsSelections, "IAM selections"))
    .default([]),
  secretsManager: z
    .array(SecretSelection)
    .max(LIMITS.awsSelections, atMost(LIMITS.awsSelections, "Secrets Manager selections"))
    .default([]),
  ssmParameters: z
    .array(ParameterSelection)
    .max(LIMITS.awsSelections, atMost(LIMITS.awsSelections, "Parameter Store selections"))
    .default([]),
});

export type AwsCertificates = z.infer<typeof AwsCertificates>;
export type AcmSelection = AwsCertificates["acm"][number];
export type IamSelection = AwsCertificates["iamServerCertificates"][number];
export type SecretSelection = AwsCertificates["secretsManager"][number];
export type ParameterSelection = AwsCertificates["ssmParameters"][number];
export type PasswordSource = z.infer<typeof PasswordSource>;
