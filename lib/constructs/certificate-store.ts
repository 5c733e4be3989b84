import { Aws, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { readablePrefixes, type WatchpostConfig } from "../../functions/core/config";
import { nagPartition } from "../nag";
import { chunkBySize, MAX_STATEMENT_CHARACTERS } from "../policy-size";

export interface CertificateStoreProps {
  certificates: WatchpostConfig["certificates"];
}

/**
 * The bucket the certificates live in: created by the stack (locked down, versioned, EventBridge
 * notifications on) or an existing one named in the configuration. Read access is granted only
 * to the configured prefixes and the CA bundles and peer certificates named in the configuration.
 */
export class CertificateStore extends Construct {
  readonly bucket: s3.IBucket;
  /** False when the bucket is an existing one; its owner must enable EventBridge notifications. */
  readonly created: boolean;
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
      this.bucket = s3.Bucket.fromBucketName(this, "Bucket", bucketConfig.existingBucketName);
      this.created = false;
      return;
    }
    const bucket = new s3.Bucket(this, "Bucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      eventBridgeEnabled: true,
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
    Validations.of(bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Object-level auditing of the certificate bucket belongs in the account's CloudTrail data events; a dedicated access-log bucket would itself need logging.",
    });
    this.bucket = bucket;
    this.created = true;
    this.acknowledgeNotificationsHandler();
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

  /** CDK enables the bucket's EventBridge notifications with a custom resource it generates. */
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
          "CDK's generated custom resource that turns on EventBridge notifications for the certificate bucket; the managed policy only lets it write its own logs.",
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

/** EventBridge's default quota on an event pattern's size, in characters. */
const MAX_EVENT_PATTERN_CHARACTERS = 2048;
const MAX_BUCKET_NAME = 63;
