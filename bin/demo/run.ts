/**
 * `npm start`: watchpost's real check functions, end to end, on this machine. The handlers are the
 * deployed ones (functions/handlers), called with the events their triggers send; only what they
 * talk to is local (bin/demo/local-aws.ts). The steps:
 *
 * 1. the scheduled full scan of the certificate store → alarms raised, findings table;
 * 2. a certificate replaced in the bucket → the S3 "Object Created" event, as EventBridge delivers
 *    it, re-checks that one object → its alarm clears;
 * 3. the next scheduled scan: the object inventory (scan-state table) lets it judge unchanged
 *    objects again without downloading them, and nothing new is raised;
 * 4. the credential check, twice (alarms are raised after two consecutive failing runs) → one
 *    healthy target, one whose temporary key the store rejects.
 *
 * Not local: SQS fan-out of very large sources (no `fanOut` dependency, so every source is judged
 * in the invocation, as the deployed function does for sources below the batch size), Secrets
 * Manager (PKCS#12 passwords come from WATCHPOST_PKCS12_PASSWORD as for the CLI), SNS and chat.
 *
 * With --certs (and --config) the user's files and configuration replace the sample; see
 * bin/demo/user-store.ts for where files land and why credential targets are not run then.
 */
import { randomUUID } from "node:crypto";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { createAlarmStore } from "../../functions/adapters/alarm-store";
import { awsCredentialProbe } from "../../functions/adapters/credential-probe";
import { createEventPublisher } from "../../functions/adapters/event-publisher";
import { pkcs12PasswordFrom } from "../../functions/adapters/local-files";
import { createObjectInventory } from "../../functions/adapters/object-inventory";
import { s3CertificateStore } from "../../functions/adapters/s3-certificate-store";
import { fetchPresentedChain } from "../../functions/adapters/tls-endpoint";
import { AlarmState, dampingFor } from "../../functions/core/alarms/lifecycle";
import { lifecyclePolicyFrom } from "../../functions/core/alarms/lifecycle-policy";
import type { EndpointChain } from "../../functions/core/certificates/store-scan";
import { ConfigError, parseConfig, type WatchpostConfig } from "../../functions/core/config";
import { EXIT } from "../../functions/core/contracts";
import { type CertificateScanDeps, runCertificateScan } from "../../functions/handlers/certificate-scan";
import { runCredentialChecks } from "../../functions/handlers/credential-check";
import type { SettleDeps } from "../../functions/handlers/shared/alarm-runs";
import { type CliIo, UsageError } from "../cli/io";
import type { S3rverEvent } from "../local/emulators";
import type { BusEvent } from "../local/event-bus";
import { type LocalAws, startLocalAws } from "./local-aws";
import { DEMO_USAGE, type DemoOptions, parseDemoArgs } from "./options";
import { heading, type Output, paint, printEvent, printFindings, wrap } from "./output";
import { CREDENTIALS_BUCKET, sampleCredentialTargets, sampleStsPolicy } from "./sample-credentials";
import { buildSampleStore, EXPIRED_KEY, type SampleStore } from "./sample-store";
import { loadUserStore, type UserStore } from "./user-store";

const BUS_NAME = "watchpost";
const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const ENDPOINT_TIMEOUT_MS = 5000;
/** The caller's own credentials for STS; the local STS does not check them. */
const CALLER = { accessKeyId: "AKIALOCALCALLER00001", secretAccessKey: "local-caller-secret-not-checked" };

