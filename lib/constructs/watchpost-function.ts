import { Aws, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as schedulerTargets from "aws-cdk-lib/aws-scheduler-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { WatchpostConfig } from "../../functions/core/config";
import { memberAccountIds, readerRoleArn } from "../../functions/core/config/accounts";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../functions/core/metrics";
import { ENV } from "../../functions/handlers/shared/environment";
import { functionBundling } from "../bundling";
import { nagResource } from "../nag";
import { chunkBySize, MAX_STATEMENT_CHARACTERS } from "../policy-size";
import { grantAwsCertificateReads } from "./aws-certificate-reads";
import { DeadLetterQueue } from "./dead-letter-queue";

/** Delivery retries by EventBridge and Scheduler before an event goes to the dead-letter queue. */
const TARGET_RETRY_ATTEMPTS = 4;
const TARGET_MAX_EVENT_AGE = Duration.hours(2);
/** Lambda's own retries of a failed asynchronous invocation before the failure destination. */
const ASYNC_RETRY_ATTEMPTS = 2;
const ASYNC_MAX_EVENT_AGE = Duration.hours(1);

/**
 * Exactly the DynamoDB actions the adapters send (the IAM simulation, test/simulation/, fails on
 * an action granted but never sent, and on one sent but not granted): the alarm store
 * (functions/adapters/alarm-store.ts) gets, puts (a new alarm), updates (a decision on the revision it
 * read, a lease, a delivered transition forgotten), queries a scope and scans to count active alarms;
 * the object inventory batch-reads and batch-writes, and the scan runs put, query and update.
 */
const ALARM_TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:UpdateItem",
];
const SCAN_STATE_TABLE_ACTIONS = [
  "dynamodb:BatchGetItem",
  "dynamodb:BatchWriteItem",
  // A retired host's heartbeat record (adapters/host-heartbeats.ts).
  "dynamodb:DeleteItem",
  "dynamodb:PutItem",
  "dynamodb:Query",
  "dynamodb:UpdateItem",
];
/**
 * What Lambda does with a function's role to attach it to a VPC: exactly the EC2 actions of the
 * AWS managed policy AWSLambdaVPCAccessExecutionRole (v3), which the Lambda Developer Guide
 * ("Giving Lambda functions access to resources in an Amazon VPC", execution role permissions)
 * lists. DescribeNetworkInterfaces works only on "*", and the interfaces' IDs are not known before
 * Lambda creates them.
 */
const VPC_NETWORK_INTERFACE_ACTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
];
/** Egress rules one security group may hold by default (VPC quotas: 60 per direction, per IP version). */
const MAX_EGRESS_RANGES = 25;
/** What Lambda's poller needs on an SQS event source (Lambda Developer Guide, "Execution role permissions"). */
const SQS_EVENT_SOURCE_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"];

export interface WatchpostFunctionProps {
  /** Handler file (TypeScript), bundled with esbuild; exports `handler`. */
  entry: string;
  description: string;
  /** The validated configuration, compiled into the bundle. */
  config: WatchpostConfig;
  timeout: Duration;
  memorySize: number;
  /**
   * False for a function only an SQS event source invokes (synchronously, its retries and dead
   * letters are the queue's): it gets no asynchronous retry settings and no dead-letter queue that
   * nothing could ever fill. Default true.
   */
  invokedAsynchronously?: boolean;
}

/**
 * One watchpost Lambda function with the settings every function shares, fixed in one place:
 * current Node.js runtime on ARM64, minified ESM with source maps bundled by the local esbuild
 * (no Docker; the options live in lib/bundling.ts), an explicit log group with retention, a role
 * that only writes to that log group until a `bind*`/`grant*` adds more, and bounded retries with
 * an encrypted dead-letter queue for every asynchronous path into it (EventBridge rules,
 * Scheduler, Lambda async invocations).
 *
 * Configuration reaches the code through an esbuild-injected module, not the environment: the validated
 * configuration is compiled in as a string constant (lib/bundling.ts, shared/deployed-config.ts).
 * That sidesteps the 4 KB environment limit, needs no SSM/S3 fetch at cold start and no grant,
 * and keeps code and configuration versioned together (a changed file changes the asset hash).
 * The environment carries only deploy-time names and ARNs, each set by the method that grants
 * access to the resource it names.
 */
