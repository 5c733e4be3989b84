/**
 * Served vs stored, against real services on loopback: a node:tls endpoint whose certificate is
 * swapped with setSecureContext, its stored copy on s3rver, alarm state on dynalite. The served
 * leaf is compared with the stored one by SHA-256; the alarm says which is newer and what to do,
 * and clears when they match again. Peers of a group with both a stored certificate and a live
 * endpoint are compared the same way.
 */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlarmStore } from "../../../functions/adapters/alarm-store";
import { documentClient } from "../../../functions/adapters/clients/dynamodb";
import { endpointFetcher } from "../../../functions/adapters/tls-endpoint";
import { lifecyclePolicyFrom } from "../../../functions/core/alarms/lifecycle-policy";
import { parseConfig } from "../../../functions/core/config";
import { checkPeerGroup } from "../../../functions/core/scan/peer-group-check";
import { endpointScanDeps, runEndpointScan } from "../../../functions/handlers/endpoint-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { memoryStore } from "../../support/in-memory-ports";
import { chain, DAY, type Issued, issue } from "../../support/pki";
import { type LoopbackEndpoint, startLoopbackEndpoint } from "../../support/tls-servers";

const HOST = "api.cluster.test";
const BUCKET = "served-vs-stored";

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
let pki: Awaited<ReturnType<typeof chain>>;
let old: Issued;
let renewed: Issued;
let endpoint: LoopbackEndpoint;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  pki = await chain(HOST);
  old = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 300 * DAY),
    notAfter: new Date(Date.now() + 20 * DAY),
  });
  renewed = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 395 * DAY),
  });
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "trust/ca.pem", Body: pki.root.pem }));
  endpoint = await startLoopbackEndpoint(old, [pki.intermediate]);
});

afterAll(async () => {
  bus.restore();
  await Promise.all([endpoint.close(), s3.stop(), dynamo.stop()]);
});

const store = (body: string) =>
  s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "prod/api.pem", Body: body }));

describe("served vs stored", () => {
  it("says the service still serves the old certificate after a renewal on disk, and clears after the reload", async () => {
    // Prepare
    const config = parseConfig({
      certificates: { sources: [{ prefix: "prod/" }] },
      endpoints: {
        targets: [
          {
            endpoint: endpoint.endpoint,
            servername: HOST,
            caBundleKey: "trust/ca.pem",
            storedCertificateKey: "prod/api.pem",
          },
        ],
      },
    });
    const deps = endpointScanDeps({
      config,
      s3: s3.client,
      bucket: BUCKET,
      alarms: {
        store: createAlarmStore({
          tableName: await dynamo.createAlarmTable("served-vs-stored"),
          client: documentClient(dynamo.client),
        }),
        publisher: bus.publisher,
        policy: lifecyclePolicyFrom(config.alarms),
      },
    });
    const run = async () => {
      const before = bus.sent.length;
      await runEndpointScan(deps);
      return bus.sent
        .slice(before)
        .map((e) => ({ type: e.DetailType, ...JSON.parse(e.Detail ?? "{}") }))
        .filter((e) => e.check === "served-mismatch");
    };

    // Act
    await store(`${old.pem}\n${pki.intermediate.pem}`);
    const same = await run();
    await store(`${renewed.pem}\n${pki.intermediate.pem}`);
    const renewedOnDisk = await run();
    await endpoint.serve(renewed, [pki.intermediate]);
    const reloaded = await run();
    await store(`${old.pem}\n${pki.intermediate.pem}`);
    const storeBehind = await run();

    // Assess
    expect(same).toEqual([]);
    expect(renewedOnDisk).toHaveLength(1);
    expect(renewedOnDisk[0]).toMatchObject({
      type: "Alarm Raised",
      alarmId: "1008",
      severity: "major",
      source: `tls://${endpoint.endpoint}#0`,
      parameters: { Endpoint: endpoint.endpoint, Bucket: BUCKET, Key: "prod/api.pem" },
    });
    expect(renewedOnDisk[0].message).toMatch(
      /renewed on disk but the service at .* still serves the old one — reload or restart the service/,
    );
    expect(reloaded.map((e) => e.type)).toEqual(["Alarm Cleared"]);
    expect(storeBehind).toHaveLength(1);
    expect(storeBehind[0]).toMatchObject({ type: "Alarm Raised", severity: "minor" });
    expect(storeBehind[0].message).toMatch(
      /serves a certificate the store does not have — update the stored copy/,
    );
  });

  it("compares each peer's served certificate with its stored one, and keeps the alarm when a side cannot be read", async () => {
    // Prepare
    const memory = memoryStore("peers");
    memory.put("trust/ca.pem", pki.root.pem);
    memory.put("peers/api.pem", `${old.pem}\n${pki.intermediate.pem}`);
    const config = parseConfig({
      certificates: {
        sources: [{ prefix: "other/" }],
        peerGroups: [
          {
            name: "control-plane",
            caBundleKey: "trust/ca.pem",
            peers: [{ fqdn: HOST, certificateKey: "peers/api.pem", endpoint: endpoint.endpoint }],
          },
        ],
      },
    });
    const ctx = {
      store: memory.store,
      certificates: config.certificates,
      now: new Date(),
      keystorePassword: async (name: string): Promise<string> => {
        throw new Error(`no secret ${name} in this test`);
      },
      fetchEndpoint: endpointFetcher(2000),
    };
    const group = config.certificates.peerGroups[0]!;

    // Act: the endpoint serves the renewed certificate (previous test), the store holds the old one
    const differ = await checkPeerGroup(group, ctx);
    memory.faults.unreachable.add("peers/api.pem");
    const storeDown = await checkPeerGroup(group, ctx);

    // Assess
    const mismatch = differ.run.findings.filter((f) => f.check === "served-mismatch");
    expect(mismatch).toMatchObject([
      {
        severity: "minor",
        source: `peer-group:control-plane@live/${HOST}#0`,
        details: { newer: "served-newer", peer: HOST, group: "control-plane" },
      },
    ]);
    expect(storeDown.run.examinedChecks).not.toContain("served-mismatch");
  });
});
