/**
 * One account and region of one kind of AWS store, scanned: list → (reuse the inventory, or fetch
 * and read) → judge → locate. The ports (adapters/aws-certificates/) turn the SDK's answers and
 * exceptions into listings and load results; nothing here imports the SDK.
 *
 * What a partial scan may clear: an item whose value or description could not be read is "not
 * examined" (its alarms stand), and a listing that failed leaves the whole place unexamined. Only
 * a complete listing says that an item no longer listed is gone.
 */

import { type EvaluationPolicy, unreadableFinding } from "../certificates/evaluate";
import {
  type InventoryRecord,
  type InventoryRecordInput,
  isReusable,
  recordOf,
  rejudge,
} from "../certificates/inventory";
import type { ObjectInventoryPort } from "../certificates/ports";
import { type FilePassword, type LoadResult, scanFile } from "../certificates/scan";
import { mapBounded } from "../concurrency";
import type { Finding } from "../contracts";
import { type AcmCertificateView, isIssued, judgeAcmCertificate } from "./acm";
import { type AwsItem, type AwsPlace, describeItem, locateFindings, placeSource } from "./location";

/** An item as the listing names it, with what changes whenever the item does. */
export interface ListedItem extends AwsItem {
  /**
   * ACM: status fields and import/issue instants; Secrets Manager: the AWSCURRENT VersionId;
   * SSM: Version; IAM: ServerCertificateId and UploadDate. Equal version: the item is unchanged.
   */
  version: string;
}

/** Why a call failed, as the ports classify the SDK's exceptions. */
export interface CallFailure {
  ok: false;
  /** AccessDenied and the like: asking again will not help until someone changes a policy. */
  denied?: boolean;
  /** The item does not exist (any more): ResourceNotFound. */
  gone?: boolean;
  /** Throttling, 5xx, network: the next scan may well succeed. */
  transient?: boolean;
  /** The SDK's error name and what was asked; never a value. */
  detail: string;
}

export type Listing = { ok: true; items: ListedItem[] } | CallFailure;

/** Secrets Manager and Parameter Store: values holding certificate material. */
export interface MaterialStorePort {
  place: AwsPlace;
  list(): Promise<Listing>;
  /** Only the certificate material of the value (secret-material.ts); a failure as a load failure. */
  load(item: ListedItem): Promise<LoadResult>;
}

/** ACM: descriptions, and for imported certificates the certificate and chain. */
export interface AcmPort {
  place: AwsPlace;
  list(): Promise<Listing>;
  describe(item: ListedItem): Promise<{ ok: true; view: AcmCertificateView } | CallFailure>;
  /** GetCertificate's Certificate and CertificateChain, as PEM. */
  certificate(item: ListedItem): Promise<LoadResult>;
}

export interface PlaceScanOptions {
  policy: EvaluationPolicy;
  /** The selection's expected host names; ACM: default its domain name. */
  expectedHosts?: string[];
  /** Alarm parameters the configuration declares for the selection. */
  declared?: Record<string, string>;
  /** The PKCS#12 password of the selection, when one is configured. */
  password?: FilePassword;
  inventory?: ObjectInventoryPort;
  concurrency?: number;
}

export interface PlaceOutcome {
  place: AwsPlace;
  /** `acm://<account>/<region>`: every source of the place is an ARN found under it. */
  scope: string;
  findings: Finding[];
  /** Items examined: their alarms that no finding repeats clear. */
  examined: string[];
  /** Items (or the whole place) not examined, and why: their alarms stand. */
  notExamined: { source: string; why: string }[];
  /** The listing completed: an alarm of an item it no longer names may clear. */
  complete: boolean;
  read: number;
  reused: number;
}

function emptyOutcome(place: AwsPlace): PlaceOutcome {
  return {
    place,
    scope: placeSource(place),
    findings: [],
    examined: [],
    notExamined: [],
    complete: false,
    read: 0,
    reused: 0,
  };
}

/** A failed listing: denied is a finding about the place (fix the policy); anything else only stops. */
function listingFailed(outcome: PlaceOutcome, failure: CallFailure, what: string): PlaceOutcome {
  const why = `${what} could not be listed (${failure.detail})`;
  outcome.notExamined.push({ source: outcome.scope, why });
  if (failure.denied) {
    outcome.findings.push({
      ...unreadableFinding(
        outcome.scope,
        "io-error",
        `${failure.detail}; the scan's role (or the reader role in account ${outcome.place.account}) needs the list permission; nothing there was checked and no alarm of it clears`,
      ),
      parameters: {
        SourceKind: outcome.place.kind,
        Account: outcome.place.account,
        Region: outcome.place.region,
      },
    });
  }
  return outcome;
}

