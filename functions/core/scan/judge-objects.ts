/**
 * Judging a source's objects, the same way wherever they were listed (inline or by a fan-out
 * worker): an object the inventory still describes is judged again from its record, the others
 * from their bytes, and their records renewed. Certificates are kept as counts only past their
 * judgement, so a scan of a large store holds no more than one chunk of them at a time.
 */
import { ABSENT } from "../alarms/evidence";
import type { CheckRun, SourceObservation } from "../alarms/lifecycle";
import {
  type DependentTally,
  oneFindingPerSourceAndCheck,
  tallyDependents,
} from "../certificates/ca-lifecycle";
import type { ParsedCertificate } from "../certificates/certificate";
import { type EvaluationPolicy, purposeOf } from "../certificates/evaluate";
import type { CertificateFacts } from "../certificates/facts";
import { KdfBudget } from "../certificates/formats/pkcs12-budget";
import { metadataParameters } from "../certificates/location";
import type { Purpose } from "../certificates/path/rules";
import type { CertificateSource } from "../config";
import type { Finding, PeerGroupReport } from "../contracts";
import { describeCause } from "../errors";
import {
  type InventoryRecord,
  type InventoryRecordInput,
  isReusable,
  type RecordContext,
  recordOf,
  rejudge,
  trustFingerprint,
} from "./inventory";
import { keystorePasswordsOf, type SourcePasswords } from "./keystore-passwords";
import { MAX_OBSERVATIONS, observeDeleted, observeFile } from "./observations";
import type { StoreScanContext } from "./ports";
import { type ScanInput, type ScanOptions, scanFiles } from "./read-files";
import { addStartDates, mergeStartDates, type StartDates, wholeScanFindings } from "./run-findings";
import { type S3Item, s3ObjectSource } from "./s3-source";
import { sourceScope } from "./scopes";
import {
  type FetchedItem,
  type ListedItem,
  locationParametersOf,
  type SourceAdapter,
} from "./source-adapter";
import { loadTrustBundle, type TrustBundle, trustBundleFindings } from "./trust-material";

/** What one scope's check turns into: a run for the alarm lifecycle, and what the metrics need. */
export interface StoreCheck {
  run: CheckRun;
  certificates: CertificateCount;
  /** Objects read from the store, and objects judged again from the inventory. */
  objects: { downloaded: number; reused: number };
  /** Objects not examined (not fetched, or deferred): their alarms stand. */
  unexamined?: string[];
  /** Why the run is partial, when it is (listing broke off, objects unreadable); never secrets. */
  error?: string;
  /** A peer group's check: the group as its peers see each other (status lines, who accepts whom). */
  peerGroups?: PeerGroupReport[];
}

/** How many certificates were judged, the soonest expiry, and their start dates (run-findings.ts). */
export interface CertificateCount extends StartDates {
  soonestNotAfter?: Date;
}

type Dated = Pick<CertificateFacts, "notAfter" | "notBefore">;

export function countOf(certificates: readonly Dated[]): CertificateCount {
  const count: CertificateCount = { count: 0 };
  addCount(count, certificates);
  return count;
}

function addCount(into: CertificateCount, certificates: readonly Dated[]): void {
  addStartDates(into, certificates);
  for (const { notAfter } of certificates) {
    if (into.soonestNotAfter === undefined || notAfter < into.soonestNotAfter)
      into.soonestNotAfter = notAfter;
  }
}

/** Objects judged at a time: one inventory look-up and one bounded burst of downloads each. */
export const JUDGING_CHUNK = 200;

/** What judging a source's objects needs, loaded once per source and run. */
export interface SourceJudge<Item extends ListedItem = S3Item> {
  /** How the source's items are listed, fetched and named (source-adapter.ts). */
  adapter: SourceAdapter<Item>;
  /** The purpose chains are judged for, when configured (else `server` for items with expected names). */
  purpose?: Purpose;
  trust: TrustBundle;
  passwords: SourcePasswords;
  policy: EvaluationPolicy;
  record: RecordContext;
  /** Key-derivation iterations this source's run may still spend on PKCS#12 files. */
  kdfBudget: KdfBudget;
  /** What the certificates judged so far chain through, to count what a trusted CA takes down. */
  dependents: DependentTally;
  /** Objects downloaded and judged at once (operations.scanDownloadConcurrency). */
  downloadConcurrency?: number;
}