/** Exit status of an internal failure (a defect or a stand-in that would not start), as the CLI. */
const EXIT_INTERNAL = 4;

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  let options: DemoOptions;
  let user: UserStore | undefined;
  try {
    options = parseDemoArgs(argv);
    if (options.help) {
      io.stdout(DEMO_USAGE);
      return EXIT.ok;
    }
    if (options.certs) {
      user = await loadUserStore({
        certs: options.certs,
        ...(options.config ? { config: options.config } : {}),
        cwd: io.cwd,
      });
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`npm start: ${error.message}\n\n${DEMO_USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      io.stderr(`npm start: ${error.message}\nSee docs/configuration.md for every field.\n`);
      return EXIT.usage;
    }
    throw error;
  }

  const out: Output = {
    line: (text = "") => io.stdout(`${text}\n`),
    color: io.isTTY,
    verbose: options.verbose,
  };
  const startedAt = performance.now();
  // Certificates are generated while the stand-ins start; a failure surfaces where it is awaited.
  const sample = user ? undefined : buildSampleStore();
  sample?.catch(() => {});
  const aws = await startLocalAws({
    assumeRole: (request, store) =>
      user
        ? { error: { status: 403, code: "AccessDenied", message: "no role can be assumed in this run" } }
        : sampleStsPolicy(request, store),
    onEvent: (event) => printEvent(out, event),
  });
  let failures: number;
  try {
    failures = user ? await userRun(aws, user, out) : await sampleRun(aws, await sample!, out);
  } catch (error) {
    io.stderr(`npm start: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    failures = -1;
  } finally {
    await aws.stop();
  }
  if (failures < 0) return EXIT_INTERNAL;
  out.line();
  out.line(
    `(finished in ${((performance.now() - startedAt) / 1000).toFixed(1)} s; every local server is stopped)`,
  );
  // A failed invocation was printed where it happened; the run itself still went through.
  return failures === 0 ? EXIT.ok : 1;
}

// ---------------------------------------------------------------------------------------------
// The sample run

