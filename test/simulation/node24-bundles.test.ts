/**
 * The functions as Lambda runs them (test/support/node24.ts): each bundle `cdk synth` wrote to
 * cdk.out for the shipped example, loaded by Node 24 from a directory without node_modules, and
 * invoked with representative events: the scheduled scan, an S3 "Object Created" event, a host's
 * heartbeat event and the host check's schedule, the credential check, and the notifier with the
 * alarm event the scan put on the bus. The scan reads a
 * JKS keystore, a JCEKS keystore with a secret-key entry and a legacy (RC2-40) PKCS#12 file with
 * the password the example's source names in Secrets Manager, so jks-js, java-deserialization and
 * node-forge's RC2 run as bundled. The webhook
 * function and the notifier with a webhook queue are in node24-webhooks.test.ts.
 *
 * The stand-ins: s3rver (S3), dynalite (DynamoDB), and loopback STS, EventBridge, SNS and Secrets
 * Manager (bin/local/). The peer group's endpoint does not resolve (only loopback names do). Anything else
 * that fails is a fault of the bundle.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalEventBus, startLocalEventBus } from "../../bin/local/event-bus";
import { type LocalSecretsManager, startLocalSecretsManager } from "../../bin/local/secrets-manager";
import { type LocalSns, startLocalSns } from "../../bin/local/sns";
import { startLocalSqs } from "../../bin/local/sqs";
import { type LocalSts, newTemporaryCredentials, startLocalSts } from "../../bin/local/sts";
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import { createHostHeartbeats } from "../../functions/adapters/host-heartbeats";
import { parseConfigText } from "../../functions/core/config";
import { parseTopicRoutes } from "../../functions/core/notifications/topics";
import { ScanBatch } from "../../functions/core/scan/fan-out-messages";
import { ENV } from "../../functions/handlers/shared/environment";
import {
  type LocalDynamo,
  type LocalS3,
  S3RVER_ACCOUNT,
  startDynalite,
  startS3rver,
} from "../support/emulators";
import { javaKeystore, legacyPkcs12 } from "../support/java-stores";
import {
  type Bundle,
  type Invocation,
  invokeBundle,
  loadBundles,
  node24Version,
  node24WorkDirectory,
} from "../support/node24";
import { tableRows } from "../support/page-html";
import { chain, DAY, issue } from "../support/pki";
import { FUNCTION_DESCRIPTIONS } from "../support/template";

const ROOT = join(import.meta.dirname, "..", "..");
const CDK_OUT = process.env.WATCHPOST_CDK_OUT ?? join(ROOT, "cdk.out");
const STACK = "Watchpost";

/** The shipped example's source whose keystores have a password secret, as the bundle has it. */
const KEYSTORE_SOURCE = parseConfigText(
  readFileSync(join(ROOT, "watchpost.config.json"), "utf8"),
  "watchpost.config.json",
).certificates.sources.find((s) => s.keystorePasswordSecretName)!;
const KEYSTORE_PASSWORD = "staging-Keystore-Pa55";
/** Where the hosts of the heartbeat cases push (a source of the shipped configuration). */
const HOSTS_PREFIX = "clusters/staging/";
const KEYSTORES = {
  jks: `${KEYSTORE_SOURCE.prefix}flink01/flink/ha/local/cert/flink.keystore`,
  jceks: `${KEYSTORE_SOURCE.prefix}zk01/zookeeper/keystore.jceks`,
  legacyPkcs12: `${KEYSTORE_SOURCE.prefix}kafka01/kafka/server.p12`,
};

const { certificateScan, credentialCheck, notifier, certificatePage } = FUNCTION_DESCRIPTIONS;
const FUNCTIONS = { certificateScan, credentialCheck, notifier, certificatePage };
type FunctionName = keyof typeof FUNCTIONS;

let work: string;
let s3: LocalS3;
let dynamo: LocalDynamo;
let sts: LocalSts;
let bus: LocalEventBus;
let sns: LocalSns;
let secrets: LocalSecretsManager;
let scheduledScan: Invocation;
let bundles: Map<FunctionName, Bundle>;

