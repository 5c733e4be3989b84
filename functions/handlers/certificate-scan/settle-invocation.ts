/**
 * The last leg of a full scan and of an object change: the metrics of what was checked, the
 * settlement (core/certificates/store-scan/settlement.ts) of the runs and of any fanned-out run
 * this invocation claimed, and the outcome. A scope whose check failed fails the invocation, so
 * Lambda retries it and the error alarm fires, but only after every other scope was settled.
 */
import type { StoreScanContext } from "../../core/scan/ports";
import type { ScopesChecked } from "../../core/scan/scope-checks";
import { settle } from "../../core/scan/settlement";
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
import { settlementPorts } from "./scan-context";

export async function settleChecks(
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

  const claimed = handedOut.flatMap((h) => (h.settle ? [h.settle] : []));
  const settled = await settle(
    {
      checks: checks.map((c) => c.run),
      claimed,
      // Only a complete scan of the whole store proves nothing went unnoticed (26 h watchdog).
      proves: mode === "full" ? "store" : "nothing",
      unfinished: failures.length + handedOut.length - claimed.length,
    },
    settlementPorts(deps, ctx),
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
