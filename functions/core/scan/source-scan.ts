/**
 * The one way a whole source is scanned, for the schedule and for a CA bundle that changed: list
 * it, and judge it right here when there is no queue or it holds at most one batch of objects;
 * otherwise hand it out in batches to workers (fan-out-batch.ts), the last of whom settles the run
 * (settlement.ts). docs/architecture.md says why.
 */

import { randomUUID } from "node:crypto";
import type { CertificateSource } from "../config";
import { describeCause } from "../errors";
import { type BatchReport, SCAN_BATCH_KIND } from "./fan-out-messages";
import {
  type AdapterSetup,
  adapterJudge,
  inChunks,
  JUDGING_CHUNK,
  judgeChunks,
  preambleOf,
  type StoreCheck,
  sourceCheck,
  sourceJudge,
} from "./judge-objects";
import { ListingRefused, listingRefusedFinding, type Refusal } from "./listing-refusal";
import type { FanOut, ScanRunRecord, ScanTrigger, StoredObjectInfo, StoreScanContext } from "./ports";
import { startDatesOf } from "./run-findings";
import { type S3Item, s3ObjectSource } from "./s3-source";
import { sourceScope } from "./scopes";
import { type ClaimedRun, claimFinishedRun } from "./settlement";
import type { ListedItem, SourceAdapter } from "./source-adapter";
import { loadTrustBundle } from "./trust-material";

export type SourceScan = { mode: "inline"; check: StoreCheck } | HandedOut;

/** A source handed out to workers: its alarms are settled when its last batch reports. */
export interface HandedOut {
  mode: "fanned-out";
  runId: string;
  scope: string;
  batches: number;
  objects: number;
  /** The run, when every batch reported before the listing was sealed and this lister won the claim. */
  claimed?: ClaimedRun;
}

export async function scanSource(
  source: CertificateSource,
  ctx: StoreScanContext,
  fanOut: FanOut | undefined,
  trigger: ScanTrigger,
): Promise<SourceScan> {
  const listing = new Listing(s3ObjectSource(ctx.store, source));
  // One object past a batch says the source must be handed out.
  const head = fanOut ? await listing.take(fanOut.batchSize + 1) : [];
  if (fanOut && head.length > fanOut.batchSize) return handOut(source, ctx, fanOut, trigger, head, listing);

  const judge = await sourceJudge(source, ctx);
  const tally = await judgeChunks(listing.chunks(JUDGING_CHUNK, head), judge, ctx);
  // Judge what was listed, but clear nothing else when the listing broke off: the rest was not seen.
  return {
    mode: "inline",
    check: sourceCheck(judge, tally, ctx, {
      listingError: listing.error,
      preamble: true,
      listed: listing.error === undefined,
    }),
  };
}

/**
 * A whole scope of any source kind (source-adapter.ts), judged where it is listed: list, look up
 * the inventory, fetch what changed, read, judge, record; the check run it returns is settled with
 * the invocation's others. A listing that breaks off judges what it listed and clears nothing else.
 */
export async function scanAdapterSource<Item extends ListedItem>(
  adapter: SourceAdapter<Item>,
  ctx: StoreScanContext,
  setup: AdapterSetup = {},
): Promise<SourceScan> {
  const trust =
    setup.trust ?? (adapter.trustBundleKey ? await loadTrustBundle(adapter.trustBundleKey, ctx) : undefined);
  const judge = adapterJudge(adapter, ctx, { ...setup, ...(trust ? { trust } : {}) });
  const listing = new Listing(adapter);
  const tally = await judgeChunks(listing.chunks(JUDGING_CHUNK, []), judge, ctx);
  const check = sourceCheck(judge, tally, ctx, {
    listingError: listing.error,
    preamble: true,
    listed: listing.error === undefined,
  });
  return { mode: "inline", check: withListingVerdict(check, adapter, listing) };
}

/**
 * A refused listing is one finding about the scope; a listing that went to its end examined the
 * scope itself, so that finding clears even when some items could not be fetched this run.
 */
function withListingVerdict(
  check: StoreCheck,
  adapter: Pick<SourceAdapter, "scope" | "parameters">,
  listing: Pick<Listing<ListedItem>, "error" | "refusal">,
): StoreCheck {
  if (listing.refusal) {
    check.run.findings.push(listingRefusedFinding(adapter.scope, adapter.parameters, listing.refusal));
  } else if (listing.error === undefined) {
    check.run.examinedSources.push(adapter.scope);
  }
  return check;
}

