/**
 * Events of ACM, Parameter Store and Secrets Manager (through CloudTrail) re-check the one item
 * they name, end to end through the real certificate-scan function, the real adapters and SDK v3
 * clients (ACM, Secrets Manager and SSM answered by aws-sdk-client-mock: they have no local
 * implementation; answers built from the API references' documented fields, failures raised as the
 * SDK's own exception classes), alarms in dynalite and events on the recording bus. Each event's
 * re-check settles only its item's alarms (a partial run): another item's alarm stands.
 *
 * Event shapes: ACM User Guide, "Amazon EventBridge support for ACM" (the certificate's ARN in
 * `resources`); Systems Manager User Guide, "Parameter Store events" (`detail.name`,
 * `detail.operation`); Secrets Manager User Guide, "Match AWS Secrets Manager events with Amazon
 * EventBridge" and "AWS CloudTrail entries for Secrets Manager" (eventSource, eventName,
 * requestParameters.secretId, responseElements.arn).
 */
import {
  ACMClient,
  type CertificateDetail,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-acm";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  DescribeParametersCommand,
  GetParameterCommand,
  ParameterNotFound,
  type ParameterStringFilter,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { awsCertificateClients, awsSourceAdapters } from "../../../functions/adapters/aws-certificates";
import { parseConfig } from "../../../functions/core/config";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import type { CertificateScanDeps } from "../../../functions/handlers/certificate-scan/deps";
import { logger } from "../../../functions/handlers/shared/powertools";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { DAY, issue, privateKeyPem } from "../../support/pki";
import { SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";

const BUCKET = "aws-events-certs";
const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const certArn = (id: string) =>
  `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/${id}-1111-2222-3333-444455556666`;
const SHOP = certArn("0c6e3b5f");
const LEGACY = certArn("7d1f2a3b");
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/kafka-broker-AbCdEf`;
const PARAMETER = "/tls/flink";
const PARAMETER_ARN = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${PARAMETER}`;

const acm = mockClient(ACMClient);
const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
const logged: string[] = [];

const config = parseConfig({
  certificates: { sources: [{ prefix: "certs/" }] },
  awsCertificates: {
    acm: [{ regions: [REGION] }],
    secretsManager: [{ regions: [REGION], namePrefix: "tls/" }],
    ssmParameters: [{ regions: [REGION], path: "/tls/" }],
  },
});

/** What ACM, Secrets Manager and Parameter Store hold; each test step changes it. */
const held = {
  acm: new Map<string, CertificateDetail>(),
  secret: undefined as { versionId: string; value: string } | undefined,
  parameter: undefined as { version: number; value: string } | undefined,
};

function acmDetail(arn: string, name: string, eligibility: "ELIGIBLE" | "INELIGIBLE"): CertificateDetail {
  const now = Date.now();
  return {
    CertificateArn: arn,
    DomainName: name,
    SubjectAlternativeNames: [name],
    Type: "AMAZON_ISSUED",
    Status: "ISSUED",
    NotBefore: new Date(now - 300 * DAY),
    NotAfter: new Date(now + 50 * DAY),
    InUseBy: [`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/shop/50dc6c495c0c9188`],
    RenewalEligibility: eligibility,
  };
}

function answerFromWhatIsHeld(): void {
  const meta = { $metadata: {} };
  acm.on(ListCertificatesCommand).callsFake(() => ({
    CertificateSummaryList: [...held.acm.values()].map((d) => ({
      CertificateArn: d.CertificateArn,
      DomainName: d.DomainName,
      Type: d.Type,
      Status: d.Status,
      NotBefore: d.NotBefore,
      NotAfter: d.NotAfter,
      InUse: (d.InUseBy ?? []).length > 0,
    })),
  }));
  acm.on(DescribeCertificateCommand).callsFake(({ CertificateArn }: { CertificateArn: string }) => {
    const detail = held.acm.get(CertificateArn);
    if (!detail) throw new ResourceNotFoundException({ message: "Could not find certificate", ...meta });
    return { Certificate: detail };
  });
  const entry = () => ({
    ARN: SECRET_ARN,
    Name: "tls/kafka-broker",
    Tags: [],
    LastChangedDate: new Date(),
  });
  sm.on(ListSecretsCommand).callsFake(() => ({
    SecretList: held.secret
      ? [{ ...entry(), SecretVersionsToStages: { [held.secret.versionId]: ["AWSCURRENT"] } }]
      : [],
  }));
  sm.on(DescribeSecretCommand).callsFake(() => {
    if (!held.secret) throw new Error("not in this test");
    return { ...entry(), VersionIdsToStages: { [held.secret.versionId]: ["AWSCURRENT"] } };
  });
  sm.on(GetSecretValueCommand).callsFake(() => ({
    ARN: SECRET_ARN,
    Name: "tls/kafka-broker",
    VersionId: held.secret?.versionId,
    SecretString: held.secret?.value,
    VersionStages: ["AWSCURRENT"],
  }));
  ssm
    .on(DescribeParametersCommand)
    .callsFake(({ ParameterFilters = [] }: { ParameterFilters?: ParameterStringFilter[] }) => {
      const named = ParameterFilters.find((f) => f.Key === "Name")?.Values?.[0];
      const parameters = held.parameter
        ? [{ Name: PARAMETER, ARN: PARAMETER_ARN, Type: "SecureString", Version: held.parameter.version }]
        : [];
      return { Parameters: parameters.filter((p) => named === undefined || p.Name === named) };
    });
  ssm.on(GetParameterCommand).callsFake(() => {
    if (!held.parameter) throw new ParameterNotFound({ message: "", ...meta });
    return {
      Parameter: {
        Name: PARAMETER,
        ARN: PARAMETER_ARN,
        Type: "SecureString",
        Value: held.parameter.value,
        Version: held.parameter.version,
      },
    };
  });
}

const acmEvent = (type: string, arn: string) => ({
  version: "0",
  id: "9c95e8e4-96a4-ef3f-b739-b6aa5b193afb",
  "detail-type": type,
  source: "aws.acm",
  account: ACCOUNT,
  time: new Date().toISOString(),
  region: REGION,
  resources: [arn],
  detail: { CommonName: "shop.example.com", DaysToExpiry: 50 },
});
const parameterEvent = (name: string, operation: string) => ({
  version: "0",
  id: "6a7e4feb-b491-4cf7-a9f1-bf3703497718",
  "detail-type": "Parameter Store Change",
  source: "aws.ssm",
  account: ACCOUNT,
  time: new Date().toISOString(),
  region: REGION,
  resources: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`],
  detail: { operation, name, type: "SecureString", description: "" },
});
const secretEvent = (eventName: string, versionId: string) => ({
  version: "0",
  id: "3f2a1b0c-0000-4000-8000-000000000001",
  "detail-type": "AWS API Call via CloudTrail",
  source: "aws.secretsmanager",
  account: ACCOUNT,
  time: new Date().toISOString(),
  region: REGION,
  resources: [],
  detail: {
    eventVersion: "1.08",
    eventSource: "secretsmanager.amazonaws.com",
    eventName,
    awsRegion: REGION,
    requestParameters: { secretId: "tls/kafka-broker", clientRequestToken: versionId },
    responseElements: { arn: SECRET_ARN, name: "tls/kafka-broker", versionId },
    eventType: "AwsApiCall",
    recipientAccountId: ACCOUNT,
  },
});

interface Sent {
  type: string;
  check: string;
  source: string;
}
const sent = (): Sent[] =>
  bus.sent.map((e) => {
    const detail = JSON.parse(String(e.Detail)) as { check: string; source: string };
    return { type: String(e.DetailType), check: detail.check, source: detail.source };
  });
const step = async (event: unknown, deps: CertificateScanDeps) => {
  bus.clear();
  const outcome = await runCertificateScan(event, deps);
  return { outcome, events: sent() };
};

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // Tests run the logger SILENT (vitest.config.ts); here every line it would write is kept.
  logger.setLogLevel("DEBUG");
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  logger.setLogLevel("SILENT");
  bus.restore();
  acm.restore();
  sm.restore();
  ssm.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

describe("AWS events re-check the one item they name, through the certificate-scan function", () => {
  it("raises and clears each item's alarms on its own event, and leaves every other alarm standing", async () => {
    // Prepare: ACM will renew neither certificate, the secret holds a valid certificate, the
    // parameter an expired one.
    const valid = await issue({ subject: "CN=kafka-1.example.com", dnsNames: ["kafka-1.example.com"] });
    const expired = await issue({
      subject: "CN=flink.example.com",
      dnsNames: ["flink.example.com"],
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - 2 * DAY),
    });
    const key = await privateKeyPem(valid.keys);
    held.acm.set(SHOP, acmDetail(SHOP, "shop.example.com", "INELIGIBLE"));
    held.acm.set(LEGACY, acmDetail(LEGACY, "legacy.example.com", "INELIGIBLE"));
    held.secret = { versionId: "a1b2c3d4-0001", value: `${valid.pem}${key}` };
    held.parameter = { version: 3, value: expired.pem };
    answerFromWhatIsHeld();
    const harness = await scanHarness({
      config,
      bucket: BUCKET,
      s3: s3.client,
      dynamo,
      bus,
      inventory: true,
    });
    const clients = awsCertificateClients({
      maxAttempts: 1,
      credentialsFor: () => async () => ({ accessKeyId: "local", secretAccessKey: "local" }),
    });
    const deps: CertificateScanDeps = {
      ...harness.deps,
      sourceAdapters: (ctx) =>
        awsSourceAdapters(config.awsCertificates, { clients, ownAccount: ACCOUNT }, ctx),
    };
    const scheduled = await step(SCHEDULED_EVENT, deps);

    // Act: ACM renewed one certificate; the secret was given an expired certificate; the parameter
    // was deleted; a parameter outside the selection's path changed; the other certificate was deleted.
    held.acm.set(SHOP, acmDetail(SHOP, "shop.example.com", "ELIGIBLE"));
    const renewed = await step(acmEvent("ACM Certificate Available", SHOP), deps);
    const expiredKey = await privateKeyPem(expired.keys);
    held.secret = { versionId: "a1b2c3d4-0002", value: `${expired.pem}${expiredKey}` };
    const put = await step(secretEvent("PutSecretValue", "a1b2c3d4-0002"), deps);
    held.parameter = undefined;
    const deleted = await step(parameterEvent(PARAMETER, "Delete"), deps);
    const callsBefore = ssm.calls().length;
    const outside = await step(parameterEvent("/db/password", "Update"), deps);
    const ssmCallsForOutside = ssm.calls().length - callsBefore;
    held.acm.delete(LEGACY);
    const gone = await step(acmEvent("ACM Certificate Expired", LEGACY), deps);

    // Assess
    expect(scheduled.events.map((e) => [e.type, e.check, e.source])).toEqual([
      ["Alarm Raised", "renewal-ineligible", SHOP],
      ["Alarm Raised", "renewal-ineligible", LEGACY],
      ["Alarm Raised", "expired", `${PARAMETER_ARN}#0`],
    ]);
    expect(renewed.events.map((e) => [e.type, e.check, e.source])).toEqual([
      ["Alarm Cleared", "renewal-ineligible", SHOP],
    ]);
    expect(renewed.outcome).toMatchObject({ mode: "object", runs: 1, complete: false });
    expect(put.events.map((e) => [e.type, e.check, e.source])).toEqual([
      ["Alarm Raised", "expired", `${SECRET_ARN}#0`],
    ]);
    expect(deleted.events.map((e) => [e.type, e.check, e.source])).toEqual([
      ["Alarm Cleared", "expired", `${PARAMETER_ARN}#0`],
    ]);
    expect(outside).toEqual({ outcome: expect.objectContaining({ runs: 0 }), events: [] });
    expect(ssmCallsForOutside).toBe(0);
    expect(gone.events.map((e) => [e.type, e.check, e.source])).toEqual([
      ["Alarm Cleared", "renewal-ineligible", LEGACY],
    ]);
    const active = await harness.alarms.load(`secretsmanager://${ACCOUNT}/${REGION}/tls/`);
    expect(active.map((a) => [a.check, a.source, a.status])).toEqual([
      ["expired", `${SECRET_ARN}#0`, "active"],
    ]);
    const ignored = logged.filter((line) => line.includes("AWS event ignored"));
    expect(ignored.map((line) => JSON.parse(line).reasons)).toEqual([
      ["the parameter is not under the path /tls/"],
    ]);
    const everything = [...bus.sent.map((e) => e.Detail ?? ""), ...logged].join("\n");
    expect(everything).not.toContain("PRIVATE KEY");
    for (const pem of [key, expiredKey]) expect(everything).not.toContain(pem.split("\n")[1]!);
  });
});
