/**
 * One credential-health target: which role to assume (the "agency") and which bucket the temporary
 * credentials must reach. Validated once, where configuration enters (config file, CLI flags).
 */
import * as z from "zod";
import { MAX_PARAMETER_VALUE } from "../certificates/location";
import { KmsKeyArn } from "../config/fields";

/** IAM role ARNs in every partition (aws, aws-cn, aws-us-gov, …); S3-compatible stores use the same form. */
const ROLE_ARN = /^arn:[a-z0-9-]+:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Valid S3 bucket names, plus the dotted and underscore names some S3-compatible stores allow. */
const BUCKET = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,253}[a-zA-Z0-9]$/;

/**
 * A parameter carried by every alarm of the target: as bounded as a certificate source's location
 * parameters (certificates/location.ts), so that an alarm always fits its DynamoDB item (400 KB)
 * and its EventBridge event (256 KB).
 */
const ParameterValue = z
  .string()
  .min(1)
  .max(MAX_PARAMETER_VALUE, `expected at most ${MAX_PARAMETER_VALUE} characters`)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "expected a value without control characters");

export const AlarmParameters = z
  .object({
    ServiceName: ParameterValue.optional(),
    RoleName: ParameterValue.optional(),
    HostName: ParameterValue.optional(),
  })
  .strict();
export type AlarmParameters = z.infer<typeof AlarmParameters>;

export const DEFAULT_MIN_REMAINING_SECONDS = 900;
export const DEFAULT_STEP_TIMEOUT_MS = 5000;

export const CredentialTarget = z
  .object({
    name: z.string().min(1).max(128),
    /** Absent: use the ambient credentials (S3-compatible stores without STS). */
    roleArn: z
      .string()
      .regex(ROLE_ARN, "must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)")
      .optional(),
    externalId: z.string().min(2).max(1224).optional(),
    sessionDurationSeconds: z.number().int().min(900).max(43200).optional(),
    bucket: z.string().regex(BUCKET, "must be a bucket name"),
    prefix: z.string().max(1024).optional(),
    region: z.string().regex(/^[a-z0-9-]{2,32}$/, "must be a region name such as eu-west-1"),
    s3Endpoint: z.url().optional(),
    stsEndpoint: z.url().optional(),
    /** S3-compatible stores often serve buckets only as http://host/bucket/key. */
    forcePathStyle: z.boolean().optional(),
    writeProbe: z.boolean().optional(),
    /**
     * The key of a bucket with SSE-KMS default encryption, for a target probed with the deployed
     * function's own role: the stack lets that role use the key through S3 only.
     */
    kmsKeyArn: KmsKeyArn.optional(),
    /** The returned expiration must be at least this far ahead. */
    minRemainingSeconds: z.number().int().min(0).max(43200).default(DEFAULT_MIN_REMAINING_SECONDS),
    /** Per step, including throttling retries. */
    timeoutMs: z.number().int().min(1).max(120_000).default(DEFAULT_STEP_TIMEOUT_MS),
    parameters: AlarmParameters.optional(),
  })
  .strict();

/** A validated target (defaults applied). */
export type CredentialTarget = z.infer<typeof CredentialTarget>;
/** What configuration may say before defaults are applied. */
export type CredentialTargetInput = z.input<typeof CredentialTarget>;

/** Probe objects live under their own prefix so a least-privilege policy can confine writes to it. */
export function probePrefixFor(target: Pick<CredentialTarget, "prefix">): string {
  const prefix = target.prefix ?? "";
  if (prefix === "") return ".watchpost-probe/";
  return prefix.endsWith("/") ? `${prefix}.watchpost-probe/` : `${prefix}/.watchpost-probe/`;
}