/** Batches are sent as the listing goes; the run is sealed with their number at the end. */
async function handOut(
  source: CertificateSource,
  ctx: StoreScanContext,
  fanOut: FanOut,
  trigger: ScanTrigger,
  head: readonly S3Item[],
  listing: Listing<S3Item>,
): Promise<HandedOut> {
  const run: ScanRunRecord = {
    runId: (fanOut.newRunId ?? randomUUID)(),
    scope: sourceScope(ctx.store, source),
    bucket: ctx.store.bucket,
    prefix: source.prefix,
    now: ctx.now.toISOString(),
    trigger,
  };
  await fanOut.runs.start(run);
  const batches = new Batches(run, fanOut);
  for (const object of head) await batches.add(object);
  for (let object = await listing.next(); object; object = await listing.next()) await batches.add(object);
  await batches.flush();

  // The lister's own share: the trust bundle and password findings, and whether the listing finished.
  // The batches report what chains to the bundle, so the bundle's expiry counts no dependents here.
  const judge = await sourceJudge(source, ctx);
  const preamble = preambleOf(judge, ctx);
  const anchors = startDatesOf(judge.trust.anchors ?? []);
  const lister: BatchReport = {
    complete: listing.error === undefined,
    findings: preamble.findings,
    // The trust bundle's certificates count among the run's start dates (run-findings.ts), not its objects.
    certificates: 0,
    ...(anchors.count > 0 ? { trustAnchors: anchors.count } : {}),
    ...(anchors.earliestNotBefore ? { earliestNotBefore: anchors.earliestNotBefore.toISOString() } : {}),
    ...(anchors.latestNotBefore ? { latestNotBefore: anchors.latestNotBefore.toISOString() } : {}),
    downloaded: 0,
    reused: 0,
    versions: preamble.versions,
    ...(listing.error ? { error: listing.error } : {}),
  };
  const progress = await fanOut.runs.seal(run.runId, batches.sent, lister);
  const claimed = await claimFinishedRun(progress, fanOut, ctx);
  return {
    mode: "fanned-out",
    runId: run.runId,
    scope: run.scope,
    batches: batches.sent,
    objects: batches.objects,
    ...(claimed ? { claimed } : {}),
  };
}

/** A source's listing, read as it goes; one that breaks off ends there and says why. */
export class Listing<Item extends ListedItem> {
  error: string | undefined;
  /** Why the source refused the listing, when it did (listing-refusal.ts). */
  refusal: Refusal | undefined;
  private done = false;
  private readonly items: AsyncIterator<Item>;

  constructor(private readonly adapter: Pick<SourceAdapter<Item>, "list" | "scope">) {
    this.items = adapter.list()[Symbol.asyncIterator]();
  }

  async next(): Promise<Item | undefined> {
    if (this.done) return undefined;
    try {
      const next = await this.items.next();
      if (!next.done) return next.value;
    } catch (cause) {
      this.error = `listing ${this.adapter.scope} broke off: ${describeCause(cause)}`;
      if (cause instanceof ListingRefused) this.refusal = cause.refusal;
    }
    this.done = true;
    return undefined;
  }

  async take(count: number): Promise<Item[]> {
    const taken: Item[] = [];
    while (taken.length < count) {
      const item = await this.next();
      if (!item) break;
      taken.push(item);
    }
    return taken;
  }

  /** `first`, then the rest of the listing, `size` items at a time. */
  async *chunks(size: number, first: readonly Item[]): AsyncGenerator<Item[]> {
    yield* inChunks(first, size);
    for (let chunk = await this.take(size); chunk.length > 0; chunk = await this.take(size)) yield chunk;
  }
}

/** A queue message holds 256 KiB; keys can be 1 KiB each, so batches close by size as well. */
const MAX_BATCH_BYTES = 200 * 1024;

/** Batches of one run, sent as they fill. */
class Batches {
  sent = 0;
  objects = 0;
  private pending: StoredObjectInfo[] = [];
  private bytes = 0;

  constructor(
    private readonly run: ScanRunRecord,
    private readonly fanOut: FanOut,
  ) {}

  async add(item: S3Item): Promise<void> {
    const object = {
      key: item.key,
      size: item.size ?? 0,
      ...(item.etag !== undefined ? { etag: item.etag } : {}),
    };
    this.pending.push(object);
    this.bytes += Buffer.byteLength(object.key) + (object.etag?.length ?? 0) + 48;
    if (this.pending.length >= this.fanOut.batchSize || this.bytes >= MAX_BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const { runId, prefix, now } = this.run;
    await this.fanOut.queue.send([
      { kind: SCAN_BATCH_KIND, runId, prefix, now, index: this.sent, objects: this.pending },
    ]);
    this.sent++;
    this.objects += this.pending.length;
    this.pending = [];
    this.bytes = 0;
  }
}
