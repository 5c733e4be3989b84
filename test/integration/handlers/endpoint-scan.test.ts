/**
 * The endpoint scan end to end against real endpoints: node:tls servers on loopback (IPv4 and
 * IPv6), the CA bundle on s3rver, alarm state on dynalite, events through the publisher. An
 * endpoint's alarms are raised, kept while the endpoint cannot be reached (the connection failure
 * is a finding of its own and clears nothing it did not see), and cleared by the first probe that
 * sees the fault gone.
 */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WatchpostConfigInput } from "../../../functions/core/config";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { endpointScanner } from "../../support/endpoint-scan";
import { recordingEventBus } from "../../support/event-bus";
import { chain, DAY, type Issued, issue } from "../../support/pki";
import { type LoopbackEndpoint, startLoopbackEndpoint } from "../../support/tls-servers";

const HOST = "api.cluster.test";
const BUCKET = "endpoint-scan-certs";

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
let pki: Awaited<ReturnType<typeof chain>>;
let expired: Issued;
let endpoint: LoopbackEndpoint;
let ipv6: LoopbackEndpoint;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  pki = await chain(HOST, { ipAddresses: ["::1"] });
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "trust/ca.pem", Body: pki.root.pem }));
  expired = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - 2 * DAY),
  });
  endpoint = await startLoopbackEndpoint(expired, [pki.intermediate]);
  ipv6 = await startLoopbackEndpoint(pki.leaf, [pki.intermediate], "::1");
});

afterAll(async () => {
  bus.restore();
  await Promise.all([endpoint.close(), ipv6.close(), s3.stop(), dynamo.stop()]);
});

beforeEach(() => bus.clear());

const scanner = (endpoints: WatchpostConfigInput["endpoints"], table: string) =>
  endpointScanner({ s3, dynamo, bus, bucket: BUCKET }, endpoints, table);

const brief = (events: { type: string; check: string; source: string }[]) =>
  events.map((e) => [e.type, e.check, e.source]);

describe("endpoint scan", () => {
  it("raises an expired endpoint, keeps it while the endpoint is down or not speaking TLS, clears it after the reload", async () => {
    // Prepare
    const run = await scanner(
      {
        targets: [
          {
            endpoint: endpoint.endpoint,
            servername: HOST,
            caBundleKey: "trust/ca.pem",
            serviceName: "API server",
            // Location parameters as a source's; serviceName wins over a ServiceName here.
            parameters: { Cluster: "prod-east", ServiceName: "kube-apiserver" },
          },
        ],
        timeoutMs: 1000,
      },
      "endpoint-lifecycle",
    );
    const source = `tls://${endpoint.endpoint}`;

    // Act
    endpoint.mode = "tls";
    const first = await run();
    endpoint.mode = "plain";
    const notTls = await run();
    endpoint.mode = "silent";
    const silent = await run();
    endpoint.mode = "tls";
    await endpoint.serve(pki.leaf, [pki.intermediate]);
    const reloaded = await run();

    // Assess
    expect(first.outcome).toMatchObject({ endpoints: 1, reached: 1 });
    expect(brief(first.events)).toEqual([["Alarm Raised", "expired", `${source}#0`]]);
    expect(first.events[0]).toMatchObject({
      scope: `endpoint:${endpoint.endpoint}`,
      parameters: {
        Endpoint: endpoint.endpoint,
        HostName: HOST,
        ServiceName: "API server",
        Cluster: "prod-east",
      },
    });
    expect(first.events[0].message).toMatch(/reload or restart the service/);
    expect(first.events[0].message).not.toMatch(/replace the file/);
    // Not speaking TLS is its own finding, and the expired alarm stands: nothing was seen.
    expect(notTls.outcome).toMatchObject({ reached: 0 });
    expect(brief(notTls.events)).toEqual([["Alarm Raised", "unreadable", source]]);
    expect(notTls.events[0].message).toMatch(/answers, but is not speaking TLS/);
    expect(notTls.events[0].message).not.toMatch(/cannot be reached/);
    // A silent endpoint keeps the same connection alarm (updated, not raised twice) and clears nothing.
    expect(brief(silent.events)).toEqual([]);
    expect(brief(reloaded.events).sort()).toEqual(
      [
        ["Alarm Cleared", "expired", `${source}#0`],
        ["Alarm Cleared", "unreadable", source],
      ].sort(),
    );
  });

  it("writes IPv6 endpoints in brackets everywhere and judges the chain against the bucket's CA bundle", async () => {
    // Prepare
    const run = await scanner(
      {
        // No servername: the certificate must cover the IP address itself, however it is written.
        targets: [{ endpoint: `[0:0:0:0:0:0:0:1]:${ipv6.port}`, caBundleKey: "trust/ca.pem" }],
      },
      "endpoint-ipv6",
    );
    const wrongName = await scanner(
      {
        targets: [
          { endpoint: ipv6.endpoint, expectedHostnames: ["other.cluster.test"], caBundleKey: "trust/ca.pem" },
        ],
      },
      "endpoint-ipv6-name",
    );

    // Act
    const healthy = await run();
    const mismatch = await wrongName();

    // Assess
    expect(healthy.outcome).toMatchObject({ reached: 1, transitions: 0 });
    expect(mismatch.events).toHaveLength(1);
    expect(mismatch.events[0]).toMatchObject({
      check: "hostname-mismatch",
      source: `tls://[::1]:${ipv6.port}#0`,
      scope: `endpoint:[::1]:${ipv6.port}`,
      parameters: { Endpoint: `[::1]:${ipv6.port}`, HostName: "::1" },
    });
  });

  it("judges against the public roots without a CA bundle, and keeps chain alarms when the bundle cannot be read", async () => {
    // Prepare
    const publicRoots = await scanner(
      { targets: [{ endpoint: ipv6.endpoint, servername: HOST }] },
      "endpoint-public",
    );
    const missingBundle = await scanner(
      { targets: [{ endpoint: ipv6.endpoint, servername: HOST, caBundleKey: "trust/missing.pem" }] },
      "endpoint-missing-bundle",
    );

    // Act
    const untrusted = await publicRoots();
    const withoutBundle = await missingBundle();

    // Assess
    expect(brief(untrusted.events)).toEqual([
      ["Alarm Raised", "untrusted-chain", `tls://${ipv6.endpoint}#0`],
    ]);
    expect(brief(withoutBundle.events)).toEqual([
      ["Alarm Raised", "unreadable", `s3://${BUCKET}/trust/missing.pem`],
    ]);
  });
});
