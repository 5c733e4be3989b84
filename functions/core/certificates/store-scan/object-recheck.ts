/**
 * One object changed (an S3 event): what the configuration says must run again, and the re-check
 * of that object alone within its source's scope. Such a run is partial: it may clear only that
 * object's alarms, and a deleted object yields no finding, so its alarms clear and nothing is raised.
 */
import type { SourceObservation } from "../../alarms/lifecycle";
import type { CertificateSource, PeerGroup, WatchpostConfig } from "../../config";
import { describeCause } from "../../errors";
import { oneFindingPerSourceAndCheck } from "../ca-lifecycle";
import { recordOf } from "../inventory";
import { observeDeleted, observeFile } from "../observations";
import type { StoreScanContext } from "../ports";
import { scanFiles } from "../scan";
import {
  countOf,
  objectInput,
  preambleOf,
  recordContextFor,
  type StoreCheck,
  scanOptionsOf,
  sourceJudge,
} from "./judge-objects";
import { sourceScope } from "./scopes";

export interface ObjectEventPlan {
  /** Sources whose prefix holds the object: re-check the object alone. */
  objectIn: CertificateSource[];
  /** Sources whose trust bundle changed: every certificate under them is judged anew. */
  rescan: CertificateSource[];
  peerGroups: PeerGroup[];
}

export function planObjectEvent(certificates: WatchpostConfig["certificates"], key: string): ObjectEventPlan {
  const rescan = certificates.sources.filter((s) => s.caBundleKey === key);
  return {
    objectIn: certificates.sources.filter((s) => key.startsWith(s.prefix) && !rescan.includes(s)),
    rescan,
    peerGroups: certificates.peerGroups.filter(
      (g) => g.caBundleKey === key || g.peers.some((p) => p.certificateKey === key),
    ),
  };
}

export async function recheckObject(
  source: CertificateSource,
  key: string,
  change: "created" | "deleted",
  ctx: StoreScanContext,
): Promise<StoreCheck> {
  const { store } = ctx;
  const file = store.uri(key);
  const base = {
    scope: sourceScope(store, source),
    complete: false,
    examinedSources: [file],
    parameters: { Bucket: store.bucket, Prefix: source.prefix, Key: key },
    now: ctx.now,
  };
  const observations = new Map<string, SourceObservation>();
  if (change === "deleted") {
    observeDeleted(observations, file);
    return {
      run: { ...base, findings: [], observations },
      certificates: { count: 0 },
      objects: { downloaded: 0, reused: 0 },
    };
  }

  const judge = await sourceJudge(source, ctx);
  const result = await scanFiles([objectInput(source, key, ctx, {})], scanOptionsOf(judge));
  const read = result.files[0];
  const unexamined = read?.unexamined === true;
  // The event says the object changed: record what was read, so the next scan need not read it.
  if (ctx.inventory && read?.verdict && read.etag) {
    const record = recordOf(
      { key, etag: read.etag, size: read.size ?? 0 },
      read.verdict,
      recordContextFor(judge, key),
      ctx.now,
    );
    await ctx.inventory
      .put([record])
      .catch((cause: unknown) =>
        ctx.log?.warn("inventory not updated after the re-check", { error: describeCause(cause) }),
      );
  }
  if (!unexamined) observeFile(observations, file, result.certificates, ctx.now);
  const preamble = preambleOf(judge, ctx);
  return {
    run: {
      ...base,
      examinedSources: [...(unexamined ? [] : [file]), ...preamble.examined],
      findings: oneFindingPerSourceAndCheck([...preamble.findings, ...result.findings]),
      observations,
    },
    certificates: countOf(result.certificates),
    objects: { downloaded: 1, reused: 0 },
    ...(unexamined ? { error: `${file} could not be read; its alarms stand until it can be` } : {}),
  };
}