beforeAll(async () => {
  work = node24WorkDirectory("bundles");
  ({ bundles } = loadBundles(CDK_OUT, STACK, work, FUNCTIONS));

  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  sts = await startLocalSts(() => {
    const credentials = newTemporaryCredentials();
    S3RVER_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
    return { credentials };
  });
  bus = await startLocalEventBus();
  const topics = parseTopicRoutes(bundles.get("notifier")!.env[ENV.alarmTopics]!).map((topic) => topic.arn);
  sns = await startLocalSns(topics);
  secrets = await startLocalSecretsManager({
    [KEYSTORE_SOURCE.keystorePasswordSecretName!]: KEYSTORE_PASSWORD,
  });

  // The stack's resources, under the names the template gives the functions.
  const scanEnv = bundles.get("certificateScan")!.env;
  await dynamo.createAlarmTable(scanEnv[ENV.alarmTable]!);
  await dynamo.createScanStateTable(scanEnv[ENV.scanStateTable]!);
  const bucket = scanEnv[ENV.certificateBucket]!;
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  const pki = await chain("api.prod.example.com");
  const expired = await issue({
    subject: "CN=old.prod.example.com",
    dnsNames: ["api.prod.example.com"],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 90 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const put = (key: string, body: string) =>
    s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  await put("trust/corporate-ca.pem", pki.root.pem);
  await put("clusters/prod/api.pem", [pki.leaf.pem, pki.intermediate.pem].join("\n"));
  await put("clusters/prod/old.pem", [expired.pem, pki.intermediate.pem].join("\n"));
  const [jks, jceks, p12] = await Promise.all([
    javaKeystore({
      type: "JKS",
      password: KEYSTORE_PASSWORD,
      privateKey: { alias: "flink", chain: [expired, pki.intermediate] },
    }),
    javaKeystore({
      type: "JCEKS",
      password: KEYSTORE_PASSWORD,
      secretKey: "zookeeper.ssl.secret",
      privateKey: { alias: "zookeeper", chain: [expired, pki.intermediate] },
    }),
    legacyPkcs12([expired, pki.intermediate], KEYSTORE_PASSWORD, { certificateCipher: "rc2-40" }),
  ]);
  for (const [key, body] of [
    [KEYSTORES.jks, jks],
    [KEYSTORES.jceks, jceks],
    [KEYSTORES.legacyPkcs12, p12],
  ] as const) {
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  // The credential target of the shipped configuration reaches this bucket.
  await s3.client.send(new CreateBucketCommand({ Bucket: "prod-cluster-data" }));
});

afterAll(async () => {
  await Promise.allSettled([
    s3?.stop(),
    dynamo?.stop(),
    sts?.close(),
    bus?.close(),
    sns?.close(),
    secrets?.close(),
  ]);
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * One invocation in a fresh Node 24 process, as a cold start. The execution role's credentials
 * are in the environment, as Lambda sets them (invokeBundle: keys s3rver knows); `environment`
 * overrides them and the function's own variables.
 */
function invoke(
  name: FunctionName,
  event: unknown,
  environment: Record<string, string> = {},
): Promise<Invocation> {
  const bundle = bundles.get(name)!;
  return invokeBundle(work, name, { ...bundle, env: { ...bundle.env, ...environment } }, event, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    ...environment,
  });
}

/** An S3 "Object Created" event as EventBridge delivers it. */
function objectCreated(bucket: string, key: string) {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    source: "aws.s3",
    "detail-type": "Object Created",
    account: "123456789012",
    time: new Date().toISOString(),
    region: "eu-west-1",
    resources: [`arn:aws:s3:::${bucket}`],
    detail: { version: "0", bucket: { name: bucket }, object: { key, size: 1 }, reason: "PutObject" },
  };
}

describe("the synthesized bundles on Node 24", () => {
  it("runs on Node 24", async () => {
    // Act / Assess
    expect(await node24Version()).toMatch(/^v24\./);
  });

  it("certificate scan, scheduled: raises the expired certificate, and only what the stand-ins cause", async () => {
    // Act
    const outcome = await invoke("certificateScan", {
      source: "aws.events",
      "detail-type": "Scheduled Event",
      time: new Date().toISOString(),
      detail: {},
    });
    scheduledScan = outcome;

    // Assess: the peer group's certificates are not in the bucket and its endpoint does not
    // resolve (the stand-ins say so); nothing else may fail
    const raised = bus.events
      .filter((e) => e.detailType === "Alarm Raised")
      .map((e) => [e.detail.check, e.detail.source]);
    expect(raised).toContainEqual([
      "expired",
      `s3://${bundles.get("certificateScan")!.env[ENV.certificateBucket]}/clusters/prod/old.pem#0`,
    ]);
    expect(raised.filter(([, source]) => String(source).includes("clusters/prod/api.pem"))).toEqual([]);
    expect(
      raised.filter(
        ([check]) =>
          !["expired", "unreadable", "hostname-mismatch", "untrusted-chain"].includes(String(check)),
      ),
    ).toEqual([]);
    if (!outcome.ok)
      expect(outcome.error).toMatch(/^Error: certificate checks failed: peer-group:etcd-prod: /);
    else expect(outcome.result).toMatchObject({ mode: "full" });
  });

  it("certificate scan, scheduled: reads JKS, JCEKS and legacy PKCS#12 with the password from Secrets Manager, and never shows it", () => {
    // Assess: each store's certificate judged (expired), none unreadable: a missing or wrong
    // password would make the legacy PKCS#12 unreadable and fail the keystores' integrity check
    const bucket = bundles.get("certificateScan")!.env[ENV.certificateBucket]!;
    const raised = bus.events.filter((e) => e.detailType === "Alarm Raised");
    for (const key of Object.values(KEYSTORES)) {
      expect(raised.map((e) => [e.detail.check, e.detail.source])).toContainEqual([
        "expired",
        `s3://${bucket}/${key}#0`,
      ]);
    }
    expect(
      raised.filter(
        (e) => e.detail.check === "unreadable" && String(e.detail.source).includes(KEYSTORE_SOURCE.prefix),
      ),
    ).toEqual([]);
    expect(secrets.reads).toContain(KEYSTORE_SOURCE.keystorePasswordSecretName);
    expect(JSON.stringify(bus.events)).not.toContain(KEYSTORE_PASSWORD);
    expect(scheduledScan.logs).not.toContain(KEYSTORE_PASSWORD);
  });

  it("certificate scan, S3 object event: re-checks the object the key names", async () => {
    // Prepare
    const bucket = bundles.get("certificateScan")!.env[ENV.certificateBucket]!;
    const before = bus.events.length;

    // Act
    const outcome = await invoke("certificateScan", objectCreated(bucket, "clusters/prod/api.pem"));

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toMatchObject({ mode: "object", complete: false });
    expect(bus.events.slice(before).filter((e) => e.detailType === "Alarm Raised")).toEqual([]);
  });

  it("certificate scan, a host's heartbeat event: a host whose clock runs ahead is raised with its offset", async () => {
    // Prepare: the heartbeat watchpost push leaves, from a host ten minutes ahead of S3
    const bucket = bundles.get("certificateScan")!.env[ENV.certificateBucket]!;
    const key = `${HOSTS_PREFIX}zk09/.watchpost-heartbeat.json`;
    const heartbeat = {
      format: 1,
      host: "zk09",
      pushedAt: new Date().toISOString(),
      clock: { offsetSeconds: 600.2, uncertaintySeconds: 0.5, against: "s3-date-header" },
    };
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(heartbeat) }));
    const before = bus.events.length;

    // Act
    const outcome = await invoke("certificateScan", objectCreated(bucket, key));

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toMatchObject({ mode: "object", complete: true });
    expect(
      bus.events
        .slice(before)
        .map((e) => [e.detailType, e.detail.alarmId, e.detail.source, e.detail.parameters]),
    ).toEqual([
      [
        "Alarm Raised",
        "1021",
        `s3://${bucket}/${key}`,
        { Source: `s3://${bucket}/${key}`, HostName: "zk09", Bucket: bucket, Key: key, Prefix: HOSTS_PREFIX },
      ],
    ]);
  });

  it("certificate scan, the host check's schedule: a host that stopped pushing is raised", async () => {
    // Prepare: flink09's heartbeat as the stack recorded it two days ago (its last push)
    const scanEnv = bundles.get("certificateScan")!.env;
    const bucket = scanEnv[ENV.certificateBucket]!;
    const key = `${HOSTS_PREFIX}flink09/.watchpost-heartbeat.json`;
    const put = await s3.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify({ format: 1, host: "flink09" }),
      }),
    );
    await createHostHeartbeats({
      tableName: scanEnv[ENV.scanStateTable]!,
      client: documentClient(dynamo.client),
    }).record({
      key,
      host: "flink09",
      prefix: HOSTS_PREFIX,
      etag: put.ETag!,
      lastPushAt: new Date(Date.now() - 2 * DAY).toISOString(),
    });
    const before = bus.events.length;

    // Act
    const outcome = await invoke("certificateScan", {
      source: "aws.events",
      "detail-type": "Scheduled Event",
      time: new Date().toISOString(),
      detail: { check: "host-heartbeats" },
    });

    // Assess: flink* hosts are silent after 90 minutes (the shipped configuration); zk09 pushed just now
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toMatchObject({ mode: "hosts", complete: true });
    expect(bus.events.slice(before).map((e) => [e.detailType, e.detail.check, e.detail.source])).toEqual([
      ["Alarm Raised", "host-silent", `s3://${bucket}/${key}`],
    ]);
  });

  it("credential check: assumes the role at STS and proves the credentials reach the bucket", async () => {
    // Act
    const outcome = await invoke("credentialCheck", {
      source: "aws.events",
      "detail-type": "Scheduled Event",
      detail: {},
    });

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toMatchObject({ targets: 1, healthy: 1 });
    expect(sts.calls.map((c) => c.outcome)).toEqual(["issued"]);
  });

  it("notifier: publishes the scan's alarm event to the topics, with its severity attribute", async () => {
    // Prepare: the event as EventBridge delivers it to the rule target
    const raised = bus.events.find((e) => e.detailType === "Alarm Raised" && e.detail.check === "expired")!;
    const event = {
      version: "0",
      id: raised.id,
      "detail-type": raised.detailType,
      source: raised.source,
      account: "123456789012",
      time: raised.time.toISOString(),
      region: "eu-west-1",
      resources: [],
      detail: raised.detail,
    };

    // Act
    const outcome = await invoke("notifier", event);

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(sns.published.length).toBeGreaterThan(0);
    for (const message of sns.published) {
      expect(message.attributes.severity?.value).toBe("critical");
      expect(Object.keys(JSON.parse(message.message)).sort()).toEqual(["default", "email", "https"]);
    }
  });
});

