import * as path from "node:path";
import {
  Annotations,
  Aws,
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  Tags,
  Validations,
} from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as triggers from "aws-cdk-lib/triggers";
import type { Construct } from "constructs";
import { keystoreSecretNames, type WatchpostConfig } from "../functions/core/config";
import { probePrefixFor } from "../functions/core/credentials/target";
import { parseEndpointAddress } from "../functions/core/endpoints/address";
import { HOST_CHECK_DETAIL } from "../functions/handlers/certificate-scan/events";
import { ENV } from "../functions/handlers/shared/environment";
import { AlarmNotifications, refuseChatOutsideAwsPartition } from "./constructs/alarm-notifications";
import { AlarmState } from "./constructs/alarm-state";
import { AwsCertificateEvents } from "./constructs/aws-certificate-events";
import { CertificatePage } from "./constructs/certificate-page";
import { CertificateStore } from "./constructs/certificate-store";
import { CheckSchedule } from "./constructs/check-schedule";
import { ScanState } from "./constructs/scan-state";
import { Watchdog } from "./constructs/watchdog";
import { WatchpostFunction } from "./constructs/watchpost-function";
import { WebhookDelivery } from "./constructs/webhook-delivery";
import { nagPartition } from "./nag";
import { knownPartition } from "./partition";

const HANDLERS = path.join(import.meta.dirname, "..", "functions", "handlers");

export interface WatchpostStackProps extends StackProps {
  /** Validated configuration (functions/core/config/). */
  config: WatchpostConfig;
}

/**
 * watchpost in one stack: the certificate scan (daily, on object change, and right after deploy;
 * every 15 minutes, the heartbeats of the hosts that push),
 * the credential check (every five minutes), alarm state, the alarm bus, notifications by email,
 * chat and webhook, and the alarms and dashboard that watch watchpost itself.
 */
/**
 * The scan function's memory: the size that makes a scan cheapest per object (docs/benchmarks.md,
 * "Lambda sizing"). Below 1,769 MB (one vCPU, AWS Lambda Developer Guide, "Configure Lambda
 * function memory") the scan's CPU costs the same GB-seconds at any size, so only what it cannot
 * overlap with that CPU (start-up, a few requests in a row) grows with memory; 512 MB is the
 * smallest size whose heap (a quarter of it) the 50,000-object scan is known to fit.
 */
export const SCAN_FUNCTION_MEMORY_MB = 512;

export class WatchpostStack extends Stack {
  readonly store: CertificateStore;
  readonly state: AlarmState;
  readonly scanState: ScanState;
  readonly bus: events.EventBus;
  readonly certificateScan: WatchpostFunction;
  readonly credentialCheck: WatchpostFunction;
  readonly notifier: WatchpostFunction;
  /** Deployed when the configuration lists endpoints; the only function that may run in a VPC. */
  readonly endpointScan?: WatchpostFunction;
  readonly notifications: AlarmNotifications;
  readonly webhooks?: WebhookDelivery;
  readonly watchdog: Watchdog;
  /** The dashboard's certificate page (a CloudWatch custom widget); only with the dashboard. */
  readonly certificatePage?: CertificatePage;