export async function sourceJudge(
  source: CertificateSource,
  ctx: StoreScanContext,
): Promise<SourceJudge<S3Item>> {
  const trust = await loadTrustBundle(source.caBundleKey, ctx);
  const passwords = await keystorePasswordsOf(source, ctx);
  return {
    adapter: s3ObjectSource(ctx.store, source, passwords),
    ...(source.purpose ? { purpose: source.purpose } : {}),
    trust,
    passwords,
    kdfBudget: ctx.kdfBudget?.() ?? new KdfBudget(),
    dependents: new Map(),
    ...(ctx.downloadConcurrency !== undefined ? { downloadConcurrency: ctx.downloadConcurrency } : {}),
    policy: { ...policyFor(ctx, trust.anchors), ...(source.purpose ? { purpose: source.purpose } : {}) },
    record: {
      scope: sourceScope(ctx.store, source),
      trust: trustFingerprint(trust.anchors),
      anchors: trust.anchors ?? [],
      skewSeconds: ctx.certificates.thresholds.skewSeconds,
    },
  };
}

/** What a source kind may add to its judge (source-adapter.ts): a trust bundle, passwords' findings, a purpose. */
export interface AdapterSetup {
  /** The CA bundle chains are checked against (trust-material.ts `loadTrustBundle`); none: no chain check. */
  trust?: TrustBundle;
  /** Password secrets read for the source: what could not be read, and what was (so alarms can clear). */
  passwords?: Pick<SourcePasswords, "findings" | "examined">;
  purpose?: Purpose;
}

/** The judge of any source kind's scope: what `sourceJudge` is for an S3 source. */
export function adapterJudge<Item extends ListedItem>(
  adapter: SourceAdapter<Item>,
  ctx: StoreScanContext,
  setup: AdapterSetup = {},
): SourceJudge<Item> {
  const trust = setup.trust ?? { findings: [], examined: [] };
  return {
    adapter,
    ...(setup.purpose ? { purpose: setup.purpose } : {}),
    trust,
    passwords: {
      forKey: () => ({}),
      findings: setup.passwords?.findings ?? [],
      examined: setup.passwords?.examined ?? [],
    },
    kdfBudget: ctx.kdfBudget?.() ?? new KdfBudget(),
    dependents: new Map(),
    ...(ctx.downloadConcurrency !== undefined ? { downloadConcurrency: ctx.downloadConcurrency } : {}),
    policy: { ...policyFor(ctx, trust.anchors), ...(setup.purpose ? { purpose: setup.purpose } : {}) },
    record: {
      scope: adapter.scope,
      trust: trustFingerprint(trust.anchors),
      anchors: trust.anchors ?? [],
      skewSeconds: ctx.certificates.thresholds.skewSeconds,
    },
  };
}

/**
 * What a source's check reports besides its objects: an unreadable trust bundle or password
 * secret, and the bundle's own certificates judged for expiry, counting the `dependents` the run
 * saw chain through them (none for a lister, whose batches report what chains to the bundle);
 * and the version of the bundle that was read.
 */
export function preambleOf<Item extends ListedItem>(
  judge: SourceJudge<Item>,
  ctx: StoreScanContext,
  dependents: DependentTally = new Map(),
): { findings: Finding[]; examined: string[]; versions: [string, string][] } {
  return {
    findings: [
      ...judge.trust.findings,
      ...trustBundleFindings(judge.trust, dependents, ctx),
      ...judge.passwords.findings,
    ],
    examined: [...judge.trust.examined, ...judge.passwords.examined],
    versions: judge.trust.version ? [judge.trust.version] : [],
  };
}

/** How a share of a source's objects came out; certificates are kept as counts only. */
export interface ObjectTally {
  findings: Finding[];
  certificates: CertificateCount;
  examined: string[];
  /** Objects that could not be fetched: not examined, so their alarms stand. */
  unexamined: string[];
  /** The version of each object judged (what was read, or what the listing said), ABSENT when gone. */
  versions: Map<string, string>;
  downloaded: number;
  reused: number;
  /** What was seen at examined objects (bounded), for the alarms this run clears. */
  observed: Map<string, SourceObservation>;
}

