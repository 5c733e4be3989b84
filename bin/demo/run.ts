/**
 * `npm start`: the deployed check functions, unchanged, on local stand-ins (local-aws.ts); the
 * steps the README lists, from the sample store or the user's --certs (user-store.ts). Not local:
 * the SQS queue of very large sources (without one, every source is judged in the invocation, on
 * the path a source of one batch takes in AWS), Secrets Manager (the sample host's keystore password
 * is handed over in-process; for --certs, passwords come from WATCHPOST_KEYSTORE_PASSWORD, as for
 * the CLI), SNS and chat.
 */
import { resolve } from "node:path";
import { CreateBucketCommand, DeleteObjectCommand } from "@aws-sdk/client-s3";
import { ConfigError, parseConfig } from "../../functions/core/config";
import { EXIT } from "../../functions/core/contracts";
import { visibleText } from "../../functions/core/visible-text";
import { type CliIo, UsageError } from "../cli/io";
import { awsStoreSteps } from "./aws-stores";
import { type LiveEndpoint, startLiveEndpoint } from "./live-endpoint";
import { type LocalAws, startLocalAws } from "./local-aws";
import { DEMO_USAGE, type DemoOptions, parseDemoArgs } from "./options";
import { heading, type Output, paint, printEvent, wrap } from "./output";
import { writeLocalPage } from "./page";
import { CREDENTIALS_BUCKET, sampleCredentialTargets, sampleStsPolicy } from "./sample-credentials";
import { HOST_KEYSTORE_SECRET, SAMPLE_HOST, SampleHost, SECOND_HOST } from "./sample-host";
import { buildSampleStore, CA_BUNDLE_KEY, EXPIRED_KEY, type SampleStore } from "./sample-store";
import { BUS_NAME, objectsOf, putObject, Session, type Step } from "./session";
import { loadUserStore, type UserStore } from "./user-store";

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
    const pageFile = options.page === undefined ? undefined : resolve(io.cwd, options.page);
    failures = user
      ? await userRun(aws, user, out, pageFile)
      : await sampleRun(aws, await sample!, out, pageFile);
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

async function sampleRun(
  aws: LocalAws,
  sample: SampleStore,
  out: Output,
  pageFile: string | undefined,
): Promise<number> {
  const { service } = sample;
  const live = await startLiveEndpoint(service.stale, service.intermediate);
  try {
    const host = await SampleHost.create();
    try {
      return await sampleSteps(aws, sample, host, live, out, pageFile);
    } finally {
      await host.remove();
    }
  } finally {
    await live.stop();
  }
}

