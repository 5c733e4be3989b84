/**
 * One account and region of ACM through the pipeline (core/scan/source-scan.ts) and the real
 * ACMClient with aws-sdk-client-mock: answers built from the ACM API reference's documented fields
 * (ListCertificates' CertificateSummaryList and NextToken, DescribeCertificate's CertificateDetail,
 * GetCertificate's Certificate and CertificateChain), failures as the SDK's own exception classes.
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
import { scanContext, scanScope } from "../../support/aws-sources";
import { memoryInventory, memoryStore } from "../../support/in-memory-ports";
import { chain, DAY, issue } from "../../support/pki";

const acm = mockClient(ACMClient);
const client = new ACMClient({ region: "eu-west-1", maxAttempts: 1 });
const NOW = new Date();
const WHERE = { account: "111122223333", region: "eu-west-1" };
const THRESHOLDS = { now: NOW, warnDays: 30, majorDays: 7, skewSeconds: 300 };
const arn = (id: string) => `arn:aws:acm:eu-west-1:111122223333:certificate/${id}`;
const meta = { $metadata: {}, message: "from ACM" };
const source = (tags?: Record<string, string>) => acmSource(client, WHERE, { tags }, () => THRESHOLDS);

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

describe("ACM, one account and region, through the pipeline", () => {
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
    const scanned = await scanScope(source(), scanContext(NOW));

    // Assess
    expect(acm.commandCalls(ListCertificatesCommand).map((c) => c.args[0].input)).toEqual([
      { Includes: { keyTypes: ALL_KEY_TYPES }, MaxItems: 1000 },
      { Includes: { keyTypes: ALL_KEY_TYPES }, MaxItems: 1000, NextToken: "page-2" },
    ]);
    expect(scanned.run.scope).toBe("acm://111122223333/eu-west-1");
    expect(scanned.findings.map((f) => [f.check, f.alarmId, f.severity, f.source])).toEqual([
      ["renewal-ineligible", "1050", "major", arn("legacy")],
    ]);
    expect(scanned.findings[0]?.message).toMatch(
      /^ACM certificate legacy\.example\.com \(arn:.*\) in account 111122223333, eu-west-1 is not eligible for renewal/,
    );
    expect(scanned.findings[0]?.parameters).toEqual({
      SourceKind: "acm",
      Account: "111122223333",
      Region: "eu-west-1",
      Arn: arn("legacy"),
      Name: "legacy.example.com",
    });
    expect(scanned).toMatchObject({ complete: true, examined: [arn("legacy"), arn("shop")], unexamined: [] });
  });

  it("judges an imported certificate's bytes; an unused one expiring in 3 days is minor and says why", async () => {
    // Prepare
    const ca = await issue({ subject: "CN=Corp CA", isCA: true });
    const leaf = await issue({
      subject: "CN=old.example.com",
      dnsNames: ["old.example.com"],
      issuer: ca,
      notAfter: new Date(NOW.getTime() + 3 * DAY),
    });
    acm.on(ListCertificatesCommand).resolves({
      CertificateSummaryList: [summary("api", { Type: "IMPORTED", InUse: false })],
    });
    acm.on(DescribeCertificateCommand).resolves(detail("api", { Type: "IMPORTED", InUseBy: [] }));
    acm.on(GetCertificateCommand).resolves({ Certificate: leaf.pem, CertificateChain: ca.pem });

    // Act
    const scanned = await scanScope(source(), scanContext(NOW));

    // Assess
    expect(scanned.findings.map((f) => [f.check, f.severity, f.source])).toEqual([
      ["expiring", "minor", `${arn("api")}#0`],
      ["hostname-mismatch", "major", `${arn("api")}#0`],
    ]);
    expect(scanned.findings[0]?.message).toMatch(
      /expires on .*, in 3 days\..* Nothing uses it \(InUseBy is empty\), so nothing breaks yet: not major\..* Where it is: ACM certificate api\.example\.com/,
    );
    expect(scanned.findings[1]?.message).toContain("api.example.com");
  });

  it.each([
    { bundle: "the private CA's root", holds: "issuing", findings: [] },
    {
      bundle: "another CA",
      holds: "other",
      findings: [["untrusted-chain", "major", `${arn("pay")}#0`]],
    },
    {
      bundle: "nothing (the object is missing)",
      holds: "missing",
      findings: [["unreadable", "major", "s3://certs/trust/private-ca.pem"]],
    },
  ] as const)(
    "judges an imported certificate's chain against the selection's CA bundle holding $bundle",
    async ({ holds, findings }) => {
      // Prepare: an imported certificate of a private CA, its chain as GetCertificate returns it
      const pki = await chain("pay.example.com");
      const other = await issue({ subject: "CN=Someone Else's Root", isCA: true });
      const bucket = memoryStore();
      if (holds !== "missing")
        bucket.put("trust/private-ca.pem", holds === "issuing" ? pki.root.pem : other.pem);
      acm
        .on(ListCertificatesCommand)
        .resolves({ CertificateSummaryList: [summary("pay", { Type: "IMPORTED" })] });
      acm.on(DescribeCertificateCommand).resolves(detail("pay", { Type: "IMPORTED" }));
      acm
        .on(GetCertificateCommand)
        .resolves({ Certificate: pki.leaf.pem, CertificateChain: pki.intermediate.pem });
      const selection = acmSource(client, WHERE, { caBundleKey: "trust/private-ca.pem" }, () => THRESHOLDS);

      // Act
      const scanned = await scanScope(selection, scanContext(NOW, memoryInventory().inventory, bucket.store));

      // Assess
      expect(scanned.findings.map((f) => [f.check, f.severity, f.source])).toEqual(findings);
      expect(scanned.complete).toBe(true);
    },
  );

  it("judges an unchanged imported certificate from the inventory without GetCertificate", async () => {
    // Prepare
    const leaf = await issue({ subject: "CN=api.example.com", dnsNames: ["api.example.com"] });
    acm
      .on(ListCertificatesCommand)
      .resolves({ CertificateSummaryList: [summary("api", { Type: "IMPORTED" })] });
    acm.on(DescribeCertificateCommand).resolves(detail("api", { Type: "IMPORTED" }));
    acm.on(GetCertificateCommand).resolves({ Certificate: leaf.pem });
    const { inventory } = memoryInventory();
    await scanScope(source(), scanContext(NOW, inventory));

    // Act
    const again = await scanScope(source(), scanContext(NOW, inventory));

    // Assess
    expect(acm.commandCalls(GetCertificateCommand)).toHaveLength(1);
    expect(again).toMatchObject({
      objects: { downloaded: 0, reused: 1 },
      findings: [],
      examined: [arn("api")],
    });
  });

  it("keeps only certificates carrying every configured tag with exactly its value", async () => {
    // Prepare
    acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [summary("a"), summary("b")] });
    acm
      .on(ListTagsForCertificateCommand, { CertificateArn: arn("a") })
      .resolves({ Tags: [{ Key: "team", Value: "payments" }] })
      .on(ListTagsForCertificateCommand, { CertificateArn: arn("b") })
      .resolves({ Tags: [{ Key: "team", Value: "payments-legacy" }] });
    acm.on(DescribeCertificateCommand).resolves(detail("a"));

    // Act
    const scanned = await scanScope(source({ team: "payments" }), scanContext(NOW));

    // Assess
    expect(scanned.run.scope).toBe("acm://111122223333/eu-west-1?team=payments");
    expect(scanned.examined).toEqual([arn("a")]);
  });

  it.each([
    [
      "a denied listing: one finding about the scope; the run is partial, nothing is examined or cleared",
      () => acm.on(ListCertificatesCommand).rejects(new AccessDeniedException(meta)),
      [["source-access-denied", "major", "acm://111122223333/eu-west-1"]],
      [],
      /ListCertificates in 111122223333\/eu-west-1: AccessDeniedException, access denied/,
    ],
    [
      "a throttled listing: partial, nothing raised",
      () => acm.on(ListCertificatesCommand).rejects(new ThrottlingException(meta)),
      [],
      [],
      /ThrottlingException/,
    ],
    [
      "a denied description: a finding, and the certificate's other alarms stand",
      () => {
        acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [summary("shop")] });
        acm.on(DescribeCertificateCommand).rejects(new AccessDeniedException(meta));
      },
      [["unreadable", "major", arn("shop")]],
      [arn("shop")],
      /not examined/,
    ],
    [
      "a throttled description: no finding, the certificate unexamined",
      () => {
        acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [summary("shop")] });
        acm.on(DescribeCertificateCommand).rejects(new ThrottlingException(meta));
      },
      [],
      [arn("shop")],
      /not examined/,
    ],
  ] as const)("%s", async (_case, prepare, findings, unexamined, error) => {
    // Prepare
    prepare();

    // Act
    const scanned = await scanScope(source(), scanContext(NOW));

    // Assess
    expect(scanned.findings.map((f) => [f.check, f.severity, f.source])).toEqual(findings);
    expect(scanned.complete).toBe(false);
    expect(scanned.examined).toEqual([]);
    // The scope counts as examined (its own finding may clear) only when the listing went to its end.
    expect(scanned.listed).toBe(unexamined.length > 0);
    expect(scanned.unexamined).toEqual(unexamined);
    expect(scanned.error).toMatch(error);
  });

  it("a denied listing's finding names the place, the refused call and the permission the scan needs", async () => {
    // Prepare
    acm.on(ListCertificatesCommand).rejects(new AccessDeniedException(meta));

    // Act
    const scanned = await scanScope(source({ team: "payments" }), scanContext(NOW));

    // Assess: located by its scope's parameters; nothing the SDK's message said is repeated
    expect(scanned.findings).toEqual([
      {
        check: "source-access-denied",
        alarmId: "1060",
        severity: "major",
        source: "acm://111122223333/eu-west-1?team=payments",
        message:
          "ACM certificates in account 111122223333, eu-west-1 could not be listed (acm://111122223333/eu-west-1?team=payments): ListCertificates in 111122223333/eu-west-1: AccessDeniedException, access denied. The scan needs acm:ListCertificates. Until it can list them, none of these certificates is re-checked, and the alarms raised about them stand.",
        details: { permission: "acm:ListCertificates", reason: "listing-refused" },
      },
    ]);
    expect(scanned.run.parameters).toEqual({
      SourceKind: "acm",
      Account: "111122223333",
      Region: "eu-west-1",
    });
  });

  it("a certificate deleted after the listing is examined and found gone", async () => {
    // Prepare
    acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [summary("shop")] });
    acm.on(DescribeCertificateCommand).rejects(new ResourceNotFoundException(meta));

    // Act
    const scanned = await scanScope(source(), scanContext(NOW));

    // Assess
    expect(scanned).toMatchObject({ complete: true, findings: [], examined: [arn("shop")] });
  });
});