/** Secrets Manager secrets or SSM parameters of one account and region. */
export async function scanMaterialPlace(
  port: MaterialStorePort,
  options: PlaceScanOptions,
): Promise<PlaceOutcome> {
  const outcome = emptyOutcome(port.place);
  const listing = await port.list();
  if (!listing.ok) return listingFailed(outcome, listing, `The ${port.place.kind} items`);
  outcome.complete = true;
  const records = await inventoryOf(options.inventory, outcome.scope, listing.items);
  const kept: InventoryRecordInput[] = [];
  const policy = options.expectedHosts
    ? { ...options.policy, expectedHosts: options.expectedHosts }
    : options.policy;
  await mapBounded(listing.items, options.concurrency ?? 4, async (item) => {
    const record = records.get(item.arn);
    if (isReusable(record, { etag: item.version }, "", options.policy.now, options.password?.fingerprint)) {
      outcome.reused++;
      outcome.examined.push(item.arn);
      outcome.findings.push(...locateFindings(rejudge(record, policy), item, options.declared));
      return;
    }
    outcome.read++;
    const file = await scanFile(
      {
        file: item.arn,
        load: () => port.load(item),
        explicit: true,
        // Named by the listing: gone by the time it is read, it is no more (not unreadable).
        goneIsAbsent: true,
        ...(options.expectedHosts ? { expectedHosts: options.expectedHosts } : {}),
        ...(options.password ? { password: options.password } : {}),
      },
      { policy: options.policy },
    );
    outcome.findings.push(...locateFindings(file.findings, item, options.declared));
    if (file.gone) return;
    if (file.unexamined) {
      outcome.notExamined.push({
        source: item.arn,
        why: file.notExamined ?? `${describeItem(item)} could not be read`,
      });
      return;
    }
    outcome.examined.push(item.arn);
    if (file.verdict) {
      kept.push(
        recordOf(
          { key: item.arn, etag: item.version, size: 0, parameters: {} },
          file.verdict,
          { scope: outcome.scope, trust: "", anchors: [], skewSeconds: options.policy.skewSeconds },
          options.policy.now,
        ),
      );
    }
  });
  if (options.inventory && kept.length > 0) await options.inventory.put(kept);
  return outcome;
}

/** ACM certificates of one account and region. */
export async function scanAcmPlace(port: AcmPort, options: PlaceScanOptions): Promise<PlaceOutcome> {
  const outcome = emptyOutcome(port.place);
  const listing = await port.list();
  if (!listing.ok) return listingFailed(outcome, listing, "The ACM certificates");
  outcome.complete = true;
  const records = await inventoryOf(options.inventory, outcome.scope, listing.items);
  const kept: InventoryRecordInput[] = [];
  await mapBounded(listing.items, options.concurrency ?? 4, async (item) => {
    const described = await port.describe(item);
    if (!described.ok) {
      if (described.gone) return;
      outcome.notExamined.push({ source: item.arn, why: `DescribeCertificate failed (${described.detail})` });
      if (described.denied) {
        outcome.findings.push(
          ...locateFindings(
            [unreadableFinding(item.arn, "io-error", described.detail)],
            item,
            options.declared,
          ),
        );
      }
      return;
    }
    const view = described.view;
    const located: AwsItem = { ...item, name: view.domainName || item.name };
    if (!isIssued(view)) {
      // Never issued (validation pending, timed out or failed): no certificate is in service.
      outcome.examined.push(item.arn);
      return;
    }
    const bytesFindings: Finding[] = [];
    let dates = view.type !== "IMPORTED";
    let examined = true;
    if (view.type === "IMPORTED") {
      const expectedHosts = options.expectedHosts ?? (view.domainName ? [view.domainName] : []);
      const policy = { ...options.policy, expectedHosts };
      const record = records.get(item.arn);
      if (isReusable(record, { etag: item.version }, "", options.policy.now)) {
        outcome.reused++;
        bytesFindings.push(...rejudge(record, policy));
      } else {
        outcome.read++;
        const file = await scanFile(
          {
            file: item.arn,
            load: () => port.certificate(item),
            explicit: true,
            goneIsAbsent: true,
            expectedHosts,
          },
          { policy: options.policy },
        );
        bytesFindings.push(...file.findings);
        if (file.unexamined) {
          // The bytes could not be read: ACM's own dates still say whether it expires, but what
          // only the bytes tell (names, weak keys) is unknown, so none of its alarms clears.
          dates = true;
          examined = false;
          outcome.notExamined.push({
            source: item.arn,
            why: file.notExamined ?? "GetCertificate failed",
          });
        } else if (file.verdict) {
          kept.push(
            recordOf(
              { key: item.arn, etag: item.version, size: 0 },
              file.verdict,
              { scope: outcome.scope, trust: "", anchors: [], skewSeconds: options.policy.skewSeconds },
              options.policy.now,
            ),
          );
        }
      }
    }
    const findings = judgeAcmCertificate(view, located, options.policy, { dates, bytesFindings });
    if (examined) outcome.examined.push(item.arn);
    outcome.findings.push(...locateFindings(findings, located, options.declared));
  });
  if (options.inventory && kept.length > 0) await options.inventory.put(kept);
  return outcome;
}

async function inventoryOf(
  inventory: ObjectInventoryPort | undefined,
  scope: string,
  items: readonly ListedItem[],
): Promise<Map<string, InventoryRecord>> {
  if (!inventory || items.length === 0) return new Map();
  return inventory.get(
    scope,
    items.map((item) => item.arn),
  );
}
