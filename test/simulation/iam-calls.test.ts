/**
 * Every AWS call each function makes, allowed by the policies the stack deploys — and nothing
 * granted that no call uses. Judged by @cloud-copilot/iam-simulate on the synthesized template.
 *
 * The calls are not listed here: they are the SDK commands the test suite actually sent through
 * the local stand-ins and mocks, recorded per sending module (test/support/aws-call-recorder.ts,
 * `WATCHPOST_AWS_CALLS_DIR`; `.ci/run` runs `npm test` with it first). A call belongs to a function
 * when its sending module is in that function's bundle (esbuild's metafile, with the stack's own
 * bundling options from lib/bundling.ts).
 *
 * Each command becomes the IAM action the Service Authorization Reference names for it, on the
 * resources the deployed function would name: the ones its environment and configuration give it
 * (its bucket and the configured prefixes and keys, its tables, queue, bus, topics, roles,
 * secrets). Requests S3, SNS and Secrets Manager make to KMS on the caller's behalf are simulated
 * too, as those services document them: for an SSE-KMS bucket, in the bucket's own region (where S3
 * calls KMS), under the key policy its owner holds (another account's key must allow this one:
 * README, "Deploy").
 *
 * Every configuration of the synth matrix (test/support/deployment-configs.ts) is simulated, each
 * in its own region and partition, plus the full test configuration with the bucket the stack creates.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { RegionInfo } from "aws-cdk-lib/region-info";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { SCAN_STATE_TABLE_KEYS } from "../../functions/adapters/table-keys";
import {
  parseConfig,
  readablePrefixes,
  regionOfArn,
  type WatchpostConfig,
  type WatchpostConfigInput,
} from "../../functions/core/config";
import { memberAccountIds } from "../../functions/core/config/accounts";
import { probePrefixFor } from "../../functions/core/credentials/target";
import { parseTopicRoutes } from "../../functions/core/notifications/topics";
import { ENV } from "../../functions/handlers/shared/environment";
import { esbuildOptions } from "../../lib/bundling";
import { fullConfig, synth } from "../infra/support";
import type { RecordedCall } from "../support/aws-call-recorder";
import { ACCOUNT, deployments } from "../support/deployment-configs";
import {
  identityPoliciesOf,
  type PolicyDocument,
  resourcePolicyOf,
  roleOfFunction,
  simulate,
} from "../support/iam-simulation";
import { FUNCTION_DESCRIPTIONS, ResolvedTemplate } from "../support/template";

const ROOT = join(import.meta.dirname, "..", "..");
const CALLS_DIR = process.env.WATCHPOST_AWS_CALLS_DIR ?? join(ROOT, ".ci", "out", "aws-calls");

/** Each function by its handler's file name (functions/handlers/<name>.ts). */
const FUNCTIONS = {
  "certificate-scan": FUNCTION_DESCRIPTIONS.certificateScan,
  "credential-check": FUNCTION_DESCRIPTIONS.credentialCheck,
  notifier: FUNCTION_DESCRIPTIONS.notifier,
  "webhook-delivery": FUNCTION_DESCRIPTIONS.webhookDelivery,
  "endpoint-scan": FUNCTION_DESCRIPTIONS.endpointScan,
  "certificate-page": FUNCTION_DESCRIPTIONS.certificatePage,
} as const;
type FunctionName = keyof typeof FUNCTIONS;

