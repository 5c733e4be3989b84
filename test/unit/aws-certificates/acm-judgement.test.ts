/**
 * ACM's description of a certificate, judged: each row is DescribeCertificate's fields as the ACM
 * API reference documents them (CertificateDetail, RenewalSummary) → the findings a user sees.
 */
import { describe, expect, it } from "vitest";
import {
  type AcmCertificateView,
  acmItem,
  judgeAcmCertificate,
} from "../../../functions/core/aws-certificates/acm";
import { locateFindings } from "../../../functions/core/aws-certificates/location";

const NOW = new Date("2026-06-01T00:00:00Z");
const DAY = 86_400_000;
const POLICY = { now: NOW, warnDays: 30, majorDays: 7, skewSeconds: 300 };
const ARN = "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012";
const WHERE = { account: "111122223333", region: "eu-west-1" };
const ALB = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/shop/50dc6c495c0c9188";

function view(fields: Partial<AcmCertificateView>): AcmCertificateView {
  return {
    arn: ARN,
    domainName: "shop.example.com",
    subjectAlternativeNames: ["shop.example.com"],
    type: "AMAZON_ISSUED",
    status: "ISSUED",
    notBefore: new Date(NOW.getTime() - 300 * DAY),
    notAfter: new Date(NOW.getTime() + 65 * DAY),
    inUseBy: [ALB],
    renewalEligibility: "ELIGIBLE",
    ...fields,
  };
}

function judge(fields: Partial<AcmCertificateView>) {
  const v = view(fields);
  const item = acmItem(v, WHERE);
  return locateFindings(judgeAcmCertificate(v, item, POLICY, { dates: v.type !== "IMPORTED" }), item);
}

describe("ACM certificates judged from DescribeCertificate", () => {
  it.each([
    ["issued, eligible, in use, 65 days left", {}, []],
    [
      "ineligible while a load balancer uses it",
      { renewalEligibility: "INELIGIBLE" },
      [
        [
          "renewal-ineligible",
          "1050",
          "major",
          /not eligible for renewal \(RenewalEligibility INELIGIBLE\): ACM will not renew it by itself\. It expires on 2026-08-05T00:00:00Z/,
        ],
      ],
    ],
    [
      "ineligible and used by nothing",
      { renewalEligibility: "INELIGIBLE", inUseBy: [] },
      [
        [
          "renewal-ineligible",
          "1050",
          "minor",
          /Nothing uses it \(InUseBy is empty\), so nothing breaks yet: not major/,
        ],
      ],
    ],
    [
      "renewal waiting for DNS validation",
      {
        renewalStatus: "PENDING_VALIDATION",
        renewalUpdatedAt: new Date("2026-05-20T10:00:00Z"),
        notAfter: new Date(NOW.getTime() + 40 * DAY),
      },
      [
        [
          "renewal-stuck",
          "1051",
          "major",
          /waits for domain validation since 2026-05-20T10:00:00Z \(RenewalStatus PENDING_VALIDATION\)/,
        ],
      ],
    ],
    [
      "renewal failed on a CAA record",
      { renewalStatus: "FAILED", renewalStatusReason: "CAA_ERROR" },
      [["renewal-stuck", "1051", "major", /failed \(RenewalStatus FAILED, reason CAA_ERROR\)/]],
    ],
    ["renewal pending auto-renewal is ACM doing its job", { renewalStatus: "PENDING_AUTO_RENEWAL" }, []],
    [
      "expiring in 5 days while in use",
      { notAfter: new Date(NOW.getTime() + 5 * DAY) },
      [
        [
          "expiring",
          "1002",
          "major",
          /expires on 2026-06-06T00:00:00Z, in 5 days\. ACM starts renewing an eligible certificate 60 days before expiry/,
        ],
      ],
    ],
    [
      "expiring in 5 days, unused: not major",
      { notAfter: new Date(NOW.getTime() + 5 * DAY), inUseBy: [] },
      [
        [
          "expiring",
          "1002",
          "minor",
          /in 5 days\..*Nothing uses it \(InUseBy is empty\), so nothing breaks yet: not major/,
        ],
      ],
    ],
    [
      "expired, in use",
      { status: "EXPIRED", notAfter: new Date(NOW.getTime() - 2 * DAY) },
      [["expired", "1001", "critical", /expired on 2026-05-30T00:00:00Z, 2 days ago; clients reject it/]],
    ],
    [
      "not yet valid (issued an hour ahead)",
      { notBefore: new Date(NOW.getTime() + 3_600_000) },
      [["not-yet-valid", "1003", "critical", /is not valid until 2026-06-01T01:00:00Z, 1 hour from now/]],
    ],
    ["revoked", { status: "REVOKED" }, [["revoked", "1030", "critical", /is revoked \(Status REVOKED\)/]]],
    [
      "validation timed out: never issued, nothing to judge",
      { status: "VALIDATION_TIMED_OUT", renewalEligibility: "INELIGIBLE" },
      [],
    ],
    [
      "imported: its dates come from its bytes, and ACM does not renew it (no renewal finding)",
      { type: "IMPORTED", renewalEligibility: "INELIGIBLE", notAfter: new Date(NOW.getTime() + 3 * DAY) },
      [],
    ],
  ] as const)("%s", (_case, fields, expected) => {
    // Act
    const findings = judge(fields as Partial<AcmCertificateView>);

    // Assess
    expect(findings.map((f) => [f.check, f.alarmId, f.severity])).toEqual(
      expected.map(([c, id, s]) => [c, id, s]),
    );
    findings.forEach((finding, i) => {
      expect(finding.message).toMatch(expected[i]![3]);
      expect(finding.source).toBe(ARN);
      expect(finding.message).toContain(
        `Where it is: ACM certificate shop.example.com (${ARN}) in account 111122223333, eu-west-1; see it with \`aws acm describe-certificate --certificate-arn ${ARN} --region eu-west-1\`.`,
      );
    });
  });

  it("shows a domain name's invisible characters as escapes", () => {
    // Act
    const [finding] = judge({ domainName: "sh\u200bop.example.com", renewalEligibility: "INELIGIBLE" });

    // Assess
    expect(finding?.message).toContain("ACM certificate sh\\u200bop.example.com");
    expect(finding?.message).not.toContain("\u200b");
  });
});
