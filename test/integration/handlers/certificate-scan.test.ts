/**
 * The certificate-scan function end to end on local stand-ins: certificates in s3rver, alarm state
 * in dynalite, events through the EventBridge publisher (mocked client). Proves what an operator
 * relies on: a scheduled scan raises, an uploaded renewal clears its alarm on the object event
 * alone, a deleted certificate clears and raises nothing, and a partial re-check clears nothing else.
 */

import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { type CertificateScanDeps, runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { objectKeyOf } from "../../../functions/handlers/certificate-scan/events";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { chain, DAY, type Issued, issue, pkcs12 } from "../../support/pki";
import { scanHarness } from "../../support/scan-harness";

const BUCKET = "cluster-certs";
const HOST = "api.prod.example.com";

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
let pki: Awaited<ReturnType<typeof chain>>;

const config = parseConfig({
  certificates: {
    sources: [{ prefix: "prod/", expectedHostnames: [HOST], caBundleKey: "trust/ca.pem" }],
    peerGroups: [
      {
        name: "etcd",
        caBundleKey: "trust/ca.pem",
        peers: [
          { fqdn: "etcd-1.prod.example.com", certificateKey: "peers/etcd-1.pem" },
          { fqdn: "etcd-2.prod.example.com", certificateKey: "peers/etcd-2.pem" },
        ],
      },
    ],
  },
});

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  pki = await chain(HOST);
});

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

beforeEach(() => bus.clear());

