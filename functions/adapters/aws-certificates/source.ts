/**
 * What the four AWS store adapters share on the pipeline's interface (core/scan/source-adapter.ts):
 * the scope's name, the item's location as alarm parameters, and the review that says in every
 * message where the certificate is and how to look at it.
 */
import {
  type AwsItem,
  type AwsPlace,
  itemParameters,
  locateFindings,
} from "../../core/aws-certificates/location";
import type { Finding } from "../../core/contracts";
import type { ListedItem } from "../../core/scan/source-adapter";

/** A listed item of an AWS store: keyed by its ARN. */
export interface AwsListedItem extends ListedItem {
  item: AwsItem;
}

/** The pipeline's kind names (source-adapter.ts `kind`). */
export const PIPELINE_KIND: Record<AwsPlace["kind"], string> = {
  acm: "acm",
  "iam-server-certificate": "iam",
  "secrets-manager": "secretsmanager",
  "ssm-parameter": "ssm",
};

/**
 * `acm://111122223333/eu-west-1`, with what tells two selections of one place apart
 * (`secretsmanager://111122223333/eu-west-1/tls/`, `…?team=payments`): alarms and inventory
 * records are kept per scope, so it must be stable across deployments.
 */
export function scopeOf(place: AwsPlace, selector: string, tags?: Record<string, string>): string {
  const tagText = tags
    ? `?${Object.entries(tags)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
        .join("&")}`
    : "";
  return `${PIPELINE_KIND[place.kind]}://${place.account}/${place.region}${selector ? `/${selector}` : ""}${tagText}`;
}

export function listedItem(item: AwsItem, version: string | undefined): AwsListedItem {
  return {
    key: item.arn,
    ...(version !== undefined ? { version } : {}),
    location: { account: item.account, region: item.region, arn: item.arn, name: item.name },
    item,
  };
}

/** What every AWS adapter says about its items (SourceAdapter's uri, parametersOf, review). */
export function awsItemMethods(declared: Record<string, string> | undefined) {
  return {
    uri: (item: Pick<AwsListedItem, "key">) => item.key,
    parametersOf: (item: AwsListedItem) => itemParameters(item.item, declared),
    review: (item: AwsListedItem, findings: readonly Finding[]) => locateFindings(findings, item.item),
  };
}

/** The run-wide parameters of a place. */
export function placeParameters(place: AwsPlace): Record<string, string> {
  return { SourceKind: place.kind, Account: place.account, Region: place.region };
}
