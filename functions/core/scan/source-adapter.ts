/**
 * How a kind of source plugs into the one scan pipeline: list → fetch → read → judge → record →
 * settle. The pipeline (judge-objects.ts `judgeChunks`, source-scan.ts `scanAdapterSource`) does
 * the same for every kind: it looks each listed item up in the inventory by (scope, key) and judges
 * an unchanged one (same `version`) again from its record, fetches the others, reads bytes like any
 * file (reader.ts) or takes the facts an API already gave, judges them with the source's policy,
 * writes the new records, and hands one check run per scope to the alarm settlement. A source kind
 * supplies only what differs: how its items are listed, fetched and named. An adapter lives in
 * functions/adapters/ (it talks to AWS); this file, the pipeline and the engine have no AWS SDK.
 *
 * S3 sources plug in through `s3ObjectSource` (s3-source.ts); CONTRIBUTING.md, "How to add a
 * source", lists the files a new kind touches.
 */
import type { AwsChange } from "../aws-certificates/change-events";
import type { Finding } from "../contracts";
import type { DescribedCertificates, FilePassword, LoadResult } from "./read-files";

/**
 * Where an item lives. Every finding about the item carries these as alarm parameters (`Account`,
 * `Region`, `Arn`, `Name`), so an alarm says which account and region to look in.
 */
export interface ItemLocation {
  /** The 12-digit AWS account that holds the item (a member account's, or the stack's own). */
  account?: string;
  region?: string;
  /** The item's ARN, when it has one (ACM certificate, IAM server certificate, secret, parameter). */
  arn?: string;
  /** What a person searches for: an IAM server certificate's name, a secret's or parameter's name. */
  name?: string;
}

/** One item of a source's listing. */
export interface ListedItem {
  /**
   * The item's identity within its scope: the inventory record's key, and what `uri` names. An S3
   * object's key; an ARN; a parameter's name.
   */
  key: string;
  /**
   * Changes whenever the content changes: S3's ETag, a secret's VersionId, a parameter's Version,
   * an IAM server certificate's ID + upload date. An item listed without one is fetched on every
   * scan (its record is never reused).
   */
  version?: string;
  /** Size in bytes when the listing says; a fetch of more than the configured limit is refused. */
  size?: number;
  location?: ItemLocation;
}

/**
 * What a fetch gave: bytes (read like any certificate file: PEM, DER, PKCS#7, PKCS#12, JKS), or
 * certificates already described by an API (facts), or a failure (`LoadResult`'s `ok: false`:
 * `gone` when the item was deleted since the listing, `transient` when the failure says nothing
 * about the item, so it stays unexamined and its alarms stand).
 */
export type FetchedItem = (LoadResult | DescribedCertificates) & {
  /**
   * Findings the source itself decides about the item, beyond what its certificates show (an ACM
   * certificate INELIGIBLE for renewal, a renewal stuck in PENDING_VALIDATION). Their `source` must
   * be the item's `uri` or start with it. Never recorded in the inventory: they are decided afresh
   * by every fetch, so an item with such findings should be listed without a `version`, or fetched
   * again whenever they may change.
   */
  findings?: Finding[];
  /** Alarm parameters learned while fetching (S3 object metadata `watchpost push` wrote). */
  parameters?: Record<string, string>;
};

/**
 * One configured source, in one account and region, as the pipeline sees it. One adapter is one
 * scope: alarms are kept per scope, a complete run clears what it no longer lists, a partial run
 * (listing broke off, items unexamined) clears only what it examined.
 */
export interface SourceAdapter<Item extends ListedItem = ListedItem> {
  /** "s3", "acm", "iam", "secretsmanager", "ssm": logs and run records. */
  readonly kind: string;
  /**
   * The scope's name: alarm state and inventory records are keyed by it. Unique per configured
   * source × account × region, stable across deployments: `s3://bucket/prefix`,
   * `acm://<account>/<region>`, `secretsmanager://<account>/<region>/<name prefix>`.
   */
  readonly scope: string;
  /** Alarm parameters every finding of the scope carries (Bucket and Prefix; Account and Region). */
  readonly parameters: Record<string, string>;
  /**
   * The object key, in the certificate bucket, of the CA bundle the scope's chains are judged
   * against (trust-material.ts), as an S3 source's `caBundleKey`; none: no chain check.
   */
  readonly trustBundleKey?: string;
  /**
   * The items, as the listing goes (paginated). Throwing ends the listing: what was listed is
   * judged, the run is partial, and nothing unlisted is cleared.
   */
  list(): AsyncIterable<Item>;
  /** The item's name in findings and alarms (`s3://bucket/key`, an ARN); unique within the scope. */
  uri(item: Pick<Item, "key">): string;
  /**
   * Bytes or facts of one item, at most `maxBytes`. `known` is what the listing said, so a store
   * that can (S3's If-Match) reads exactly the version that was listed.
   */
  fetch(item: Item, limits: { maxBytes: number }): Promise<FetchedItem>;
  /** Names the item's end certificates must cover; undefined: no hostname check. */
  expectedHosts?(item: Item): string[] | undefined;
  /** The password of a PKCS#12 file or Java keystore item (with its fingerprint), if it has one. */
  password?(item: Item): FilePassword;
  /**
   * The item's alarm parameters: the configuration's for it, over what the fetch learned (S3:
   * location.ts `locationParameters`); default: its `location` as Account/Region/Arn/Name.
   */
  parametersOf?(item: Item, fetched: Readonly<Record<string, string>> | undefined): Record<string, string>;
  /**
   * The source's last word on an item's findings, fresh or judged again from the inventory: what
   * only the source knows about the item's use (ACM: an expiring certificate nothing uses is not
   * major), and where a person finds the item (the message's AWS CLI command). Default: as judged.
   */
  review?(item: Item, findings: readonly Finding[]): Finding[];
  /**
   * The version the source holds now under `uri`: its version, ABSENT (alarms/evidence.ts) when it
   * is gone, undefined when the source will not say or `uri` is not one of this adapter's. An alarm decision
   * confirms with it that what a run judged is still current before it changes anything.
   */
  currentVersion?(uri: string): Promise<string | undefined>;
  /**
   * The one item an AWS event names, as this scope's listing would show it now (item-recheck.ts):
   * `elsewhere` without a call when the scope cannot hold it (another kind, account, region, name
   * prefix or path), `unselected` when the store says it is outside the selection (its tags),
   * `absent` when it does not exist (or is scheduled for deletion), `failed` when the store would
   * not say (the item stays unexamined: its alarms stand).
   */
  listOne?(change: AwsChange): Promise<OneItem<Item>>;
}

/** What `listOne` found. */
export type OneItem<Item extends ListedItem = ListedItem> =
  | { state: "listed"; item: Item }
  | { state: "absent"; uri: string }
  | { state: "elsewhere"; reason: string }
  | { state: "unselected"; reason: string }
  | { state: "failed"; uri: string; detail: string };

/** The alarm parameters of an item's location (`Account`, `Region`, `Arn`, `Name`). */
export function locationParametersOf(location: ItemLocation | undefined): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (!location) return parameters;
  if (location.account) parameters.Account = location.account;
  if (location.region) parameters.Region = location.region;
  if (location.arn) parameters.Arn = location.arn;
  if (location.name) parameters.Name = location.name;
  return parameters;
}

/** Whether a fetch described certificates rather than handing out bytes. */
export function isDescribed(fetched: FetchedItem): fetched is DescribedCertificates & FetchedItem {
  return fetched.ok && "facts" in fetched;
}
