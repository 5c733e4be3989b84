/**
 * An event of ACM, Parameter Store or Secrets Manager (through CloudTrail) about one item: that item
 * alone is re-checked by every scope that may hold it, within seconds, so its alarm raises or
 * clears without waiting for the schedule. The run is partial: it changes that item's alarms only.
 * An event about an item no selection reads (another account or region, outside a name prefix,
 * path or tags) is logged and ignored.
 */
import { changeOf } from "../../core/aws-certificates/change-events";
import { recheckChange } from "../../core/scan/item-recheck";
import { logger } from "../shared/powertools";
import type { CertificateScanDeps } from "./deps";
import type { AwsStoreEvent } from "./events";
import { finishInvocation } from "./finish-invocation";
import type { ScanOutcome } from "./outcome";
import { scanContext } from "./scan-context";

export async function awsItemChanged(
  event: AwsStoreEvent,
  deps: CertificateScanDeps,
  started: number,
): Promise<ScanOutcome> {
  const ctx = scanContext(deps);
  const change = changeOf(event);
  const nothing = { checks: [], handedOut: [], failures: [] };
  if ("ignored" in change) {
    logger.info("AWS event ignored", { source: event.source, reason: change.ignored });
    return finishInvocation("object", nothing, deps, ctx, started);
  }
  const item =
    change.kind === "acm" ? change.arn : change.kind === "ssm-parameter" ? change.name : change.secretId;
  const where = {
    kind: change.kind,
    account: change.account,
    region: change.region,
    item,
    event: change.reason,
  };
  const adapters = (await deps.sourceAdapters?.(ctx)) ?? [];
  const checked = await recheckChange(adapters, change, ctx);
  if (checked.checks.length === 0 && checked.failures.length === 0) {
    const reasons = [...checked.unselected, ...checked.outside];
    logger.info("AWS event ignored: no selection reads the item", {
      ...where,
      reasons: reasons.length > 0 ? reasons : ["no AWS certificate source is configured"],
    });
    return finishInvocation("object", nothing, deps, ctx, started);
  }
  logger.info("AWS item changed", { ...where, scopes: checked.checks.map((c) => c.run.scope) });
  return finishInvocation("object", checked, deps, ctx, started);
}
