/**
 * The endpoint scan as Lambda runs it on Node 24 (test/support/node24.ts):
 *   - the bundle the synth matrix wrote for its largest configuration (100 endpoints, every STARTTLS
 *     protocol, VPC placement; .ci/out/matrix/largest/cdk.out), whose endpoints do not resolve
 *     here (the DNS stand-in answers loopback names only): each must become its own `unreachable`
 *     finding and nothing may fail;
 *   - the same entry bundled with the stack's own esbuild options (lib/bundling.ts) for a
 *     configuration naming endpoints on loopback — an expired certificate over direct TLS, and SMTP
 *     and PostgreSQL servers that upgrade with STARTTLS — so Node 24's TLS stack shakes hands for real.
 * The stand-ins: s3rver (the CA bundle), dynalite (the alarm table), the loopback EventBridge.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalEventBus, startLocalEventBus } from "../../bin/local/event-bus";
import { parseConfig } from "../../functions/core/config";
import { ENV } from "../../functions/handlers/shared/environment";
import { esbuildOptions } from "../../lib/bundling";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../support/emulators";
import {
  type Bundle,
  invokeBundle,
  loadBundles,
  matrixAssembly,
  node24WorkDirectory,
} from "../support/node24";
import { chain, DAY, issue } from "../support/pki";
import { FUNCTION_DESCRIPTIONS } from "../support/template";
import {
  type LoopbackEndpoint,
  type StarttlsServer,
  startLoopbackEndpoint,
  startStarttlsServer,
} from "../support/tls-servers";

const ROOT = join(import.meta.dirname, "..", "..");
const ASSEMBLY = matrixAssembly("largest");
const HOST = "api.cluster.test";
const BUCKET = "endpoint-certificates";

let work: string;
let s3: LocalS3;
let dynamo: LocalDynamo;
let bus: LocalEventBus;
let synthesized: Bundle;
let loopback: Bundle;
const servers: (LoopbackEndpoint | StarttlsServer)[] = [];

beforeAll(async () => {
  work = node24WorkDirectory("endpoints");
  synthesized = loadBundles(ASSEMBLY, "Watchpost", work, {
    endpointScan: FUNCTION_DESCRIPTIONS.endpointScan,
  }).bundles.get("endpointScan")!;
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  bus = await startLocalEventBus();
  await dynamo.createAlarmTable(synthesized.env[ENV.alarmTable]!);
  await s3.client.send(new CreateBucketCommand({ Bucket: synthesized.env[ENV.certificateBucket]! }));

  const pki = await chain(HOST);
  const expired = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 90 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "trust/ca.pem", Body: pki.root.pem }));
  const direct = await startLoopbackEndpoint(expired, [pki.intermediate]);
  const smtp = await startStarttlsServer("smtp", pki.leaf, [pki.intermediate]);
  const postgres = await startStarttlsServer("postgres", pki.leaf, [pki.intermediate]);
  servers.push(direct, smtp, postgres);
  const config = parseConfig({
    certificates: { sources: [{ prefix: "certs/" }] },
    endpoints: {
      targets: [
        { endpoint: direct.endpoint, servername: HOST, caBundleKey: "trust/ca.pem" },
        { endpoint: smtp.endpoint, servername: HOST, caBundleKey: "trust/ca.pem", starttls: "smtp" },
        { endpoint: postgres.endpoint, servername: HOST, caBundleKey: "trust/ca.pem", starttls: "postgres" },
      ],
      timeoutMs: 5000,
    },
  });
  const path = join(work, "endpoint-scan-loopback.mjs");
  await build({
    ...esbuildOptions(join(ROOT, "functions", "handlers", "endpoint-scan.ts"), path, config),
    logLevel: "silent",
  });
  loopback = {
    path,
    env: {
      [ENV.certificateBucket]: BUCKET,
      [ENV.alarmTable]: "loopback-alarms",
      [ENV.eventBus]: "watchpost",
    },
  };
  await dynamo.createAlarmTable("loopback-alarms");
});

afterAll(async () => {
  await Promise.allSettled([...servers.map((s) => s.close()), s3?.stop(), dynamo?.stop(), bus?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

const SCHEDULED = { source: "aws.events", "detail-type": "Scheduled Event", detail: {} };

function invoke(bundle: Bundle) {
  return invokeBundle(work, "endpoint-scan", bundle, SCHEDULED, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
  });
}

describe("the endpoint scan on Node 24", () => {
  it("the synthesized bundle of the largest configuration: every unresolvable endpoint is its own unreachable finding", async () => {
    // Act: the configuration raises certificate alarms after two consecutive failing runs
    const first = await invoke(synthesized);
    const outcome = await invoke(synthesized);

    // Assess
    expect(first.ok, first.error ?? first.logs).toBe(true);
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toMatchObject({ endpoints: 100, reached: 0 });
    const connections = bus.events.filter(
      (e) =>
        e.detailType === "Alarm Raised" &&
        /^tls:\/\/e\d+\.cluster\.internal:\d+$/.test(String(e.detail.source)),
    );
    expect(connections).toHaveLength(100);
    expect(
      connections.every((e) => e.detail.check === "unreadable" && /ENOTFOUND/.test(String(e.detail.message))),
    ).toBe(true);
  });

  it("the stack's bundling of a loopback configuration: direct TLS and STARTTLS handshakes, the expired one raised", async () => {
    // Prepare
    const before = bus.events.length;

    // Act
    const outcome = await invoke(loopback);

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toMatchObject({ endpoints: 3, reached: 3 });
    const raised = bus.events.slice(before).map((e) => [e.detailType, e.detail.check, e.detail.source]);
    expect(raised).toEqual([["Alarm Raised", "expired", `tls://${servers[0]!.endpoint}#0`]]);
  });
});
