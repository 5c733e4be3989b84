/**
 * One object changed (an S3 event): what the configuration says must run again, and the re-check
 * of that object alone within its source's scope. Such a run is partial: it may clear only that
 * object's alarms. The object is read whatever the event said: events can arrive late or out of
 * order, S3 cannot — a deleted object reads as gone (no finding: its alarms clear), one created
 * again since its deletion is judged as it is now.
 */
import { ABSENT } from "../alarms/evidence";
import type { SourceObservation } from "../alarms/lifecycle";
import { oneFindingPerSourceAndCheck } from "../certificates/ca-lifecycle";
import { metadataParameters } from "../certificates/location";
import { type CertificateSource, type PeerGroup, peerTrustStoreKey, type WatchpostConfig } from "../config";
import { describeCause } from "../errors";
import { recordOf } from "./inventory";
import {
  countOf,
  itemInput,
  located,
  preambleOf,
  recordContextFor,
  type StoreCheck,
  scanOptionsOf,
  sourceJudge,
} from "./judge-objects";
import { observeDeleted, observeFile } from "./observations";
import type { StoreScanContext } from "./ports";
import { scanFiles } from "./read-files";
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
    // A peer's certificate or trust store, or the group's CA bundle: the whole group is judged again.
    peerGroups: certificates.peerGroups.filter(
      (g) =>
        g.caBundleKey === key ||
        g.peers.some((p) => p.certificateKey === key || peerTrustStoreKey(p) === key),
    ),
  };
}

export async function recheckObject(
  source: CertificateSource,
  key: string,
  ctx: StoreScanContext,
): Promise<StoreCheck> {
  const { store } = ctx;
  const file = store.uri(key);
  const judge = await sourceJudge(source, ctx);
  const result = await scanFiles([itemInput(judge, { key }, ctx)], scanOptionsOf(judge));
  const read = result.files[0];
  const fromMetadata = metadataParameters(read?.metadata);
  const unexamined = read?.unexamined === true;
  // The event says the object changed: record what was read, so the next scan need not read it.
  if (ctx.inventory && read?.verdict && read.etag) {
    const record = recordOf(
      { key, etag: read.etag, size: read.size ?? 0, parameters: fromMetadata },
      read.verdict,
      recordContextFor(judge, { key }),
      ctx.now,
    );
    await ctx.inventory
      .put([record])
      .catch((cause: unknown) =>
        ctx.log?.warn("inventory not updated after the re-check", { error: describeCause(cause) }),
      );
  }
  const observations = new Map<string, SourceObservation>();
  if (read?.gone) observeDeleted(observations, file);
  else if (!unexamined) observeFile(observations, file, result.certificates, ctx.now);
  const preamble = preambleOf(judge, ctx);
  const version = read?.gone ? ABSENT : read?.etag;
  return {
    run: {
      scope: sourceScope(store, source),
      complete: false,
      examinedSources: [...(unexamined ? [] : [file]), ...preamble.examined],
      findings: oneFindingPerSourceAndCheck([
        ...preamble.findings,
        ...located(result.findings, judge, { key }, fromMetadata),
      ]),
      parameters: { Bucket: store.bucket, Prefix: source.prefix, Key: key },
      observations,
      now: ctx.now,
      versions: { seen: new Map([...(version ? [[file, version] as const] : []), ...preamble.versions]) },
    },
    certificates: countOf(result.certificates),
    objects: { downloaded: read?.gone ? 0 : 1, reused: 0 },
    ...(unexamined ? { error: `${file} could not be read; its alarms stand until it can be` } : {}),
  };
}