function emptyTally(): ObjectTally {
  return {
    findings: [],
    certificates: { count: 0 },
    examined: [],
    unexamined: [],
    versions: new Map(),
    downloaded: 0,
    reused: 0,
    observed: new Map(),
  };
}

function addTally(into: ObjectTally, from: ObjectTally): void {
  for (const finding of from.findings) into.findings.push(finding);
  for (const source of from.examined) into.examined.push(source);
  for (const source of from.unexamined) into.unexamined.push(source);
  for (const [object, version] of from.versions) into.versions.set(object, version);
  mergeStartDates(into.certificates, from.certificates);
  const soonest = from.certificates.soonestNotAfter;
  if (soonest && (!into.certificates.soonestNotAfter || soonest < into.certificates.soonestNotAfter)) {
    into.certificates.soonestNotAfter = soonest;
  }
  into.downloaded += from.downloaded;
  into.reused += from.reused;
  for (const [source, observation] of from.observed) {
    if (into.observed.size < MAX_OBSERVATIONS || into.observed.has(source))
      into.observed.set(source, observation);
  }
}

export function* inChunks<T>(items: readonly T[], size = JUDGING_CHUNK): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/**
 * Judges listed objects chunk by chunk, as they come. The scan waits on the network far more than
 * it computes, so nothing waits that need not: the next chunk is listed and looked up in the
 * inventory while this one downloads, and inventory records are written behind the scan (all of
 * them before this returns, so a batch reports only once its records are kept).
 */
export async function judgeChunks<Item extends ListedItem>(
  chunks: AsyncIterable<readonly Item[]> | Iterable<readonly Item[]>,
  judge: SourceJudge<Item>,
  ctx: StoreScanContext,
): Promise<ObjectTally> {
  const tally = emptyTally();
  const writes = new InventoryWrites(ctx);
  const iterator =
    Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]();
  const prepare = async (): Promise<Prepared<Item> | undefined> => {
    const next = await iterator.next();
    if (next.done) return undefined;
    return { objects: next.value, records: await lookUp(next.value, judge, ctx) };
  };
  // The chunks ahead, each listed and looked up in turn (an async iterator queues its calls).
  const ahead: Promise<Prepared<Item> | undefined>[] = [];
  const refill = () => {
    while (ahead.length < LOOKAHEAD_CHUNKS) {
      const next = prepare();
      // Awaited in its turn; this keeps a failure meanwhile from counting as unhandled.
      next.catch(() => undefined);
      ahead.push(next);
    }
  };
  refill();
  for (let current = await ahead.shift(); current; current = await ahead.shift()) {
    refill();
    addTally(tally, await judgeObjects(current, judge, ctx, writes));
  }
  await writes.settled();
  return tally;
}

/**
 * Chunks listed and looked up ahead of the one being judged: a scan of an unchanged store does
 * little but wait for look-ups, so two go out at a time.
 */
const LOOKAHEAD_CHUNKS = 2;

interface Prepared<Item extends ListedItem> {
  objects: readonly Item[];
  records: Map<string, InventoryRecord>;
}

/** Records written behind the scan, at most a few calls' worth at a time. */
class InventoryWrites {
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly ctx: StoreScanContext) {}

  async add(records: InventoryRecordInput[]): Promise<void> {
    const { inventory } = this.ctx;
    if (!inventory || records.length === 0) return;
    if (this.pending.length >= MAX_PENDING_WRITES) await this.pending.shift();
    this.pending.push(
      inventory.put(records).catch((cause: unknown) => {
        this.ctx.log?.warn("inventory not updated; these objects will be read again next time", {
          error: describeCause(cause),
          objects: records.length,
        });
      }),
    );
  }

  async settled(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }
}

/** Chunks whose records may still be on their way to the inventory. */
const MAX_PENDING_WRITES = 2;

/** Inventory trouble only costs downloads: it is told, and the objects are read instead. */
async function lookUp<Item extends ListedItem>(
  objects: readonly Item[],
  judge: SourceJudge<Item>,
  ctx: StoreScanContext,
): Promise<Map<string, InventoryRecord>> {
  const { inventory } = ctx;
  if (!inventory || objects.length === 0) return new Map();
  return inventory
    .get(
      judge.record.scope,
      objects.map((o) => o.key),
    )
    .catch((cause: unknown) => {
      ctx.log?.warn("inventory look-up failed; reading the objects instead", {
        error: describeCause(cause),
      });
      return new Map<string, InventoryRecord>();
    });
}

