/**
 * The least privilege `watchpost push` needs, as an IAM identity policy for the host's role
 * (`watchpost push --print-policy` prints it): list its own prefix, read and write its own copies
 * (HeadObject is authorized as s3:GetObject), and delete them only when --delete is used. Checked
 * with the IAM evaluator @cloud-copilot/iam-simulate against the calls the command makes
 * (test/unit/push/iam-policy.test.ts).
 */

export interface PushPolicyOptions {
  bucket: string;
  /** The --to prefix, "" or ending in "/". */
  prefix: string;
  /** One host's name, or "*" for a role several hosts share (each may then write the others' copies). */
  host: string;
  /** Add s3:DeleteObject, which only --delete uses. */
  allowDelete?: boolean;
  /** The bucket's SSE-KMS key, when it has one: PutObject needs kms:GenerateDataKey on it. */
  kmsKeyArn?: string;
  partition?: string;
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string | string[];
  Resource: string;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function pushRolePolicy(options: PushPolicyOptions): {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
} {
  const partition = options.partition ?? "aws";
  const bucketArn = `arn:${partition}:s3:::${options.bucket}`;
  const own = `${options.prefix}${options.host}/`;
  const statements: PolicyStatement[] = [
    {
      Sid: "ListItsOwnCopies",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn,
      Condition: { StringLike: { "s3:prefix": [`${own}*`] } },
    },
    {
      Sid: "ReadAndWriteItsOwnCopies",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `${bucketArn}/${own}*`,
    },
  ];
  if (options.allowDelete) {
    statements.push({
      Sid: "DeleteCopiesOfGoneFiles",
      Effect: "Allow",
      Action: "s3:DeleteObject",
      Resource: `${bucketArn}/${own}*`,
    });
  }
  if (options.kmsKeyArn) {
    statements.push({
      Sid: "EncryptWithTheBucketKey",
      Effect: "Allow",
      Action: "kms:GenerateDataKey",
      Resource: options.kmsKeyArn,
      Condition: { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
