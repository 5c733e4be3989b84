import {
  Aws,
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  Fn,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";

/**
 * The tag a secret or parameter in a member account carries to be readable by watchpost
 * (`watchpost` = `read`): the reader role reads no secret value and no parameter value without it.
 */
export const READ_TAG = { key: "watchpost", value: "read" } as const;

/**
 * The reader role in a member account, as a stack whose template deploys unchanged through
 * CloudFormation StackSets (service-managed; docs/member-accounts.md): no assets, no bootstrap
 * version rule, everything account-specific a parameter or a pseudo parameter.
 *
 * Read-only, exactly the calls the source adapters make (functions/adapters/aws-certificates/), each
 * checked against the Service Authorization Reference:
 * - ACM (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscertificatemanager.html):
 *   ListCertificates is a List action with no resource type ("*"); DescribeCertificate, GetCertificate
 *   and ListTagsForCertificate take the `certificate` resource
 *   (arn:${Partition}:acm:${Region}:${Account}:certificate/${CertificateId}). GetCertificate returns the
 *   certificate and chain only, never the private key (ExportCertificate would, and is not granted).
 * - IAM (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html):
 *   ListServerCertificates (List) and GetServerCertificate on the `server-certificate` resource
 *   (arn:${Partition}:iam::${Account}:server-certificate/${CertificateNameWithPath}); neither returns a key.
 * - Secrets Manager (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html):
 *   ListSecrets (List, "*"); GetSecretValue and DescribeSecret (the one secret an event names) on
 *   the `Secret` resource, whose condition keys include
 *   `aws:ResourceTag/${TagKey}` (and `secretsmanager:ResourceTag/tag-key`, the same tag under the
 *   service's own prefix, which the IAM evaluator the tests use cannot match): only secrets tagged READ_TAG.
 * - Systems Manager (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html):
 *   DescribeParameters (List, "*"); GetParameter on the `parameter` resource, whose condition keys
 *   include `aws:ResourceTag/${TagKey}`: only parameters tagged READ_TAG.
 * - KMS (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service):
 *   kms:Decrypt only when Secrets Manager or Parameter Store asks on the role's behalf
 *   (`kms:ViaService` = secretsmanager.<region>.<suffix> / ssm.<region>.<suffix>), for secrets and
 *   SecureString parameters under customer managed keys whose key policy delegates to IAM.
 *
 * The trust policy admits the watchpost account only, only the scan role's sessions
 * (`aws:PrincipalArn`), and only with the external ID (`sts:ExternalId`; IAM User Guide, "Access to
 * AWS accounts owned by third parties"). Principal is the account, not the role ARN, so a replaced
 * scan role (same name) is trusted again without redeploying every member account.
 */
export class MemberAccountReaderStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description:
        "watchpost member-account reader role: read-only access to ACM, IAM server certificates, and tagged Secrets Manager secrets and SSM parameters, assumable by the watchpost scan role with the external ID (deploy with CloudFormation StackSets)",
      // StackSets deploy the template as it is: no bootstrap stack in the member accounts.
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      ...props,
    });

    const watchpostAccount = new CfnParameter(this, "WatchpostAccountId", {
      type: "String",
      allowedPattern: "^\\d{12}$",
      description: "The AWS account ID where the watchpost stack runs",
    });
    const scanRoleArn = new CfnParameter(this, "ScanRoleArn", {
      type: "String",
      allowedPattern: "^arn:aws[a-z-]*:iam::\\d{12}:role/.+$",
      description: "The watchpost scan function's role ARN (the stack output CertificateScanRoleArn)",
    });
    const externalId = new CfnParameter(this, "ExternalId", {
      type: "String",
      allowedPattern: "^[\\w+=,.@:/-]{2,1224}$",
      noEcho: true,
      description: "accounts.externalId of watchpost.config.json (STS: 2-1224 characters of \\w+=,.@:/-)",
    });
    const roleName = new CfnParameter(this, "ReaderRoleName", {
      type: "String",
      default: "watchpost-reader",
      allowedPattern: "^[\\w+=,.@-]{1,64}$",
      description: "accounts.readerRoleName of watchpost.config.json",
    });

    const account = Aws.ACCOUNT_ID;
    const partition = Aws.PARTITION;
    const viaService = (service: string) => Fn.sub(`${service}.*.\${AWS::URLSuffix}`);

    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: "ListWithoutResourceTypes",
          actions: [
            "acm:ListCertificates",
            "iam:ListServerCertificates",
            "secretsmanager:ListSecrets",
            "ssm:DescribeParameters",
          ],
          resources: ["*"],
        }),
        new iam.PolicyStatement({
          sid: "ReadAcmCertificates",
          actions: ["acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate"],
          resources: [`arn:${partition}:acm:*:${account}:certificate/*`],
        }),
        new iam.PolicyStatement({
          sid: "ReadIamServerCertificates",
          actions: ["iam:GetServerCertificate"],
          resources: [`arn:${partition}:iam::${account}:server-certificate/*`],
        }),
        new iam.PolicyStatement({
          sid: "ReadTaggedSecrets",
          actions: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
          resources: [`arn:${partition}:secretsmanager:*:${account}:secret:*`],
          conditions: { StringEquals: { [`aws:ResourceTag/${READ_TAG.key}`]: READ_TAG.value } },
        }),
        new iam.PolicyStatement({
          sid: "ReadTaggedParameters",
          actions: ["ssm:GetParameter"],
          resources: [`arn:${partition}:ssm:*:${account}:parameter/*`],
          conditions: { StringEquals: { [`aws:ResourceTag/${READ_TAG.key}`]: READ_TAG.value } },
        }),
        new iam.PolicyStatement({
          sid: "DecryptThroughSecretsManagerAndParameterStore",
          actions: ["kms:Decrypt"],
          resources: [`arn:${partition}:kms:*:${account}:key/*`],
          conditions: { StringLike: { "kms:ViaService": [viaService("secretsmanager"), viaService("ssm")] } },
        }),
      ],
    });

    const role = new iam.Role(this, "ReaderRole", {
      roleName: roleName.valueAsString,
      description: "watchpost: reads certificates in this account for the watchpost scan (read-only)",
      assumedBy: new iam.AccountPrincipal(watchpostAccount.valueAsString).withConditions({
        StringEquals: { "sts:ExternalId": externalId.valueAsString },
        ArnEquals: { "aws:PrincipalArn": scanRoleArn.valueAsString },
      }),
      // Role chaining from Lambda caps the session at one hour whatever the role allows.
      inlinePolicies: { WatchpostRead: policy },
    });

    const because: Record<string, string> = {
      "*": "ListCertificates, ListServerCertificates, ListSecrets and DescribeParameters have no resource type in the Service Authorization Reference, so they take '*'; they list names and metadata, no certificate, secret or parameter value.",
      "arn:<AWS::Partition>:acm:*:<AWS::AccountId>:certificate/*":
        "Every ACM certificate of this account in every Region: which exist is not known when the StackSet is deployed; the actions read public certificates and metadata only (no ExportCertificate).",
      "arn:<AWS::Partition>:iam::<AWS::AccountId>:server-certificate/*":
        "Every IAM server certificate of this account: GetServerCertificate returns the certificate and chain, never the private key.",
      "arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*":
        "Only secrets tagged watchpost=read (aws:ResourceTag condition): the account's owners opt secrets in by tagging them.",
      "arn:<AWS::Partition>:ssm:*:<AWS::AccountId>:parameter/*":
        "Only parameters tagged watchpost=read (aws:ResourceTag condition): the account's owners opt parameters in by tagging them.",
      "arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*":
        "Decrypt only when Secrets Manager or Parameter Store calls KMS for the role (kms:ViaService), i.e. for the tagged secrets and parameters it may read; their keys are not known when the StackSet is deployed.",
    };
    for (const [resource, reason] of Object.entries(because)) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    }

    new CfnOutput(this, "ReaderRoleArn", {
      value: role.roleArn,
      description: "The reader role watchpost assumes",
    });
  }
}
