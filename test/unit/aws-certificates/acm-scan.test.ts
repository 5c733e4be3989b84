/**
 * One account and region of ACM through the real ACMClient with aws-sdk-client-mock: answers built
 * from the ACM API reference's documented fields (ListCertificates' CertificateSummaryList and
 * NextToken, DescribeCertificate's CertificateDetail, GetCertificate's Certificate and
 * CertificateChain), failures as the SDK's own exception classes.
 */
import {
  ACMClient,
  AccessDeniedException,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  ResourceNotFoundException,
  ThrottlingException,
} from "@aws-sdk/client-acm";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ALL_KEY_TYPES, acmSource } from "../../../functions/adapters/aws-certificates/acm";
import { scanAcmPlace } from "../../../functions/core/aws-certificates/scan-place";
import { memoryInventory } from "../../support/in-memory-ports";
import { DAY, issue } from "../../support/pki";

const acm = mockClient(ACMClient);
const client = new ACMClient({ region: "eu-west-1", maxAttempts: 1 });
const NOW = new Date();
const POLICY = { now: NOW, warnDays: 30, majorDays: 7, skewSeconds: 300 };
const WHERE = { account: "111122223333", region: "eu-west-1" };
const arn = (id: string) => `arn:aws:acm:eu-west-1:111122223333:certificate/${id}`;
const meta = { $metadata: {}, message: "from ACM" };

function summary(id: string, fields: Record<string, unknown> = {}) {
  return {
    CertificateArn: arn(id),
    DomainName: `${id}.example.com`,
    Status: "ISSUED" as const,
    Type: "AMAZON_ISSUED" as const,
    NotAfter: new Date(NOW.getTime() + 200 * DAY),
    InUse: true,
    ...fields,
  };
}

function detail(id: string, fields: Record<string, unknown> = {}) {
  return {
    Certificate: {
      CertificateArn: arn(id),
      DomainName: `${id}.example.com`,
      SubjectAlternativeNames: [`${id}.example.com`],
      Status: "ISSUED" as const,
      Type: "AMAZON_ISSUED" as const,
      NotBefore: new Date(NOW.getTime() - 100 * DAY),
      NotAfter: new Date(NOW.getTime() + 200 * DAY),
      InUseBy: ["arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"],
      RenewalEligibility: "ELIGIBLE" as const,
      ...fields,
    },
  };
}

beforeEach(() => acm.reset());

