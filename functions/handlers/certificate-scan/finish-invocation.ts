/**
 * The last leg of a full scan and of an object change: the metrics of what was checked, the
 * settlement (core/scan/settlement.ts) of the runs and of any fanned-out run
 * this invocation claimed, and the outcome. A scope whose check failed fails the invocation, so
 * Lambda retries it and the error alarm fires, but only after every other scope was settled.
 */
import type { StoreScanContext } from "../../core/scan/ports";
import type { ScopesChecked } from "../../core/scan/scope-checks";
import { type InvocationSettlementPorts, settleInvocation } from "../../core/scan/settlement";
import type { SourceAdapter } from "../../core/scan/source-adapter";
import { applyAlarmLifecycle } from "../shared/alarm-runs";
import { logger } from "../shared/powertools";
import type { CertificateScanDeps } from "./deps";
import {
  handedOutOf,
  recordChecks,
  recordFindings,
  recordScanSucceeded,
  type ScanOutcome,
  sumObjects,
} from "./outcome";

export async function finishInvocation(
  mode: "full" | "object" | "hosts",
  { checks, handedOut, failures }: ScopesChecked,
  deps: CertificateScanDeps,
  ctx: StoreScanContext,
  started: number,
): Promise<ScanOutcome> {
  // The host check reads no certificate: only its findings count among the scan's metrics.
  if (mode === "hosts") recordFindings(checks.flatMap((c) => c.run.findings));
  else recordChecks(checks, ctx.now, Date.now() - started);
  for (const check of checks.filter((c) => c.error)) logger.warn("partial scan", { error: check.error });

  const claimed = handedOut.flatMap((h) => (h.claimed ? [h.claimed] : []));
  const settled = await settleInvocation(
    {
      checks: checks.map((c) => c.run),
      claimed,
      // Only a complete scan of the whole store proves nothing went unnoticed (26 h watchdog).
      proves: mode === "full" ? "store" : "nothing",
      unfinished: failures.length + handedOut.length - claimed.length,
    },
    settlementPortsOf(deps, ctx),
  );
  if (settled.scanSucceeded) recordScanSucceeded();
  if (failures.length > 0) throw new Error(`certificate checks failed: ${failures.join("; ")}`);
  const runs = [...checks.map((c) => c.run), ...claimed.map((c) => c.run)];
  const peerGroups = checks.flatMap((c) => c.peerGroups ?? []);
  for (const group of peerGroups) logger.info("peer group checked", { peerGroup: group });
  return {
    mode,
    runs: runs.length,
    certificates: checks.reduce((n, c) => n + c.certificates.count, 0),
    findings: runs.reduce((n, r) => n + r.findings.length, 0),
    complete: failures.length === 0 && checks.every((c) => c.run.complete),
    objects: sumObjects(checks.map((c) => c.objects)),
    fannedOut: handedOutOf(handedOut),
    ...(peerGroups.length > 0 ? { peerGroups } : {}),
  };
}

/**
 * The bridge from an invocation to the settlement: the alarm lifecycle with leases on this
 * invocation's clock and versions confirmed against the bucket and the other sources' adapters.
 */
export function settlementPortsOf(
  deps: CertificateScanDeps,
  ctx: StoreScanContext,
): InvocationSettlementPorts {
  const bucket = deps.store.uri("");
  // Built when a version outside the bucket is first confirmed, and awaited there: their code may
  // be loaded on first use, and a load that fails must fail this settlement, not go unhandled.
  let adapters: Promise<readonly SourceAdapter[]> | undefined;
  const adaptersOnce = () => {
    adapters ??= Promise.resolve().then(() => deps.sourceAdapters?.(ctx) ?? []);
    return adapters;
  };
  return {
    applyAlarmLifecycle: (runs) =>
      applyAlarmLifecycle(runs, {
        ...deps.alarms,
        // Leases on this invocation's clock; versions confirmed against the bucket itself.
        clock: deps.now ?? (() => new Date()),
        currentVersion: async (object) => {
          if (object.startsWith(bucket)) return deps.store.currentVersion(object.slice(bucket.length));
          for (const adapter of await adaptersOnce()) {
            const version = await adapter.currentVersion?.(object);
            if (version !== undefined) return version;
          }
          return undefined;
        },
      }),
    ...(deps.fanOut ? { runs: deps.fanOut.runs } : {}),
    ...(ctx.log ? { log: ctx.log } : {}),
    now: ctx.now,
  };
}
