/**
 * An invocation's checks, scope by scope (a source, a peer group). One scope's failure must not
 * cost the others their checks and alarms: it is reported under the scope's name (scopes.ts), and
 * none of its alarms is touched. One scope at a time: each already reads several objects at once,
 * and memory stays bounded.
 */
import type { CertificateSource, PeerGroup } from "../config";
import { describeError } from "../errors";
import type { StoreCheck } from "./judge-objects";
import { checkPeerGroup } from "./peer-group-check";
import type { FanOut, ScanTrigger, StoreScanContext } from "./ports";
import { peerGroupScope, sourceScope } from "./scopes";
import type { SourceAdapter } from "./source-adapter";
import { type HandedOut, type SourceScan, scanAdapterSource, scanSource } from "./source-scan";

export interface ScopeCheck {
  scope: string;
  check: () => Promise<StoreCheck | SourceScan>;
}

export interface ScopesChecked {
  checks: StoreCheck[];
  handedOut: HandedOut[];
  /** "<scope>: <error>" for each scope whose check threw. */
  failures: string[];
}

export async function checkScopes(
  work: readonly ScopeCheck[],
  ctx: StoreScanContext,
): Promise<ScopesChecked> {
  const result: ScopesChecked = { checks: [], handedOut: [], failures: [] };
  for (const { scope, check } of work) {
    try {
      const checked = await check();
      if (!("mode" in checked)) result.checks.push(checked);
      else if (checked.mode === "inline") result.checks.push(checked.check);
      else result.handedOut.push(checked);
    } catch (error) {
      const why = describeError(error);
      ctx.log?.error("check failed; its alarms are left as they were", { scope, error: why });
      result.failures.push(`${scope}: ${why}`);
    }
  }
  return result;
}

/** Whole sources (through the one source-scan path) and peer groups. */
export function scanScopes(
  sources: readonly CertificateSource[],
  peerGroups: readonly PeerGroup[],
  ctx: StoreScanContext,
  fanOut: FanOut | undefined,
  trigger: ScanTrigger,
  /** Scopes of the other source kinds (source-adapter.ts), each judged where it is listed. */
  adapters: readonly SourceAdapter[] = [],
): ScopeCheck[] {
  return [
    ...sources.map((source) => ({
      scope: sourceScope(ctx.store, source),
      check: () => scanSource(source, ctx, fanOut, trigger),
    })),
    ...peerGroups.map((group) => ({ scope: peerGroupScope(group), check: () => checkPeerGroup(group, ctx) })),
    ...adapters.map((adapter) => ({ scope: adapter.scope, check: () => scanAdapterSource(adapter, ctx) })),
  ];
}
