/**
 * One item of an AWS source re-checked because an event named it (ACM, Parameter Store, Secrets
 * Manager; handlers/certificate-scan/aws-change.ts), through the steps the scheduled scan takes:
 * the item looked up as its scope's listing would show it now (`SourceAdapter.listOne`), fetched,
 * read, judged and recorded by the same `judgeChunks`, and settled as a partial run of its scope
 * that may change only that item's alarms. Like an S3 event's re-check (object-recheck.ts) it
 * reads the item whatever the inventory says: the event says it changed, and an event may come
 * before a listing shows the change, never before the store holds it.
 */
import { ABSENT } from "../alarms/evidence";
import type { SourceObservation } from "../alarms/lifecycle";
import type { AwsChange } from "../aws-certificates/change-events";
import { describeError } from "../errors";
import { adapterJudge, countOf, judgeChunks, type StoreCheck, sourceCheck } from "./judge-objects";
import { observeDeleted } from "./observations";
import type { ObjectInventoryPort, StoreScanContext } from "./ports";
import type { ScopesChecked } from "./scope-checks";
import type { ListedItem, OneItem, SourceAdapter } from "./source-adapter";

/**
 * The change offered to every scope of the AWS sources: those that may hold the item re-check it
 * (several, when selections overlap); the others say why not. A scope whose look-up throws is
 * reported under its name and its alarms left alone, as in a scheduled scan (scope-checks.ts).
 */
export async function recheckChange(
  adapters: readonly SourceAdapter[],
  change: AwsChange,
  ctx: StoreScanContext,
): Promise<ScopesChecked & { outside: string[]; unselected: string[] }> {
  const result = { checks: [] as StoreCheck[], handedOut: [], failures: [] as string[] };
  const outside = new Set<string>();
  const unselected: string[] = [];
  for (const adapter of adapters) {
    try {
      const outcome = await recheckItem(adapter, change, ctx);
      if ("checked" in outcome) result.checks.push(outcome.checked);
      else if (outcome.outside) {
        if (outcome.skipped) outside.add(outcome.skipped);
      } else unselected.push(outcome.skipped);
    } catch (error) {
      const why = describeError(error);
      ctx.log?.error("check failed; its alarms are left as they were", { scope: adapter.scope, error: why });
      result.failures.push(`${adapter.scope}: ${why}`);
    }
  }
  return { ...result, outside: [...outside], unselected };
}

/** What one scope made of a change: a run to settle, or why it had nothing to do with it. */
export type ItemRecheck = { checked: StoreCheck } | { skipped: string; outside: boolean };

export async function recheckItem<Item extends ListedItem>(
  adapter: SourceAdapter<Item>,
  change: AwsChange,
  ctx: StoreScanContext,
): Promise<ItemRecheck> {
  // A kind without events (IAM server certificates, S3 prefixes) has nothing to say about one.
  if (!adapter.listOne) return { skipped: "", outside: true };
  const found: OneItem<Item> = await adapter.listOne(change);
  switch (found.state) {
    case "elsewhere":
      return { skipped: found.reason, outside: true };
    case "unselected":
      return { skipped: `${adapter.scope}: ${found.reason}`, outside: false };
    case "absent":
      return { checked: absentRun(adapter, found.uri, ctx) };
    case "failed":
      return { checked: unexaminedRun(adapter, found.uri, found.detail, ctx) };
    case "listed": {
      const judge = adapterJudge(adapter, ctx);
      const tally = await judgeChunks([[found.item]], judge, { ...ctx, ...writeOnly(ctx.inventory) });
      const check = sourceCheck(judge, tally, ctx, { preamble: false });
      // Never complete: this run saw one item, and clears nothing else of its scope.
      return { checked: { ...check, run: { ...check.run, complete: false } } };
    }
  }
}

/** The inventory, read as empty: the record is renewed, never trusted, for an item an event named. */
function writeOnly(inventory: ObjectInventoryPort | undefined): { inventory?: ObjectInventoryPort } {
  if (!inventory) return {};
  return { inventory: { get: async () => new Map(), put: (records) => inventory.put(records) } };
}

/** The item is gone (or scheduled for deletion): examined and absent, so its alarms clear. */
function absentRun(adapter: SourceAdapter, uri: string, ctx: StoreScanContext): StoreCheck {
  const observations = new Map<string, SourceObservation>();
  observeDeleted(observations, uri);
  return {
    run: {
      scope: adapter.scope,
      complete: false,
      examinedSources: [uri],
      findings: [],
      parameters: adapter.parameters,
      observations,
      now: ctx.now,
      versions: { seen: new Map([[uri, ABSENT]]) },
    },
    certificates: countOf([]),
    objects: { downloaded: 0, reused: 0 },
  };
}

/** The store would not say: nothing examined, every alarm of the item stands. */
function unexaminedRun(
  adapter: SourceAdapter,
  uri: string,
  detail: string,
  ctx: StoreScanContext,
): StoreCheck {
  return {
    run: {
      scope: adapter.scope,
      complete: false,
      examinedSources: [],
      findings: [],
      parameters: adapter.parameters,
      observations: new Map(),
      now: ctx.now,
      versions: { seen: new Map() },
    },
    certificates: countOf([]),
    objects: { downloaded: 0, reused: 0 },
    unexamined: [uri],
    error: `${uri} could not be looked up (${detail}); its alarms stand until it can be`,
  };
}
