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
  ListTagsForCertificateCommand,
} from "@aws-sdk/client-acm";
import {
  type AcmCertificateView,
  acmItem,
  inUseContext,
  judgeAcmCertificate,
} from "../../core/aws-certificates/acm";
import type { AwsPlace } from "../../core/aws-certificates/location";
import type { EvaluationPolicy } from "../../core/certificates/evaluate";
import type { Finding } from "../../core/contracts";
import type { FetchedItem, SourceAdapter } from "../../core/scan/source-adapter";
import { callFailure, loadFailure } from "./errors";
import { lookupFailure, outsideOf } from "./one-item";
import { listingFailure, listPages } from "./pages";
import { type AwsListedItem, awsItemMethods, listedItem, placeParameters, scopeOf } from "./source";

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
  /** The CA bundle imported certificates' chains are judged against (an object in the certificate bucket). */
  caBundleKey?: string | undefined;
  expectedHostnames?: string[] | undefined;
  parameters?: Record<string, string> | undefined;
}

/** An ACM certificate as listed: whether it is imported, and whether something uses it (summary's InUse). */
export interface AcmListedItem extends AwsListedItem {
  imported: boolean;
  inUse: boolean;
}

/**
 * One account and region of ACM. An imported certificate's bytes (GetCertificate) are read like
 * any file, and kept in the inventory by its import instant and status: unchanged, it is judged
 * again without a call. An ACM-issued one is described on every scan (its renewal status changes
 * without a new version) and judged from DescribeCertificate (acm.ts).
 */