async function sampleSteps(
  aws: LocalAws,
  sample: SampleStore,
  host: SampleHost,
  live: LiveEndpoint,
  out: Output,
  pageFile: string | undefined,
): Promise<number> {
  const { service } = sample;
  const endpoints = {
    targets: [
      {
        endpoint: live.endpoint,
        servername: service.host,
        caBundleKey: CA_BUNDLE_KEY,
        storedCertificateKey: service.storedKey,
        serviceName: "demo API server",
        parameters: { Cluster: "demo" },
      },
    ],
  };
  const config = parseConfig(
    {
      certificates: sample.certificates,
      credentials: { targets: sampleCredentialTargets({ sts: aws.sts.endpoint, s3: aws.s3.endpoint }) },
      endpoints,
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
  await host.install(sample.host.expired);
  for (const line of wrap(
    `Sample cluster host ${SAMPLE_HOST}: its Flink HA certificate, expired 2 days ago, in ${host.path} (${host.keptIn}), under a directory laid out as the host's /. cron on the host runs watchpost push, which uploads it with the host and service as object metadata:`,
  )) {
    out.line(line);
  }
  let failures = (await host.push(aws, sample.bucket, out)) === EXIT.ok ? 0 : 1;
  out.line();
  out.line("Configuration (as it would appear in watchpost.config.json):");
  for (const line of JSON.stringify({ certificates: sample.certificates, endpoints }, null, 2).split("\n"))
    out.line(`  ${line}`);

  // The source's Secrets Manager secret, as the deployed function would read it.
  const secrets = {
    read: async (name: string) => {
      if (name === HOST_KEYSTORE_SECRET) return host.password;
      throw new Error(`secret ${name} is not part of the sample`);
    },
  };
  const session = new Session(aws, config, sample.bucket, out, secrets);

  heading(out, "Step 1: the scheduled scan (daily at 01:00)");
  failures += await session.scheduledScan();

  heading(out, "Step 2: a renewed certificate is uploaded");
  out.line(`${EXPIRED_KEY} is overwritten with ${sample.renewal.note}.`);
  failures += await session.objectChanged(sample.renewal.key, sample.renewal.body);

  heading(out, "Step 3: a host renews its keystore and watchpost push uploads it");
  out.line(`${SAMPLE_HOST} writes ${host.path} anew with a certificate valid for a year; the next cron run:`);
  await host.install(sample.host.renewed);
  failures += await session.uploaded(host.key, async () => {
    const code = await host.push(aws, sample.bucket, out);
    if (code !== EXIT.ok) throw new Error(`watchpost push exited ${code}`);
  });

  heading(out, "Step 4: a peer's truststore is given the new CA");
  for (const line of wrap(
    `etcd-2's certificate was renewed yesterday by Demo Ops CA 2, which five members' truststores hold; etcd-4's (${sample.trustUpdate.key}) was never given it, so etcd-4 refuses etcd-2 both when it connects to etcd-2 and when etcd-2 connects to it. The operator adds the CA to etcd-4's truststore and uploads it; the upload re-checks the whole group:`,
  )) {
    out.line(line);
  }
  failures += await session.objectChanged(sample.trustUpdate.key, sample.trustUpdate.body);

  heading(out, "Step 5: the next scheduled scan");
  out.line("The scan-state table holds the object inventory: each object's ETag and certificate facts.");
  out.line("An object whose ETag is unchanged is judged again from those facts (dates move on) without");
  out.line("being downloaded; a changed one is read.");
  failures += await session.scheduledScan({ table: false });

  heading(out, "Step 6: a live service still serves the old certificate (endpoint scan, hourly)");
  out.line(
    `${service.host} at ${live.endpoint} (a TLS server on loopback) serves a certificate that expires in 20 days;`,
  );
  out.line(
    `the renewed one was written to ${service.storedKey} two days ago, but the service was never reloaded.`,
  );
  failures += await session.endpointScan();
  out.line();
  out.line(
    "The service is reloaded (the TLS server swaps in the renewed certificate), and the next scan runs:",
  );
  await live.reload(service.renewed, service.intermediate);
  failures += await session.endpointScan();

  heading(out, "Step 7: the credential check (every 5 minutes)");
  for (const target of config.credentials.targets) {
    out.line(
      `  ${target.name}: assume ${target.roleArn} through STS, then HeadBucket, ListObjectsV2${target.writeProbe ? ", put/get/delete a probe object" : ""} on s3://${target.bucket}/${target.prefix ?? ""}`,
    );
  }
  out.line(
    "  The local STS issues a key the store knows for hbase-agency, and one the store has never seen for spark-agency.",
  );
  failures += await session.credentialChecks(config.alarms.consecutiveFailures.credentials);

  heading(out, "Step 8: certificates kept in ACM and Secrets Manager (the same scheduled scan)");
  const stored = await awsStoreSteps(
    aws,
    { certificates: sample.certificates, endpoints },
    sample.bucket,
    out,
    secrets,
  );
  failures += stored.failures;

  heading(
    out,
    "Step 9: hosts that go quiet, and a host clock that runs ahead (host check, every 15 minutes)",
  );
  const hostStepsFrom = session.steps.length;
  failures += await hostSteps(aws, sample, host, session, out);

  await writeLocalPage(aws, config, out, pageFile);

  heading(out, "Summary");
  const [scan, renewal, hostRenewal, trustUpdate, nextScan, stale, reloaded, credentials] = session.steps;
  const [, skewed, quiet, pushedAgain, retired] = session.steps.slice(hostStepsFrom);
  const raisedBy = (step: Step | undefined) =>
    step?.events.filter((e) => e.detailType === "Alarm Raised") ?? [];
  const clearedBy = (step: Step | undefined) =>
    step?.events.filter((e) => e.detailType === "Alarm Cleared").length ?? 0;
  const scanChecks = [...new Set(raisedBy(scan).map((e) => String(e.detail.check)))];
  const cleared = clearedBy(renewal);
  const hostCleared = clearedBy(hostRenewal);
  const refused = raisedBy(scan).filter((e) => e.detail.check === "peer-refused").length;
  const trustCleared = clearedBy(trustUpdate);
  const credentialChecks = [...new Set(raisedBy(credentials).map((e) => String(e.detail.check)))];
  const staleChecks = [...new Set(raisedBy(stale).map((e) => String(e.detail.check)))];
  const reloadCleared = reloaded?.events.filter((e) => e.detailType === "Alarm Cleared").length ?? 0;
  for (const line of wrap(
    `What you saw: watchpost's own certificate-scan, endpoint-scan and credential-check functions, unchanged, ran against local stand-ins for S3 (s3rver), DynamoDB (dynalite), STS and EventBridge on 127.0.0.1. ` +
      `The scheduled scan judged ${objectsOf(scan).downloaded + objectsOf(scan).reused} objects and raised ${raisedBy(scan).length} alarms (${scanChecks.join(", ")}), each event carrying its runbook and, for the host's keystore, where it lives (HostName, ServiceName, Cluster); ` +
      `uploading the renewed certificate produced the S3 "Object Created" event, and re-checking that one object cleared ${cleared} alarm${cleared === 1 ? "" : "s"} without touching the others; ` +
      `the host's renewed keystore, carried to the bucket by watchpost push, cleared ${hostCleared} alarm${hostCleared === 1 ? "" : "s"} the same way; ` +
      `the six etcd members, each checked against every other's own truststore in both TLS roles, raised ${refused} peer-refused alarm${refused === 1 ? "" : "s"} (a certificate from a CA one truststore lacks, a certificate allowed for serverAuth only), and giving etcd-4's truststore the new CA cleared ${trustCleared}; ` +
      `the next scheduled scan judged ${objectsOf(nextScan).reused} unchanged objects from the object inventory without downloading them (it read ${objectsOf(nextScan).downloaded}) and raised ${raisedBy(nextScan).length} new alarms; ` +
      `the endpoint scan found a live service still serving its old certificate after a renewal on disk, raised the alarms ${staleChecks.join(", ") || "nothing"}, and after the service was reloaded cleared ${reloadCleared} alarm${reloadCleared === 1 ? "" : "s"}; ` +
      `the credential check proved one role's temporary key end to end and, after the consecutive failing runs the damping asks for, raised ${credentialChecks.join(", ") || "nothing"} for the other; ` +
      `every push left a heartbeat: a host clock 10 minutes ahead raised ${
        raisedBy(skewed)
          .map((e) => String(e.detail.check))
          .join(", ") || "nothing"
      } within seconds of its push, two hours without a push raised ${raisedBy(quiet).length} host-silent alarms, the next push cleared ${clearedBy(pushedAgain)}, and deleting the other host's heartbeat retired it (${clearedBy(retired)} alarms cleared). ` +
      `Certificates kept in AWS were judged by the same scan: an ACM certificate ACM will not renew while a load balancer uses it and a Secrets Manager secret's PEM expiring in 5 days raised ${
        raisedBy(stored.raised)
          .map((e) => String(e.detail.check))
          .join(" and ") || "nothing"
      } (each naming its account, region and ARN; the secret's private key appears nowhere), and once ACM could renew it and the secret held a renewed certificate, the next scan cleared ${clearedBy(stored.cleared)}. ` +
      `In AWS the same functions run on the schedule and on every upload, keep alarm state in DynamoDB, and send these events from the watchpost EventBridge bus to email, Slack, Microsoft Teams or webhooks, filtered by severity. ` +
      `To deploy for real: describe your buckets, host names, peer groups, credential targets and recipients in watchpost.config.json (every field is in docs/configuration.md), run "npx cdk bootstrap" once per account and region, then "npx cdk deploy" ("npx cdk deploy -c config=FILE" for another file); on each cluster host, run "watchpost push" from cron or a systemd timer (docs/push.md). ` +
      `To try your own files here first: "npm start -- --config FILE --certs DIR".`,
  )) {
    out.line(line);
  }
  return failures;
}

/**
 * Step 7: each push leaves a heartbeat; its S3 event re-checks the host (its clock), and the host
 * check's schedule finds hosts that stopped pushing. A second Flink HA server runs with its clock
 * ten minutes ahead; then both fall silent, one pushes again, and the other is retired.
 */
async function hostSteps(
  aws: LocalAws,
  sample: SampleStore,
  host: SampleHost,
  session: Session,
  out: Output,
): Promise<number> {
  const pushFrom =
    (from: SampleHost, options: { aheadMs?: number } = {}) =>
    async () => {
      const code = await from.push(aws, sample.bucket, out, options);
      if (code !== EXIT.ok) throw new Error(`watchpost push exited ${code}`);
    };
  for (const line of wrap(
    `Every push ends with a heartbeat, s3://${sample.bucket}/${host.heartbeatKey}, which says the host's clock against S3's Date header; its S3 event re-checks the host. ${SAMPLE_HOST}'s next cron run:`,
  )) {
    out.line(line);
  }
  let failures = await session.uploaded(host.heartbeatKey, pushFrom(host));
  const second = await SampleHost.create(SECOND_HOST);
  try {
    await second.install(sample.host.renewed);
    out.line();
    for (const line of wrap(
      `A second Flink HA server, ${SECOND_HOST}, booted with its hardware clock 10 minutes ahead (NTP has not corrected it yet), pushes its keystore:`,
    )) {
      out.line(line);
    }
    failures += await session.uploaded(second.heartbeatKey, pushFrom(second, { aheadMs: 10 * 60_000 }));
    await session.printHostAlarms();

    out.line();
    for (const line of wrap(
      "The host check, as it runs two hours later, when neither host has pushed since (both declare a push every 5 minutes, --every 5m, so each is silent after 1 h 5 min):",
    )) {
      out.line(line);
    }
    failures += await session.hostCheck(2 * 3_600_000);

    out.line();
    out.line(`${SAMPLE_HOST}'s timer runs again:`);
    failures += await session.uploaded(host.heartbeatKey, pushFrom(host));
    out.line();
    for (const line of wrap(
      `${SECOND_HOST} is decommissioned and retired: its heartbeat is deleted (aws s3 rm s3://${sample.bucket}/${second.heartbeatKey}; docs/push.md, "Retiring a host"), and its alarms clear:`,
    )) {
      out.line(line);
    }
    failures += await session.uploaded(second.heartbeatKey, () =>
      aws.s3.client.send(new DeleteObjectCommand({ Bucket: sample.bucket, Key: second.heartbeatKey })),
    );
    await session.printHostAlarms();
  } finally {
    await second.remove();
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// The user's files

async function userRun(
  aws: LocalAws,
  user: UserStore,
  out: Output,
  pageFile: string | undefined,
): Promise<number> {
  await createBucket(aws, user.bucket);
  for (const file of user.files) await putObject(aws, user.bucket, file.key, file.body);

  intro(aws, out, `your files from ${user.directory}`);
  out.line();
  out.line(`Configuration: ${user.configOrigin}.`);
  out.line(
    `Your files in s3://${user.bucket} (key = path under --certs; a file no source would read goes under`,
  );
  out.line(`the first source's prefix "${user.config.certificates.sources[0]?.prefix ?? ""}"):`);
  const width = Math.max(...user.files.map((f) => visibleText(f.file).length));
  for (const file of user.files) {
    out.line(
      `  ${visibleText(file.file).padEnd(width)}  ->  ${visibleText(file.key)}${file.moved ? "  (moved under the first source's prefix)" : ""}`,
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
    out.line(
      `${visibleText(pick.key)} is uploaded again, unchanged. Nothing in it was fixed, so no alarm of it clears;`,
    );
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

  await writeLocalPage(aws, user.config, out, pageFile);

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
