/** One invocation's view of its dependencies: its instant, and the ports the core scans through. */
import type { ScanLog, StoreScanContext } from "../../core/scan/ports";
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