describe("ACM scan of one account and region", () => {
  it("lists every key type over NextToken pages and raises renewal-ineligible for the one ACM will not renew", async () => {
    // Prepare
    acm
      .on(ListCertificatesCommand, { NextToken: undefined })
      .resolves({ CertificateSummaryList: [summary("shop")], NextToken: "page-2" })
      .on(ListCertificatesCommand, { NextToken: "page-2" })
      .resolves({ CertificateSummaryList: [summary("legacy")] });
    acm.on(DescribeCertificateCommand, { CertificateArn: arn("shop") }).resolves(detail("shop"));
    acm
      .on(DescribeCertificateCommand, { CertificateArn: arn("legacy") })
      .resolves(detail("legacy", { RenewalEligibility: "INELIGIBLE" }));

    // Act
    const outcome = await scanAcmPlace(acmSource(client, WHERE), { policy: POLICY });

    // Assess
    const lists = acm.commandCalls(ListCertificatesCommand).map((c) => c.args[0].input);
    expect(lists).toEqual([
      { Includes: { keyTypes: ALL_KEY_TYPES }, MaxItems: 1000 },
      { Includes: { keyTypes: ALL_KEY_TYPES }, MaxItems: 1000, NextToken: "page-2" },
    ]);
    expect(outcome.findings.map((f) => [f.check, f.severity, f.source])).toEqual([
      ["renewal-ineligible", "major", arn("legacy")],
    ]);
    expect(outcome.examined.sort()).toEqual([arn("legacy"), arn("shop")]);
    expect(outcome).toMatchObject({ complete: true, notExamined: [] });
  });

  it("judges an imported certificate's bytes and chain, and names the host names it lacks", async () => {
    // Prepare
    const ca = await issue({ subject: "CN=Corp CA", isCA: true });
    const leaf = await issue({
      subject: "CN=old.example.com",
      dnsNames: ["old.example.com"],
      issuer: ca,
      notAfter: new Date(NOW.getTime() + 3 * DAY),
    });
    acm
      .on(ListCertificatesCommand)
      .resolves({ CertificateSummaryList: [summary("api", { Type: "IMPORTED" })] });
    acm
      .on(DescribeCertificateCommand)
      .resolves(detail("api", { Type: "IMPORTED", RenewalEligibility: "INELIGIBLE" }));
    acm.on(GetCertificateCommand).resolves({ Certificate: leaf.pem, CertificateChain: ca.pem });

    // Act
    const outcome = await scanAcmPlace(acmSource(client, WHERE), { policy: POLICY });

    // Assess
    expect(outcome.findings.map((f) => [f.check, f.severity, f.source])).toEqual([
      ["expiring", "major", `${arn("api")}#0`],
      ["hostname-mismatch", "major", `${arn("api")}#0`],
    ]);
    expect(outcome.findings[1]?.message).toContain("api.example.com");
    expect(outcome.findings[0]?.parameters).toMatchObject({
      SourceKind: "acm",
      Arn: arn("api"),
      Region: "eu-west-1",
    });
  });

  it("judges an unchanged imported certificate from the inventory without GetCertificate", async () => {
    // Prepare
    const leaf = await issue({ subject: "CN=api.example.com", dnsNames: ["api.example.com"] });
    acm
      .on(ListCertificatesCommand)
      .resolves({ CertificateSummaryList: [summary("api", { Type: "IMPORTED" })] });
    acm.on(DescribeCertificateCommand).resolves(detail("api", { Type: "IMPORTED" }));
    acm.on(GetCertificateCommand).resolves({ Certificate: leaf.pem });
    const { inventory } = memoryInventory();
    await scanAcmPlace(acmSource(client, WHERE), { policy: POLICY, inventory });

    // Act
    const again = await scanAcmPlace(acmSource(client, WHERE), { policy: POLICY, inventory });

    // Assess
    expect(acm.commandCalls(GetCertificateCommand)).toHaveLength(1);
    expect(again).toMatchObject({ read: 0, reused: 1, findings: [], examined: [arn("api")] });
  });

  it("keeps only certificates carrying every configured tag", async () => {
    // Prepare
    acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [summary("a"), summary("b")] });
    acm
      .on(ListTagsForCertificateCommand, { CertificateArn: arn("a") })
      .resolves({ Tags: [{ Key: "team", Value: "payments" }] })
      .on(ListTagsForCertificateCommand, { CertificateArn: arn("b") })
      .resolves({ Tags: [{ Key: "team", Value: "payments-legacy" }] });
    acm.on(DescribeCertificateCommand).resolves(detail("a"));

    // Act
    const outcome = await scanAcmPlace(acmSource(client, WHERE, { tags: { team: "payments" } }), {
      policy: POLICY,
    });

    // Assess
    expect(outcome.examined).toEqual([arn("a")]);
  });

  it.each([
    [
      "a denied listing is a finding about the place and examines nothing",
      () => acm.on(ListCertificatesCommand).rejects(new AccessDeniedException(meta)),
      [["unreadable", "major", "acm://111122223333/eu-west-1"]],
      [
        [
          "acm://111122223333/eu-west-1",
          /ListCertificates in 111122223333\/eu-west-1: AccessDeniedException, access denied/,
        ],
      ],
    ],
    [
      "a throttled listing examines nothing and raises nothing",
      () => acm.on(ListCertificatesCommand).rejects(new ThrottlingException(meta)),
      [],
      [["acm://111122223333/eu-west-1", /ThrottlingException/]],
    ],
    [
      "a throttled description leaves that certificate unexamined",
      () => {
        acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [summary("shop")] });
        acm.on(DescribeCertificateCommand).rejects(new ThrottlingException(meta));
      },
      [],
      [[arn("shop"), /DescribeCertificate .*ThrottlingException/]],
    ],
    [
      "a certificate deleted after the listing is simply gone",
      () => {
        acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [summary("shop")] });
        acm.on(DescribeCertificateCommand).rejects(new ResourceNotFoundException(meta));
      },
      [],
      [],
    ],
  ] as const)("%s", async (_case, prepare, findings, notExamined) => {
    // Prepare
    prepare();

    // Act
    const outcome = await scanAcmPlace(acmSource(client, WHERE), { policy: POLICY });

    // Assess
    expect(outcome.findings.map((f) => [f.check, f.severity, f.source])).toEqual(findings);
    expect(outcome.notExamined.map((n) => n.source)).toEqual(notExamined.map(([s]) => s));
    for (const [i, n] of outcome.notExamined.entries()) expect(n.why).toMatch(notExamined[i]![1]);
    expect(outcome.examined).toEqual([]);
  });
});
