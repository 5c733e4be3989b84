/**
 * The AWS Control Tower proactive controls (CloudFormation Guard rules, bundled with
 * @cdklabs/cdk-validator-cfnguard) the stack does not meet, each with the resources it is waived
 * for and why: the one place these decisions live, as cdk-nag's acknowledgements live at the
 * constructs. scripts/guard-templates.ts runs every rule on every template of the synth matrix and
 * fails on a violation no entry here covers, and on an entry no template needs any more.
 *
 * Controls the stack meets rather than waives: CT.KMS.PR.3 (the topic key denies CreateGrant to
 * all but AWS services), CT.S3.PR.4 (the created bucket's EventBridge notifications are its own
 * property), and every control this list does not name.
 */

/** A resource as the template has it. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface GuardAcknowledgement {
  /** The Guard rule's name, as cfn-guard reports it. */
  rule: string;
  /** The Control Tower control it implements. */
  control: string;
  /** The resources the waiver covers; the others must meet the rule. */
  covers: (id: string, resource: TemplateResource, resources: Record<string, TemplateResource>) => boolean;
  reason: string;
}

const isType = (type: string) => (_id: string, resource: TemplateResource) => resource.Type === type;

/**
 * Queues something else sends its failures to: another queue's redrive policy, a function's
 * failure destination, a rule's or schedule's dead-letter configuration.
 */
function isDeadLetterQueue(id: string, resources: Record<string, TemplateResource>): boolean {
  const referencesQueue = (value: unknown): boolean =>
    JSON.stringify(value ?? null).includes(JSON.stringify({ "Fn::GetAtt": [id, "Arn"] }));
  const deadLetterPlaces = (value: unknown, inPlace: boolean): boolean => {
    if (value === null || typeof value !== "object") return false;
    return Object.entries(value as Record<string, unknown>).some(([key, inner]) => {
      const place = inPlace || /^(RedrivePolicy|DeadLetterConfig|OnFailure|deadLetterTargetArn)$/.test(key);
      return place && referencesQueue(inner) ? true : deadLetterPlaces(inner, place);
    });
  };
  return Object.values(resources).some((resource) => deadLetterPlaces(resource.Properties, false));
}

export const GUARD_ACKNOWLEDGEMENTS: GuardAcknowledgement[] = [
  {
    rule: "cloudwatch_log_group_retention_period_check",
    control: "CT.CLOUDWATCH.PR.2",
    covers: (_id, resource) =>
      resource.Type === "AWS::Logs::LogGroup" && Number(resource.Properties?.RetentionInDays) < 365,
    reason:
      "Retention is the operator's choice (operations.logRetentionDays, 30 days by default; 365 or more meets the control): the logs are diagnostics, and alarm history lives in the alarm table.",
  },
  {
    rule: "cloudwatch_log_group_encrypted_check",
    control: "CT.CLOUDWATCH.PR.3",
    covers: isType("AWS::Logs::LogGroup"),
    reason:
      "CloudWatch Logs always encrypts log data at rest (CloudWatch Logs User Guide, 'Encrypt log data in CloudWatch Logs using AWS KMS'); no secret reaches a log (tests assert it), so a customer key would add a monthly fee and a key policy for logs.<region>.amazonaws.com and protect nothing more.",
  },
  {
    rule: "lambda_inside_vpc_check",
    control: "CT.LAMBDA.PR.3",
    covers: (_id, resource) => resource.Type === "AWS::Lambda::Function" && !resource.Properties?.VpcConfig,
    reason:
      "Only the endpoint scan reaches into the cluster's network, and it runs in the configured subnets (endpoints.vpc); the other functions call AWS APIs and public webhooks only, and CDK's helper functions run at deploy time. In a VPC they would need NAT or interface endpoints for nothing (README, 'Endpoints inside a VPC').",
  },
  {
    rule: "s3_bucket_default_encryption_kms_check",
    control: "CT.S3.PR.10",
    covers: isType("AWS::S3::Bucket"),
    reason:
      "The bucket the stack creates uses SSE-S3: certificates are public material and keystores are password-protected with the passwords in Secrets Manager. An operator who wants SSE-KMS watches an existing bucket with its key (certificates.bucket.kmsKeyArn).",
  },
  {
    rule: "s3_bucket_logging_enabled_check",
    control: "CT.S3.PR.2",
    covers: isType("AWS::S3::Bucket"),
    reason:
      "Object-level auditing of the certificate bucket belongs in the account's CloudTrail data events; a dedicated access-log bucket would itself need logging (as for cdk-nag's AwsSolutions-S1).",
  },
  {
    rule: "s3_bucket_object_lock_enabled_check",
    control: "CT.S3.PR.9",
    covers: isType("AWS::S3::Bucket"),
    reason:
      "Certificates are replaced in place when they are renewed; versioning keeps the replaced ones for 90 days. Object Lock cannot be turned off again and would keep superseded keystores longer than the operator decides.",
  },
  {
    rule: "sqs_dlq_check",
    control: "CT.SQS.PR.1",
    covers: (id, resource, resources) =>
      resource.Type === "AWS::SQS::Queue" && isDeadLetterQueue(id, resources),
    reason:
      "These queues are themselves dead-letter queues, watched by a CloudWatch alarm; a dead-letter queue of a dead-letter queue would only move the problem (as for cdk-nag's AwsSolutions-SQS3).",
  },
];