async function judgeObjects<Item extends ListedItem>(
  { objects, records }: Prepared<Item>,
  judge: SourceJudge<Item>,
  ctx: StoreScanContext,
  writes: InventoryWrites,
): Promise<ObjectTally> {
  const tally = emptyTally();
  if (objects.length === 0) return tally;
  const { adapter } = judge;

  const toRead: Item[] = [];
  for (const object of objects) {
    const record = records.get(object.key);
    const trust = recordContextFor(judge, object).trust;
    if (
      !isReusable(record, { etag: object.version }, trust, ctx.now, adapter.password?.(object).fingerprint)
    ) {
      toRead.push(object);
      continue;
    }
    const expectedHosts = adapter.expectedHosts?.(object);
    const findings = rejudge(record, expectedHosts ? { ...judge.policy, expectedHosts } : judge.policy);
    const uri = adapter.uri(object);
    tally.findings.push(...located(findings, judge, object, record.parameters));
    addCount(tally.certificates, record.certificates);
    tallyDependents(judge.dependents, record.certificates);
    tally.examined.push(uri);
    if (object.version) tally.versions.set(uri, object.version);
    observeFile(tally.observed, uri, record.certificates, ctx.now);
    tally.reused++;
  }

  const fetched = new Map<number, FetchedItem>();
  const read = await scanFiles(
    toRead.map((object, i) => itemInput(judge, object, ctx, (f) => fetched.set(i, f))),
    scanOptionsOf(judge),
  );
  const fresh: InventoryRecordInput[] = [];
  read.files.forEach((file, i) => {
    const object = toRead[i] as Item;
    const extra = fetched.get(i);
    const fromFetch = { ...metadataParameters(file.metadata), ...extra?.parameters };
    tally.findings.push(...located([...file.findings, ...(extra?.findings ?? [])], judge, object, fromFetch));
    const certificates = file.certificates.length > 0 ? file.certificates : (file.facts ?? []);
    addCount(tally.certificates, certificates);
    tallyDependents(judge.dependents, file.facts ?? []);
    (file.unexamined ? tally.unexamined : tally.examined).push(file.file);
    const version = file.gone ? ABSENT : (file.etag ?? object.version);
    if (version) tally.versions.set(file.file, version);
    if (file.gone) observeDeleted(tally.observed, file.file);
    else if (!file.unexamined) observeFile(tally.observed, file.file, certificates, ctx.now);
    // Keyed by the version actually read (the listing's, unless the store ignored If-Match).
    const etag = file.etag ?? object.version;
    if (file.verdict && etag) {
      const context = recordContextFor(judge, object);
      const size = object.size ?? file.size ?? 0;
      fresh.push(
        recordOf({ key: object.key, etag, size, parameters: fromFetch }, file.verdict, context, ctx.now),
      );
    }
  });
  tally.downloaded += toRead.length;
  await writes.add(fresh);
  return tally;
}

/**
 * The run of a source's objects. Complete only when the listing finished and every object could
 * be read; a fan-out worker leaves the preamble (trust bundle, password) to the lister.
 */
export function sourceCheck<Item extends ListedItem>(
  judge: SourceJudge<Item>,
  tally: ObjectTally,
  ctx: StoreScanContext,
  options: { listingError?: string | undefined; preamble: boolean; listed?: boolean },
): StoreCheck {
  const unreadNote =
    tally.unexamined.length > 0
      ? `${tally.unexamined.length} object(s) not examined in this run (not fetched, or deferred to a later scan); their alarms stand until they are`
      : undefined;
  const error = [options.listingError, unreadNote].filter(Boolean).join("; ") || undefined;
  const preamble = options.preamble
    ? preambleOf(judge, ctx, judge.dependents)
    : { findings: [], examined: [], versions: [] };
  return {
    run: {
      scope: judge.record.scope,
      complete: error === undefined,
      examinedSources: [...tally.examined, ...preamble.examined],
      // The trust bundle's certificates first: a bundle under the prefix is also judged as an
      // object, and its certificates keep the finding that counts what depends on them.
      // A run of the whole source (inline) says what only all of it shows; a batch leaves that to
      // the settlement of its run (settlement.ts runOf).
      findings: options.preamble
        ? wholeScanFindings(
            oneFindingPerSourceAndCheck([...preamble.findings, ...tally.findings]),
            withAnchors(tally.certificates, judge.trust.anchors ?? []),
            ctx.now,
            ctx.certificates.thresholds.skewSeconds,
            "group",
          )
        : oneFindingPerSourceAndCheck(tally.findings),
      parameters: judge.adapter.parameters,
      observations: tally.observed,
      now: ctx.now,
      versions: {
        seen: new Map([...tally.versions, ...preamble.versions]),
        ...(options.listed ? { listed: judge.record.scope } : {}),
      },
    },
    certificates: tally.certificates,
    objects: { downloaded: tally.downloaded, reused: tally.reused },
    unexamined: tally.unexamined,
    ...(error ? { error } : {}),
  };
}

