/**
 * PKCS#12 verdicts are remembered by ETag and password fingerprint, through the real scan function
 * on local stand-ins (s3rver, dynalite): an unchanged PKCS#12 object, good or bad, costs one
 * download and one key derivation, not one every night; a rotated password reads it again. The
 * inventory keeps a fingerprint of the password (scrypt), never the password.
 */

import { gunzipSync } from "node:zlib";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { chain, pkcs12 } from "../../support/pki";
import { SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";

const BUCKET = "pkcs12-verdicts";
const OLD_PASSWORD = "old correct horse";
const NEW_PASSWORD = "new battery staple";

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
const requests: string[] = [];

const config = parseConfig({
  certificates: { sources: [{ prefix: "vault/", pkcs12PasswordSecretName: "watchpost/p12" }] },
});

function countRequests(client: S3Client) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "countRequests" },
  );
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  countRequests(s3.client);
});

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

function events(): string[] {
  return bus.sent
    .map((e) => {
      const detail = JSON.parse(e.Detail ?? "{}");
      return `${e.DetailType} ${detail.check} ${detail.source}`;
    })
    .sort();
}

const downloads = () => requests.filter((r) => r === "GetObjectCommand").length;

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
      config,
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