export class WatchpostFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  private readonly asyncDeadLetters?: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: WatchpostFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.config.operations.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `watchpost ${id}: logs, plus the grants the stack adds`,
    });
    this.logGroup.grantWrite(this.role);
    const asynchronous = props.invokedAsynchronously ?? true;
    if (asynchronous) this.asyncDeadLetters = new DeadLetterQueue(this, "DeadLetters");

    this.function = new NodejsFunction(this, "Function", {
      entry: props.entry,
      handler: "handler",
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      ...(this.asyncDeadLetters
        ? {
            retryAttempts: ASYNC_RETRY_ATTEMPTS,
            maxEventAge: ASYNC_MAX_EVENT_AGE,
            onFailure: new SendOnlyQueueDestination(this.asyncDeadLetters.queue),
          }
        : {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      // Built by the local esbuild with the options the benchmarks measure (lib/bundling.ts).
      bundling: functionBundling(props.config, props.entry),
    });
  }

  /** Receives failed asynchronous invocations and undeliverable rule/schedule events. */
  get deadLetterQueue(): DeadLetterQueue {
    if (!this.asyncDeadLetters) {
      throw new Error(
        `${this.node.path} is invoked only by its queue's event source: it has no dead-letter queue for asynchronous invocations`,
      );
    }
    return this.asyncDeadLetters;
  }

  /**
   * The published version a deploy-time trigger invokes, with the same async retries, maximum age
   * and failure queue as the function: Lambda keeps these per qualifier, and the function's own
   * settings apply to $LATEST only.
   */
  invocableVersion(): lambda.IVersion {
    const version = this.function.currentVersion;
    version.configureAsyncInvoke({
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: ASYNC_MAX_EVENT_AGE,
      onFailure: new SendOnlyQueueDestination(this.deadLetterQueue.queue),
    });
    return version;
  }

  /**
   * Read the `awsCertificates` selections: the own account's stores directly
   * (constructs/aws-certificate-reads.ts), each member account through its reader role. The
   * selections, role name, external ID and session length reach the handler in the compiled
   * configuration (lib/bundling.ts); what it cannot know from the configuration is the account and
   * partition it runs in (a selection without `accounts` reads that account, and no role is assumed
   * there), so those two are the environment variables paired with these grants.
   */
  bindAwsCertificateReads(config: WatchpostConfig): this {
    const { acm, iamServerCertificates, secretsManager, ssmParameters } = config.awsCertificates;
    if (acm.length + iamServerCertificates.length + secretsManager.length + ssmParameters.length === 0) {
      return this;
    }
    const stack = Stack.of(this);
    grantAwsCertificateReads(this.role, config.awsCertificates);
    // The own account is read with this role, never through a reader role (member-accounts.ts).
    const members = memberAccountIds(config).filter((id) => id !== stack.account);
    this.bindMemberAccounts(stack.partition, config.accounts.readerRoleName, members);
    this.function.addEnvironment(ENV.accountId, stack.account);
    this.function.addEnvironment(ENV.partition, stack.partition);
    return this;
  }

  /**
   * Assume the reader role (lib/member-account-reader-stack.ts) in each member account a source
   * names, and nothing else in them.
   */
  private bindMemberAccounts(partition: string, roleName: string, accountIds: readonly string[]): this {
    if (accountIds.length === 0) return this;
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["sts:AssumeRole"],
        resources: accountIds.map((id) => readerRoleArn(partition, id, roleName)),
      }),
    );
    return this;
  }

  /** Read and conditionally write alarm state. */
  bindAlarmTable(table: dynamodb.ITableV2): this {
    table.grant(this.function, ...ALARM_TABLE_ACTIONS);
    this.function.addEnvironment(ENV.alarmTable, table.tableName);
    return this;
  }

  /** Keep the object inventory and the bookkeeping of fanned-out scan runs. */
  bindScanState(table: dynamodb.ITableV2): this {
    // The table itself only: table.grant() would add `index/*`, and the scan never reads the
    // certificate page's index.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: SCAN_STATE_TABLE_ACTIONS, resources: [table.tableArn] }),
    );
    this.function.addEnvironment(ENV.scanStateTable, table.tableName);
    return this;
  }

  /**
   * Hand batches of a large source out over `queue` and judge them when they come back: one batch
   * per invocation, at most `maxConcurrency` at once (S3 and DynamoDB see a bounded load), and a
   * failed batch is returned alone for redelivery (partial batch responses).
   */
  bindScanQueue(queue: sqs.IQueue, options: { batchSize: number; maxConcurrency: number }): this {
    // SendMessageBatch is authorized as sqs:SendMessage; the queue URL comes from the environment.
    queue.grant(this.function, "sqs:SendMessage");
    this.function.addEnvironment(ENV.scanQueueUrl, queue.queueUrl);
    this.function.addEnvironment(ENV.scanBatchSize, String(options.batchSize));
    return this.consumeQueue("ScanQueue", queue, { maxConcurrency: options.maxConcurrency });
  }

  /**
   * Invoked with one message of `queue` at a time; a failed message is returned alone for
   * redelivery (partial batch responses). Not SqsEventSource, which also grants
   * ChangeMessageVisibility and GetQueueUrl, which nothing uses.
   */
  consumeQueue(id: string, queue: sqs.IQueue, options: { maxConcurrency?: number } = {}): this {
    queue.grant(this.function, ...SQS_EVENT_SOURCE_ACTIONS);
    this.function.addEventSourceMapping(id, {
      eventSourceArn: queue.queueArn,
      batchSize: 1,
      ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
      reportBatchItemFailures: true,
    });
    return this;
  }

  /**
   * Read these Secrets Manager secrets, named in the configuration: GetSecretValue (all the code
   * calls) on exactly those secrets, and Decrypt for a secret encrypted with a customer-managed key.
   * Secrets Manager decrypts with the caller's permissions, through itself, naming the secret in
   * the encryption context (Secrets Manager User Guide, "Secret encryption and decryption"), so the
   * key grant is limited to that path and those secrets; which key a secret uses is not in the
   * configuration, hence any key of this account and region. With the default aws/secretsmanager
   * key no grant is needed, and this one is unused.
   */
  grantSecretReads(names: readonly string[], what: string): this {
    const unique = [...new Set(names)];
    if (unique.length === 0) return this;
    const stack = Stack.of(this);
    // A secret's ARN is its name plus "-" and six random characters.
    const arnOf = (name: string) =>
      `arn:${Aws.PARTITION}:secretsmanager:${stack.region}:${stack.account}:secret:${name}-??????`;
    const secretArns = unique.map(arnOf);
    const keys = `arn:${Aws.PARTITION}:kms:${stack.region}:${stack.account}:key/*`;
    // Written out, an ARN is its name and at most 80 characters of partition, region, account and
    // suffix; several statements keep each far inside a managed policy (lib/policy-size.ts).
    for (const names of chunkBySize(unique, (name) => name.length + 80, MAX_STATEMENT_CHARACTERS)) {
      const arns = names.map(arnOf);
      this.function.addToRolePolicy(
        new iam.PolicyStatement({ actions: ["secretsmanager:GetSecretValue"], resources: arns }),
      );
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["kms:Decrypt"],
          resources: [keys],
          conditions: {
            StringEquals: { "kms:ViaService": `secretsmanager.${stack.region}.${Aws.URL_SUFFIX}` },
            StringLike: { "kms:EncryptionContext:SecretARN": arns },
          },
        }),
      );
    }
    for (const arn of secretArns) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(stack, arn)}]`,
        reason:
          "A secret's ARN ends in six random characters Secrets Manager adds; the wildcard stands for exactly those.",
      });
    }
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(stack, keys)}]`,
      reason: `Decrypt only through Secrets Manager (kms:ViaService) and only for the configured secrets (kms:EncryptionContext:SecretARN: ${what}); the configuration does not name the key.`,
    });
    return this;
  }

  /**
   * Run in these subnets of the cluster's VPC. With no security groups given, one is created that
   * allows no inbound traffic and outbound TCP only to `ports` (the endpoints) and 443 (the AWS APIs
   * the function calls, through VPC endpoints or NAT). Amazon-provided DNS is not filtered by
   * security groups (VPC User Guide, "Security group rules"), so name resolution needs no rule.
   */
  placeInVpc(
    placement: { vpcId: string; subnetIds: readonly string[]; securityGroupIds?: readonly string[] },
    ports: readonly number[],
  ): this {
    let groups = placement.securityGroupIds ?? [];
    if (groups.length === 0) {
      const ranges = portRanges([...ports, 443], MAX_EGRESS_RANGES);
      const group = new ec2.CfnSecurityGroup(this, "SecurityGroup", {
        groupDescription: `watchpost ${this.node.id}: outbound TCP to the endpoints and HTTPS only`,
        vpcId: placement.vpcId,
        securityGroupEgress: ranges.flatMap(([from, to]) =>
          [{ cidrIp: "0.0.0.0/0" }, { cidrIpv6: "::/0" }].map((peer) => ({
            ...peer,
            ipProtocol: "tcp",
            fromPort: from,
            toPort: to,
            description: from === to ? `endpoints on port ${from}` : `endpoints on ports ${from}-${to}`,
          })),
        ),
      });
      groups = [group.attrGroupId];
    }
    (this.function.node.defaultChild as lambda.CfnFunction).vpcConfig = {
      subnetIds: [...placement.subnetIds],
      securityGroupIds: [...groups],
    };
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: VPC_NETWORK_INTERFACE_ACTIONS, resources: ["*"] }),
    );
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "Lambda creates, describes and deletes the function's network interfaces in the configured subnets with the role (AWSLambdaVPCAccessExecutionRole's EC2 actions, no others); DescribeNetworkInterfaces and DescribeSubnets take no resource, and the interfaces do not exist before Lambda creates them.",
    });
    return this;
  }

  /** Put alarm events on the watchpost bus. */
  bindEventBus(bus: events.IEventBus): this {
    bus.grantPutEventsTo(this.function);
    this.function.addEnvironment(ENV.eventBus, bus.eventBusName);
    return this;
  }

  /** This function as the target of an EventBridge rule, with bounded retries and the DLQ. */
  ruleTarget(input?: events.RuleTargetInput): targets.LambdaFunction {
    return new targets.LambdaFunction(this.function, {
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: TARGET_RETRY_ATTEMPTS,
      maxEventAge: TARGET_MAX_EVENT_AGE,
      ...(input ? { event: input } : {}),
    });
  }

  /** This function as the target of an EventBridge Scheduler schedule, with the same guarantees. */
  scheduleTarget(input: scheduler.ScheduleTargetInput): schedulerTargets.LambdaInvoke {
    return new UnqualifiedLambdaInvoke(this.function, {
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: TARGET_RETRY_ATTEMPTS,
      maxEventAge: TARGET_MAX_EVENT_AGE,
      input,
    });
  }
}