  constructor(scope: Construct, id: string, props: WatchpostStackProps) {
    super(scope, id, {
      description:
        "watchpost: watches stored certificates and temporary storage credentials, raises self-clearing alarms",
      ...props,
    });
    const { config } = props;
    // Before anything is built (bundling takes seconds): a configuration this partition cannot deploy.
    if (config.notifications.slack.length + config.notifications.teams.length > 0) {
      refuseChatOutsideAwsPartition(this);
    }
    // Dashboards take no tags in CloudFormation (cfn-lint E3002); event source mappings take none in
    // the China Regions ("Getting Started with AWS in China", Lambda: "Event source mapping (ESM)
    // tags are not available"), and cost nothing to tag for.
    Tags.of(this).add("application", "watchpost", {
      excludeResourceTypes: ["AWS::CloudWatch::Dashboard", "AWS::Lambda::EventSourceMapping"],
    });

    this.store = new CertificateStore(this, "CertificateStore", { certificates: config.certificates });
    this.state = new AlarmState(this, "AlarmState");
    // GovCloud's AWS::Events::EventBus has no Description (its resource schema; cfn-lint E3002 with
    // --regions us-gov-west-1): a description there rolls the first deploy back. A stack whose
    // partition is not known at synth must deploy anywhere, so it goes without too.
    const partition = knownPartition(this);
    this.bus = new events.EventBus(
      this,
      "AlarmBus",
      partition === "aws" || partition === "aws-cn"
        ? { description: "watchpost alarm events (source: watchpost)" }
        : {},
    );

    const scanTimeout = Duration.minutes(10);
    this.scanState = new ScanState(this, "ScanState", { workerTimeout: scanTimeout });
    this.certificateScan = new WatchpostFunction(this, "CertificateScan", {
      entry: path.join(HANDLERS, "certificate-scan.ts"),
      description:
        "Scans stored certificates (whole store on schedule, one object on S3 events, batches from its queue) and updates alarms",
      config,
      timeout: scanTimeout,
      memorySize: SCAN_FUNCTION_MEMORY_MB,
    })
      .bindAlarmTable(this.state.table)
      .bindEventBus(this.bus)
      .bindScanState(this.scanState.table)
      .bindScanQueue(this.scanState.queue, {
        batchSize: config.operations.scanBatchSize,
        maxConcurrency: config.operations.scanWorkers,
      })
      .bindAwsCertificateReads(config);
    this.store.grantScanRead(this.certificateScan.function);
    this.certificateScan.function.addEnvironment(ENV.certificateBucket, this.store.bucket.bucketName);
    this.grantKeystorePasswords(config);

    this.credentialCheck = new WatchpostFunction(this, "CredentialCheck", {
      entry: path.join(HANDLERS, "credential-check.ts"),
      description: "Obtains temporary credentials for each configured role and proves they reach the bucket",
      config,
      timeout: Duration.minutes(2),
      memorySize: 512,
    })
      .bindAlarmTable(this.state.table)
      .bindEventBus(this.bus);
    this.grantCredentialTargets(config);

    if (config.endpoints.targets.length > 0) this.endpointScan = this.addEndpointScan(config);

    this.notifier = new WatchpostFunction(this, "Notifier", {
      entry: path.join(HANDLERS, "notifier.ts"),
      description: "Formats watchpost alarm events and publishes them to the alarm topics",
      config,
      timeout: Duration.seconds(30),
      memorySize: 256,
    });
    this.notifications = new AlarmNotifications(this, "Notifications", {
      notifications: config.notifications,
      bus: this.bus,
      notifier: this.notifier,
    });
    if (config.notifications.webhooks.length > 0) {
      this.webhooks = new WebhookDelivery(this, "Webhooks", { config });
      this.webhooks.bindSender(this.notifier);
    }

    new CheckSchedule(this, "CertificateScanSchedule", {
      schedule: config.schedules.certificateScan,
      target: this.certificateScan,
      description: "watchpost: scan every stored certificate",
    });
    new CheckSchedule(this, "HostCheckSchedule", {
      schedule: config.schedules.hostCheck,
      target: this.certificateScan,
      description: "watchpost: hosts that stopped pushing (the heartbeats watchpost push leaves)",
      detail: HOST_CHECK_DETAIL,
    });
    new CheckSchedule(this, "CredentialCheckSchedule", {
      schedule: config.schedules.credentialCheck,
      target: this.credentialCheck,
      description: "watchpost: check temporary credentials for every target",
    });
    this.store.objectEventPatterns().forEach((eventPattern, index) => {
      new events.Rule(
        this,
        index === 0 ? "CertificateObjectChanged" : `CertificateObjectChanged${index + 1}`,
        {
          description: "watchpost: re-check a certificate object as soon as it is uploaded or deleted",
          eventPattern,
          targets: [this.certificateScan.ruleTarget()],
        },
      );
    });

    // ACM, Parameter Store and Secrets Manager say when an item changed: that item is re-checked.
    new AwsCertificateEvents(this, "AwsCertificateEvents", { config, target: this.certificateScan });

    if (config.schedules.checkAfterDeploy) this.addFirstChecks();

    if (config.operations.dashboard) {
      this.certificatePage = new CertificatePage(this, "CertificatePage", {
        config,
        scanStateTable: this.scanState.table,
        alarmTable: this.state.table,
      });
    }
    this.watchdog = new Watchdog(this, "Watchdog", {
      functions: {
        CertificateScan: this.certificateScan,
        CredentialCheck: this.credentialCheck,
        Notifier: this.notifier,
        ...(this.endpointScan ? { EndpointScan: this.endpointScan } : {}),
        ...(this.webhooks ? { WebhookDelivery: this.webhooks.function } : {}),
      },
      deadLetterQueues: {
        CertificateScan: this.certificateScan.deadLetterQueue,
        CredentialCheck: this.credentialCheck.deadLetterQueue,
        Notifier: this.notifier.deadLetterQueue,
        ...(this.endpointScan ? { EndpointScan: this.endpointScan.deadLetterQueue } : {}),
        ScanBatches: this.scanState.deadLetters,
        // The webhook function is only fed by its queue, whose dead letters are these.
        ...(this.webhooks ? { Webhooks: this.webhooks.deadLetters } : {}),
      },
      topics: this.notifications.operatorTopics(),
      scanStalenessHours: config.operations.scanStalenessHours,
      dashboard: config.operations.dashboard,
      ...(this.certificatePage ? { pageWidget: this.certificatePage.widget() } : {}),
      logRetentionDays: config.operations.logRetentionDays,
    });

    this.addOutputs(config);
  }