async function sampleRun(aws: LocalAws, sample: SampleStore, out: Output): Promise<number> {
  const config = parseConfig(
    {
      certificates: sample.certificates,
      credentials: { targets: sampleCredentialTargets({ sts: aws.sts.endpoint, s3: aws.s3.endpoint }) },
    },
    "the sample configuration",
  );
  await createBucket(aws, sample.bucket);
  await createBucket(aws, CREDENTIALS_BUCKET);
  for (const object of sample.objects) await putObject(aws, sample.bucket, object.key, object.body);

  intro(aws, out, "a sample certificate store generated just now");
  out.line();
  out.line(`Sample store s3://${sample.bucket} (private keys existed only in memory; none was written):`);
  const width = Math.max(...sample.objects.map((o) => o.key.length));
  for (const object of sample.objects) out.line(`  ${object.key.padEnd(width)}  ${object.note}`);
  out.line();
  out.line("Configuration (as it would appear in watchpost.config.json):");
  for (const line of JSON.stringify(sample.certificates, null, 2).split("\n")) out.line(`  ${line}`);

  const session = new Session(aws, config, sample.bucket, out);
  let failures = 0;

  heading(out, "Step 1: the scheduled scan (daily at 01:00)");
  failures += await session.scheduledScan();

  heading(out, "Step 2: a renewed certificate is uploaded");
  out.line(`${EXPIRED_KEY} is overwritten with ${sample.renewal.note}.`);
  failures += await session.objectChanged(sample.renewal.key, sample.renewal.body);

  heading(out, "Step 3: the next scheduled scan");
  out.line("The scan-state table holds the object inventory: each object's ETag and certificate facts.");
  out.line("An object whose ETag is unchanged is judged again from those facts (dates move on) without");
  out.line("being downloaded; a changed one is read.");
  failures += await session.scheduledScan({ table: false });

  heading(out, "Step 4: the credential check (every 5 minutes)");
  for (const target of config.credentials.targets) {
    out.line(
      `  ${target.name}: assume ${target.roleArn} through STS, then HeadBucket, ListObjectsV2${target.writeProbe ? ", put/get/delete a probe object" : ""} on s3://${target.bucket}/${target.prefix ?? ""}`,
    );
  }
  out.line(
    "  The local STS issues a key the store knows for hbase-agency, and one the store has never seen for spark-agency.",
  );
  failures += await session.credentialChecks(config.alarms.consecutiveFailures.credentials);

  heading(out, "Summary");
  const [scan, renewal, nextScan, credentials] = session.steps;
  const raisedBy = (step: Step | undefined) =>
    step?.events.filter((e) => e.detailType === "Alarm Raised") ?? [];
  const scanChecks = [...new Set(raisedBy(scan).map((e) => String(e.detail.check)))];
  const cleared = renewal?.events.filter((e) => e.detailType === "Alarm Cleared").length ?? 0;
  const credentialChecks = [...new Set(raisedBy(credentials).map((e) => String(e.detail.check)))];
  for (const line of wrap(
    `What you saw: watchpost's own certificate-scan and credential-check functions, unchanged, ran against local stand-ins for S3 (s3rver), DynamoDB (dynalite), STS and EventBridge on 127.0.0.1. ` +
      `The scheduled scan read ${sample.objects.length} objects and raised ${raisedBy(scan).length} alarms (${scanChecks.join(", ")}), each event carrying its runbook; ` +
      `uploading the renewed certificate produced the S3 "Object Created" event, and re-checking that one object cleared ${cleared} alarm${cleared === 1 ? "" : "s"} without touching the others; ` +
      `the next scheduled scan judged ${objectsOf(nextScan).reused} unchanged objects from the object inventory without downloading them (it read ${objectsOf(nextScan).downloaded}) and raised ${raisedBy(nextScan).length} new alarms; ` +
      `the credential check proved one role's temporary key end to end and, after the consecutive failing runs the damping asks for, raised ${credentialChecks.join(", ") || "nothing"} for the other. ` +
      `In AWS the same functions run on the schedule and on every upload, keep alarm state in DynamoDB, and send these events from the watchpost EventBridge bus to email, Slack, Microsoft Teams or webhooks, filtered by severity. ` +
      `To deploy for real: describe your buckets, host names, peer groups, credential targets and recipients in watchpost.config.json (every field is in docs/configuration.md), run "npx cdk bootstrap" once per account and region, then "npx cdk deploy" ("npx cdk deploy -c config=FILE" for another file). ` +
      `To try your own files here first: "npm start -- --config FILE --certs DIR".`,
  )) {
    out.line(line);
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// The user's files

async function userRun(aws: LocalAws, user: UserStore, out: Output): Promise<number> {
  await createBucket(aws, user.bucket);
  for (const file of user.files) await putObject(aws, user.bucket, file.key, file.body);

  intro(aws, out, `your files from ${user.directory}`);
  out.line();
  out.line(`Configuration: ${user.configOrigin}.`);
  out.line(
    `Your files in s3://${user.bucket} (key = path under --certs; a file no source would read goes under`,
  );
  out.line(`the first source's prefix "${user.config.certificates.sources[0]?.prefix ?? ""}"):`);
  const width = Math.max(...user.files.map((f) => f.file.length));
  for (const file of user.files) {
    out.line(
      `  ${file.file.padEnd(width)}  ->  ${file.key}${file.moved ? "  (moved under the first source's prefix)" : ""}`,
    );
  }

  const session = new Session(aws, user.config, user.bucket, out);
  let failures = 0;

  heading(out, "Step 1: the scheduled scan");
  failures += await session.scheduledScan();

  heading(out, "Step 2: an upload re-checks one object");
  const sources = user.config.certificates.sources;
  const watched = user.files.filter((f) => sources.some((s) => f.key.startsWith(s.prefix)));
  const alarmed = new Set(
    session.steps.flatMap((step) => step.events).map((e) => String(e.detail.source).replace(/#\d+$/, "")),
  );
  const pick = watched.find((f) => alarmed.has(`s3://${user.bucket}/${f.key}`)) ?? watched[0];
  if (pick) {
    out.line(`${pick.key} is uploaded again, unchanged. Nothing in it was fixed, so no alarm of it clears;`);
    out.line("fix the file under --certs and run again to see the scan find it healthy.");
    failures += await session.objectChanged(pick.key, pick.body);
  } else {
    out.line("No file lies under a source prefix, so no upload would trigger a re-check.");
  }

  heading(out, "Step 3: the next scheduled scan");
  out.line("Objects whose ETag the object inventory knows are judged again without being downloaded.");
  failures += await session.scheduledScan({ table: false });

  heading(out, "Step 4: the credential check");
  const targets = user.config.credentials.targets;
  for (const line of wrap(
    targets.length === 0
      ? "Your configuration names no credential targets; nothing to check."
      : `Not run: your ${targets.length} credential target${targets.length === 1 ? "" : "s"} (${targets.map((t) => t.name).join(", ")}) assume roles in your AWS account, and this run uses no AWS account. ` +
          `A local stand-in would only report what it was told to, so it is not used. Check a target for real with ` +
          `"npm run -s cli -- check-credentials --role-arn ARN --bucket BUCKET" on a machine with AWS credentials; once deployed, every target is checked every 5 minutes.`,
  )) {
    out.line(line);
  }

  heading(out, "Summary");
  const raised = session.steps
    .flatMap((step) => step.events)
    .filter((e) => e.detailType === "Alarm Raised").length;
  for (const line of wrap(
    `What you saw: watchpost's own certificate-scan function, unchanged, judged your ${user.files.length} file${user.files.length === 1 ? "" : "s"} in a local S3 bucket with ${user.configGiven ? "your" : "the default"} configuration and raised ${raised} alarm${raised === 1 ? "" : "s"}, each with a runbook, exactly as it will after deployment. ` +
      `To deploy for real: put the configuration in watchpost.config.json (or pass -c config=FILE), run "npx cdk bootstrap" once per account and region, then "npx cdk deploy"; upload your certificates to the bucket the stack outputs (or name your existing one in certificates.bucket.existingBucketName).`,
  )) {
    out.line(line);
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// Invoking the handlers

/** What one step's invocations put on the bus and returned. */
interface Step {
  events: BusEvent[];
  results: unknown[];
}

/** The certificate scan's own count of objects downloaded and judged from the inventory. */
function objectsOf(step: Step | undefined): { downloaded: number; reused: number } {
  const total = { downloaded: 0, reused: 0 };
  for (const result of step?.results ?? []) {
    const objects = (result as { objects?: Partial<typeof total> }).objects;
    total.downloaded += objects?.downloaded ?? 0;
    total.reused += objects?.reused ?? 0;
  }
  return total;
}

class Session {
  /** One entry per step (a scan, an upload, the credential runs), in order. */
  readonly steps: Step[] = [];
  private readonly reads: string[] = [];
  private readonly deps: CertificateScanDeps;
  private readonly alarms: SettleDeps;

  constructor(
    private readonly aws: LocalAws,
    private readonly config: WatchpostConfig,
    private readonly bucket: string,
    private readonly out: Output,
  ) {
    this.alarms = {
      store: createAlarmStore({ tableName: aws.alarmTable, client: aws.documents }),
      publisher: createEventPublisher({
        eventBusName: BUS_NAME,
        client: aws.bus.client,
        docBaseUrl: config.notifications.runbookBaseUrl,
      }),
      policy: lifecyclePolicyFrom(config.alarms),
    };
    const store = s3CertificateStore({ client: aws.s3.client, bucket });
    this.deps = {
      config,
      // The real adapter, with a note of every object it downloads, printed after each scan.
      store: {
        ...store,
        load: (key, options) => {
          this.reads.push(key);
          return store.load(key, options);
        },
      },
      alarms: this.alarms,
      secrets: localSecrets(),
      fetchEndpoint,
      inventory: createObjectInventory({ tableName: aws.scanStateTable, client: aws.documents }),
    };
  }

  async scheduledScan(options: { table: boolean } = { table: true }): Promise<number> {
    this.steps.push({ events: [], results: [] });
    this.reads.length = 0;
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/Watchpost-CertificateScanScheduleRule`],
      detail: {},
    };
    this.out.line("The schedule rule invokes the certificate-scan function with:");
    this.printInvocation(event);
    const failures = await this.invoke(() => runCertificateScan(event, this.deps));
    this.printReads();
    if (!options.table) return failures;
    printFindings(
      this.out,
      "FINDINGS: the alarm state table after the scan",
      (await this.liveAlarms()).filter((s) => !s.scope.startsWith("credentials:")),
      (s) => dampingFor(this.alarms.policy, s.check),
    );
    return failures;
  }

  /** Uploads `body` to `key`, turns s3rver's notification into EventBridge's, and invokes the function. */
  async objectChanged(key: string, body: string | Uint8Array): Promise<number> {
    this.steps.push({ events: [], results: [] });
    const notified = this.nextObjectEvent(key);
    this.reads.length = 0;
    await putObject(this.aws, this.bucket, key, body);
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
          runCredentialChecks({ config: this.config, probe, alarms: this.alarms }),
        );
        for (const call of this.aws.sts.calls.slice(before)) {
          this.out.line(`  STS AssumeRole ${call.roleArn} (session ${call.sessionName}): ${call.outcome}`);
        }
        printFindings(
          this.out,
          `FINDINGS: credential targets in the alarm state table after run ${run}`,
          (await this.liveAlarms()).filter((s) => s.scope.startsWith("credentials:")),
          (s) => dampingFor(this.alarms.policy, s.check),
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
      this.out.line(`  function returned ${JSON.stringify(result)}`);
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

  private async liveAlarms(): Promise<AlarmState[]> {
    const states: AlarmState[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.aws.documents.send(
        new ScanCommand({ TableName: this.aws.alarmTable, ConsistentRead: true, ExclusiveStartKey }),
      );
      for (const item of page.Items ?? []) {
        if (String(item.sk).startsWith("alarm#")) states.push(AlarmState.parse(item));
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return states;
  }
}

// ---------------------------------------------------------------------------------------------

function intro(aws: LocalAws, out: Output, what: string): void {
  out.line(paint(out, "bold", `watchpost, run locally on ${what}: no AWS account is used`));
  out.line("The deployed check functions (functions/handlers) run unchanged against stand-ins on 127.0.0.1:");
  const rows = [
    ["S3", "s3rver", aws.s3.endpoint],
    ["DynamoDB", `dynalite: tables ${aws.alarmTable}, ${aws.scanStateTable}`, aws.dynamo.endpoint],
    ["STS", "loopback AssumeRole (Query protocol, XML)", aws.sts.endpoint],
    ["EventBridge", `loopback PutEvents: bus "${BUS_NAME}" prints each event`, aws.bus.endpoint],
  ];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const [service, what, endpoint] of rows) {
    out.line(`  ${service!.padEnd(widths[0]!)}  ${what!.padEnd(widths[1]!)}  ${endpoint}`);
  }
}

async function createBucket(aws: LocalAws, bucket: string): Promise<void> {
  await aws.s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
}

async function putObject(
  aws: LocalAws,
  bucket: string,
  key: string,
  body: string | Uint8Array,
): Promise<void> {
  await aws.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Secrets Manager is not emulated: PKCS#12 passwords come from the environment, as for the CLI. */
function localSecrets(): CertificateScanDeps["secrets"] {
  return {
    async read(name) {
      const password = await pkcs12PasswordFrom(process.env);
      if (password === undefined) {
        throw new Error(
          `secret ${name} is in Secrets Manager, which this local run does not reach; set WATCHPOST_PKCS12_PASSWORD (or WATCHPOST_PKCS12_PASSWORD_FILE)`,
        );
      }
      return password;
    },
  };
}

/** Live peer endpoints are probed for real, as the deployed function does, with a shorter timeout. */
async function fetchEndpoint(endpoint: string): Promise<EndpointChain> {
  const at = endpoint.lastIndexOf(":");
  const result = await fetchPresentedChain({
    host: endpoint.slice(0, at).replace(/^\[|\]$/g, ""),
    port: Number(endpoint.slice(at + 1)),
    timeoutMs: ENDPOINT_TIMEOUT_MS,
  });
  return result.ok ? { ok: true, certificates: result.certificates } : result;
}
