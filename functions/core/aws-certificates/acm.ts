/**
 * What ACM says about a certificate, judged: dates from DescribeCertificate's NotBefore/NotAfter,
 * and for ACM-issued certificates whether ACM will renew them (RenewalEligibility) and how its
 * managed renewal goes (RenewalSummary.RenewalStatus). An imported certificate's bytes (GetCertificate)
 * are judged by the engine like any file; this module then only adds what ACM alone knows.
 *
 * Field meanings from the ACM API reference (CertificateDetail, RenewalSummary):
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_RenewalSummary.html
 * RenewalSummary "exists only when the certificate type is AMAZON_ISSUED"; RenewalStatus is one of
 * PENDING_AUTO_RENEWAL | PENDING_VALIDATION | SUCCESS | FAILED.
 */

import { daysBetween } from "../certificates/certificate";
import { formatDuration, formatInstant, makeFinding } from "../certificates/checks/finding";
import type { Finding } from "../contracts";
import { visibleText } from "../visible-text";
import { type AwsItem, describeItem, sourceOf } from "./location";

const DAY_MS = 86_400_000;

/** DescribeCertificate's fields this judgement reads, already out of the SDK's shapes (adapters/). */
export interface AcmCertificateView {
  arn: string;
  domainName: string;
  subjectAlternativeNames: string[];
  /** IMPORTED | AMAZON_ISSUED | PRIVATE */
  type: string;
  /** PENDING_VALIDATION | ISSUED | INACTIVE | EXPIRED | VALIDATION_TIMED_OUT | REVOKED | FAILED */
  status: string;
  notBefore?: Date;
  notAfter?: Date;
  /** ARNs of the AWS resources that use the certificate. */
  inUseBy: string[];
  /** ELIGIBLE | INELIGIBLE */
  renewalEligibility?: string;
  renewalStatus?: string;
  renewalStatusReason?: string;
  renewalUpdatedAt?: Date;
}

export interface AcmPolicy {
  now: Date;
  warnDays: number;
  majorDays: number;
  skewSeconds: number;
}

/** Statuses of a certificate that exists as issued: anything else was never issued, so has no dates to judge. */
const ISSUED_STATUSES = new Set(["ISSUED", "EXPIRED", "REVOKED", "INACTIVE"]);

export function isIssued(view: Pick<AcmCertificateView, "status">): boolean {
  return ISSUED_STATUSES.has(view.status);
}

/** The item a finding about this certificate is located at. */
export function acmItem(view: AcmCertificateView, where: { account: string; region: string }): AwsItem {
  return { kind: "acm", account: where.account, region: where.region, arn: view.arn, name: view.domainName };
}

export interface AcmJudgementOptions {
  /**
   * Judge the dates from DescribeCertificate: for ACM-issued certificates always (their bytes are
   * not read), for an imported one only when its bytes could not be read.
   */
  dates: boolean;
}

/**
 * The findings about one ACM certificate: what the engine found in its bytes (imported ones), and
 * what ACM's description alone says, all weighed by whether anything uses it. Certificates that
 * were never issued (pending or failed validation) are not judged: no certificate is in service.
 */
export function judgeAcmCertificate(
  view: AcmCertificateView,
  item: AwsItem,
  policy: AcmPolicy,
  options: AcmJudgementOptions & { bytesFindings?: readonly Finding[] },
): Finding[] {
  if (!isIssued(view)) return [];
  const findings: Finding[] = [...(options.bytesFindings ?? [])];
  if (view.status === "REVOKED") findings.push(revoked(view, item));
  if (options.dates) findings.push(...dates(view, item, policy));
  if (view.type !== "IMPORTED") findings.push(...renewal(view, item, policy));
  return inUseContext(findings, view);
}