/** Service Authorization Reference: the action each command is authorized as. */
const ACTION_OF: Record<string, string> = {
  "S3Client:GetObjectCommand": "s3:GetObject",
  "S3Client:HeadObjectCommand": "s3:GetObject",
  "S3Client:ListObjectsV2Command": "s3:ListBucket",
  "S3Client:HeadBucketCommand": "s3:ListBucket",
  "S3Client:PutObjectCommand": "s3:PutObject",
  "S3Client:DeleteObjectCommand": "s3:DeleteObject",
  "DynamoDBClient:GetItemCommand": "dynamodb:GetItem",
  "DynamoDBClient:PutItemCommand": "dynamodb:PutItem",
  "DynamoDBClient:UpdateItemCommand": "dynamodb:UpdateItem",
  "DynamoDBClient:DeleteItemCommand": "dynamodb:DeleteItem",
  "DynamoDBClient:QueryCommand": "dynamodb:Query",
  "DynamoDBClient:ScanCommand": "dynamodb:Scan",
  "DynamoDBClient:BatchGetItemCommand": "dynamodb:BatchGetItem",
  "DynamoDBClient:BatchWriteItemCommand": "dynamodb:BatchWriteItem",
  "SQSClient:SendMessageCommand": "sqs:SendMessage",
  "SQSClient:SendMessageBatchCommand": "sqs:SendMessage",
  "SNSClient:PublishCommand": "sns:Publish",
  "EventBridgeClient:PutEventsCommand": "events:PutEvents",
  "STSClient:AssumeRoleCommand": "sts:AssumeRole",
  "SecretsManagerClient:GetSecretValueCommand": "secretsmanager:GetSecretValue",
  "SecretsManagerClient:ListSecretsCommand": "secretsmanager:ListSecrets",
  "SecretsManagerClient:DescribeSecretCommand": "secretsmanager:DescribeSecret",
  "ACMClient:ListCertificatesCommand": "acm:ListCertificates",
  "ACMClient:DescribeCertificateCommand": "acm:DescribeCertificate",
  "ACMClient:GetCertificateCommand": "acm:GetCertificate",
  "ACMClient:ListTagsForCertificateCommand": "acm:ListTagsForCertificate",
  "IAMClient:ListServerCertificatesCommand": "iam:ListServerCertificates",
  "IAMClient:GetServerCertificateCommand": "iam:GetServerCertificate",
  "SSMClient:DescribeParametersCommand": "ssm:DescribeParameters",
  "SSMClient:GetParameterCommand": "ssm:GetParameter",
};

/**
 * Which table an adapter is handed in production (handlers/certificate-scan/deps.ts,
 * credential-check.ts and shared/alarm-runs.ts, each on the shared client of
 * adapters/clients/dynamodb.ts): the alarm store the alarm table, the inventory, scan runs and host
 * heartbeats the scan-state table. The clients/ modules only build clients; the adapters send.
 */
const TABLE_ENV_OF_ADAPTER: Record<string, string> = {
  "functions/adapters/alarm-store.ts": ENV.alarmTable,
  "functions/adapters/object-inventory.ts": ENV.scanStateTable,
  "functions/adapters/scan-runs.ts": ENV.scanStateTable,
  "functions/adapters/host-heartbeats.ts": ENV.scanStateTable,
};

/**
 * Lambda writes each function's logs (Lambda Developer Guide, "Lambda execution role"), and sends
 * failed asynchronous invocations to the failure destination.
 */
const EVERY_FUNCTION = ["logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage"];
/** The SQS event source's poller (Lambda Developer Guide, SQS "Execution role permissions"). */
const SQS_POLLER = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"];
/**
 * What Lambda does with the role of a function in a VPC: create, describe and delete its network
 * interfaces (Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon
 * VPC"; the EC2 actions of the managed policy AWSLambdaVPCAccessExecutionRole).
 */
const VPC_ATTACHMENT = [
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
];
/** Permissions AWS services use on a function's behalf, with the role, without an SDK call in the code. */
const SERVICE_USES: Record<FunctionName, string[]> = {
  "certificate-scan": [...EVERY_FUNCTION, ...SQS_POLLER],
  "credential-check": EVERY_FUNCTION,
  notifier: EVERY_FUNCTION,
  "webhook-delivery": [...EVERY_FUNCTION, ...SQS_POLLER],
  "endpoint-scan": [...EVERY_FUNCTION, ...VPC_ATTACHMENT],
  // Invoked synchronously by CloudWatch: no failure destination to send to.
  "certificate-page": ["logs:CreateLogStream", "logs:PutLogEvents"],
};

