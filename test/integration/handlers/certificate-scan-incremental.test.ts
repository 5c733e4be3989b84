/**
 * Incremental scans, through the real scan function on local stand-ins (s3rver, dynalite): the
 * inventory keeps each object's ETag and certificate facts, so an unchanged store costs a listing
 * and no downloads, yet every finding still comes out, expiry included, as time moves on. PKCS#12
 * verdicts are kept by ETag and password fingerprint: an unchanged PKCS#12 object, good or bad,
 * costs one download and one key derivation, not one every night; a rotated password reads it
 * again; the inventory keeps a fingerprint of the password (scrypt), never the password.
 */
import { gunzipSync } from "node:zlib";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { type CertificateScanDeps, runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { chain, DAY, type Issued, issue, pkcs12 } from "../../support/pki";
import { countS3Requests, SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";

const BUCKET = "incremental-certs";
const HOST = "api.prod.example.com";

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
let pki: Awaited<ReturnType<typeof chain>>;
let requests: string[] = [];

const OLD_PASSWORD = "old correct horse";
const NEW_PASSWORD = "new battery staple";
const P12_CONFIG = parseConfig({
  certificates: { sources: [{ prefix: "vault/", pkcs12PasswordSecretName: "watchpost/p12" }] },
});

const config = parseConfig({
  certificates: {
    sources: [{ prefix: "prod/", expectedHostnames: [HOST], caBundleKey: "trust/ca.pem" }],
  },
});

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  requests = countS3Requests(s3.client);
  pki = await chain(HOST);
  await put("trust/ca.pem", pki.root);
});

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

beforeEach(async () => {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "prod/" }));
  for (const object of listed.Contents ?? []) {
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: object.Key }));
  }
  bus.clear();
  requests.length = 0;
});

async function put(key: string, ...certs: Issued[]) {
  const body = certs.map((c) => c.pem).join("\n");
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function freshDeps(at?: () => Date): Promise<CertificateScanDeps> {
  const harness = await scanHarness({
    config,
    bucket: BUCKET,
    s3: s3.client,
    dynamo,
    bus,
    inventory: true,
    secrets: { read: async () => "" },
    ...(at ? { now: at } : {}),
  });
  return harness.deps;
}

/** What an operator would see on the bus: "<detail-type> <check> <source>". */
const events = (): string[] => bus.lines();

const downloads = () => requests.filter((r) => r === "GetObjectCommand").length;
const uri = (key: string) => `s3://${BUCKET}/${key}`;

describe("incremental certificate scan", () => {
  it("scans an unchanged store with zero downloads and the same findings", async () => {
    // Prepare
    await Promise.all([
      put("prod/healthy.pem", await issue({ dnsNames: [HOST], issuer: pki.intermediate }), pki.intermediate),
      put(
        "prod/expired.pem",
        await issue({
          dnsNames: [HOST],
          issuer: pki.intermediate,
          notBefore: new Date(Date.now() - 60 * DAY),
          notAfter: new Date(Date.now() - DAY),
        }),
        pki.intermediate,
      ),
      put("prod/untrusted.pem", await issue({ dnsNames: [HOST] })),
      put(
        "prod/other-host.pem",
        await issue({ dnsNames: ["old.example.com"], issuer: pki.intermediate }),
        pki.intermediate,
      ),
    ]);
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "prod/corrupt.pem",
        Body: "-----BEGIN CERTIFICATE-----\nnot base64!\n",
      }),
    );
    const deps = await freshDeps();

    // Act
    const first = await runCertificateScan(SCHEDULED_EVENT, deps);
    const firstDownloads = downloads();
    const raised = events();
    bus.clear();
    requests.length = 0;
    const second = await runCertificateScan(SCHEDULED_EVENT, deps);

    // Assess
    expect(firstDownloads).toBe(6); // five certificates and the trust bundle
    expect(first.objects).toEqual({ downloaded: 5, reused: 0 });
    expect(raised).toEqual([
      `Alarm Raised expired ${uri("prod/expired.pem#0")}`,
      `Alarm Raised hostname-mismatch ${uri("prod/other-host.pem#0")}`,
      `Alarm Raised unreadable ${uri("prod/corrupt.pem")}`,
      `Alarm Raised untrusted-chain ${uri("prod/untrusted.pem#0")}`,
    ]);
    expect(second.objects).toEqual({ downloaded: 0, reused: 5 });
    expect(requests.filter((r) => r === "GetObjectCommand")).toEqual(["GetObjectCommand"]); // the trust bundle only
    expect(second.findings).toBe(first.findings);
    expect(second.certificates).toBe(first.certificates);
    expect(events()).toEqual([]); // nothing raised twice, nothing cleared
  });

  it("re-reads a changed object, clears a deleted object's alarms, and still fires expiry as time passes", async () => {
    // Prepare
    let now = new Date();
    const deps = await freshDeps(() => now);
    const soon = await issue({
      dnsNames: [HOST],
      issuer: pki.intermediate,
      notAfter: new Date(Date.now() + 40 * DAY),
    });
    await Promise.all([
      put(
        "prod/renew-me.pem",
        await issue({
          dnsNames: [HOST],
          issuer: pki.intermediate,
          notAfter: new Date(Date.now() - DAY),
          notBefore: new Date(Date.now() - 30 * DAY),
        }),
        pki.intermediate,
      ),
      put(
        "prod/retired.pem",
        await issue({ dnsNames: ["retired.example.com"], issuer: pki.intermediate }),
        pki.intermediate,
      ),
      put("prod/soon.pem", soon, pki.intermediate),
    ]);
    await runCertificateScan(SCHEDULED_EVENT, deps);
    bus.clear();
    requests.length = 0;

    // Act: renew one object, delete another, and let fifteen days pass
    await put(
      "prod/renew-me.pem",
      await issue({ dnsNames: [HOST], issuer: pki.intermediate }),
      pki.intermediate,
    );
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "prod/retired.pem" }));
    requests.length = 0;
    now = new Date(Date.now() + 15 * DAY);
    const later = await runCertificateScan(SCHEDULED_EVENT, deps);

    // Assess
    expect(later.objects).toEqual({ downloaded: 1, reused: 1 });
    expect(downloads()).toBe(2); // the renewed object and the trust bundle
    expect(events()).toEqual([
      `Alarm Cleared expired ${uri("prod/renew-me.pem#0")}`,
      `Alarm Cleared hostname-mismatch ${uri("prod/retired.pem#0")}`,
      `Alarm Raised expiring ${uri("prod/soon.pem#0")}`,
    ]);
  });

  it("does not download again on the next scan what an S3 event re-check has just read", async () => {
    // Prepare
    const deps = await freshDeps();
    await put("prod/api.pem", await issue({ dnsNames: [HOST], issuer: pki.intermediate }), pki.intermediate);
    await runCertificateScan(SCHEDULED_EVENT, deps);
    await put("prod/api.pem", await issue({ dnsNames: [HOST], issuer: pki.intermediate }), pki.intermediate);
    await runCertificateScan(
      {
        source: "aws.s3",
        "detail-type": "Object Created",
        detail: { bucket: { name: BUCKET }, object: { key: "prod/api.pem" } },
      },
      deps,
    );
    requests.length = 0;

    // Act
    const next = await runCertificateScan(SCHEDULED_EVENT, deps);

    // Assess
    expect(next.objects).toEqual({ downloaded: 0, reused: 1 });
  });

  it("reads every object again when the trust bundle changes", async () => {
    // Prepare
    const deps = await freshDeps();
    await put("prod/leaf.pem", await issue({ dnsNames: [HOST], issuer: pki.intermediate }), pki.intermediate);
    await runCertificateScan(SCHEDULED_EVENT, deps);
    const other = await chain(HOST);

    // Act: the bundle now trusts another root only
    await put("trust/ca.pem", other.root);
    requests.length = 0;
    bus.clear();
    const after = await runCertificateScan(SCHEDULED_EVENT, deps);
    await put("trust/ca.pem", pki.root);

    // Assess
    expect(after.objects.reused).toBe(0);
    expect(after.objects.downloaded).toBeGreaterThan(0);
    expect(events()).toContain(`Alarm Raised untrusted-chain ${uri("prod/leaf.pem#0")}`);
  });
});