  /** Secrets holding PKCS#12, keystore and peer trust store passwords, readable by the scan only. */
  private grantKeystorePasswords(config: WatchpostConfig): void {
    this.certificateScan.grantSecretReads(
      keystoreSecretNames(config.certificates),
      "PKCS#12, keystore and trust store passwords",
    );
  }

  /**
   * The endpoint scan: its own schedule, read access to exactly the CA bundles and stored copies the
   * endpoints name, and, with `endpoints.vpc`, a place in the cluster's network. The rest of the
   * stack stays outside any VPC: nothing else connects to endpoints.
   */
  private addEndpointScan(config: WatchpostConfig): WatchpostFunction {
    const { targets, timeoutMs, vpc } = config.endpoints;
    // Eight endpoints at a time (handlers/endpoint-scan.ts), each within its timeout, plus settling.
    const rounds = Math.ceil(targets.length / 8);
    const seconds = Math.min(900, Math.ceil((rounds * timeoutMs) / 1000) + 120);
    const scan = new WatchpostFunction(this, "EndpointScan", {
      entry: path.join(HANDLERS, "endpoint-scan.ts"),
      description:
        "Probes live TLS endpoints (direct or after STARTTLS), compares them with stored copies, and updates alarms",
      config,
      timeout: Duration.seconds(seconds),
      memorySize: 512,
    })
      .bindAlarmTable(this.state.table)
      .bindEventBus(this.bus);
    this.store.grantObjectReads(
      scan.function,
      targets.flatMap((t) => [t.caBundleKey, t.storedCertificateKey].filter((k) => k !== undefined)),
    );
    scan.function.addEnvironment(ENV.certificateBucket, this.store.bucket.bucketName);
    if (vpc) {
      const ports = targets.map((t) => parseEndpointAddress(t.endpoint)!.port);
      scan.placeInVpc(vpc, ports);
    }
    new CheckSchedule(this, "EndpointScanSchedule", {
      schedule: config.schedules.endpointScan,
      target: scan,
      description: "watchpost: probe every configured TLS endpoint",
    });
    new CfnOutput(this, "EndpointScanFunctionName", {
      value: scan.function.functionName,
      description: "Invoke with {} to probe every endpoint now",
    });
    return scan;
  }

