/** One invocation's view of its dependencies: its instant, and the ports the core reads through. */
import type { ScanLog, StoreScanContext } from "../../core/scan/ports";
import type { SettlementPorts } from "../../core/scan/settlement";
import { settleRuns } from "../shared/alarm-runs";
import { logger } from "../shared/powertools";
import type { CertificateScanDeps } from "./deps";

const scanLog: ScanLog = {
  info: (message, detail) => logger.info(message, detail),
  warn: (message, detail) => logger.warn(message, detail),
  error: (message, detail) => logger.error(message, detail),
};

export function scanContext(deps: CertificateScanDeps): StoreScanContext {
  return {
    store: deps.store,
    certificates: deps.config.certificates,
    now: deps.now?.() ?? new Date(),
    keystorePassword: (secretName) => deps.secrets.read(secretName),
    fetchEndpoint: deps.fetchEndpoint,
    ...(deps.inventory ? { inventory: deps.inventory } : {}),
    downloadConcurrency: deps.config.operations.scanDownloadConcurrency,
    log: scanLog,
    ...(deps.kdfBudget ? { kdfBudget: deps.kdfBudget } : {}),
  };
}

export function settlementPorts(deps: CertificateScanDeps, ctx: StoreScanContext): SettlementPorts {
  const bucket = deps.store.uri("");
  const adapters = deps.sourceAdapters?.(ctx) ?? [];
  return {
    settleAlarms: (runs) =>
      settleRuns(runs, {
        ...deps.alarms,
        // Leases on this invocation's clock; versions confirmed against the bucket itself.
        clock: deps.now ?? (() => new Date()),
        currentVersion: async (object) => {
          if (object.startsWith(bucket)) return deps.store.currentVersion(object.slice(bucket.length));
          for (const adapter of adapters) {
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
