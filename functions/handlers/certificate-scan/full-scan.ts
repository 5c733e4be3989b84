/**
 * The schedule (daily at 01:00) and the deploy-time trigger: every source through the one
 * source-scan path (a large one is handed out to workers, queue-batches.ts), every peer group, and
 * the hosts that push (their own schedule checks them more often: hosts.ts).
 */
import { checkScopes, scanScopes } from "../../core/scan/scope-checks";
import type { CertificateScanDeps } from "./deps";
import { finishInvocation } from "./finish-invocation";
import { silentHosts } from "./hosts";
import type { ScanOutcome } from "./outcome";
import { scanContext } from "./scan-context";

export async function fullScan(deps: CertificateScanDeps, started: number): Promise<ScanOutcome> {
  const ctx = scanContext(deps);
  const { sources, peerGroups } = ctx.certificates;
  const adapters = (await deps.sourceAdapters?.(ctx)) ?? [];
  const checked = await checkScopes(
    scanScopes(sources, peerGroups, ctx, deps.fanOut, "schedule", adapters),
    ctx,
  );
  const hosts = await silentHosts(deps, ctx);
  return finishInvocation(
    "full",
    {
      checks: [...checked.checks, ...hosts.checks],
      handedOut: checked.handedOut,
      failures: [...checked.failures, ...hosts.failures],
    },
    deps,
    ctx,
    started,
  );
}
