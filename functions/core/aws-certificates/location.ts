/**
 * Where a certificate kept in AWS is: the kind of store, the account, the region, the ARN and the
 * name. Every finding about it carries these as alarm parameters, and its messages say how to look
 * at it with the AWS CLI. Names come from AWS resources a user controls: shown through visibleText.
 */
import type { Finding } from "../contracts";
import { visibleText } from "../visible-text";

export const AWS_SOURCE_KINDS = [
  "acm",
  "iam-server-certificate",
  "secrets-manager",
  "ssm-parameter",
] as const;
export type AwsSourceKind = (typeof AWS_SOURCE_KINDS)[number];

/** One account and region of one kind of store; IAM server certificates are global (`region` "global"). */
export interface AwsPlace {
  kind: AwsSourceKind;
  account: string;
  region: string;
}

/** One item in a store: a certificate in ACM or IAM, a secret, a parameter. */
export interface AwsItem extends AwsPlace {
  arn: string;
  /** ACM: the certificate's domain name; otherwise the server certificate's, secret's or parameter's name. */
  name: string;
}

export const IAM_REGION = "global";

const KIND_TEXT: Record<AwsSourceKind, string> = {
  acm: "ACM certificate",
  "iam-server-certificate": "IAM server certificate",
  "secrets-manager": "Secrets Manager secret",
  "ssm-parameter": "Parameter Store parameter",
};

/** The source a finding about the item names: its ARN (`<arn>#<n>` for its n-th certificate). */
export function sourceOf(item: AwsItem): string {
  return item.arn;
}

/** "ACM certificate api.example.com (arn:…) in account 111122223333, eu-west-1". */
export function describeItem(item: AwsItem): string {
  const where =
    item.region === IAM_REGION ? `account ${item.account}` : `account ${item.account}, ${item.region}`;
  return `${KIND_TEXT[item.kind]} ${visibleText(item.name)} (${visibleText(item.arn)}) in ${where}`;
}

/** The place a listing failure is about, as the source of its finding: `acm://111122223333/eu-west-1`. */
export function placeSource(place: AwsPlace): string {
  return `${place.kind}://${place.account}/${place.region}`;
}

/** The AWS CLI command that shows the item, for messages and runbooks. */
export function lookCommand(item: AwsItem): string {
  switch (item.kind) {
    case "acm":
      return `aws acm describe-certificate --certificate-arn ${item.arn} --region ${item.region}`;
    case "iam-server-certificate":
      return `aws iam get-server-certificate --server-certificate-name ${shellSafe(item.name)}`;
    case "secrets-manager":
      return `aws secretsmanager describe-secret --secret-id ${item.arn} --region ${item.region}`;
    case "ssm-parameter":
      return `aws ssm get-parameter --name ${shellSafe(item.name)} --region ${item.region} --query Parameter.[Version,LastModifiedDate]`;
  }
}

function shellSafe(value: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(value) ? value : `'${visibleText(value).replaceAll("'", `'\\''`)}'`;
}

/** The alarm parameters of a finding about the item, after those the configuration declares. */
export function itemParameters(item: AwsItem, declared: Record<string, string> = {}): Record<string, string> {
  return {
    ...declared,
    SourceKind: item.kind,
    Account: item.account,
    Region: item.region,
    Arn: item.arn,
    Name: item.name,
  };
}

/** The findings about an item, each saying where the item is and how to look at it (once). */
export function locateFindings(findings: readonly Finding[], item: AwsItem): Finding[] {
  const look = ` Where it is: ${describeItem(item)}; see it with \`${lookCommand(item)}\`.`;
  return findings.map((finding) =>
    finding.message.endsWith(look) ? finding : { ...finding, message: `${finding.message}${look}` },
  );
}