/**
 * The secrets a function reads, named in the configuration: for the scan, each source's keystore
 * password secret (pkcs12PasswordSecretName is read into it) and every secret named by key pattern.
 */
function secretNamesOf(name: FunctionName, config: WatchpostConfig): string[] {
  const names =
    name === "certificate-scan"
      ? [
          ...config.certificates.sources.flatMap((s) => [
            ...(s.keystorePasswordSecretName ? [s.keystorePasswordSecretName] : []),
            ...s.keystorePasswordsByKey.map((entry) => entry.secretName),
          ]),
          // Peers' own trust stores, opened with their password secrets (peer-trust.ts).
          ...config.certificates.peerGroups.flatMap((g) =>
            g.peers.flatMap((p) =>
              p.trustStore?.passwordSecretName ? [p.trustStore.passwordSecretName] : [],
            ),
          ),
        ]
      : name === "webhook-delivery"
        ? config.notifications.webhooks.flatMap((w) =>
            [w.format === "json" ? w.auth?.secretName : undefined, w.urlSecretName].filter(
              (secret): secret is string => secret !== undefined,
            ),
          )
        : [];
  return [...new Set(names)];
}

/**
 * The peers' own trust stores, worked out here rather than by the code under test: a key as
 * configured, or where `watchpost push --to s3://BUCKET/<prefix> --host <host>` writes the file,
 * `<prefix><host>/<path without its leading slash>` (docs/push.md).
 */
function trustStoreKeysOf(config: WatchpostConfig): string[] {
  return config.certificates.peerGroups.flatMap((g) =>
    g.peers.flatMap((p) => {
      const store = p.trustStore;
      if (store?.key) return [store.key];
      if (store?.pushed) return [`${store.pushed.prefix}${store.pushed.host ?? p.fqdn}${store.pushed.path}`];
      return [];
    }),
  );
}

/** An SQS queue's ARN from its URL (https://sqs.<region>.<domain>/<account>/<name>). */
function queueArnOf(url: string, partition: string, region: string): string {
  const [queueAccount, queueName] = url.split("/").slice(-2);
  return `arn:${partition}:sqs:${region}:${queueAccount}:${queueName}`;
}

interface Request {
  action: string;
  resource: string;
  /** The account that owns the resource, when it is not the stack's (another account's KMS key). */
  resourceAccount?: string;
  context?: Record<string, string | string[]>;
  resourcePolicy?: PolicyDocument;
  /** Why this request is made. */
  because: string;
}

/** A customer key's default key policy: IAM policies of the account decide (KMS "Default key policy"). */
const defaultKeyPolicy = (account: string, partition = "aws"): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:${partition}:iam::${account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
});

/**
 * The key policy of the bucket's key as its owner holds it. A key of this account: the default
 * policy. Another account's key: its default policy plus the statement the README asks the owner to
 * add, which lets this account's IAM policies decide for this account, through S3 only (KMS
 * Developer Guide, "Allowing users in other accounts to use a KMS key": both the key policy and the
 * caller's IAM policy must allow it).
 */
function bucketKeyPolicy(key: string, account: string, partition: string): PolicyDocument {
  const owner = key.split(":")[4]!;
  const policy = defaultKeyPolicy(owner, partition);
  if (owner === account) return policy;
  return {
    ...policy,
    Statement: [
      ...policy.Statement,
      {
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: {
          StringEquals: { "kms:ViaService": `s3.${regionOfArn(key)}.${urlSuffixOf(regionOfArn(key))}` },
        },
      },
    ],
  };
}

const urlSuffixOf = (region: string) => RegionInfo.get(region).domainSuffix!;

let calls: RecordedCall[];
const bundleInputs = new Map<FunctionName, Set<string>>();