export function acmSource(
  client: Pick<ACMClient, "send">,
  place: Omit<AwsPlace, "kind">,
  selection: AcmSelectionInput,
  policy: () => Pick<EvaluationPolicy, "now" | "warnDays" | "majorDays" | "skewSeconds">,
): SourceAdapter<AcmListedItem> {
  const where: AwsPlace = { kind: "acm", ...place };
  const methods = awsItemMethods(selection.parameters);
  return {
    kind: "acm",
    scope: scopeOf(where, "", selection.tags),
    parameters: placeParameters(where),
    ...(selection.caBundleKey ? { trustBundleKey: selection.caBundleKey } : {}),
    ...methods,
    async *list() {
      const wanted = Object.entries(selection.tags ?? {});
      const pages = listPages(
        { action: "acm:ListCertificates", where, maxPages: MAX_PAGES },
        (token) =>
          client.send(
            new ListCertificatesCommand({
              Includes: { keyTypes: ALL_KEY_TYPES },
              MaxItems: 1000,
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        (page) => page.NextToken,
      );
      for await (const page of pages) {
        for (const summary of page.CertificateSummaryList ?? []) {
          if (!summary.CertificateArn) continue;
          if (wanted.length > 0 && !(await tagged(client, summary.CertificateArn, wanted))) continue;
          yield listed(where, summary);
        }
      }
    },
    async fetch(item): Promise<FetchedItem> {
      let view: AcmCertificateView;
      try {
        const { Certificate } = await client.send(
          new DescribeCertificateCommand({ CertificateArn: item.key }),
        );
        if (!Certificate)
          return {
            ok: false,
            reason: "io-error",
            detail: `DescribeCertificate ${item.key}: no certificate in the answer`,
            transient: true,
          };
        view = viewOf(item.key, Certificate);
      } catch (error) {
        return loadFailure(error, `DescribeCertificate ${item.key}`);
      }
      const located = acmItem(view, where);
      if (view.type !== "IMPORTED") {
        // No bytes to read: ACM's description is the judgement (dates, renewal), weighed by use.
        return {
          ok: true,
          facts: [],
          findings: judgeAcmCertificate(view, located, policy(), { dates: true }),
        };
      }
      const findings = judgeAcmCertificate(view, located, policy(), { dates: false });
      try {
        const answer = await client.send(new GetCertificateCommand({ CertificateArn: item.key }));
        const pem = [answer.Certificate, answer.CertificateChain].filter((p) => p !== undefined).join("\n");
        return { ok: true, bytes: new Uint8Array(Buffer.from(pem, "utf8")), findings };
      } catch (error) {
        return { ...loadFailure(error, `GetCertificate ${item.key}`), findings };
      }
    },
    expectedHosts: (item) =>
      selection.expectedHostnames ?? (item.imported && item.item.name ? [item.item.name] : undefined),
    review: (item, findings) => methods.review(item, weighedByUse(findings, item)),
    async listOne(change) {
      const outside = outsideOf(where, change);
      if (outside !== undefined || change.kind !== "acm")
        return { state: "elsewhere", reason: outside ?? "" };
      const arn = change.arn;
      try {
        const { Certificate } = await client.send(new DescribeCertificateCommand({ CertificateArn: arn }));
        if (!Certificate) return { state: "failed", uri: arn, detail: "DescribeCertificate: no certificate" };
        const wanted = Object.entries(selection.tags ?? {});
        if (wanted.length > 0 && !(await tagged(client, arn, wanted))) {
          return { state: "unselected", reason: "the certificate does not carry the selection's tags" };
        }
        // The listing's summary, from the description ACM answers for this one certificate.
        return {
          state: "listed",
          item: listed(where, {
            CertificateArn: arn,
            DomainName: Certificate.DomainName,
            Status: Certificate.Status,
            Type: Certificate.Type,
            NotBefore: Certificate.NotBefore,
            NotAfter: Certificate.NotAfter,
            ImportedAt: Certificate.ImportedAt,
            InUse: (Certificate.InUseBy ?? []).length > 0,
          }),
        };
      } catch (error) {
        return lookupFailure(error, `DescribeCertificate ${arn}`, arn);
      }
    },
  };
}

/**
 * The engine's findings about an imported certificate, weighed by whether anything uses it (the
 * listing's InUse); ACM's own findings (fetch) were weighed already, by InUseBy.
 */
function weighedByUse(findings: readonly Finding[], item: AcmListedItem): Finding[] {
  const unweighed = findings.filter((f) => f.details?.inUseBy === undefined);
  if (unweighed.length === 0) return [...findings];
  const weighed = inUseContext(unweighed, { inUseBy: item.inUse ? ["(in use)"] : [] });
  return findings.map((f) =>
    f.details?.inUseBy === undefined ? (weighed[unweighed.indexOf(f)] as Finding) : f,
  );
}

async function tagged(
  client: Pick<ACMClient, "send">,
  arn: string,
  wanted: readonly [string, string][],
): Promise<boolean> {
  try {
    const { Tags = [] } = await client.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
    return wanted.every(([key, value]) => Tags.some((tag) => tag.Key === key && (tag.Value ?? "") === value));
  } catch (error) {
    const call = `ListTagsForCertificate ${arn}`;
    // Deleted since the listing: simply not there. Anything else leaves the listing incomplete.
    if (callFailure(error, call).gone) return false;
    throw listingFailure(error, call, "acm:ListTagsForCertificate");
  }
}

/**
 * What changes whenever the certificate does: a re-import changes ImportedAt and NotAfter, a renewal
 * IssuedAt and NotAfter; the rest says whether its state changed.
 */
function listed(where: AwsPlace, summary: CertificateSummary): AcmListedItem {
  const instant = (date: Date | undefined) => date?.toISOString() ?? "";
  const imported = summary.Type === "IMPORTED";
  const item = {
    ...where,
    arn: summary.CertificateArn as string,
    name: summary.DomainName ?? "",
  };
  const version = [
    summary.Status,
    instant(summary.NotBefore),
    instant(summary.NotAfter),
    instant(summary.ImportedAt),
    summary.InUse ? "in-use" : "unused",
  ].join("|");
  // Only an imported certificate's record is reused: an ACM-issued one's renewal status changes
  // without any of the listing's fields, so it is described on every scan.
  return { ...listedItem(item, imported ? version : undefined), imported, inUse: summary.InUse ?? true };
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
