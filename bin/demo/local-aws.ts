/**
 * Everything the demo stands in for AWS with, started together on 127.0.0.1 and stopped together:
 * S3 (s3rver), DynamoDB (dynalite, with the alarm and scan-state tables), STS (a loopback AssumeRole) and the
 * EventBridge bus (a loopback PutEvents that hands every event to the printer).
 */
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import {
  type LocalDynamo,
  type LocalS3,
  S3RVER_ACCOUNT,
  startDynalite,
  startS3rver,
} from "../local/emulators";
import { type BusEvent, type LocalEventBus, startLocalEventBus } from "../local/event-bus";
import { type AssumeRoleAnswer, type AssumeRoleRequest, type LocalSts, startLocalSts } from "../local/sts";

export const ALARM_TABLE = "watchpost-alarms";
export const SCAN_STATE_TABLE = "watchpost-scan-state";

export interface LocalAws {
  s3: LocalS3;
  dynamo: LocalDynamo;
  sts: LocalSts;
  bus: LocalEventBus;
  alarmTable: string;
  /** The object inventory that lets a scan skip downloading unchanged objects. */
  scanStateTable: string;
  documents: ReturnType<typeof documentClient>;
  /** Makes s3rver accept an access key (as if the store's account owned it) until stop(). */
  registerKey(accessKeyId: string, secretAccessKey: string): void;
  stop(): Promise<void>;
}

export async function startLocalAws(options: {
  assumeRole: (request: AssumeRoleRequest, aws: Pick<LocalAws, "registerKey">) => AssumeRoleAnswer;
  onEvent: (event: BusEvent) => void;
}): Promise<LocalAws> {
  const registered: string[] = [];
  const registerKey = (accessKeyId: string, secretAccessKey: string) => {
    S3RVER_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
    registered.push(accessKeyId);
  };
  const started = await Promise.allSettled([
    startS3rver(),
    startDynalite(),
    startLocalSts((request) => options.assumeRole(request, { registerKey })),
    startLocalEventBus(options.onEvent),
  ] as const);
  const [s3, dynamo, sts, bus] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined)) as [
    LocalS3 | undefined,
    LocalDynamo | undefined,
    LocalSts | undefined,
    LocalEventBus | undefined,
  ];
  if (!s3 || !dynamo || !sts || !bus) {
    // One failed to start: stop the others before reporting it, so nothing is left listening.
    await Promise.allSettled([s3?.stop(), dynamo?.stop(), sts?.close(), bus?.close()]);
    throw (started.find((s) => s.status === "rejected") as PromiseRejectedResult).reason;
  }
  const stop = async () => {
    for (const key of registered.splice(0)) S3RVER_ACCOUNT.revokeAccessKey(key);
    const results = await Promise.allSettled([s3.stop(), dynamo.stop(), sts.close(), bus.close()]);
    const problem = results.find((r) => r.status === "rejected");
    if (problem) throw problem.reason;
  };
  try {
    await Promise.all([dynamo.createAlarmTable(ALARM_TABLE), dynamo.createScanStateTable(SCAN_STATE_TABLE)]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    s3,
    dynamo,
    sts,
    bus,
    alarmTable: ALARM_TABLE,
    scanStateTable: SCAN_STATE_TABLE,
    documents: documentClient(dynamo.client),
    registerKey,
    stop,
  };
}
