/**
 * What the ACM, Secrets Manager and Parameter Store adapters share when an event names one item
 * (SourceAdapter.listOne, core/scan/item-recheck.ts): whether their scope can hold it at all,
 * decided from the event without a call, and a failed look-up sorted like any failed call.
 */
import { type AwsChange, coverage } from "../../core/aws-certificates/change-events";
import type { AwsPlace } from "../../core/aws-certificates/location";
import type { OneItem } from "../../core/scan/source-adapter";
import { callFailure } from "./errors";

/**
 * Why this scope cannot hold the item the change names ("" for another kind of store: nothing worth
 * saying); undefined when it may.
 */
export function outsideOf(
  where: AwsPlace,
  change: AwsChange,
  selector: { namePrefix?: string | undefined; path?: string; recursive?: boolean } = {},
): string | undefined {
  if (change.kind !== where.kind) return "";
  const verdict = coverage(
    change,
    { accounts: [where.account], regions: [where.region], ...selector },
    where.account,
  );
  return verdict.covered ? undefined : verdict.reason;
}

/** A look-up that failed: the item is gone (its alarms clear), or the store would not say. */
export function lookupFailure(error: unknown, what: string, uri: string | undefined): OneItem<never> {
  const failure = callFailure(error, what);
  if (failure.gone && uri !== undefined) return { state: "absent", uri };
  return { state: "failed", uri: uri ?? what, detail: failure.detail };
}
