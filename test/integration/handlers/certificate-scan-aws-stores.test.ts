/**
 * Certificates kept in ACM and Secrets Manager, end to end through the real certificate-scan
 * function, the real SDK clients and adapters, and loopback stand-ins speaking the services' JSON
 * protocol (bin/local/aws-certificate-stores.ts), with alarms in dynalite and events on the
 * recording bus: an ACM certificate not eligible for renewal and a PEM secret expiring raise their
 * alarms with the account, region and ARN, and clear once ACM may renew it and the secret holds a
 * renewed certificate. The secret's private key appears in no event.
 */
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalAwsCertificateStores,
  startLocalAwsCertificateStores,
} from "../../../bin/local/aws-certificate-stores";
import { awsCertificateClients, awsSourceAdapters } from "../../../functions/adapters/aws-certificates";
import { parseConfig } from "../../../functions/core/config";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { DAY, issue, privateKeyPem } from "../../support/pki";
import { SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";

const BUCKET = "aws-stores-certs";
const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const ACM_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0c6e3b5f-1111-2222-3333-444455556666`;
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/kafka-broker-AbCdEf`;
const ALB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/shop/50dc6c495c0c9188`;

let s3: LocalS3;
let dynamo: LocalDynamo;
let stores: LocalAwsCertificateStores;
const bus = recordingEventBus();

interface BusEvent {
  DetailType: string;
  detail: {
    check: string;
    severity: string;
    source: string;
    message: string;
    parameters: Record<string, string>;
  };
}
/** The alarm events the scan put on the bus, their detail parsed. */
const events = (): BusEvent[] =>
  bus.sent.map((e) => ({ DetailType: String(e.DetailType), detail: JSON.parse(String(e.Detail)) }));

const config = parseConfig({
  certificates: { sources: [{ prefix: "certs/" }] },
  awsCertificates: {
    acm: [{ regions: [REGION] }],
    secretsManager: [{ regions: [REGION], namePrefix: "tls/", parameters: { ServiceName: "Kafka" } }],
  },
});

beforeAll(async () => {
  [s3, dynamo, stores] = await Promise.all([
    startS3rver(),
    startDynalite(),
    startLocalAwsCertificateStores(),
  ]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop(), stores.close()]);
});

describe("certificates kept in ACM and Secrets Manager, through the certificate-scan function", () => {
  it("raises renewal-ineligible and expiring with their location, and clears both once fixed", async () => {
    // Prepare
    const now = Date.now();
    stores.acm.set(ACM_ARN, {
      arn: ACM_ARN,
      domainName: "shop.example.com",
      type: "AMAZON_ISSUED",
      status: "ISSUED",
      notBefore: new Date(now - 300 * DAY),
      notAfter: new Date(now + 50 * DAY),
      inUseBy: [ALB],
      renewalEligibility: "INELIGIBLE",
    });
    const expiring = await issue({
      subject: "CN=kafka-1.example.com",
      dnsNames: ["kafka-1.example.com"],
      notAfter: new Date(now + 5 * DAY),
    });
    const key = await privateKeyPem(expiring.keys);
    stores.secrets.set(SECRET_ARN, {
      arn: SECRET_ARN,
      name: "tls/kafka-broker",
      versionId: "a1b2c3d4-0001",
      value: `${expiring.pem}${key}`,
    });
    const harness = await scanHarness({
      config,
      bucket: BUCKET,
      s3: s3.client,
      dynamo,
      bus,
      inventory: true,
    });
    const clients = awsCertificateClients({
      endpoint: stores.endpoint,
      maxAttempts: 1,
      credentialsFor: () => async () => ({ accessKeyId: "local", secretAccessKey: "local" }),
    });
    const deps = {
      ...harness.deps,
      sourceAdapters: (ctx: Parameters<NonNullable<typeof harness.deps.sourceAdapters>>[0]) =>
        awsSourceAdapters(config.awsCertificates, { clients, ownAccount: ACCOUNT }, ctx),
    };

    // Act
    await runCertificateScan(SCHEDULED_EVENT, deps);
    const raised = events();
    bus.clear();
    stores.acm.set(ACM_ARN, { ...stores.acm.get(ACM_ARN)!, renewalEligibility: "ELIGIBLE" });
    const renewed = await issue({ subject: "CN=kafka-1.example.com", dnsNames: ["kafka-1.example.com"] });
    stores.secrets.set(SECRET_ARN, {
      ...stores.secrets.get(SECRET_ARN)!,
      versionId: "a1b2c3d4-0002",
      value: `${renewed.pem}${key}`,
    });
    await runCertificateScan(SCHEDULED_EVENT, deps);
    const cleared = events();

    // Assess
    expect(raised.map((e) => [e.DetailType, e.detail.check, e.detail.severity, e.detail.source])).toEqual([
      ["Alarm Raised", "renewal-ineligible", "major", ACM_ARN],
      ["Alarm Raised", "expiring", "major", `${SECRET_ARN}#0`],
    ]);
    const [acmEvent, secretEvent] = raised;
    expect(acmEvent?.detail.parameters).toMatchObject({
      SourceKind: "acm",
      Account: ACCOUNT,
      Region: REGION,
      Arn: ACM_ARN,
      Name: "shop.example.com",
    });
    expect(String(acmEvent?.detail.message)).toContain(
      `aws acm describe-certificate --certificate-arn ${ACM_ARN} --region ${REGION}`,
    );
    expect(secretEvent?.detail.parameters).toMatchObject({
      ServiceName: "Kafka",
      SourceKind: "secrets-manager",
      Account: ACCOUNT,
      Arn: SECRET_ARN,
      Name: "tls/kafka-broker",
    });
    expect(cleared.map((e) => [e.DetailType, e.detail.check, e.detail.source])).toEqual([
      ["Alarm Cleared", "renewal-ineligible", ACM_ARN],
      ["Alarm Cleared", "expiring", `${SECRET_ARN}#0`],
    ]);
    const everything = JSON.stringify([...raised, ...cleared]);
    expect(everything).not.toContain("PRIVATE KEY");
    expect(everything).not.toContain(key.split("\n")[1]!);
  });
});