beforeAll(async () => {
  const files = existsSync(CALLS_DIR) ? readdirSync(CALLS_DIR).filter((f) => f.endsWith(".jsonl")) : [];
  calls = files.flatMap((file) =>
    readFileSync(join(CALLS_DIR, file), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RecordedCall),
  );
  const config = parseConfig(fullConfig());
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
    const entry = join(ROOT, "functions", "handlers", `${name}.ts`);
    const result = await build({
      ...esbuildOptions(entry, join(tmpdir(), `watchpost-iam-${name}.mjs`), config),
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    bundleInputs.set(
      name,
      new Set(Object.keys(result.metafile.inputs).map((p) => relative(ROOT, join(process.cwd(), p)))),
    );
  }
});

function callsOf(name: FunctionName): RecordedCall[] {
  const inputs = bundleInputs.get(name)!;
  return calls.filter((call) => inputs.has(call.caller));
}

/** The requests one recorded call stands for, in the deployed stack. */
function requestsFor(
  call: RecordedCall,
  name: FunctionName,
  stack: ResolvedTemplate,
  config: WatchpostConfig,
  env: Record<string, string>,
): Request[] {
  const action = ACTION_OF[`${call.client}:${call.command}`];
  if (!action)
    throw new Error(`no IAM action known for ${call.client} ${call.command} (sent by ${call.caller})`);
  const { partition, region, account } = stack.env;
  const s3 = (path: string) => `arn:${partition}:s3:::${path}`;
  const requests: Request[] = [];
  switch (call.caller) {
    case "functions/adapters/s3-certificate-store.ts": {
      const bucket = env[ENV.certificateBucket]!;
      // The endpoint scan reads only the objects its endpoints name: their CA bundles and stored copies.
      const { prefixes, keys } =
        name === "endpoint-scan"
          ? {
              prefixes: [],
              keys: config.endpoints.targets.flatMap((t) =>
                [t.caBundleKey, t.storedCertificateKey].filter((k) => k !== undefined),
              ),
            }
          : readablePrefixes(config.certificates);
      if (action === "s3:ListBucket") {
        for (const prefix of prefixes) {
          requests.push({
            action,
            resource: s3(bucket),
            context: { "s3:prefix": prefix },
            because: `list ${prefix}`,
          });
        }
      } else {
        const trustStores = name === "certificate-scan" ? trustStoreKeysOf(config) : [];
        for (const key of [...prefixes.map((p) => `${p}node1.pem`), ...keys, ...trustStores]) {
          requests.push({ action, resource: s3(`${bucket}/${key}`), because: `${call.command} ${key}` });
        }
        // S3 answers a missing key with 404 only to a caller that may list the bucket (GetObject, Permissions).
        requests.push({
          action: "s3:ListBucket",
          resource: s3(bucket),
          because: `${call.command}: 404, not 403, when missing`,
        });
        const key = config.certificates.bucket.kmsKeyArn;
        if (key && call.command === "GetObjectCommand") {
          // S3 calls KMS from the bucket's region, which the key's ARN names.
          const bucketRegion = regionOfArn(key);
          requests.push({
            action: "kms:Decrypt",
            resource: key,
            resourceAccount: key.split(":")[4]!,
            context: { "kms:ViaService": `s3.${bucketRegion}.${urlSuffixOf(bucketRegion)}` },
            resourcePolicy: bucketKeyPolicy(key, account, partition),
            because: "SSE-KMS object, decrypted by S3 with the caller's permission",
          });
        }
      }
      break;
    }
    case "functions/adapters/credential-probe.ts": {
      if (action === "sts:AssumeRole") {
        for (const target of config.credentials.targets.filter((t) => t.roleArn)) {
          requests.push({ action, resource: target.roleArn!, because: `assume ${target.name}` });
        }
        break;
      }
      // With a role, S3 calls use the role's temporary credentials (the target owner's policies).
      for (const target of config.credentials.targets.filter((t) => !t.roleArn && !t.s3Endpoint)) {
        if (call.command === "HeadBucketCommand") {
          requests.push({ action, resource: s3(target.bucket), because: `HeadBucket ${target.name}` });
        } else if (call.command === "ListObjectsV2Command") {
          requests.push({
            action,
            resource: s3(target.bucket),
            ...(target.prefix ? { context: { "s3:prefix": target.prefix } } : {}),
            because: `list ${target.name}`,
          });
        } else if (target.writeProbe) {
          const key = `${probePrefixFor(target)}probe-0123`;
          requests.push({
            action,
            resource: s3(`${target.bucket}/${key}`),
            because: `${call.command} ${target.name}`,
          });
          // SSE-KMS default encryption: S3 asks KMS for a data key when the probe writes and to
          // decrypt it when the probe reads back, in the bucket's region, naming the object (or, with
          // an S3 Bucket Key, the bucket) as encryption context (S3 User Guide, SSE-KMS, "Encryption context").
          const kmsAction =
            call.command === "PutObjectCommand"
              ? "kms:GenerateDataKey"
              : call.command === "GetObjectCommand"
                ? "kms:Decrypt"
                : undefined;
          if (target.kmsKeyArn && kmsAction) {
            for (const [context, form] of [
              [s3(`${target.bucket}/${key}`), "object"],
              [s3(target.bucket), "S3 Bucket Key"],
            ] as const) {
              requests.push({
                action: kmsAction,
                resource: target.kmsKeyArn,
                resourceAccount: target.kmsKeyArn.split(":")[4]!,
                context: {
                  "kms:ViaService": `s3.${target.region}.${urlSuffixOf(target.region)}`,
                  "kms:EncryptionContext:aws:s3:arn": context,
                },
                resourcePolicy: bucketKeyPolicy(target.kmsKeyArn, account, partition),
                because: `${call.command} ${target.name}: SSE-KMS probe object (${form})`,
              });
            }
          }
        }
      }
      break;
    }
    case "functions/adapters/alarm-store.ts":
    case "functions/adapters/object-inventory.ts":
    case "functions/adapters/scan-runs.ts":
    case "functions/adapters/host-heartbeats.ts": {
      const table = env[TABLE_ENV_OF_ADAPTER[call.caller]!]!;
      requests.push({
        action,
        resource: `arn:${partition}:dynamodb:${region}:${account}:table/${table}`,
        because: call.caller,
      });
      break;
    }
    case "functions/adapters/certificate-page-source.ts": {
      // The page queries the scan-state table's page index and scans the alarm table, nothing else.
      const index = SCAN_STATE_TABLE_KEYS.pageIndex.indexName;
      requests.push(
        action === "dynamodb:Query"
          ? {
              action,
              resource: `arn:${partition}:dynamodb:${region}:${account}:table/${env[ENV.scanStateTable]}/index/${index}`,
              because: "the certificate page's index",
            }
          : {
              action,
              resource: `arn:${partition}:dynamodb:${region}:${account}:table/${env[ENV.alarmTable]}`,
              because: "the active alarms",
            },
      );
      break;
    }
    case "functions/adapters/scan-batch-queue.ts":
      requests.push({
        action,
        resource: queueArnOf(env[ENV.scanQueueUrl]!, partition, region),
        because: "scan batches",
      });
      break;
    case "functions/adapters/webhook-queue.ts":
      // The same module queues deliveries (the notifier) and dead-letters refused ones (the
      // webhook function): each function names the queue it was given.
      for (const [variable, because] of [
        [ENV.webhookQueueUrl, "webhook deliveries"],
        [ENV.webhookDeadLetterQueueUrl, "webhook deliveries refused for good"],
      ] as const) {
        const url = env[variable];
        if (url) requests.push({ action, resource: queueArnOf(url, partition, region), because });
      }
      break;
    case "functions/adapters/event-publisher.ts":
      requests.push({
        action,
        resource: `arn:${partition}:events:${region}:${account}:event-bus/${env[ENV.eventBus]}`,
        because: "alarm events",
      });
      break;
    case "functions/handlers/notifier.ts":
      for (const { arn: topic } of parseTopicRoutes(env[ENV.alarmTopics]!)) {
        requests.push({ action, resource: topic, because: "publish" });
        // SNS encrypts with the topic's key on the publisher's behalf (SNS "Encryption at rest").
        const topicId = stack.ofType("AWS::SNS::Topic").find((id) => stack.ref(id) === topic)!;
        const key = String(stack.properties(topicId).KmsMasterKeyId);
        for (const kmsAction of ["kms:GenerateDataKey", "kms:Decrypt"]) {
          requests.push({ action: kmsAction, resource: key, because: "encrypted topic" });
        }
      }
      break;
    case "functions/adapters/secrets.ts":
      for (const secretName of secretNamesOf(name, config)) {
        const secret = `arn:${partition}:secretsmanager:${region}:${account}:secret:${secretName}-AbCdEf`;
        requests.push({ action, resource: secret, because: `read ${secretName}` });
        requests.push({
          action: "kms:Decrypt",
          resource: `arn:${partition}:kms:${region}:${account}:key/0f0e0d0c-0b0a-0908-0706-050403020100`,
          context: {
            "kms:ViaService": `secretsmanager.${region}.${stack.env.urlSuffix}`,
            "kms:EncryptionContext:SecretARN": secret,
          },
          resourcePolicy: defaultKeyPolicy(account, partition),
          because: `${secretName} under a customer key, decrypted by Secrets Manager`,
        });
      }
      break;
    case "functions/adapters/member-accounts.ts":
      // The reader role of each member account a selection names; the own account is read with the
      // function's own role (no AssumeRole).
      for (const member of memberAccountIds(config).filter((id) => id !== account)) {
        requests.push({
          action,
          resource: `arn:${partition}:iam::${member}:role/${config.accounts.readerRoleName}`,
          because: `assume the reader role in ${member}`,
        });
      }
      break;
    default:
      if (call.caller.startsWith("functions/adapters/aws-certificates/")) {
        requests.push(...awsCertificateRequests(action, stack, config));
        break;
      }
      throw new Error(`no resource mapping for calls from ${call.caller}`);
  }
  return requests;
}

/**
 * The requests an `awsCertificates` call stands for in the stack's own account: one item of each
 * own-account selection in each of its Regions, named as the service names it (ACM certificate ARN,
 * IAM server-certificate ARN with its path, a secret's ARN with the six characters Secrets Manager
 * adds, a parameter's ARN), with the selection's tags as aws:ResourceTag context, and the KMS
 * decryption Secrets Manager and Parameter Store make for the scan (kms:ViaService). Member
 * accounts' items are read under their reader role (test/simulation/member-accounts.test.ts).
 */
function awsCertificateRequests(action: string, stack: ResolvedTemplate, config: WatchpostConfig): Request[] {
  const { partition, account, urlSuffix } = stack.env;
  const own = (s: { accounts?: string[] | undefined }) => !s.accounts || s.accounts.includes(account);
  const tagContext = (tags: Record<string, string> | undefined) =>
    tags
      ? { context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) }
      : {};
  const key = (region: string) =>
    `arn:${partition}:kms:${region}:${account}:key/0f0e0d0c-0b0a-0908-0706-050403020100`;
  const decrypt = (service: string, region: string, because: string): Request => ({
    action: "kms:Decrypt",
    resource: key(region),
    context: { "kms:ViaService": `${service}.${region}.${urlSuffix}` },
    resourcePolicy: defaultKeyPolicy(account, partition),
    because,
  });
  const { acm, iamServerCertificates, secretsManager, ssmParameters } = config.awsCertificates;
  const requests: Request[] = [];
  const list = (selections: { accounts?: string[] | undefined }[], because: string) => {
    if (selections.some(own)) requests.push({ action, resource: "*", because });
  };
  // A PKCS#12 password may live in either store, whichever kind the selection is.
  const passwords = [...secretsManager.filter(own), ...ssmParameters.filter(own)].flatMap((s) =>
    s.password ? s.regions.map((region) => ({ region, password: s.password! })) : [],
  );
  switch (action) {
    case "acm:ListCertificates":
      list(acm, "list ACM certificates");
      break;
    case "acm:DescribeCertificate":
    case "acm:GetCertificate":
    case "acm:ListTagsForCertificate":
      for (const s of acm.filter(own))
        for (const region of s.regions)
          requests.push({
            action,
            resource: `arn:${partition}:acm:${region}:${account}:certificate/0c6e3b5f-1111-2222-3333-444455556666`,
            because: `${action} in ${region}`,
          });
      break;
    case "iam:ListServerCertificates":
      list(iamServerCertificates, "list IAM server certificates");
      break;
    case "iam:GetServerCertificate":
      for (const s of iamServerCertificates.filter(own))
        requests.push({
          action,
          resource: `arn:${partition}:iam::${account}:server-certificate${s.pathPrefix}shop-2026`,
          because: `server certificate under ${s.pathPrefix}`,
        });
      break;
    case "secretsmanager:ListSecrets":
      list(secretsManager, "list secrets");
      break;
    case "secretsmanager:DescribeSecret":
      for (const s of secretsManager.filter(own))
        for (const region of s.regions)
          requests.push({
            action,
            resource: `arn:${partition}:secretsmanager:${region}:${account}:secret:${s.namePrefix ?? ""}kafka-broker-AbCdEf`,
            ...tagContext(s.tags),
            because: `the secret an event names in ${region}`,
          });
      break;
    case "secretsmanager:GetSecretValue":
      for (const s of secretsManager.filter(own))
        for (const region of s.regions) {
          const secret = (name: string) =>
            `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;
          requests.push({
            action,
            resource: secret(`${s.namePrefix ?? ""}kafka-broker`),
            ...tagContext(s.tags),
            because: `a selected secret in ${region}`,
          });
          requests.push(decrypt("secretsmanager", region, `a secret under a customer key in ${region}`));
        }
      for (const { region, password } of passwords)
        if ("secretName" in password) {
          requests.push({
            action,
            resource: `arn:${partition}:secretsmanager:${region}:${account}:secret:${password.secretName}-AbCdEf`,
            because: "the PKCS#12 password secret",
          });
          requests.push(decrypt("secretsmanager", region, "the password secret under a customer key"));
        }
      break;
    case "ssm:DescribeParameters":
      list(ssmParameters, "describe parameters");
      break;
    case "ssm:GetParameter":
      for (const s of ssmParameters.filter(own))
        for (const region of s.regions) {
          const parameter = (name: string) => `arn:${partition}:ssm:${region}:${account}:parameter${name}`;
          requests.push({
            action,
            resource: parameter(`${s.path}kafka/broker`),
            ...tagContext(s.tags),
            because: `a selected parameter in ${region}`,
          });
          requests.push(decrypt("ssm", region, `a SecureString under a customer key in ${region}`));
        }
      for (const { region, password } of passwords)
        if ("parameterName" in password) {
          requests.push({
            action,
            resource: `arn:${partition}:ssm:${region}:${account}:parameter${password.parameterName}`,
            because: "the PKCS#12 password parameter",
          });
          requests.push(decrypt("ssm", region, "the password parameter under a customer key"));
        }
      break;
    default:
      throw new Error(`no resource mapping for ${action} from adapters/aws-certificates/`);
  }
  return requests;
}

const STACKS: [string, WatchpostConfigInput, string][] = [
  ["every feature, bucket created by the stack", fullConfig(), "eu-west-1"],
  ...deployments().map((d) => [d.name, d.config, d.region] as [string, WatchpostConfigInput, string]),
];

/** The functions a configuration deploys: the webhook and endpoint functions only when configured. */
function functionsOf(input: WatchpostConfigInput): FunctionName[] {
  const config = parseConfig(input);
  return (Object.keys(FUNCTIONS) as FunctionName[]).filter(
    (name) =>
      (name !== "webhook-delivery" || config.notifications.webhooks.length > 0) &&
      (name !== "endpoint-scan" || config.endpoints.targets.length > 0) &&
      (name !== "certificate-page" || config.operations.dashboard),
  );
}

describe.each(STACKS)("IAM simulation: %s", (_name, input, region) => {
  let stack: ResolvedTemplate;
  let config: WatchpostConfig;

  beforeAll(() => {
    config = parseConfig(input);
    const info = RegionInfo.get(region);
    stack = new ResolvedTemplate(synth(input, { account: ACCOUNT, region }).toJSON() as never, {
      account: ACCOUNT,
      region,
      partition: info.partition!,
      urlSuffix: info.domainSuffix!,
    });
  });

  it("has calls recorded from the test suite for every function", () => {
    expect(
      calls.length,
      `no recorded calls in ${CALLS_DIR}: run npm test with WATCHPOST_AWS_CALLS_DIR set first`,
    ).toBeGreaterThan(0);
    for (const name of Object.keys(FUNCTIONS) as FunctionName[])
      expect(callsOf(name).length, name).toBeGreaterThan(0);
  });

  it.each(functionsOf(input))(
    "%s: every call it makes is allowed, and every action it is granted is used",
    async (name) => {
      // Prepare
      const functionId = stack
        .ofType("AWS::Lambda::Function")
        .find((id) => FUNCTIONS[name].test(String(stack.properties(id).Description ?? "")))!;
      const env = (stack.properties(functionId).Environment as { Variables: Record<string, string> })
        .Variables;
      const roleId = roleOfFunction(stack, functionId);
      const principal = stack.getAtt(roleId, "Arn");
      const identityPolicies = identityPoliciesOf(stack, roleId);
      const requests = [
        ...new Map(
          callsOf(name)
            .flatMap((call) => requestsFor(call, name, stack, config, env))
            .map((r) => [JSON.stringify([r.action, r.resource, r.context]), r]),
        ).values(),
      ];

      // Act
      const denied: string[] = [];
      for (const request of requests) {
        const verdict = await simulate(
          {
            principal,
            action: request.action,
            resource: request.resource,
            ...(request.context ? { context: request.context } : {}),
            identityPolicies,
            resourcePolicy: request.resourcePolicy ?? resourcePolicyOf(stack, request.resource),
          },
          request.resourceAccount ?? stack.env.account,
        );
        if (verdict.result !== "Allowed") {
          denied.push(
            `${request.action} ${request.resource} (${request.because}): ${verdict.result} ${JSON.stringify(verdict.errors ?? "")}`,
          );
        }
      }
      const used = new Set([...requests.map((r) => r.action), ...SERVICE_USES[name]]);
      const granted = new Set(
        identityPolicies
          .flatMap((p) => p.Statement)
          .filter((s) => s.Effect === "Allow")
          .flatMap((s) => [s.Action].flat()),
      );
      const unused = [...granted].filter(
        (action) => ![...used].some((u) => new RegExp(`^${action.replace(/\*/g, ".*")}$`, "i").test(u)),
      );
      console.log(
        `${name}: ${requests.length} requests simulated, actions ${[...new Set(requests.map((r) => r.action))].sort().join(", ")}; granted ${[...granted].sort().join(", ")}`,
      );

      // Assess
      expect(denied).toEqual([]);
      expect(unused, "granted, but no call and no documented service use needs it").toEqual([]);
    },
  );
});