function dates(view: AcmCertificateView, item: AwsItem, policy: AcmPolicy): Finding[] {
  const now = Math.floor(policy.now.getTime() / 1000) * 1000;
  const findings: Finding[] = [];
  const name = describeItem(item);
  const renewHint =
    view.type === "IMPORTED"
      ? "Import a renewed certificate into the same ARN (`aws acm import-certificate --certificate-arn ARN ...`): whatever uses it picks it up."
      : "ACM starts renewing an eligible certificate 60 days before expiry; see its renewal status (RenewalSummary) and renewal eligibility.";
  if (view.notBefore && view.notBefore.getTime() - now > policy.skewSeconds * 1000) {
    const ahead = view.notBefore.getTime() - now;
    findings.push(
      makeFinding(
        "not-yet-valid",
        sourceOf(item),
        `${name} is not valid until ${formatInstant(view.notBefore)}, ${formatDuration(ahead)} from now, so clients reject it as "not yet valid". It was issued while the issuing clock ran ahead; re-issue it.`,
        { notBefore: formatInstant(view.notBefore), secondsAhead: Math.floor(ahead / 1000) },
      ),
    );
  }
  if (view.notAfter) {
    const left = view.notAfter.getTime() - now;
    const details = {
      notAfter: formatInstant(view.notAfter),
      daysLeft: daysBetween(policy.now, view.notAfter),
      subject: `CN=${view.domainName}`,
    };
    if (left < 0) {
      findings.push(
        makeFinding(
          "expired",
          sourceOf(item),
          `${name} expired on ${formatInstant(view.notAfter)}, ${formatDuration(left)} ago; clients reject it. ${renewHint}`,
          details,
        ),
      );
    } else {
      const severity =
        left <= policy.majorDays * DAY_MS ? "major" : left <= policy.warnDays * DAY_MS ? "minor" : undefined;
      if (severity) {
        findings.push(
          makeFinding(
            "expiring",
            sourceOf(item),
            `${name} expires on ${formatInstant(view.notAfter)}, in ${formatDuration(left)}. ${renewHint}`,
            { ...details, thresholdDays: severity === "major" ? policy.majorDays : policy.warnDays },
            severity,
          ),
        );
      }
    }
  }
  return findings;
}

function revoked(view: AcmCertificateView, item: AwsItem): Finding {
  return makeFinding(
    "revoked",
    sourceOf(item),
    `${describeItem(item)} is revoked (Status REVOKED); clients that check revocation refuse it. Request or import a new certificate and attach it where this one is used.`,
    { status: view.status },
  );
}

function renewal(view: AcmCertificateView, item: AwsItem, policy: AcmPolicy): Finding[] {
  const findings: Finding[] = [];
  const name = describeItem(item);
  const expires = view.notAfter ? ` It expires on ${formatInstant(view.notAfter)}` : " It";
  const left = view.notAfter
    ? `${expires}, in ${formatDuration(view.notAfter.getTime() - policy.now.getTime())}.`
    : "";
  if (view.renewalEligibility === "INELIGIBLE" && view.status === "ISSUED") {
    findings.push(
      makeFinding(
        "renewal-ineligible",
        sourceOf(item),
        `${name} is not eligible for renewal (RenewalEligibility INELIGIBLE): ACM will not renew it by itself.${left} Request a new certificate, or make it eligible (associate it with the service that should use it).`,
        {
          renewalEligibility: view.renewalEligibility,
          ...(view.notAfter ? { notAfter: formatInstant(view.notAfter) } : {}),
        },
      ),
    );
  }
  if (view.renewalStatus === "PENDING_VALIDATION" || view.renewalStatus === "FAILED") {
    const since = view.renewalUpdatedAt ? ` since ${formatInstant(view.renewalUpdatedAt)}` : "";
    const why =
      view.renewalStatus === "PENDING_VALIDATION"
        ? `waits for domain validation${since} (RenewalStatus PENDING_VALIDATION): add back the CNAME records listed under RenewalSummary.DomainValidationOptions, or approve the validation email`
        : `failed${since} (RenewalStatus FAILED${view.renewalStatusReason ? `, reason ${visibleText(view.renewalStatusReason)}` : ""}): fix the cause the reason names, or request a new certificate`;
    findings.push(
      makeFinding("renewal-stuck", sourceOf(item), `ACM's renewal of ${name} ${why}.${left}`, {
        renewalStatus: view.renewalStatus,
        ...(view.renewalStatusReason ? { renewalStatusReason: view.renewalStatusReason } : {}),
        ...(view.renewalUpdatedAt ? { updatedAt: formatInstant(view.renewalUpdatedAt) } : {}),
      }),
    );
  }
  return findings;
}

/** Checks whose severity says how much breaks: less when nothing uses the certificate. */
const USE_DEPENDENT = new Set(["expired", "expiring", "renewal-ineligible", "renewal-stuck"]);

/**
 * A certificate nothing uses (InUseBy empty) breaks nothing when it expires or is not renewed: its
 * findings stay, at most minor, and say so. Applied to the engine's findings about an imported
 * certificate as well as to ACM's own.
 */
export function inUseContext(
  findings: readonly Finding[],
  view: Pick<AcmCertificateView, "inUseBy">,
): Finding[] {
  if (view.inUseBy.length > 0) {
    return findings.map((f) =>
      USE_DEPENDENT.has(f.check) ? { ...f, details: { ...f.details, inUseBy: view.inUseBy.length } } : f,
    );
  }
  return findings.map((f) => {
    if (!USE_DEPENDENT.has(f.check)) return f;
    const capped = f.severity === "critical" || f.severity === "major" ? "minor" : f.severity;
    return {
      ...f,
      severity: capped,
      message: `${f.message} Nothing uses it (InUseBy is empty), so nothing breaks yet: not major. Delete it if it is not needed.`,
      details: { ...f.details, inUseBy: 0 },
    };
  });
}
