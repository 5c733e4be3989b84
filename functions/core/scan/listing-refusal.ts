/**
 * A listing the source refused, as a finding about the scope (`source-access-denied`): the scan
 * may not make the List call (AccessDenied and its kin), or a member account's reader role cannot
 * be assumed. An adapter's `list()` throws `ListingRefused`; the listing ends there like any failed
 * listing (the run is partial, nothing unlisted is cleared), and the scope gets one finding, raised
 * while the refusal lasts and cleared by the first run that lists the scope to its end. A listing
 * that fails otherwise (throttling, network) says nothing about permissions: no finding.
 */
import { makeFinding } from "../certificates/checks/finding";
import type { Finding } from "../contracts";

export interface Refusal {
  /** What was refused, as the SDK said it (error name, HTTP status, the call); never a value. */
  detail: string;
  /** The permission the scan needs: `secretsmanager:ListSecrets`, `sts:AssumeRole on <role ARN>`. */
  permission: string;
}

export class ListingRefused extends Error {
  override readonly name = "ListingRefused";
  constructor(readonly refusal: Refusal) {
    super(refusal.detail);
  }
}

const KIND_WORDS: Record<string, string> = {
  acm: "ACM certificates",
  "iam-server-certificate": "IAM server certificates",
  "secrets-manager": "Secrets Manager secrets",
  "ssm-parameter": "Parameter Store parameters",
};

/**
 * The finding about `scope` (its alarm parameters say the kind, account and Region). The certificates
 * there are not named: they were not listed, and their own alarms stand.
 */
export function listingRefusedFinding(
  scope: string,
  parameters: Readonly<Record<string, string>>,
  refusal: Refusal,
): Finding {
  const what = KIND_WORDS[parameters.SourceKind ?? ""] ?? "certificates";
  const where = [
    parameters.Account ? `account ${parameters.Account}` : undefined,
    parameters.Region && parameters.Region !== "global" ? parameters.Region : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  return makeFinding(
    "source-access-denied",
    scope,
    `${what}${where ? ` in ${where}` : ""} could not be listed (${scope}): ${refusal.detail}. The scan needs ${refusal.permission}. Until it can list them, none of these certificates is re-checked, and the alarms raised about them stand.`,
    { permission: refusal.permission, reason: "listing-refused" },
  );
}
