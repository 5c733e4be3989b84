/**
 * Object keys in S3 events, end to end through the certificate-scan handler against s3rver.
 *
 * EventBridge delivers `detail.object.key` as the key is stored (Amazon S3 User Guide, "EventBridge
 * event message structure"; a real capture shows `:` unescaped), unlike the S3 notification format
 * for SQS/SNS/Lambda, where "the object key name value is URL encoded", spaces as `+` (S3 User
 * Guide, "Event message structure"). The handler reads the key as delivered; when that object does
 * not exist and its decoded form does, the event was encoded, and it uses the decoded key. So a
 * renewal clears its own alarm, and no phantom alarm is raised for a key that does not exist.
 */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/core/config";
import { type CertificateScanDeps, runCertificateScan } from "../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../support/emulators";
import { recordingEventBus } from "../support/event-bus";
import { DAY, issue } from "../support/pki";
import { scanHarness } from "../support/scan-harness";

const BUCKET = "cluster-certs";
const KEYS = [
  "prod/a+b.pem",
  "prod/100%.pem",
  "prod/with space.pem",
  "prod/host:443.pem",
  "prod/a b+c%20d.pem",
];

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
const config = parseConfig({ certificates: { sources: [{ prefix: "prod/" }] } });

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const expired = await issue({
    subject: "CN=api.example.com",
    notBefore: new Date(Date.now() - 60 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  for (const key of KEYS) {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: expired.pem }));
  }
});

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

beforeEach(() => bus.clear());

/** The scan as the deployed function wires it (certificateScanDeps), fresh tables each time. */
async function deps(): Promise<CertificateScanDeps> {
  return (await scanHarness({ config, bucket: BUCKET, s3: s3.client, dynamo, bus })).deps;
}

const objectCreated = (key: string) => ({
  source: "aws.s3",
  "detail-type": "Object Created",
  detail: { bucket: { name: BUCKET }, object: { key } },
});

/** [check, source] of every alarm raised. */
const raised = () =>
  bus.sent
    .filter((e) => e.DetailType === "Alarm Raised")
    .map((e) => {
      const detail = JSON.parse(e.Detail ?? "{}");
      return [detail.check, detail.source];
    });

describe("S3 object events re-check the object the key names", () => {
  it.each(KEYS)("as EventBridge delivers it (stored form): %s", async (key) => {
    // Act
    await runCertificateScan(objectCreated(key), await deps());

    // Assess: the real object was read (expired), and no phantom "unreadable" for a decoded key
    expect(raised()).toEqual([["expired", `s3://${BUCKET}/${key}#0`]]);
  });

  it.each(KEYS)("as the URL-encoded notification format writes it: %s", async (key) => {
    // Prepare: S3's notification encoding (spaces as '+', the rest percent-encoded, '/' kept)
    const encoded = encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");

    // Act
    await runCertificateScan(objectCreated(encoded), await deps());

    // Assess
    expect(raised()).toEqual([["expired", `s3://${BUCKET}/${key}#0`]]);
  });

  it("prefers the key as delivered when both it and its decoded form exist", async () => {
    // Prepare: "prod/a+b.pem" and, decoded, "prod/a b.pem" — only the first is stored here
    await s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "prod/x y.pem", Body: "not a certificate" }),
    );
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "prod/x+y.pem",
        Body: (
          await issue({
            subject: "CN=x",
            notBefore: new Date(Date.now() - 2 * DAY),
            notAfter: new Date(Date.now() - DAY),
          })
        ).pem,
      }),
    );

    // Act
    await runCertificateScan(objectCreated("prod/x+y.pem"), await deps());

    // Assess
    expect(raised()).toEqual([["expired", `s3://${BUCKET}/prod/x+y.pem#0`]]);
  });
});
