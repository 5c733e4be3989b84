/**
 * One demo session: the deployed handlers, wired as in AWS (certificateScanDeps) against the local
 * stand-ins, invoked with the events their triggers send, each step's events and results kept for
 * the summary.
 */
import { randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { type AlarmStore, createAlarmStore } from "../../functions/adapters/alarm-store";
import type { AwsSourceWiring } from "../../functions/adapters/aws-certificates";
import { awsCredentialProbe } from "../../functions/adapters/credential-probe";
import { keystorePasswordFrom } from "../../functions/adapters/local-files";
import type { SecretReader } from "../../functions/adapters/secrets";
import { endpointFetcher } from "../../functions/adapters/tls-endpoint";
import { type AlarmState, dampingFor } from "../../functions/core/alarms/lifecycle";
import type { WatchpostConfig } from "../../functions/core/config";
import type { PeerGroupReport } from "../../functions/core/contracts";
import { runCertificateScan } from "../../functions/handlers/certificate-scan";
import {
  type CertificateScanDeps,
  certificateScanDeps,
} from "../../functions/handlers/certificate-scan/deps";
import { HOST_CHECK_DETAIL } from "../../functions/handlers/certificate-scan/events";
import { runCredentialChecks } from "../../functions/handlers/credential-check";
import { endpointScanDeps, runEndpointScan } from "../../functions/handlers/endpoint-scan";
import { peerGroupLines } from "../cli/peer-matrix-table";
import type { S3rverEvent } from "../local/emulators";
import type { BusEvent } from "../local/event-bus";
import type { LocalAws } from "./local-aws";
import { type Output, paint, printFindings, wrap } from "./output";

export const BUS_NAME = "watchpost";
const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const ENDPOINT_TIMEOUT_MS = 5000;
/** The caller's own credentials for STS; the local STS does not check them. */
const CALLER = { accessKeyId: "AKIALOCALCALLER00001", secretAccessKey: "local-caller-secret-not-checked" };

/** What one step's invocations put on the bus and returned. */
export interface Step {
  events: BusEvent[];
  results: unknown[];
}

/** The certificate scan's own count of objects downloaded and judged from the inventory. */
export function objectsOf(step: Step | undefined): { downloaded: number; reused: number } {
  const total = { downloaded: 0, reused: 0 };
  for (const result of step?.results ?? []) {
    const objects = (result as { objects?: Partial<typeof total> }).objects;
    total.downloaded += objects?.downloaded ?? 0;
    total.reused += objects?.reused ?? 0;
  }
  return total;
}

export class Session {
  /** One entry per step (a scan, an upload, the credential runs), in order. */
  readonly steps: Step[] = [];
  private readonly reads: string[] = [];
  private readonly deps: CertificateScanDeps;
  private readonly alarmTable: AlarmStore;

  constructor(
    private readonly aws: LocalAws,
    private readonly config: WatchpostConfig,
    private readonly bucket: string,
    private readonly out: Output,
    /** Secrets Manager as this run knows it; default: passwords from the environment, as for the CLI. */
    secrets: SecretReader = localSecrets(),
    /** ACM, IAM, Secrets Manager and Parameter Store stand-ins for `awsCertificates` (aws-stores.ts). */
    awsStores?: AwsSourceWiring,
  ) {
    // Wired as the deployed function wires itself, with no queue: every source is judged in the
    // invocation, through the same source-scan path a source of one batch takes in AWS.
    const deps = certificateScanDeps({
      config,
      clients: { s3: aws.s3.client, dynamo: aws.documents, eventBridge: aws.bus.client },
      bucket,
      alarmTable: aws.alarmTable,
      eventBusName: BUS_NAME,
      scanStateTable: aws.scanStateTable,
      secrets,
      // Live peer endpoints are probed for real, with a shorter timeout than the deployed function's.
      endpointTimeoutMs: ENDPOINT_TIMEOUT_MS,
      ...(awsStores ? { aws: awsStores } : {}),
    });
    const { store } = deps;
    // The real adapter, with a note of every object it downloads, printed after each scan.
    this.deps = {
      ...deps,
      store: {
        ...store,
        load: (key, options) => {
          this.reads.push(key);
          return store.load(key, options);
        },
      },
    };
    this.alarmTable = createAlarmStore({ tableName: aws.alarmTable, client: aws.documents });
  }

  async scheduledScan(options: { table: boolean } = { table: true }): Promise<number> {
    this.steps.push({ events: [], results: [] });
    this.reads.length = 0;
    const event = scheduledEvent("CertificateScanScheduleRule", new Date(), {});
    this.out.line("The schedule rule invokes the certificate-scan function with:");
    this.printInvocation(event);
    const failures = await this.invoke(() => runCertificateScan(event, this.deps));
    this.printReads();
    if (!options.table) return failures;
    printFindings(
      this.out,
      "FINDINGS: the alarm state table after the scan",
      (await this.liveAlarms()).filter((s) => !s.scope.startsWith("credentials:")),
      (s) => dampingFor(this.deps.alarms.policy, s.check),
    );
    return failures;
  }

  /** Uploads `body` to `key`, turns s3rver's notification into EventBridge's, and invokes the function. */
  objectChanged(key: string, body: string | Uint8Array): Promise<number> {
    return this.uploaded(key, () => putObject(this.aws, this.bucket, key, body));
  }

  /** Runs `upload` (a PutObject, or `watchpost push`), then delivers the S3 event for `key` as EventBridge would. */
  async uploaded(key: string, upload: () => Promise<unknown>): Promise<number> {
    this.steps.push({ events: [], results: [] });
    const notified = this.nextObjectEvent(key);
    this.reads.length = 0;
    await upload();
    const record = (await notified).Records[0]!;
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": record.eventName.startsWith("ObjectRemoved") ? "Object Deleted" : "Object Created",
      source: "aws.s3",
      account: ACCOUNT,
      time: record.eventTime ?? new Date().toISOString(),
      region: REGION,
      resources: [`arn:aws:s3:::${this.bucket}`],
      detail: {
        version: "0",
        bucket: { name: this.bucket },
        // EventBridge delivers the key as stored (s3rver's own record holds it so).
        object: {
          key: record.s3.object.key,
          size: record.s3.object.size,
          etag: record.s3.object.eTag,
          sequencer: record.s3.object.sequencer,
        },
        "request-id": randomUUID(),
        requester: ACCOUNT,
        reason: "PutObject",
      },
    };
    this.out.line(
      "The bucket notifies EventBridge; the object rule invokes the certificate-scan function with:",
    );
    this.printInvocation(event);
    const failures = await this.invoke(() => runCertificateScan(event, this.deps));
    this.printReads();
    return failures;
  }

  private printReads(): void {
    const keys = [...new Set(this.reads.splice(0))];
    for (const line of wrap(
      `objects downloaded (GetObject), CA bundles included: ${keys.length === 0 ? "none" : keys.join(", ")}`,
      "  ",
    )) {
      this.out.line(line);
    }
  }

  /**
   * The host check, as its schedule (every 15 minutes) invokes the certificate-scan function,
   * `laterMs` from now: what it finds once hosts have been silent that long.
   */
  async hostCheck(laterMs: number): Promise<number> {
    this.steps.push({ events: [], results: [] });
    const at = () => new Date(Date.now() + laterMs);
    const event = scheduledEvent("HostCheckScheduleRule", at(), HOST_CHECK_DETAIL);
    this.out.line("The host check's schedule invokes the certificate-scan function with:");
    this.out.line(
      `  ${JSON.stringify({ source: event.source, "detail-type": event["detail-type"], detail: event.detail })}`,
    );
    const failures = await this.invoke(() => runCertificateScan(event, { ...this.deps, now: at }));
    await this.printHostAlarms();
    return failures;
  }

  /** Hosts in the alarm state table: silent, or with a clock that is off. */
  async printHostAlarms(): Promise<void> {
    printFindings(
      this.out,
      "FINDINGS: hosts in the alarm state table",
      (await this.liveAlarms()).filter((s) => s.scope.startsWith("host:")),
      (s) => dampingFor(this.deps.alarms.policy, s.check),
    );
  }

  /** The endpoint scan, as its hourly schedule invokes it. */
  async endpointScan(): Promise<number> {
    this.steps.push({ events: [], results: [] });
    this.out.line("The hourly schedule invokes the endpoint-scan function (it connects to every endpoint):");
    const deps = endpointScanDeps({
      config: this.config,
      s3: this.aws.s3.client,
      bucket: this.bucket,
      alarms: this.deps.alarms,
    });
    const failures = await this.invoke(() =>
      runEndpointScan({ ...deps, fetchEndpoint: endpointFetcher(ENDPOINT_TIMEOUT_MS) }),
    );
    printFindings(
      this.out,
      "FINDINGS: endpoints in the alarm state table after the scan",
      (await this.liveAlarms()).filter((s) => s.scope.startsWith("endpoint:")),
      (s) => dampingFor(this.deps.alarms.policy, s.check),
    );
    return failures;
  }

  async credentialChecks(damping: number): Promise<number> {
    this.steps.push({ events: [], results: [] });
    const probe = awsCredentialProbe({
      sts: { credentials: CALLER },
      logger: this.out.verbose
        ? {
            debug: () => {},
            info: (message, fields) => this.out.line(`    log: ${message} ${JSON.stringify(fields ?? {})}`),
            warn: (message, fields) => this.out.line(`    log: ${message} ${JSON.stringify(fields ?? {})}`),
          }
        : undefined,
    });
    let failures = 0;
    try {
      const runs = Math.max(2, damping);
      for (let run = 1; run <= runs; run++) {
        this.out.line();
        this.out.line(
          `Run ${run} of ${runs}${run < damping ? ` (a failure is raised after ${damping} consecutive failing runs; this one is only tracked)` : ""}:`,
        );
        const before = this.aws.sts.calls.length;
        failures += await this.invoke(() =>
          runCredentialChecks({ config: this.config, probe, alarms: this.deps.alarms }),
        );
        for (const call of this.aws.sts.calls.slice(before)) {
          this.out.line(`  STS AssumeRole ${call.roleArn} (session ${call.sessionName}): ${call.outcome}`);
        }
        printFindings(
          this.out,
          `FINDINGS: credential targets in the alarm state table after run ${run}`,
          (await this.liveAlarms()).filter((s) => s.scope.startsWith("credentials:")),
          (s) => dampingFor(this.deps.alarms.policy, s.check),
        );
      }
    } finally {
      probe.close();
    }
    return failures;
  }

  /** Runs one invocation the way Lambda would report it; a thrown error is printed, not fatal. */
  private async invoke(work: () => Promise<unknown>): Promise<number> {
    const step = this.steps.at(-1)!;
    const before = this.aws.bus.events.length;
    try {
      const result = await work();
      step.results.push(result);
      if (this.aws.bus.events.length === before) this.out.line("  (no alarm event)");
      const { peerGroups, ...rest } = (result ?? {}) as { peerGroups?: PeerGroupReport[] };
      this.out.line(
        `  function returned ${JSON.stringify(peerGroups ? { ...rest, peerGroups: "(below)" } : result)}`,
      );
      for (const group of peerGroups ?? []) {
        this.out.line();
        for (const line of peerGroupLines(group)) this.out.line(`  ${line}`);
      }
      return 0;
    } catch (error) {
      this.out.line(
        paint(
          this.out,
          "red",
          `  function failed (Lambda would retry it, then dead-letter it): ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      return 1;
    } finally {
      step.events.push(...this.aws.bus.events.slice(before));
    }
  }

  private printInvocation(event: Record<string, unknown>): void {
    const shown = this.out.verbose
      ? event
      : {
          source: event.source,
          "detail-type": event["detail-type"],
          ...(event.source === "aws.s3"
            ? {
                detail: {
                  bucket: (event.detail as { bucket: unknown }).bucket,
                  object: { key: (event.detail as { object: { key: string } }).object.key },
                },
              }
            : {}),
        };
    this.out.line(
      `  ${JSON.stringify(shown)}${this.out.verbose ? "" : "  (abridged; --verbose prints it whole)"}`,
    );
  }

  private nextObjectEvent(key: string): Promise<S3rverEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver sent no notification for ${key}`)), 5000);
      const emitter = this.aws.s3.server as unknown as NodeJS.EventEmitter;
      const listener = (event: S3rverEvent) => {
        if (event.Records[0]?.s3.object.key !== key) return;
        clearTimeout(timer);
        emitter.off("event", listener);
        resolve(event);
      };
      emitter.on("event", listener);
    });
  }

  private liveAlarms(): Promise<AlarmState[]> {
    return this.alarmTable.liveAlarms();
  }
}

/** What a schedule rule of the deployed stack sends, at `time`. */
function scheduledEvent(rule: string, time: Date, detail: Record<string, unknown>) {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: ACCOUNT,
    time: time.toISOString(),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/Watchpost-${rule}`],
    detail,
  };
}

/** Secrets Manager is not emulated: keystore passwords come from the environment, as for the CLI. */
function localSecrets(): SecretReader {
  return {
    async read(name) {
      const password = await keystorePasswordFrom(process.env);
      if (password === undefined) {
        throw new Error(
          `secret ${name} is in Secrets Manager, which this local run does not reach; set WATCHPOST_KEYSTORE_PASSWORD (or WATCHPOST_KEYSTORE_PASSWORD_FILE)`,
        );
      }
      return password;
    },
  };
}

export async function putObject(
  aws: LocalAws,
  bucket: string,
  key: string,
  body: string | Uint8Array,
): Promise<void> {
  await aws.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}