/**
 * The certificate page widget, called as CloudWatch calls a custom widget (CloudWatch User Guide,
 * "Details about custom widgets in CloudWatch"): `describe` first, then a refresh with
 * `widgetContext`. It reads what the scheduled scan above wrote, through the page index the stack's
 * table has, and answers HTML whose buttons call the function's own ARN.
 */
describe("the certificate page widget bundle on Node 24", () => {
  it("answers describe with its documentation", async () => {
    // Act
    const outcome = await invoke("certificatePage", {
      describe: true,
      widgetContext: { forms: { all: {} } },
    });

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(String(outcome.result)).toMatch(/^## watchpost certificates\n/);
  });

  it("renders the certificates the scheduled scan judged, the expired one first with its alarm", async () => {
    // Act
    const outcome = await invoke("certificatePage", {
      title: "Certificates",
      pageSize: 50,
      widgetContext: { dashboardName: "Watchpost", forms: { all: {} }, width: 1200, height: 800 },
    });

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    const html = String(outcome.result);
    const bucket = bundles.get("certificateScan")!.env[ENV.certificateBucket]!;
    const rows = tableRows(html, "certificates");
    const old = rows.find((r) => r[1]!.startsWith(`s3://${bucket}/clusters/prod/old.pem`));
    expect(old?.slice(5)).toEqual(["expired", "critical 1001 runbook"]);
    expect(rows[0]![5]).toBe("expired");
    expect(rows.some((r) => r[1]!.startsWith(`s3://${bucket}/clusters/prod/api.pem`))).toBe(true);
    expect(html).toContain(`endpoint="arn:aws:lambda:eu-west-1:123456789012:function:certificatePage"`);
  });
});

/**
 * lib/bundling.ts bundles functions/adapters/clients/lambda-credentials.ts in place of the SDK's
 * default chain: Lambda gives a function its execution role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (AWS Lambda Developer Guide, "Defined runtime
 * environment variables"), SnapStart through AWS_CONTAINER_CREDENTIALS_FULL_URI. s3rver checks
 * each request's signature, so an object read proves which credentials signed it.
 */
describe("the bundles' credentials on Node 24", () => {
  const scanObject = (environment: Record<string, string>) =>
    invoke(
      "certificateScan",
      objectCreated(bundles.get("certificateScan")!.env[ENV.certificateBucket]!, "clusters/prod/api.pem"),
      environment,
    );
  const NO_ENVIRONMENT_KEYS = { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" };

  it("signs with the keys in the environment: with keys s3rver does not know the object cannot be read", async () => {
    // Act
    const outcome = await scanObject({
      AWS_ACCESS_KEY_ID: "AKIAUNKNOWNTOS3RVER",
      AWS_SECRET_ACCESS_KEY: "not-a-key-s3rver-holds",
      AWS_SESSION_TOKEN: "session-token-of-the-role",
    });

    // Assess: s3rver refused the signature, so the scan is partial and says what it could not read
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toMatchObject({ mode: "object", complete: false });
    expect(outcome.logs).toContain("clusters/prod/api.pem could not be read");
    expect(outcome.logs).not.toContain("not-a-key-s3rver-holds");
    expect(outcome.logs).not.toContain("session-token-of-the-role");
  });

  it("reads no profile file: without keys in the environment it says where Lambda puts them", async () => {
    // Prepare: a shared credentials file with keys s3rver accepts, which the SDK's own chain reads
    const home = mkdtempSync(join(work, "home-"));
    mkdirSync(join(home, ".aws"));
    writeFileSync(
      join(home, ".aws", "credentials"),
      "[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n",
    );

    // Act
    const outcome = await scanObject({
      ...NO_ENVIRONMENT_KEYS,
      HOME: home,
      AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials"),
    });

    // Assess
    expect(outcome.ok).toBe(false);
    expect(`${outcome.error}\n${outcome.logs}`).toContain(
      "No AWS credentials in the environment: Lambda sets AWS_ACCESS_KEY_ID",
    );
  });

  it("reads the container credentials endpoint when Lambda gives one instead of keys", async () => {
    // Prepare: a loopback endpoint answering as Lambda's (the container credential provider's format)
    const requests: (string | undefined)[] = [];
    const endpoint = createServer((request, response) => {
      requests.push(request.headers.authorization);
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          AccessKeyId: "S3RVER",
          SecretAccessKey: "S3RVER",
          Token: "session-token-of-the-role",
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    const { port } = endpoint.address() as AddressInfo;

    try {
      // Act
      const outcome = await scanObject({
        ...NO_ENVIRONMENT_KEYS,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/2021-04-23/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: "container-authorization-token",
      });

      // Assess
      expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
      expect(outcome.result).toMatchObject({ mode: "object" });
      expect(outcome.logs).not.toContain("could not be read");
      // One request per SDK client (S3, DynamoDB, EventBridge), each with the token
      expect(requests.length).toBeGreaterThan(0);
      expect(new Set(requests)).toEqual(new Set(["container-authorization-token"]));
    } finally {
      endpoint.close();
    }
  });
});

/**
 * The scan's fan-out: the SQS client and its command are imported on the first hand-out, a chunk of
 * their own in the asset (lib/bundling.ts). Run last: its runs stay open (no batch is processed).
 */
describe("the certificate scan's fan-out on Node 24", () => {
  it("hands a source larger than its batch size to the scan queue, one batch of keys per message", async () => {
    // Prepare: the stack's queue stood in for on loopback, a batch size of one object
    const env = bundles.get("certificateScan")!.env;
    const queueName = env[ENV.scanQueueUrl]!.split("/").pop()!;
    const sqs = await startLocalSqs([queueName]);

    try {
      // Act
      const outcome = await invoke(
        "certificateScan",
        {
          source: "aws.events",
          "detail-type": "Scheduled Event",
          time: new Date().toISOString(),
          detail: {},
        },
        {
          AWS_ENDPOINT_URL_SQS: sqs.endpoint,
          [ENV.scanQueueUrl]: sqs.queueUrl(queueName),
          [ENV.scanBatchSize]: "1",
        },
      );

      // Assess: every object of clusters/prod/ in a batch of its own, sent to the stack's queue
      const batches = sqs.sent.map((m) => ({ queue: m.queue, batch: ScanBatch.parse(JSON.parse(m.body)) }));
      const prod = batches.filter((b) => b.batch.prefix === "clusters/prod/");
      expect(prod.map((b) => [b.queue, b.batch.objects.map((o) => o.key)]).sort()).toEqual([
        [queueName, ["clusters/prod/api.pem"]],
        [queueName, ["clusters/prod/old.pem"]],
      ]);
      // The peer group's endpoint does not resolve here (as in the scheduled scan above); nothing else may fail.
      if (!outcome.ok)
        expect(outcome.error).toMatch(/^Error: certificate checks failed: peer-group:etcd-prod: /);
      else expect(outcome.result).toMatchObject({ mode: "full" });
    } finally {
      await sqs.close();
    }
  });
});
