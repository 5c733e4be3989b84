/**
 * Certificate scan: the Lambda entry. The event says which trigger sent it, and that trigger's
 * module does the work (certificate-scan/): a full scan on the schedule and after each deployment,
 * the re-check of an object an S3 event names, of an item an ACM, Parameter Store or Secrets
 * Manager event names (certificate-scan/aws-change.ts), or the batches of a large source that come back
 * from the scan queue, and the heartbeats of the hosts that push (certificate-scan/hosts.ts).
 * Dependencies are built once per execution environment (certificate-scan/deps.ts).
 *
 * The path of one scheduled scan and of one upload re-check, file by file: docs/architecture.md,
 * "Following one scheduled scan through the code" and "Following one upload re-check".
 */

import { awsItemChanged } from "./certificate-scan/aws-change";
import { type CertificateScanDeps, productionScanDeps } from "./certificate-scan/deps";
import { ScanEvent } from "./certificate-scan/events";
import { fullScan } from "./certificate-scan/full-scan";
import { hostCheck } from "./certificate-scan/hosts";
import { objectChanged } from "./certificate-scan/object-change";
import type { ScanOutcome } from "./certificate-scan/outcome";
import { scanBatches } from "./certificate-scan/queue-batches";
import { withClaimOwner } from "./shared/alarm-runs";
import { instrumented } from "./shared/powertools";

let productionDeps: Promise<CertificateScanDeps> | undefined;

export const handler = instrumented(async (event, context) => {
  // A start that failed (a chunk that would not load) is tried again by the next invocation.
  productionDeps ??= productionScanDeps().catch((error: unknown) => {
    productionDeps = undefined;
    throw error;
  });
  return runCertificateScan(event, withClaimOwner(await productionDeps, context?.awsRequestId));
});

export async function runCertificateScan(event: unknown, deps: CertificateScanDeps): Promise<ScanOutcome> {
  const started = Date.now();
  const scan = ScanEvent.parse(event);
  switch (scan.trigger) {
    case "scan-batch":
      return scanBatches(scan.event, deps, started);
    case "object-change":
      return objectChanged(scan.event, deps, started);
    case "aws-item-change":
      return awsItemChanged(scan.event, deps, started);
    case "host-check":
      return hostCheck(deps, started);
    case "full-scan":
      return fullScan(deps, started);
  }
}

export type { CertificateScanDeps, ScanOutcome };