/**
 * CDK's LambdaInvoke grants the Scheduler's execution role `lambda:InvokeFunction` on the function
 * and on `<function ARN>:*` (every version and alias). The schedule's target is the unqualified
 * ARN, and Lambda authorizes an unqualified invocation against the unqualified function ARN only
 * (Lambda Developer Guide, "Fine-tuning the Resources and Conditions sections of policies":
 * qualified ARNs are needed only to invoke a version or alias). So the role gets exactly that.
 */
class UnqualifiedLambdaInvoke extends schedulerTargets.LambdaInvoke {
  constructor(
    private readonly target: lambda.IFunction,
    props: schedulerTargets.ScheduleTargetBaseProps,
  ) {
    super(target, props);
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [this.target.functionArn] }),
    );
  }
}

/**
 * An SQS queue as the failure destination of asynchronous invocations, granting the function only
 * sqs:SendMessage, what Lambda sends with (CDK's SqsDestination also grants GetQueueAttributes and
 * GetQueueUrl, which nothing uses).
 */
class SendOnlyQueueDestination implements lambda.IDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    this.queue.grant(fn, "sqs:SendMessage");
    return { destination: this.queue.queueArn };
  }
}

/**
 * Ports as at most `limit` inclusive ranges: runs of consecutive ports merged, then the closest
 * neighbours until the list fits (a wider rule beats a security group CloudFormation cannot create).
 */
export function portRanges(ports: readonly number[], limit: number): [number, number][] {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const port of sorted) {
    const last = ranges.at(-1);
    if (last && port === last[1] + 1) last[1] = port;
    else ranges.push([port, port]);
  }
  while (ranges.length > limit) {
    let closest = 0;
    for (let i = 1; i < ranges.length - 1; i++)
      if (ranges[i + 1]![0] - ranges[i]![1] < ranges[closest + 1]![0] - ranges[closest]![1]) closest = i;
    ranges.splice(closest, 2, [ranges[closest]![0], ranges[closest + 1]![1]]);
  }
  return ranges;
}