/** The start dates of a run's certificates and of the trust bundle it judged with them. */
function withAnchors(counted: StartDates, anchors: readonly { notBefore: Date }[]): StartDates {
  const dates: StartDates = { count: 0 };
  mergeStartDates(dates, counted);
  addStartDates(dates, anchors);
  return dates;
}

/**
 * How an item is read: everything a source lists is meant to be a certificate, so what is not is
 * reported. The fetch's findings and parameters (source-adapter.ts `FetchedItem`) are handed to
 * `fetched`, to go with the item's findings.
 */
export function itemInput<Item extends ListedItem>(
  judge: SourceJudge<Item>,
  item: Item,
  ctx: StoreScanContext,
  fetched?: (item: FetchedItem) => void,
): ScanInput {
  const { adapter } = judge;
  const expectedHosts = adapter.expectedHosts?.(item);
  const password = adapter.password?.(item);
  return {
    file: adapter.uri(item),
    explicit: true,
    goneIsAbsent: true,
    expectedHosts,
    ...(password ? { password } : {}),
    load: async () => {
      const result = await adapter.fetch(item, { maxBytes: ctx.certificates.thresholds.maxObjectBytes });
      fetched?.(result);
      return result;
    },
  };
}

/**
 * An item's findings with its location parameters: the adapter's for the item (S3: the
 * configuration's for its key, location.ts), over what the fetch learned (S3: its metadata).
 */
export function located<Item extends ListedItem>(
  findings: readonly Finding[],
  judge: Pick<SourceJudge<Item>, "adapter">,
  item: Item,
  fromFetch: Readonly<Record<string, string>> | undefined,
): Finding[] {
  const { adapter } = judge;
  const parameters = adapter.parametersOf
    ? adapter.parametersOf(item, fromFetch)
    : { ...locationParametersOf(item.location), ...fromFetch };
  const reviewed = adapter.review ? adapter.review(item, findings) : findings;
  if (Object.keys(parameters).length === 0) return [...reviewed];
  return reviewed.map((finding) => ({ ...finding, parameters }));
}

/**
 * The record context of one item: a chain verdict also depends on the purpose it was judged for
 * (the source's, or `server` when the item's names are expected), so a change of purpose or of
 * expected names makes the kept verdict stale, as a new trust bundle does.
 */
export function recordContextFor<Item extends ListedItem>(
  judge: SourceJudge<Item>,
  item: Item,
): RecordContext {
  const expectedHosts = judge.adapter.expectedHosts?.(item);
  const purpose = purposeOf({ purpose: judge.purpose, expectedHosts });
  return { ...judge.record, trust: `${judge.record.trust}/${purpose}` };
}

/** How a source's files are read: its policy and KDF budget (passwords are per object, objectInput). */
export function scanOptionsOf<Item extends ListedItem>(judge: SourceJudge<Item>): ScanOptions {
  return {
    policy: judge.policy,
    kdfBudget: judge.kdfBudget,
    ...(judge.downloadConcurrency !== undefined ? { concurrency: judge.downloadConcurrency } : {}),
  };
}

export function policyFor(ctx: StoreScanContext, anchors: ParsedCertificate[] | undefined): EvaluationPolicy {
  const { warnDays, majorDays, skewSeconds } = ctx.certificates.thresholds;
  return { now: ctx.now, warnDays, majorDays, skewSeconds, trustAnchors: anchors };
}
