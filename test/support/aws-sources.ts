/** Scanning one AWS store adapter through the pipeline, as the certificate scan does (tests). */
import { parseConfig } from "../../functions/core/config";
import type { StoreScanContext } from "../../functions/core/scan/ports";
import type { ListedItem, SourceAdapter } from "../../functions/core/scan/source-adapter";
import { scanAdapterSource } from "../../functions/core/scan/source-scan";
import { memoryInventory, memoryStore } from "./in-memory-ports";

const config = parseConfig({ certificates: { sources: [{ prefix: "certs/" }] } });

/** `store`: the certificate bucket, where a selection's CA bundle is kept. */
export function scanContext(
  now: Date,
  inventory = memoryInventory().inventory,
  store = memoryStore().store,
): StoreScanContext {
  return {
    store,
    certificates: config.certificates,
    now,
    keystorePassword: async (name) => {
      throw new Error(`no secret ${name} here`);
    },
    fetchEndpoint: async () => ({ ok: false, reason: "unreachable", detail: "none" }),
    inventory,
  };
}

/**
 * The check run of one adapter's scope, as the settlement receives it: `examined` the items it
 * re-checked, `listed` whether the listing went to its end (the scope itself is then examined, so a
 * `source-access-denied` finding about it clears).
 */
export async function scanScope<Item extends ListedItem>(
  adapter: SourceAdapter<Item>,
  ctx: StoreScanContext,
) {
  const scanned = await scanAdapterSource(adapter, ctx);
  if (scanned.mode !== "inline") throw new Error("an adapter's scope is judged where it is listed");
  const { run } = scanned.check;
  return {
    run,
    findings: run.findings,
    complete: run.complete,
    examined: run.examinedSources.filter((source) => source !== adapter.scope).sort(),
    listed: run.examinedSources.includes(adapter.scope),
    unexamined: [...(scanned.check.unexamined ?? [])].sort(),
    objects: scanned.check.objects,
    error: scanned.check.error,
  };
}
