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
import { rmSync } from "node:fs";
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
  matrixAssembly,
  node24WorkDirectory,
} from "../support/node24";
import { chain, DAY, issue, privateKeyPem } from "../support/pki";
import { FUNCTION_DESCRIPTIONS } from "../support/template";

const ASSEMBLY = matrixAssembly("aws-certificates");
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
  work = node24WorkDirectory("aws");
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

/** Every request the stand-in answered since `from`, as (operation, the access key that signed it). */
const requestsSince = (from: number) => standIn.requests.slice(from).map((r) => [r.operation, r.accessKeyId]);

const location = (
  kind: string,
  account: string,
  region: string,
  arn: string,
  name: string,
  source: string,
) => ({
  Account: account,
  Arn: arn,
  Name: name,
  Region: region,
  Source: source,
  SourceKind: kind,
});

/** The member account's ACM-issued certificate ACM will not renew, as its alarm events show it. */
const INELIGIBLE_ALARM = [
  "renewal-ineligible",
  "1050",
  "major",
  ARNS.acmIneligible,
  location("acm", MEMBER_ACCOUNT, REGION, ARNS.acmIneligible, "shop.example.com", ARNS.acmIneligible),
];

describe("the certificate scan bundle on Node 24, reading ACM, IAM, Secrets Manager and Parameter Store", () => {
  it("raises one alarm per faulty item of each kind, with its account, Region and ARN, the member account through its reader role", async () => {
    // Act
    first = await scheduledScan();

    // Assess: the whole outcome: one alarm per faulty item, located; the password secret and
    // parameter (under the selections' own prefix and path) are not judged as certificates
    expect(first.ok, first.error ?? first.logs).toBe(true);
    expect(first.result).toMatchObject({ mode: "full", complete: true });
    expect(alarmEvents(0)).toEqual([
      [
        "Alarm Raised",
        "expiring",
        "1002",
        "major",
        `${ARNS.acmImported}#0`,
        location(
          "acm",
          ACCOUNT,
          REGION,
          ARNS.acmImported,
          "api.payments.example.com",
          `${ARNS.acmImported}#0`,
        ),
      ],
      ["Alarm Raised", ...INELIGIBLE_ALARM],
      [
        "Alarm Raised",
        "expired",
        "1001",
        "critical",
        `${ARNS.iam}#0`,
        location("iam-server-certificate", ACCOUNT, "global", ARNS.iam, "cdn-legacy", `${ARNS.iam}#0`),
      ],
      [
        "Alarm Raised",
        "expiring",
        "1002",
        "minor",
        `${ARNS.secret}#0`,
        location("secrets-manager", ACCOUNT, REGION, ARNS.secret, "tls/kafka-broker", `${ARNS.secret}#0`),
      ],
      [
        "Alarm Raised",
        "expired",
        "1001",
        "critical",
        `${ARNS.parameter}#0`,
        location(
          "ssm-parameter",
          ACCOUNT,
          REGION,
          ARNS.parameter,
          "/tls/zookeeper/server",
          `${ARNS.parameter}#0`,
        ),
      ],
    ]);
    // Assess: the member account's calls were signed with the reader role's session, assumed with
    // the deployment's external ID; the own account's with the function's own credentials
    expect(standIn.requests.find((r) => r.operation === "sts:AssumeRole")?.input).toMatchObject({
      RoleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/watchpost-reader`,
      ExternalId: EXTERNAL_ID,
    });
    expect(requestsSince(0).filter(([operation]) => operation === "acm:DescribeCertificate")).toEqual([
      ["acm:DescribeCertificate", "S3RVER"],
      ["acm:DescribeCertificate", MEMBER_SESSION_KEY],
    ]);
    // Assess: the private key next to the broker's certificate, and the PKCS#12 password, appear nowhere
    const keyBody = privateKey.split("\n")[1]!;
    expect(JSON.stringify(bus.events)).not.toContain(keyBody);
    expect(JSON.stringify(bus.events)).not.toContain(P12_PASSWORD);
    expect(first.logs).not.toContain(keyBody);
    expect(first.logs).not.toContain(P12_PASSWORD);
  });

  it("the next scan raises nothing again, and judges the unchanged items from the inventory without reading them", async () => {
    // Prepare
    const events = bus.events.length;
    const requests = standIn.requests.length;

    // Act
    const again = await scheduledScan();

    // Assess: besides the listings, only the ACM-issued certificate's description (its renewal
    // state changes without a new version) and the selections' PKCS#12 passwords (read once a run,
    // kept in memory only); no value, body or imported certificate read again
    expect(again.ok, again.error ?? again.logs).toBe(true);
    expect(alarmEvents(events)).toEqual([]);
    const reads = standIn.requests
      .slice(requests)
      .filter((r) => /:(Get|DescribeCertificate)/.test(r.operation))
      .map((r) => [r.operation, r.input.CertificateArn ?? r.input.SecretId ?? r.input.Name]);
    expect(reads).toEqual([
      ["acm:DescribeCertificate", ARNS.acmIneligible],
      ["secretsmanager:GetSecretValue", "tls/p12-password"],
      ["ssm:GetParameter", "/tls/p12-password"],
    ]);
  });

  it("a listing the scan may not make raises source-access-denied for its scope and clears nothing there; a fixed certificate elsewhere clears", async () => {
    // Prepare: DescribeParameters refused in the own account; the member's certificate renewable again
    fixtures.deny = [{ operation: "ssm:DescribeParameters", account: ACCOUNT }];
    const ineligible = fixtures.acm!.find((c) => c.arn === ARNS.acmIneligible)!;
    ineligible.renewalEligibility = "ELIGIBLE";
    const events = bus.events.length;

    // Act
    const refused = await scheduledScan();

    // Assess: the parameter's expired alarm stands; one alarm names the scope and the permission
    const scope = "ssm://123456789012/eu-west-1/tls/";
    expect(refused.ok, refused.error ?? refused.logs).toBe(true);
    expect(refused.result).toMatchObject({ mode: "full", complete: false });
    expect(alarmEvents(events)).toEqual([
      ["Alarm Cleared", ...INELIGIBLE_ALARM],
      [
        "Alarm Raised",
        "source-access-denied",
        "1060",
        "major",
        scope,
        { Account: ACCOUNT, Region: REGION, Source: scope, SourceKind: "ssm-parameter" },
      ],
    ]);
    expect(bus.events.at(-1)?.detail.message).toBe(
      `Parameter Store parameters in account ${ACCOUNT}, ${REGION} could not be listed (${scope}): DescribeParameters in ${ACCOUNT}/${REGION}: AccessDeniedException (HTTP 400), access denied. The scan needs ssm:DescribeParameters. Until it can list them, none of these certificates is re-checked, and the alarms raised about them stand.`,
    );

    // Act: the permission is back
    fixtures.deny = [];
    const mark = bus.events.length;
    const restored = await scheduledScan();

    // Assess: the refusal clears; the parameter, still expired, keeps its alarm (not raised again)
    expect(restored.ok, restored.error ?? restored.logs).toBe(true);
    expect(alarmEvents(mark).map(([kind, check, , , source]) => [kind, check, source])).toEqual([
      ["Alarm Cleared", "source-access-denied", scope],
    ]);
  });
});
