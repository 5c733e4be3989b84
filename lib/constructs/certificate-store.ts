import { Annotations, Aws, Duration, RemovalPolicy, Stack, Token, Validations } from "aws-cdk-lib";
import type * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import {
  ConfigError,
  readablePrefixes,
  regionOfArn,
  type WatchpostConfig,
} from "../../functions/core/config";
import { nagPartition } from "../nag";
import { chunkBySize, MAX_STATEMENT_CHARACTERS } from "../policy-size";

export interface CertificateStoreProps {
  certificates: WatchpostConfig["certificates"];
}

/**
 * The bucket the certificates live in: created by the stack (locked down, versioned, EventBridge
 * notifications on) or an existing one named in the configuration, whose EventBridge notifications
 * the stack turns on too unless its owner manages them. Read access is granted only to the
 * configured prefixes and the CA bundles and peer certificates named in the configuration.
 */
export class CertificateStore extends Construct {
  readonly bucket: s3.IBucket;
  /** False when the bucket is an existing one. */
  readonly created: boolean;
  /** Whether the stack turns on the bucket's EventBridge notifications (its owner does otherwise). */
  readonly notificationsEnabledByStack: boolean;
  private readonly prefixes: string[];
  private readonly keys: string[];
  private readonly kmsKeyArn: string | undefined;

