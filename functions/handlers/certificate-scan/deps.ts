/**
 * What the certificate scan runs with, and the one factory that builds it from clients and
 * resource names: the deployed function (from its environment), `npm start`, the benchmarks and
 * the tests' harness all wire the scan through `certificateScanDeps`.
 */

import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AwsSourceWiring } from "../../adapters/aws-certificates";
import { sharedDocumentClient } from "../../adapters/clients/dynamodb";
import { sharedEventBusClient } from "../../adapters/clients/eventbridge";
import { certificateStoreS3Client } from "../../adapters/clients/s3";
import { createHostHeartbeats } from "../../adapters/host-heartbeats";
import { createObjectInventory } from "../../adapters/object-inventory";
import { s3CertificateStore } from "../../adapters/s3-certificate-store";
import { createScanBatchQueue } from "../../adapters/scan-batch-queue";
import { createScanRuns } from "../../adapters/scan-runs";
import { type SecretReader, secretReader } from "../../adapters/secrets";
import type { WatchpostConfig } from "../../core/config";
import type { HostHeartbeatsPort } from "../../core/scan/host-checks";
import type {
  CertificateStorePort,
  FanOut,
  ObjectInventoryPort,
  ScanBatchQueuePort,
  StoreScanContext,
} from "../../core/scan/ports";
import type { SourceAdapter } from "../../core/scan/source-adapter";
import { type AlarmLifecycleDeps, alarmLifecycleDeps } from "../shared/alarm-runs";
import { deployedConfig } from "../shared/deployed-config";
import { ENV, requireEnv } from "../shared/environment";
import type { ObjectExists } from "./events";

export interface CertificateScanDeps {
  config: WatchpostConfig;
  store: CertificateStorePort;
  alarms: AlarmLifecycleDeps;
  secrets: SecretReader;
  fetchEndpoint: StoreScanContext["fetchEndpoint"];
  /** What earlier scans learned per object; without it every object is downloaded every time. */
  inventory?: ObjectInventoryPort;
  /** Hands large sources out in batches; without it every source is judged in the invocation. */
  fanOut?: FanOut;
  /** The last heartbeat of every host that pushes; without it hosts are not watched. */
  heartbeats?: HostHeartbeatsPort;
  /** Whether an object exists (undefined: S3 would not say); decides how an event's key is read. */
  objectExists?: ObjectExists;
  now?: () => Date;
  /** The key-derivation budget of one source's scan; default: formats/pkcs12-budget.ts's limits. */
  kdfBudget?: StoreScanContext["kdfBudget"];
  /**
   * The scopes of the source kinds other than S3 prefixes (core/scan/source-adapter.ts), one
   * adapter per configured source × account × region, built for each invocation; a full scan
   * judges each, and settlement confirms versions with them. A promise when their code is loaded
   * on first use (a deployed function loads the AWS sources' clients only when it reads them).
   */
  sourceAdapters?: (ctx: StoreScanContext) => readonly SourceAdapter[] | Promise<readonly SourceAdapter[]>;
}

export const DEFAULT_BATCH_SIZE = 500;
const ENDPOINT_TIMEOUT_MS = 10_000;

export interface ScanWiring {
  config: WatchpostConfig;
  clients: {
    s3: Pick<S3Client, "send">;
    /** Default: the execution environment's shared, bounded clients. */
    dynamo?: DynamoDBDocumentClient;
    eventBridge?: EventBridgeClient;
    sqs?: Pick<SQSClient, "send">;
  };
  bucket: string;
  alarmTable: string;
  eventBusName: string;
  /** The object inventory and the fanned-out runs; without it there is neither. */
  scanStateTable?: string;
  /** Where large sources are handed out: an SQS queue (with `clients.sqs`) or a queue of one's own. */
  queue?: { url: string } | ScanBatchQueuePort;
  batchSize?: number;
  secrets: SecretReader;
  endpointTimeoutMs?: number;
  now?: () => Date;
  /** ACM, IAM, Secrets Manager and Parameter Store (`awsCertificates`); without it they are not read. */
  aws?: AwsSourceWiring;
}

