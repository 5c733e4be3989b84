/**
 * An S3 object event: a replaced certificate is re-checked alone, within seconds, so its alarm
 * clears without waiting for the schedule; a changed CA bundle rescans its sources through the one
 * source-scan path; a changed peer certificate or group CA re-checks the group; a host's heartbeat
 * re-checks that host (hosts.ts).
 */

import { isHeartbeatKey } from "../../core/hosts/heartbeat";
import { planObjectEvent, recheckObject } from "../../core/scan/object-recheck";
import { checkScopes, scanScopes } from "../../core/scan/scope-checks";
import { sourceScope } from "../../core/scan/scopes";
import { logger } from "../shared/powertools";
import type { CertificateScanDeps } from "./deps";
import { type ObjectEvent, resolveObjectKey } from "./events";
import { finishInvocation } from "./finish-invocation";
import { heartbeatScope } from "./hosts";
import type { ScanOutcome } from "./outcome";
import { scanContext } from "./scan-context";

export async function objectChanged(
  event: ObjectEvent,
  deps: CertificateScanDeps,
  started: number,
): Promise<ScanOutcome> {
  const ctx = scanContext(deps);
  const key = await resolveObjectKey(event, deps.objectExists);
  const change = event["detail-type"] === "Object Created" ? "created" : "deleted";
  // A host's heartbeat (watchpost push) is judged as a host, never as a certificate file.
  if (isHeartbeatKey(key) && ctx.certificates.sources.some((s) => key.startsWith(s.prefix))) {
    logger.info("heartbeat changed", { key, change });
    return finishInvocation(
      "object",
      await checkScopes(heartbeatScope(key, deps, ctx), ctx),
      deps,
      ctx,
      started,
    );
  }
  const plan = planObjectEvent(ctx.certificates, key);
  logger.info("object changed", {
    key,
    change,
    recheckIn: plan.objectIn.map((s) => s.prefix),
    rescan: plan.rescan.map((s) => s.prefix),
    peerGroups: plan.peerGroups.map((g) => g.name),
  });
  const checked = await checkScopes(
    [
      ...plan.objectIn.map((source) => ({
        scope: sourceScope(ctx.store, source),
        check: () => recheckObject(source, key, ctx),
      })),
      ...scanScopes(plan.rescan, plan.peerGroups, ctx, deps.fanOut, "object-change"),
    ],
    ctx,
  );
  return finishInvocation("object", checked, deps, ctx, started);
}