async function put(key: string, ...certs: Issued[]) {
  const body = certs.map((c) => c.pem).join("\n");
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function freshDeps(): Promise<CertificateScanDeps> {
  return (await scanHarness({ config, bucket: BUCKET, s3: s3.client, dynamo, bus })).deps;
}

/** What an operator would see on the bus: [detail-type, check, source]. */
function events(): [string, string, string][] {
  return bus.sent
    .map((e) => {
      const detail = JSON.parse(e.Detail ?? "{}");
      return [e.DetailType ?? "", detail.check, detail.source] as [string, string, string];
    })
    .sort((a, b) => a.join(" ").localeCompare(b.join(" ")));
}

function objectEvent(change: "Object Created" | "Object Deleted", key: string) {
  return {
    source: "aws.s3",
    "detail-type": change,
    // EventBridge delivers keys as stored (test/deployment/object-event-keys.test.ts).
    detail: { bucket: { name: BUCKET }, object: { key } },
  };
}

describe("certificate-scan function", () => {
  it("raises on the scheduled scan, clears on a renewal's object event, and clears nothing it did not re-check", async () => {
    // Prepare
    const deps = await freshDeps();
    const expired = await issue({
      subject: `CN=${HOST}`,
      dnsNames: [HOST],
      issuer: pki.intermediate,
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const wrongName = await issue({
      subject: "CN=old.example.com",
      dnsNames: ["old.example.com"],
      issuer: pki.intermediate,
    });
    const etcd1 = await issue({ dnsNames: ["etcd-1.prod.example.com"], issuer: pki.intermediate });
    const etcd2 = await issue({ dnsNames: ["etcd-9.prod.example.com"], issuer: pki.intermediate });
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "trust/ca.pem", Body: pki.root.pem }));
    await put("prod/api server.pem", expired, pki.intermediate);
    await put("prod/healthy.pem", pki.leaf, pki.intermediate);
    await put("prod/legacy.pem", wrongName, pki.intermediate);
    await put("peers/etcd-1.pem", etcd1, pki.intermediate);
    await put("peers/etcd-2.pem", etcd2, pki.intermediate);

    // Act 1: the 01:00 scan
    const scheduled = await runCertificateScan(
      { "detail-type": "Scheduled Event", source: "aws.events" },
      deps,
    );

    // Assess 1
    expect(scheduled).toMatchObject({ mode: "full", complete: true, runs: 2 });
    expect(events()).toEqual([
      ["Alarm Raised", "expired", `s3://${BUCKET}/prod/api server.pem#0`],
      ["Alarm Raised", "hostname-mismatch", "peer-group:etcd/etcd-2.prod.example.com#0"],
      ["Alarm Raised", "hostname-mismatch", `s3://${BUCKET}/prod/legacy.pem#0`],
    ]);

    // Act 2: the operator uploads a renewed certificate
    bus.clear();
    await put("prod/api server.pem", pki.leaf, pki.intermediate);
    const renewed = await runCertificateScan(objectEvent("Object Created", "prod/api server.pem"), deps);

    // Assess 2: that alarm clears, saying what the object now holds; the legacy file, not re-checked, keeps its alarm
    expect(renewed).toMatchObject({ mode: "object", complete: false });
    expect(events()).toEqual([["Alarm Cleared", "expired", `s3://${BUCKET}/prod/api server.pem#0`]]);
    const cleared = JSON.parse(bus.sent[0]!.Detail ?? "{}");
    expect(cleared.resolution).toEqual({
      text: expect.stringMatching(new RegExp(`^${pki.leaf.cert.subject}, valid .* \\(\\d+ days left\\)$`)),
      subject: pki.leaf.cert.subject,
      notBefore: expect.any(String),
      notAfter: pki.leaf.cert.notAfter.toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
    expect(cleared.parameters).toMatchObject({ Bucket: BUCKET, Key: "prod/api server.pem" });

    // Act 3: the legacy certificate is removed
    bus.clear();
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "prod/legacy.pem" }));
    await runCertificateScan(objectEvent("Object Deleted", "prod/legacy.pem"), deps);

    // Assess 3
    expect(events()).toEqual([["Alarm Cleared", "hostname-mismatch", `s3://${BUCKET}/prod/legacy.pem#0`]]);
    expect(JSON.parse(bus.sent[0]!.Detail ?? "{}").resolution).toEqual({
      text: "the file was deleted from the store",
    });

    // Act 4: the next scheduled scan finds only the peer still wrong, already raised
    bus.clear();
    await runCertificateScan({}, deps);

    // Assess 4
    expect(events()).toEqual([]);
  });

  it("re-checks a peer group when a peer's certificate changes", async () => {
    // Prepare
    const deps = await freshDeps();
    const etcd2 = await issue({ dnsNames: ["etcd-9.prod.example.com"], issuer: pki.intermediate });
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "trust/ca.pem", Body: pki.root.pem }));
    await put(
      "peers/etcd-1.pem",
      await issue({ dnsNames: ["etcd-1.prod.example.com"], issuer: pki.intermediate }),
      pki.intermediate,
    );
    await put("peers/etcd-2.pem", etcd2, pki.intermediate);
    await runCertificateScan({}, deps);
    bus.clear();

    // Act
    await put(
      "peers/etcd-2.pem",
      await issue({ dnsNames: ["etcd-2.prod.example.com"], issuer: pki.intermediate }),
      pki.intermediate,
    );
    const outcome = await runCertificateScan(objectEvent("Object Created", "peers/etcd-2.pem"), deps);

    // Assess
    expect(outcome).toMatchObject({ mode: "object", runs: 1 });
    expect(events()).toEqual([
      ["Alarm Cleared", "hostname-mismatch", "peer-group:etcd/etcd-2.prod.example.com#0"],
    ]);
  });

  it("tells the operator of a deployed stack to configure the source's secret, not a CLI variable, for a PKCS#12 file without password", async () => {
    // Prepare
    const deps: CertificateScanDeps = {
      ...(await freshDeps()),
      config: parseConfig({ certificates: { sources: [{ prefix: "vault/" }] } }),
    };
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "vault/node.p12",
        Body: await pkcs12([pki.leaf.der], { password: "s3cret" }),
      }),
    );

    // Act
    await runCertificateScan({}, deps);

    // Assess
    const [raised] = bus.sent.map((e) => JSON.parse(e.Detail ?? "{}"));
    expect(raised).toMatchObject({ check: "unreadable", source: `s3://${BUCKET}/vault/node.p12` });
    expect(raised.message).toContain(
      'no password was given (source "vault/" has no keystorePasswordSecretName; create a Secrets Manager secret with the password and name it there)',
    );
    expect(raised.message).not.toContain("WATCHPOST_PKCS12_PASSWORD");
    expect(raised.message).not.toContain("WATCHPOST_KEYSTORE_PASSWORD");
  });

  it("judges everything else when the PKCS#12 password secret cannot be read, and clears once it can", async () => {
    // Prepare
    const secretName = "watchpost/p12-password";
    const password = "correct horse battery staple";
    const withSecret = parseConfig({
      certificates: { sources: [{ prefix: "vault/", pkcs12PasswordSecretName: secretName }] },
    });
    let secretReadable = false;
    const deps: CertificateScanDeps = {
      ...(await freshDeps()),
      config: withSecret,
      secrets: {
        read: async (name) => {
          if (!secretReadable) throw new Error(`cannot read secret ${name} (AccessDeniedException)`);
          return password;
        },
      },
    };
    const expired = await issue({
      dnsNames: [HOST],
      issuer: pki.intermediate,
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "vault/node.p12",
        Body: await pkcs12([pki.leaf.der, pki.intermediate.der], { password }),
      }),
    );
    await put("vault/old.pem", expired);

    // Act
    const withoutSecret = await runCertificateScan({}, deps);
    const raised = events();
    bus.clear();
    secretReadable = true;
    await runCertificateScan({}, deps);

    // Assess
    expect(withoutSecret).toMatchObject({ mode: "full", complete: true });
    expect(raised).toEqual([
      ["Alarm Raised", "expired", `s3://${BUCKET}/vault/old.pem#0`],
      ["Alarm Raised", "unreadable", `s3://${BUCKET}/vault/node.p12`],
      ["Alarm Raised", "unreadable", `secretsmanager:${secretName}`],
    ]);
    expect(events()).toEqual([
      ["Alarm Cleared", "unreadable", `s3://${BUCKET}/vault/node.p12`],
      ["Alarm Cleared", "unreadable", `secretsmanager:${secretName}`],
    ]);
    expect(bus.sent.map((e) => e.Detail).join("\n")).not.toContain(password);
  });

  it("settles every other scope when one scope's check fails, then fails the invocation", async () => {
    // Prepare: a store adapter that breaks on the peer group's CA bundle; a prefix of its own
    const base = await freshDeps();
    const deps: CertificateScanDeps = {
      ...base,
      store: {
        ...base.store,
        load: async (key, options) => {
          if (key === "trust/ca.pem" && options.knownSize === undefined) throw new Error("socket hang up");
          return base.store.load(key, options);
        },
      },
      config: parseConfig({
        certificates: {
          sources: [{ prefix: "other-scope/" }],
          peerGroups: [config.certificates.peerGroups[0]],
        },
      }),
    };
    const expired = await issue({
      dnsNames: [HOST],
      issuer: pki.intermediate,
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    await put("other-scope/broken-peer-day.pem", expired, pki.intermediate);

    // Act
    const run = runCertificateScan({}, deps);

    // Assess
    await expect(run).rejects.toThrow(/certificate checks failed: peer-group:etcd: Error: socket hang up/);
    expect(events()).toContainEqual([
      "Alarm Raised",
      "expired",
      `s3://${BUCKET}/other-scope/broken-peer-day.pem#0`,
    ]);
  });

  it("reads object keys as EventBridge delivers them, unencoded", () => {
    expect(objectKeyOf(objectEvent("Object Created", "prod/api server+1.pem") as never)).toBe(
      "prod/api server+1.pem",
    );
  });
});