  /**
   * `sts:AssumeRole` on the configured role ARNs only. Targets without a role use the function's
   * own credentials, so for those (on AWS S3) the function may list the bucket and, when the write
   * probe is on, write, read and delete under the probe prefix only. The listing is not limited by
   * s3:prefix: the probe's HeadBucket is authorized as s3:ListBucket with no prefix in the request
   * (S3 API Reference, HeadBucket, "Permissions"), so a prefix condition made every run fail.
   */
  private grantCredentialTargets(config: WatchpostConfig): void {
    const principal = this.credentialCheck.function;
    const roleArns = [...new Set(config.credentials.targets.flatMap((t) => (t.roleArn ? [t.roleArn] : [])))];
    if (roleArns.length > 0) {
      principal.addToRolePolicy(
        new iam.PolicyStatement({ actions: ["sts:AssumeRole"], resources: roleArns }),
      );
    }
    for (const target of config.credentials.targets) {
      if (target.roleArn || target.s3Endpoint) continue;
      const bucketArn = `arn:${this.partition}:s3:::${target.bucket}`;
      principal.addToRolePolicy(
        new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [bucketArn] }),
      );
      if (target.writeProbe) {
        const probeObjects = `${target.bucket}/${probePrefixFor(target)}*`;
        principal.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            resources: [`arn:${this.partition}:s3:::${probeObjects}`],
          }),
        );
        Validations.of(this.credentialCheck.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:s3:::${probeObjects}]`,
          reason: `The write probe of target "${target.name}" puts, reads back and deletes its own objects under its dedicated probe prefix, and nowhere else.`,
        });
        if (target.kmsKeyArn) this.grantProbeKey(target, target.kmsKeyArn, probeObjects);
      }
    }
  }

  /**
   * A bucket whose default encryption is SSE-KMS encrypts the probe object with its key: S3 asks
   * KMS for a data key on the caller's behalf when the probe writes, and to decrypt it when the
   * probe reads it back, with the caller's permissions (S3 User Guide, "Using server-side
   * encryption with AWS KMS keys (SSE-KMS)", permissions: kms:GenerateDataKey and kms:Decrypt).
   * Only through S3 in the bucket's region, and only for the probe's objects, or the bucket itself
   * when it uses an S3 Bucket Key (the encryption context is then the bucket's ARN: S3 User Guide,
   * "Encryption context").
   */
  private grantProbeKey(
    target: { name: string; bucket: string; region: string },
    key: string,
    objects: string,
  ): void {
    this.credentialCheck.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [key],
        conditions: {
          StringEquals: { "kms:ViaService": `s3.${target.region}.${Aws.URL_SUFFIX}` },
          StringLike: {
            "kms:EncryptionContext:aws:s3:arn": [
              `arn:${this.partition}:s3:::${objects}`,
              `arn:${this.partition}:s3:::${target.bucket}`,
            ],
          },
        },
      }),
    );
  }

  /**
   * Runs both checks once after each deployment that changes them, so a fresh install reports
   * problems now rather than at the next 01:00. Asynchronous: a check that finds faults (or
   * fails) must not roll the deployment back; failures retry and reach the dead-letter queue.
   */
  private addFirstChecks(): void {
    const ready = [this.store, this.state, this.bus, this.notifications];
    const checks: [string, WatchpostFunction][] = [
      ["FirstCertificateScan", this.certificateScan],
      ["FirstCredentialCheck", this.credentialCheck],
      ...(this.endpointScan ? [["FirstEndpointScan", this.endpointScan] as [string, WatchpostFunction]] : []),
    ];
    for (const [id, check] of checks) {
      check.invocableVersion();
      new triggers.Trigger(this, id, {
        handler: check.function,
        invocationType: triggers.InvocationType.EVENT,
        executeAfter: ready,
      });
      Annotations.of(check.function).acknowledgeWarning(
        "@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias",
        "Rules and schedules invoke the unqualified function; the version exists only for the deploy-time trigger, which invokes it with its own role.",
      );
    }
  }

  private addOutputs(config: WatchpostConfig): void {
    new CfnOutput(this, "CertificateBucketName", {
      value: this.store.bucket.bucketName,
      description: "Upload certificates under the configured prefixes of this bucket",
    });
    new CfnOutput(this, "AlarmBusName", {
      value: this.bus.eventBusName,
      description: "EventBridge bus with alarm events",
    });
    new CfnOutput(this, "AlarmTopicArn", {
      value: this.notifications.alarmTopic.topicArn,
      description: "SNS topic of every alarm notification (subscribers of minimum severity warning)",
    });
    new CfnOutput(this, "AlarmTopicArns", {
      value: this.notifications.topicRoutesJson(),
      description:
        "Alarm topics with the minimum severity and subject prefix of their subscribers (watchpost verify-deployment reads it)",
    });
    new CfnOutput(this, "AlarmTableName", {
      value: this.state.table.tableName,
      description: "Alarm state (watchpost verify-deployment --remind reads the active alarms)",
    });
    new CfnOutput(this, "CertificateScanFunctionName", {
      value: this.certificateScan.function.functionName,
      description: "Invoke with {} to scan every certificate now",
    });
    new CfnOutput(this, "CertificateScanRoleArn", {
      value: this.certificateScan.role.roleArn,
      description:
        "ScanRoleArn of the member-account reader StackSet (docs/member-accounts.md): the role that assumes the reader role",
    });
    new CfnOutput(this, "CredentialCheckFunctionName", {
      value: this.credentialCheck.function.functionName,
      description: "Invoke with {} to check every credential target now",
    });
    const addresses = config.notifications.email.length;
    if (addresses > 0) {
      new CfnOutput(this, "NextStep", {
        value: `Confirm the subscription mails AWS sent to ${addresses} address(es); then run: npm run -s cli -- verify-deployment --outputs <the --outputs-file of cdk deploy> --remind`,
        description:
          "Email recipients receive nothing until they confirm; --remind re-sends the alarms raised before",
      });
    }
    if (this.watchdog.dashboard) {
      new CfnOutput(this, "DashboardName", { value: this.watchdog.dashboard.dashboardName });
    }
  }
}