describe("PKCS#12 verdicts in the object inventory", () => {
  it("reads an unchanged PKCS#12 object once per password, keeping only a fingerprint of it", async () => {
    // Prepare: one file for the current password, one for the next
    const { leaf } = await chain("p12.cluster.local");
    for (const [key, password] of [
      ["vault/current.p12", OLD_PASSWORD],
      ["vault/next.p12", NEW_PASSWORD],
    ] as const) {
      const body = await pkcs12([leaf.der], { password });
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    }
    let password = OLD_PASSWORD;
    const { deps, scanStateTable } = await scanHarness({
      config: P12_CONFIG,
      bucket: BUCKET,
      s3: s3.client,
      dynamo,
      bus,
      inventory: true,
      secrets: { read: async () => password },
    });

    // Act
    const first = await runCertificateScan(SCHEDULED_EVENT, deps);
    const raised = events();
    const firstDownloads = downloads();
    bus.clear();
    const second = await runCertificateScan(SCHEDULED_EVENT, deps);
    const secondDownloads = downloads() - firstDownloads;
    password = NEW_PASSWORD;
    const third = await runCertificateScan(SCHEDULED_EVENT, deps);
    const afterRotation = events();
    const records = await dynamo.client.send(new ScanCommand({ TableName: scanStateTable }));

    // Assess
    expect(first.objects).toEqual({ downloaded: 2, reused: 0 });
    expect(raised).toEqual([`Alarm Raised unreadable s3://${BUCKET}/vault/next.p12`]);
    expect(second.objects).toEqual({ downloaded: 0, reused: 2 });
    expect(secondDownloads).toBe(0);
    expect(third.objects).toEqual({ downloaded: 2, reused: 0 });
    expect(afterRotation).toEqual([
      `Alarm Cleared unreadable s3://${BUCKET}/vault/next.p12`,
      `Alarm Raised unreadable s3://${BUCKET}/vault/current.p12`,
    ]);
    // Records are stored gzipped (functions/adapters/object-inventory.ts).
    const stored = (records.Items ?? [])
      .map((item) => gunzipSync(Buffer.from(item.record?.B ?? new Uint8Array())).toString("utf8"))
      .join("\n");
    expect(stored).toContain("scrypt:");
    expect(stored).not.toContain(OLD_PASSWORD);
    expect(stored).not.toContain(NEW_PASSWORD);
  });
});
