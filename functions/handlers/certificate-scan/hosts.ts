/**
 * The hosts that run `watchpost push` (core/scan/host-checks.ts): the schedule's check for hosts
 * gone silent, and the re-check of a heartbeat an S3 event names (a push just ended, or a host was
 * retired). Each host settles as a scope of its own, like a source or a peer group.
 */
import type { CheckRun } from "../../core/alarms/lifecycle";
import { describeError } from "../../core/errors";
import { heartbeatLocation } from "../../core/hosts/heartbeat";
import {
  checkHeartbeatObject,
  checkSilentHosts,
  type HostCheckContext,
  type HostHeartbeatsPort,
  hostScope,
} from "../../core/scan/host-checks";
import type { StoreCheck } from "../../core/scan/judge-objects";
import type { StoreScanContext } from "../../core/scan/ports";
import type { ScopeCheck, ScopesChecked } from "../../core/scan/scope-checks";
import type { CertificateScanDeps } from "./deps";
import { finishInvocation } from "./finish-invocation";
import type { ScanOutcome } from "./outcome";
import { scanContext } from "./scan-context";

export async function hostCheck(deps: CertificateScanDeps, started: number): Promise<ScanOutcome> {
  const ctx = scanContext(deps);
  return finishInvocation("hosts", await silentHosts(deps, ctx), deps, ctx, started);
}

/** Every host the stack has heard from, judged for silence; nothing without the heartbeat store. */
export async function silentHosts(deps: CertificateScanDeps, ctx: StoreScanContext): Promise<ScopesChecked> {
  const checked: ScopesChecked = { checks: [], handedOut: [], failures: [] };
  if (!deps.heartbeats) return checked;
  try {
    checked.checks = (await checkSilentHosts(hostContext(deps, deps.heartbeats, ctx))).map(asStoreCheck);
  } catch (error) {
    const why = describeError(error);
    ctx.log?.error("the host heartbeats could not be read; their alarms are left as they were", {
      error: why,
    });
    checked.failures.push(`hosts: ${why}`);
  }
  return checked;
}

/** The re-check of one heartbeat object, as a scope of the object-change path. */
export function heartbeatScope(key: string, deps: CertificateScanDeps, ctx: StoreScanContext): ScopeCheck[] {
  const location = heartbeatLocation(key);
  const heartbeats = deps.heartbeats;
  if (!location || !heartbeats) return [];
  const scope = hostScope((k) => ctx.store.uri(k), location);
  return [
    {
      scope,
      check: async () => {
        const run = await checkHeartbeatObject(key, hostContext(deps, heartbeats, ctx));
        return asStoreCheck(run ?? nothingSettled(scope, ctx.now));
      },
    },
  ];
}

function hostContext(
  deps: CertificateScanDeps,
  heartbeats: HostHeartbeatsPort,
  ctx: StoreScanContext,
): HostCheckContext {
  return {
    config: deps.config,
    uri: (key) => ctx.store.uri(key),
    bucket: ctx.store.bucket,
    now: ctx.now,
    store: ctx.store,
    heartbeats,
    ...(ctx.log ? { log: ctx.log } : {}),
  };
}

function asStoreCheck(run: CheckRun): StoreCheck {
  return { run, certificates: { count: 0 }, objects: { downloaded: 0, reused: 0 } };
}

/** A partial run that examined nothing: it settles nothing. */
function nothingSettled(scope: string, now: Date): CheckRun {
  return { scope, complete: false, examinedSources: [], findings: [], now };
}