export function certificateScanDeps(wiring: ScanWiring): CertificateScanDeps {
  const { config, clients, scanStateTable, queue } = wiring;
  const state = scanStateTable ? { tableName: scanStateTable, client: clients.dynamo } : undefined;
  if (queue && !state) throw new Error("fanning scans out needs the scan-state table for its runs");
  const store = s3CertificateStore({ client: clients.s3, bucket: wiring.bucket });
  return {
    config,
    store,
    objectExists: (key) => store.exists(key),
    alarms: alarmLifecycleDeps({
      config,
      alarmTable: wiring.alarmTable,
      eventBusName: wiring.eventBusName,
      dynamo: clients.dynamo,
      eventBridge: clients.eventBridge,
    }),
    secrets: wiring.secrets,
    fetchEndpoint: lazyEndpointFetcher(wiring.endpointTimeoutMs ?? ENDPOINT_TIMEOUT_MS),
    ...(state ? { inventory: createObjectInventory(state), heartbeats: createHostHeartbeats(state) } : {}),
    ...(queue && state
      ? {
          fanOut: {
            queue:
              "url" in queue
                ? createScanBatchQueue({
                    ...(clients.sqs ? { client: clients.sqs } : {}),
                    queueUrl: queue.url,
                  })
                : queue,
            runs: createScanRuns(state),
            batchSize: wiring.batchSize ?? DEFAULT_BATCH_SIZE,
          },
        }
      : {}),
    ...(wiring.now ? { now: wiring.now } : {}),
    ...(wiring.aws && hasAwsSelections(config)
      ? {
          sourceAdapters: async (ctx) =>
            (await awsSources()).awsSourceAdapters(
              config.awsCertificates,
              wiring.aws as AwsSourceWiring,
              ctx,
            ),
        }
      : {}),
  };
}

/*
 * Code a configuration may never run is imported where it is first needed, and the Lambda bundle
 * is split there (lib/bundling.ts): the AWS certificate sources (the ACM, IAM, Secrets Manager,
 * Parameter Store and STS clients and their protocols) and the TLS endpoint probe (STARTTLS, the
 * handshake transcript). A cold start then loads neither unless the configuration uses it.
 */
const awsSources = () => import("../../adapters/aws-certificates");

function lazyEndpointFetcher(timeoutMs: number): StoreScanContext["fetchEndpoint"] {
  let fetcher: Promise<StoreScanContext["fetchEndpoint"]> | undefined;
  return async (endpoint, options) => {
    fetcher ??= import("../../adapters/tls-endpoint").then((m) => m.endpointFetcher(timeoutMs));
    return (await fetcher)(endpoint, options);
  };
}

function hasAwsSelections(config: WatchpostConfig): boolean {
  const { acm, iamServerCertificates, secretsManager, ssmParameters } = config.awsCertificates;
  return acm.length + iamServerCertificates.length + secretsManager.length + ssmParameters.length > 0;
}

/** The deployed function's dependencies, from the environment the stack sets. */
export async function productionScanDeps(): Promise<CertificateScanDeps> {
  const config = deployedConfig();
  const aws = hasAwsSelections(config) ? await awsSources() : undefined;
  return certificateScanDeps({
    config,
    clients: {
      s3: certificateStoreS3Client(),
      dynamo: sharedDocumentClient(),
      eventBridge: sharedEventBusClient(),
    },
    bucket: requireEnv(ENV.certificateBucket),
    alarmTable: requireEnv(ENV.alarmTable),
    eventBusName: requireEnv(ENV.eventBus),
    scanStateTable: requireEnv(ENV.scanStateTable),
    queue: { url: requireEnv(ENV.scanQueueUrl) },
    batchSize: Number(process.env[ENV.scanBatchSize] ?? DEFAULT_BATCH_SIZE) || DEFAULT_BATCH_SIZE,
    secrets: secretReader(),
    ...(aws
      ? {
          aws: aws.awsSourceWiring(config, {
            ownAccount: requireEnv(ENV.accountId),
            partition: requireEnv(ENV.partition),
          }),
        }
      : {}),
  });
}