  constructor(scope: Construct, id: string, props: CertificateStoreProps) {
    super(scope, id);
    const { bucket: bucketConfig } = props.certificates;
    const readable = readablePrefixes(props.certificates);
    this.prefixes = readable.prefixes;
    this.keys = readable.keys;
    this.kmsKeyArn = bucketConfig.kmsKeyArn;

    if (bucketConfig.existingBucketName) {
      checkBucketRegion(this, bucketConfig.existingBucketName, bucketConfig);
      this.bucket = s3.Bucket.fromBucketName(this, "Bucket", bucketConfig.existingBucketName);
      this.created = false;
      this.notificationsEnabledByStack = bucketConfig.eventBridgeNotifications !== false;
      if (this.notificationsEnabledByStack) {
        // CDK's custom resource reads the bucket's notification configuration and writes it back
        // with EventBridge added, so the owner's SNS, SQS and Lambda notifications stay; on stack
        // deletion it leaves EventBridge on, as it cannot tell who turned it on (README, "Tear down").
        this.bucket.enableEventBridgeNotification();
        this.acknowledgeNotificationsHandler();
      }
      return;
    }
    const bucket = new s3.Bucket(this, "Bucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Replaced certificates stay recoverable for a while, then stop costing money.
      lifecycleRules: [
        {
          noncurrentVersionExpiration: Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      // Certificates are the operator's data: tearing the stack down must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // EventBridge notifications as the bucket's own property (CloudFormation's
    // NotificationConfiguration.EventBridgeConfiguration), not through a custom resource and the
    // function behind it: the bucket is the stack's, so nobody else's notifications are there.
    (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    // The kept bucket keeps its TLS-only policy too: deleting the policy with the stack would leave
    // the certificates readable over plain HTTP by anyone the account's IAM allows.
    bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Object-level auditing of the certificate bucket belongs in the account's CloudTrail data events; a dedicated access-log bucket would itself need logging.",
    });
    this.bucket = bucket;
    this.created = true;
    this.notificationsEnabledByStack = true;
  }

  /**
   * GetObject (which also covers HeadObject) on the configured prefixes and named keys, ListBucket
   * on the bucket, and Decrypt on the bucket's KMS key when one is configured.
   *
   * ListBucket is not limited by s3:prefix: S3 answers a GetObject/HeadObject of a missing key with
   * 404 only to a caller that may list the bucket, and with 403 otherwise (API Reference,
   * GetObject, "Permissions"), and S3 asks that question without a prefix. A prefix condition would
   * turn every deleted certificate into "access denied". Listing shows key names, never content.
   */
  grantScanRead(grantee: iam.IGrantable): void {
    this.grantGetObjects(grantee, [...this.prefixes.map((prefix) => `${prefix}*`), ...this.keys]);
    this.acknowledgePrefixWildcards(grantee);
  }

  /**
   * Read exactly these objects (endpoints' CA bundles and stored copies), with ListBucket for the
   * same reason as the scan's.
   */
  grantObjectReads(grantee: iam.IGrantable, keys: readonly string[]): void {
    if (keys.length === 0) return;
    this.grantGetObjects(grantee, [...new Set(keys)].sort());
  }

  /**
   * GetObject on these keys (or key patterns), ListBucket without a prefix condition: S3 answers
   * GetObject on a missing key with 404 instead of 403 only to a caller that may list the bucket
   * (S3 API Reference, GetObject, "Permissions"). Decrypt through S3 when the bucket has a key.
   */
  private grantGetObjects(grantee: iam.IGrantable, objectKeys: readonly string[]): void {
    // Several statements, so CDK can spread them over managed policies within IAM's size quota
    // (6,144 characters each): one statement is never split, and 50 prefixes and 140 keys in one
    // would exceed it.
    for (const keys of chunkBySize(objectKeys, (key) => this.arnLength(key), MAX_STATEMENT_CHARACTERS)) {
      const resourceArns = keys.map((key) => this.bucket.arnForObjects(key));
      iam.Grant.addToPrincipal({ grantee, actions: ["s3:GetObject"], resourceArns });
    }
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucket.bucketArn] }),
    );
    if (this.kmsKeyArn) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ["kms:Decrypt"],
        resourceArns: [this.kmsKeyArn],
        conditions: {
          StringEquals: { "kms:ViaService": `s3.${this.bucket.stack.region}.${Aws.URL_SUFFIX}` },
        },
      });
    }
  }

  /** An object ARN's length once deployed: a generated bucket name counts as the longest S3 allows. */
  private arnLength(key: string): number {
    const bucket = this.created ? MAX_BUCKET_NAME : this.bucket.bucketName.length;
    return "arn:aws-us-gov:s3:::".length + bucket + 1 + key.length + 3;
  }

  /** CDK enables an imported bucket's EventBridge notifications with a custom resource it generates. */
  private acknowledgeNotificationsHandler(): void {
    const handler = Stack.of(this)
      .node.children.filter((child) => child.node.id.startsWith("BucketNotificationsHandler"))
      .map((child) => child.node.tryFindChild("Role"));
    for (const role of handler) {
      if (!role) continue;
      Validations.of(role).acknowledge({
        // Managed policy ARNs always use the AWS::Partition pseudo-parameter, whatever the flags say.
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        reason:
          "CDK's generated custom resource that turns on EventBridge notifications for the existing certificate bucket; the managed policy only lets it write its own logs.",
      });
    }
  }

  /** cdk-nag names each prefix wildcard separately; each is exactly one configured prefix. */
  private acknowledgePrefixWildcards(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    if (!Construct.isConstruct(principal)) return;
    const stack = Stack.of(this);
    const bucketInNag = this.created
      ? `<${stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket))}.Arn>`
      : `arn:${nagPartition(this)}:s3:::${this.bucket.bucketName}`;
    for (const prefix of this.prefixes) {
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${bucketInNag}/${prefix}*]`,
        reason: `The scan reads every certificate object under the configured prefix "${prefix}", and only there.`,
      });
    }
  }

  /**
   * S3 "Object Created" / "Object Deleted" events (EventBridge notifications) for this bucket,
   * limited to the configured prefixes and the named CA bundles and peer certificates kept outside
   * them, so one changed certificate (or trust bundle) is re-checked within seconds.
   *
   * As many patterns as it takes to keep each within EventBridge's event pattern size (2,048
   * characters by default: "Amazon EventBridge quotas"), each matching a share of the prefixes and
   * keys, together all of them. The bucket name counts as the longest S3 allows when the stack
   * creates the bucket (its name is generated at deploy time).
   */
  objectEventPatterns(): events.EventPattern[] {
    const pattern = (key?: unknown[]): events.EventPattern => ({
      source: ["aws.s3"],
      detailType: ["Object Created", "Object Deleted"],
      detail: { bucket: { name: [this.bucket.bucketName] }, ...(key ? { object: { key } } : {}) },
    });
    if (this.prefixes.includes("")) return [pattern()];
    const bucketName = this.created ? "b".repeat(MAX_BUCKET_NAME) : this.bucket.bucketName;
    const size = (key: unknown[]) =>
      JSON.stringify({
        source: ["aws.s3"],
        "detail-type": ["Object Created", "Object Deleted"],
        detail: { bucket: { name: [bucketName] }, object: { key } },
      }).length;
    const entries: unknown[] = [...this.prefixes.map((prefix) => ({ prefix })), ...this.keys];
    const groups: unknown[][] = [];
    for (const entry of entries) {
      const current = groups[groups.length - 1];
      if (current && size([...current, entry]) <= MAX_EVENT_PATTERN_CHARACTERS) current.push(entry);
      else groups.push([entry]);
    }
    return groups.map((key) => pattern(key));
  }
}

/**
 * An existing bucket must be in the stack's region: S3 sends its EventBridge events only to the
 * default bus of the bucket's own region (S3 User Guide, "Using EventBridge"), where the stack's
 * rule would never see them, and the scan reads through an S3 client of its function's region. The
 * bucket's region is known from `bucket.region`, or from its KMS key's ARN (SSE-KMS keys are in the
 * bucket's region). A known mismatch stops the synth; an unknown region is a warning saying how
 * to check it.
 */
function checkBucketRegion(
  scope: Construct,
  bucketName: string,
  bucket: WatchpostConfig["certificates"]["bucket"],
): void {
  const stack = Stack.of(scope);
  const bucketRegion = bucket.region ?? (bucket.kmsKeyArn ? regionOfArn(bucket.kmsKeyArn) : undefined);
  const stackRegion = Token.isUnresolved(stack.region) ? undefined : stack.region;
  if (bucketRegion && stackRegion && bucketRegion !== stackRegion) {
    throw new ConfigError("certificates.bucket", [
      `existingBucketName: bucket ${bucketName} is in ${bucketRegion}${bucket.region ? "" : " (the region of its kmsKeyArn)"}, the stack in ${stackRegion}: S3 sends the bucket's events only to the default event bus of ${bucketRegion}, so uploads would never be re-checked, and the scan reads through ${stackRegion}. Deploy the stack to ${bucketRegion} (AWS_REGION or the profile's region), or keep the certificates in a bucket in ${stackRegion}`,
    ]);
  }
  if (!bucketRegion || !stackRegion) {
    Annotations.of(scope).addWarningV2(
      "watchpost:bucket-region-unchecked",
      `Bucket ${bucketName} must be in the stack's region${stackRegion ? ` (${stackRegion})` : ""}: S3 sends its events only to the default event bus of the bucket's own region, and the scan reads through the stack's. ${
        bucketRegion
          ? `The bucket is in ${bucketRegion}, but the stack's region is not known at synth: deploy with AWS_REGION=${bucketRegion}.`
          : `Set certificates.bucket.region (aws s3api get-bucket-location --bucket ${bucketName}) so the synth checks it;`
      } watchpost verify-deployment checks it after the deploy.`,
    );
  }
}

/** EventBridge's default quota on an event pattern's size, in characters. */
const MAX_EVENT_PATTERN_CHARACTERS = 2048;
const MAX_BUCKET_NAME = 63;
