/**
 * The pages of one paginated List/Describe call, the one loop every AWS certificate source lists
 * with. A listing ends only where the service says it ends (no NextToken / Marker): a failed call,
 * or a listing still going after `maxPages` (what one scan may spend on one selection), ends as
 * ListingFailed, so the run is partial and clears nothing it did not list. Taking the pages read for
 * the whole listing would clear the alarms of every certificate past them. A call the scan has no
 * permission for ends as ListingRefused: the same partial run, plus one finding about the scope
 * that names the permission (core/scan/listing-refusal.ts).
 */
import type { AwsPlace } from "../../core/aws-certificates/location";
import { ListingRefused } from "../../core/scan/listing-refusal";
import { callFailure, ListingFailed } from "./errors";

export interface ListingCall {
  /** The List call's IAM action (`secretsmanager:ListSecrets`): what a refused listing needs. */
  action: string;
  where: Pick<AwsPlace, "kind" | "account" | "region">;
  maxPages: number;
}

/** "ListSecrets in 111122223333/eu-west-1"; IAM's in the account alone (it has no Region). */
export function callLabel(call: Pick<ListingCall, "action" | "where">): string {
  const { kind, account, region } = call.where;
  const operation = call.action.slice(call.action.indexOf(":") + 1);
  return `${operation} in ${kind === "iam-server-certificate" ? account : `${account}/${region}`}`;
}

/** A failed call of a listing, as the listing ends: refused (a finding), or failed. */
export function listingFailure(error: unknown, call: string, permission: string): Error {
  const failure = callFailure(error, call);
  return failure.refused
    ? new ListingRefused({ detail: failure.detail, permission })
    : new ListingFailed(failure.detail);
}

export async function* listPages<Page>(
  call: ListingCall,
  send: (token: string | undefined) => Promise<Page>,
  nextToken: (page: Page) => string | undefined,
): AsyncGenerator<Page> {
  const label = callLabel(call);
  let token: string | undefined;
  for (let read = 0; ; read++) {
    if (read === call.maxPages) {
      throw new ListingFailed(`${label}: still more after ${call.maxPages} pages; the rest was not listed`);
    }
    let page: Page;
    try {
      page = await send(token);
    } catch (error) {
      throw listingFailure(error, label, call.action);
    }
    yield page;
    token = nextToken(page);
    if (!token) return;
  }
}
