/**
 * ACM as the scan reads it: ListCertificates (every key type: by default ACM lists only RSA_1024
 * and RSA_2048 certificates, Filters.keyTypes in the ACM API reference), ListTagsForCertificate
 * when the selection filters by tag, DescribeCertificate, and GetCertificate for imported ones.
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_ListCertificates.html
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_Filters.html
 */
import {
  type ACMClient,
  type CertificateDetail,
  type CertificateSummary,
  DescribeCertificateCommand,
  GetCertificateCommand,
  type KeyAlgorithm,
  ListCertificatesCommand,
  type ListCertificatesCommandOutput,
  ListTagsForCertificateCommand,
} from "@aws-sdk/client-acm";
import type { AcmCertificateView } from "../../core/aws-certificates/acm";
import type { AwsPlace } from "../../core/aws-certificates/location";
import type { AcmPort, ListedItem, Listing } from "../../core/aws-certificates/scan-place";
import { callFailure, loadFailure } from "./errors";

export const ALL_KEY_TYPES: KeyAlgorithm[] = [
  "RSA_1024",
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "EC_prime256v1",
  "EC_secp384r1",
  "EC_secp521r1",
];

/** Pages of ListCertificates read at most, so a loop of NextTokens cannot run the function out. */
const MAX_PAGES = 100;

export interface AcmSelectionInput {
  tags?: Record<string, string> | undefined;
}

export function acmSource(
  client: Pick<ACMClient, "send">,
  place: Omit<AwsPlace, "kind">,
  selection: AcmSelectionInput = {},
): AcmPort {
  const where: AwsPlace = { kind: "acm", ...place };
  return {
    place: where,
    async list(): Promise<Listing> {
      const items: ListedItem[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        let page: ListCertificatesCommandOutput;
        try {
          page = await client.send(
            new ListCertificatesCommand({
              Includes: { keyTypes: ALL_KEY_TYPES },
              MaxItems: 1000,
              ...(token ? { NextToken: token } : {}),
            }),
          );
        } catch (error) {
          return callFailure(error, `ListCertificates in ${where.account}/${where.region}`);
        }
        for (const summary of page.CertificateSummaryList ?? []) {
          if (summary.CertificateArn) items.push(listed(where, summary));
        }
        token = page.NextToken;
      } while (token && ++pages < MAX_PAGES);
      if (!selection.tags) return { ok: true, items };
      const wanted = Object.entries(selection.tags);
      const kept: ListedItem[] = [];
      for (const item of items) {
        try {
          const { Tags = [] } = await client.send(
            new ListTagsForCertificateCommand({ CertificateArn: item.arn }),
          );
          if (
            wanted.every(([key, value]) => Tags.some((tag) => tag.Key === key && (tag.Value ?? "") === value))
          ) {
            kept.push(item);
          }
        } catch (error) {
          const failure = callFailure(error, `ListTagsForCertificate ${item.arn}`);
          // A certificate deleted since the listing is simply not there; anything else leaves the
          // listing incomplete, and an incomplete listing may not clear what it no longer names.
          if (!failure.gone) return failure;
        }
      }
      return { ok: true, items: kept };
    },
    async describe(item) {
      try {
        const { Certificate } = await client.send(
          new DescribeCertificateCommand({ CertificateArn: item.arn }),
        );
        if (!Certificate)
          return { ok: false, detail: `DescribeCertificate ${item.arn}: no certificate in the answer` };
        return { ok: true, view: viewOf(item.arn, Certificate) };
      } catch (error) {
        return callFailure(error, `DescribeCertificate ${item.arn}`);
      }
    },
    async certificate(item) {
      try {
        const answer = await client.send(new GetCertificateCommand({ CertificateArn: item.arn }));
        const pem = [answer.Certificate, answer.CertificateChain].filter((p) => p !== undefined).join("\n");
        return { ok: true, bytes: new Uint8Array(Buffer.from(pem, "utf8")) };
      } catch (error) {
        return loadFailure(error, `GetCertificate ${item.arn}`);
      }
    },
  };
}

/**
 * What changes whenever the certificate does: a re-import changes ImportedAt and NotAfter, a renewal
 * IssuedAt and NotAfter; the rest says whether its state changed.
 */
function listed(where: AwsPlace, summary: CertificateSummary): ListedItem {
  const instant = (date: Date | undefined) => date?.toISOString() ?? "";
  return {
    ...where,
    arn: summary.CertificateArn as string,
    name: summary.DomainName ?? "",
    version: [
      summary.Status,
      summary.Type,
      instant(summary.NotBefore),
      instant(summary.NotAfter),
      instant(summary.ImportedAt),
      instant(summary.IssuedAt),
      instant(summary.RevokedAt),
    ].join("|"),
  };
}

export function viewOf(arn: string, detail: CertificateDetail): AcmCertificateView {
  return {
    arn: detail.CertificateArn ?? arn,
    domainName: detail.DomainName ?? "",
    subjectAlternativeNames: detail.SubjectAlternativeNames ?? [],
    type: detail.Type ?? "",
    status: detail.Status ?? "",
    ...(detail.NotBefore ? { notBefore: detail.NotBefore } : {}),
    ...(detail.NotAfter ? { notAfter: detail.NotAfter } : {}),
    inUseBy: detail.InUseBy ?? [],
    ...(detail.RenewalEligibility ? { renewalEligibility: detail.RenewalEligibility } : {}),
    ...(detail.RenewalSummary?.RenewalStatus ? { renewalStatus: detail.RenewalSummary.RenewalStatus } : {}),
    ...(detail.RenewalSummary?.RenewalStatusReason
      ? { renewalStatusReason: detail.RenewalSummary.RenewalStatusReason }
      : {}),
    ...(detail.RenewalSummary?.UpdatedAt ? { renewalUpdatedAt: detail.RenewalSummary.UpdatedAt } : {}),
  };
}
