/**
 * The schedule (daily at 01:00) and the deploy-time trigger: every source through the one
 * source-scan path (a large one is handed out to workers, scan-batch.ts), and every peer group.
 */
import { checkScopes, scanScopes } from "../../core/certificates/store-scan/scope-checks";
import { scanContext } from "./context";
import type { CertificateScanDeps } from "./deps";
import type { ScanOutcome } from "./outcome";
import { settleChecks } from "./settle-checks";

export async function fullScan(deps: CertificateScanDeps, started: number): Promise<ScanOutcome> {
  const ctx = scanContext(deps);
  const { sources, peerGroups } = ctx.certificates;
  const checked = await checkScopes(scanScopes(sources, peerGroups, ctx, deps.fanOut, "schedule"), ctx);
  return settleChecks("full", checked, deps, ctx, started);
}
