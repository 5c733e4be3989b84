/**
 * A selection naming a member account, through the real certificate-scan function and the wiring a
 * deployed scan uses (awsSourceWiring: member sessions from memberAccountSessions, the SDK v3 ACM
 * client against the loopback stand-in, alarms in dynalite). STS has no local implementation, so
 * AssumeRole is mocked with aws-sdk-client-mock: its answer carries the documented Credentials
 * fields (STS API Reference, AssumeRole, "Response Elements"), its refusal is the SDK's own
 * exception class with the wire code AccessDenied (STS API Reference, AssumeRole, "Errors").
 */
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient, STSServiceException } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { awsSourceAdapters, awsSourceWiring } from "../../../functions/adapters/aws-certificates";
import { parseConfig } from "../../../functions/core/config";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { logger } from "../../../functions/handlers/shared/powertools";
import {
  type AcmCertificateFixture,
  type AwsStandIn,
  startAwsStandIn,
} from "../../support/aws-certificate-stand-ins";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { DAY } from "../../support/pki";
import { SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";

const BUCKET = "member-account-certs";
const OWN = "111122223333";
const MEMBER = "210987654321";
const REGION = "eu-west-1";
const EXTERNAL_ID = "wp-7f3c9a2b-external";
const MEMBER_KEY = "ASIAMEMBERSESSION01";
const ACM_ARN = `arn:aws:acm:${REGION}:${MEMBER}:certificate/0c6e3b5f-1111-2222-3333-444455556666`;
const ALB = `arn:aws:elasticloadbalancing:${REGION}:${MEMBER}:loadbalancer/app/shop/50dc6c495c0c9188`;

const sts = mockClient(STSClient);
/** STS's AssumeRole answer (API reference, AssumeRole "Response Elements") for the reader role. */
const READER_SESSION = () => ({
  Credentials: {
    AccessKeyId: MEMBER_KEY,
    SecretAccessKey: "member-session-secret",
    SessionToken: "member-session-token",
    Expiration: new Date(Date.now() + 3_600_000),
  },
  AssumedRoleUser: {
    AssumedRoleId: "AROAEXAMPLEREADER:watchpost-scan",
    Arn: `arn:aws:sts::${MEMBER}:assumed-role/watchpost-reader/watchpost-scan`,
  },
});
const bus = recordingEventBus();
let s3: LocalS3;
let dynamo: LocalDynamo;
let standIn: AwsStandIn;
const certificate: AcmCertificateFixture = {
  arn: ACM_ARN,
  domainName: "shop.example.com",
  type: "AMAZON_ISSUED",
  status: "ISSUED",
  notBefore: new Date(Date.now() - 300 * DAY),
  notAfter: new Date(Date.now() + 50 * DAY),
  inUseBy: [ALB],
  renewalEligibility: "INELIGIBLE",
};

const config = parseConfig({
  certificates: { sources: [{ prefix: "certs/" }] },
  awsCertificates: { acm: [{ regions: [REGION], accounts: [MEMBER] }] },
  accounts: { readerRoleName: "watchpost-reader", externalId: EXTERNAL_ID },
});

const events = () =>
  bus.sent.map((e) => ({
    DetailType: String(e.DetailType),
    detail: JSON.parse(String(e.Detail)) as {
      check: string;
      alarmId: string;
      severity: string;
      message: string;
      source: string;
      parameters: Record<string, string>;
    },
  }));

let harness: Awaited<ReturnType<typeof scanHarness>> | undefined;

/**
 * The deps of a fresh execution environment (its own member sessions), as productionScanDeps builds
 * them, on the one deployment's tables: what one scan raised, the next one sees.
 */
async function deployedScan() {
  harness ??= await scanHarness({ config, bucket: BUCKET, s3: s3.client, dynamo, bus, inventory: true });
  const { deps } = harness;
  const wiring = awsSourceWiring(config, {
    ownAccount: OWN,
    partition: "aws",
    endpoint: standIn.url,
    maxAttempts: 1,
  });
  return {
    ...deps,
    sourceAdapters: (ctx: Parameters<NonNullable<typeof deps.sourceAdapters>>[0]) =>
      awsSourceAdapters(config.awsCertificates, wiring, ctx),
  };
}

/** The JSON lines Powertools prints (the test run silences the logger otherwise: vitest.config.ts). */
function printedLines(): string[] {
  const printed: string[] = [];
  const level = logger.getLevelName();
  logger.setLogLevel("INFO");
  const loggerConsole = (logger as unknown as { console: Console }).console;
  for (const method of ["debug", "info", "warn", "error", "log"] as const) {
    vi.spyOn(loggerConsole, method).mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
  }
  afterEach(() => logger.setLogLevel(level));
  return printed;
}

beforeAll(async () => {
  [s3, dynamo, standIn] = await Promise.all([
    startS3rver(),
    startDynalite(),
    startAwsStandIn({ acm: [certificate] }),
  ]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  sts.restore();
  bus.restore();
  vi.restoreAllMocks();
  await Promise.all([s3.stop(), dynamo.stop(), standIn.close()]);
});

describe("a selection naming a member account, through the certificate-scan function", () => {
  const printed = printedLines();

  it("reads the account through its reader role; while the role is refused, one alarm says so and the certificate's alarm stands; both clear once it is read again", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves(READER_SESSION());
    const first = await deployedScan();

    // Act: the role is assumed
    await runCertificateScan(SCHEDULED_EVENT, first);
    const raised = events();
    const assumed = sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input);
    const signers = standIn.requests.map((r) => [r.operation, r.accessKeyId]);

    // Act: a new execution environment, whose AssumeRole is refused; ACM would now say ELIGIBLE
    bus.clear();
    sts.reset();
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: "AccessDenied",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: `User: arn:aws:sts::${OWN}:assumed-role/scan/fn is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/watchpost-reader`,
      }),
    );
    certificate.renewalEligibility = "ELIGIBLE";
    const requestsBefore = standIn.requests.length;
    const second = await deployedScan();
    const outcome = await runCertificateScan(SCHEDULED_EVENT, second);
    const whileRefused = events();
    const requestsWhileRefused = standIn.requests.length - requestsBefore;

    // Act: the role is trusted again (the StackSet redeployed)
    bus.clear();
    sts.reset();
    sts.on(AssumeRoleCommand).resolves(READER_SESSION());
    const third = await runCertificateScan(SCHEDULED_EVENT, await deployedScan());

    // Assess: read with the member session, the account and ARN on the alarm
    expect(assumed).toEqual([
      {
        RoleArn: `arn:aws:iam::${MEMBER}:role/watchpost-reader`,
        RoleSessionName: "watchpost-scan",
        DurationSeconds: 3600,
        ExternalId: EXTERNAL_ID,
      },
    ]);
    expect(signers).toEqual([
      ["acm:ListCertificates", MEMBER_KEY],
      ["acm:DescribeCertificate", MEMBER_KEY],
    ]);
    expect(raised.map((e) => [e.DetailType, e.detail.check, e.detail.source])).toEqual([
      ["Alarm Raised", "renewal-ineligible", ACM_ARN],
    ]);
    expect(raised[0]?.detail.parameters).toMatchObject({ SourceKind: "acm", Account: MEMBER, Arn: ACM_ARN });
    // Assess: refused — nothing of the account read or cleared, the run partial; one alarm about
    // the scope names the account, the role and the permission, never the external ID
    expect(requestsWhileRefused).toBe(0);
    expect(
      whileRefused.map((e) => [
        e.DetailType,
        e.detail.check,
        e.detail.alarmId,
        e.detail.severity,
        e.detail.source,
      ]),
    ).toEqual([["Alarm Raised", "source-access-denied", "1060", "major", `acm://${MEMBER}/${REGION}`]]);
    expect(whileRefused[0]?.detail.parameters).toEqual({
      Source: `acm://${MEMBER}/${REGION}`,
      SourceKind: "acm",
      Account: MEMBER,
      Region: REGION,
    });
    expect(whileRefused[0]?.detail.message).toBe(
      `ACM certificates in account ${MEMBER}, ${REGION} could not be listed (acm://${MEMBER}/${REGION}): account ${MEMBER} not reachable: could not assume role watchpost-reader in account ${MEMBER} (AccessDenied, HTTP 403): the reader role is missing, does not trust the scan role, or expects another external ID; deploy the member-account StackSet to this account with the stack's external ID (docs/member-accounts.md). Nothing of this account was re-checked or cleared in this run. The scan needs sts:AssumeRole on arn:aws:iam::${MEMBER}:role/watchpost-reader (with the stack's external ID). Until it can list them, none of these certificates is re-checked, and the alarms raised about them stand.`,
    );
    expect(JSON.stringify(whileRefused)).not.toContain(EXTERNAL_ID);
    expect(outcome.complete).toBe(false);
    // Assess: read again — the refusal and the certificate's own alarm (now ELIGIBLE) both clear
    expect(events().map((e) => [e.DetailType, e.detail.check, e.detail.source])).toEqual([
      ["Alarm Cleared", "renewal-ineligible", ACM_ARN],
      ["Alarm Cleared", "source-access-denied", `acm://${MEMBER}/${REGION}`],
    ]);
    expect(third.complete).toBe(true);
    const partial = printed.filter((line) => line.includes("partial scan"));
    expect(partial).toHaveLength(1);
    expect(partial[0]).toContain(`acm://${MEMBER}/${REGION}`);
    expect(partial[0]).toContain(`account ${MEMBER} not reachable`);
    expect(partial[0]).toContain("AccessDenied");
    expect(printed.join("\n")).not.toContain(EXTERNAL_ID);
  });
});
