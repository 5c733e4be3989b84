/**
 * The certificate scan wired the way the deployed function wires it (certificateScanDeps), on a
 * test file's stand-ins: s3rver, dynalite (fresh tables on every call), the recording event bus,
 * and the in-memory queue where SQS would hand batches back to the function.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { type AlarmStore, createAlarmStore } from "../../functions/adapters/alarm-store";
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import type { SecretReader } from "../../functions/adapters/secrets";
import type { WatchpostConfig } from "../../functions/core/config";
import {
  type CertificateScanDeps,
  certificateScanDeps,
} from "../../functions/handlers/certificate-scan/deps";
import type { LocalDynamo } from "./emulators";
import type { RecordingEventBus } from "./event-bus";
import { memoryQueue } from "./in-memory-ports";

/** What the daily schedule sends. */
export const SCHEDULED_EVENT = { source: "aws.events", "detail-type": "Scheduled Event", detail: {} };

/** Reading any secret fails: the configurations these tests use name none unless they say so. */
export const NO_SECRETS: SecretReader = {
  read: async (name) => {
    throw new Error(`no secret ${name} in this test`);
  },
};

export interface ScanHarnessOptions {
  config: WatchpostConfig;
  bucket: string;
  s3: Pick<S3Client, "send">;
  dynamo: LocalDynamo;
  bus: RecordingEventBus;
  /** A scan-state table: the object inventory (and the runs of a fanned-out scan). */
  inventory?: boolean;
  /** Hand sources larger than `batchSize` objects out over an in-process queue. */
  fanOut?: { batchSize: number };
  secrets?: SecretReader;
  now?: () => Date;
}

export interface ScanHarness {
  deps: CertificateScanDeps;
  /** The alarm table as the scan writes it. */
  alarms: AlarmStore;
  queue: LocalQueue;
  /** The scan-state table, when the options asked for one. */
  scanStateTable?: string;
}

let tables = 0;

export async function scanHarness(options: ScanHarnessOptions): Promise<ScanHarness> {
  tables += 1;
  const dynamo = documentClient(options.dynamo.client);
  const stateful = options.inventory || options.fanOut;
  const [alarmTable, scanStateTable] = await Promise.all([
    options.dynamo.createAlarmTable(`scan-alarms-${tables}`),
    stateful ? options.dynamo.createScanStateTable(`scan-state-${tables}`) : undefined,
  ]);
  const queue = memoryQueue();
  const deps = certificateScanDeps({
    config: options.config,
    clients: { s3: options.s3, dynamo, eventBridge: options.bus.client },
    bucket: options.bucket,
    alarmTable,
    eventBusName: "watchpost",
    ...(scanStateTable ? { scanStateTable } : {}),
    ...(options.fanOut ? { queue: queue.port, batchSize: options.fanOut.batchSize } : {}),
    secrets: options.secrets ?? NO_SECRETS,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    deps,
    alarms: createAlarmStore({ tableName: alarmTable, client: dynamo }),
    queue,
    ...(scanStateTable ? { scanStateTable } : {}),
  };
}

export type LocalQueue = ReturnType<typeof memoryQueue>;

/** Every S3 operation sent through `client` from now on, by command name: the bill an operator pays. */
export function countS3Requests(client: S3Client): string[] {
  const requests: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "countRequests" },
  );
  return requests;
}
