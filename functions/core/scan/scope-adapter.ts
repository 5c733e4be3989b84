/**
 * How a kind whose items are not certificate files plugs into the one scan pipeline (list → fetch
 * → read → judge → record → settle): a live endpoint, whose fetch is a handshake giving the chain
 * it presents (endpoint-check.ts), and a host that pushes, whose item is its heartbeat as S3 holds
 * it now or as the stack last recorded it (host-checks.ts). Such a kind supplies the same steps as
 * a store of certificate files (source-adapter.ts), but reads and judges its items by its own
 * rules (a handshake with endpoints/judge.ts, a heartbeat with the host rules), and records what it
 * learned in its own store (the heartbeat table) rather than the certificate inventory; the
 * pipeline here lists, fetches, judges and records each item in turn and settles one check run
 * for the scope, like every other scope's.
 *
 * One adapter is one scope. A failure to list or fetch throws: the scope's check is reported as
 * failed and its alarms are left as they were (scope-checks.ts). An item the adapter could not
 * examine (an endpoint that did not answer) is not examined: the run is partial and clears
 * nothing, while what it did find (the connection finding) is raised.
 */
import type { CheckRun } from "../alarms/alarm-state";
import type { CheckName, Finding } from "../contracts";

/** What judging one item gave. */
export interface ItemJudgement {
  /** The item was seen: its alarms may clear. False: it stays unexamined, and the run is partial. */
  examined: boolean;
  findings: Finding[];
  /** The checks the judgement made, when fewer than all: the others' alarms stand. */
  examinedChecks?: readonly CheckName[];
  /** The version of the item judged (an ETag, or alarms/evidence.ts ABSENT when it is gone). */
  version?: string;
}

export interface ScopeAdapter<Item, Fetched, Judged extends ItemJudgement = ItemJudgement> {
  /** The scope's name: alarm state is keyed by it (`endpoint:<host:port>`, `host:s3://…/<host>/`). */
  readonly scope: string;
  /** Alarm parameters every finding of the scope carries. */
  readonly parameters: Record<string, string>;
  list(): Iterable<Item> | AsyncIterable<Item>;
  /** The item's name in findings and alarms: the source a partial run examined. */
  uri(item: Item): string;
  /** What the item is now: a handshake's presented chain, a heartbeat object's bytes. */
  fetch(item: Item): Promise<Fetched>;
  /** Read and judge what was fetched; no I/O (what it needs was fetched). */
  judge(item: Item, fetched: Fetched): Judged;
  /** Keep what the next check needs (a host's last heartbeat, or that it is gone), once the item was judged. */
  record?(item: Item, judgement: Judged): Promise<void>;
}

/** One item through the pipeline. */
export interface JudgedItem<Item, Fetched, Judged extends ItemJudgement = ItemJudgement> {
  item: Item;
  fetched: Fetched;
  source: string;
  judgement: Judged;
}

/** A scope's items, listed, fetched, judged and recorded one after the other, and the run they settle. */
export async function checkScopeAdapter<Item, Fetched, Judged extends ItemJudgement>(
  adapter: ScopeAdapter<Item, Fetched, Judged>,
  now: Date,
): Promise<{ run: CheckRun; items: JudgedItem<Item, Fetched, Judged>[] }> {
  const items: JudgedItem<Item, Fetched, Judged>[] = [];
  for await (const item of adapter.list()) {
    const fetched = await adapter.fetch(item);
    const judgement = adapter.judge(item, fetched);
    await adapter.record?.(item, judgement);
    items.push({ item, fetched, source: adapter.uri(item), judgement });
  }
  return { run: settledRun(adapter, items, now), items };
}

/**
 * The check run of a scope's judged items: complete when every item was examined; only the checks
 * every examined item made count as examined; findings in the order the items were judged.
 */
export function settledRun(
  scope: Pick<ScopeAdapter<unknown, unknown>, "scope" | "parameters">,
  items: readonly Pick<JudgedItem<unknown, unknown>, "source" | "judgement">[],
  now: Date,
): CheckRun {
  const examined = items.filter((item) => item.judgement.examined);
  let checks: readonly CheckName[] | undefined;
  for (const { judgement } of examined) {
    const made = judgement.examinedChecks;
    if (made) checks = checks ? checks.filter((check) => made.includes(check)) : made;
  }
  const seen = new Map<string, string>();
  for (const { source, judgement } of examined) {
    if (judgement.version !== undefined) seen.set(source, judgement.version);
  }
  return {
    scope: scope.scope,
    complete: examined.length === items.length,
    examinedSources: examined.map((item) => item.source),
    ...(checks ? { examinedChecks: [...checks] } : {}),
    findings: items.flatMap((item) => item.judgement.findings),
    parameters: scope.parameters,
    now,
    ...(seen.size > 0 ? { versions: { seen } } : {}),
  };
}
