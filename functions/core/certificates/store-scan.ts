/**
 * Certificate checks over a certificate store (the S3 bucket), as the scan Lambda runs them:
 * what one configured source, one changed object, or one peer group turns into — a CheckRun for
 * the alarm lifecycle. SDK-free: the store, secrets and live endpoints are ports.
 *
 * Scopes: a source is `s3://<bucket>/<prefix>`, a peer group `peer-group:<name>`. A run over a
 * whole source is complete unless the listing broke off; a re-check of one object is partial and
 * may clear only that object's alarms.
 */

import type { CheckRun, SourceObservation } from "../alarms/lifecycle";
import {
  type CertificateSource,
  expectedHostnamesFor,
  type PeerGroup,
  type WatchpostConfig,
} from "../config";
import type { Finding, UnreadableReason } from "../contracts";
import { type ParsedCertificate, parseCertificate } from "./certificate";
import { type EvaluationPolicy, unreadableFinding } from "./evaluate";
import type { CertificateFacts } from "./facts";
import {
  type InventoryRecord,
  type InventoryRecordInput,
  isReusable,
  type ObjectInventoryPort,
  type RecordContext,
  recordOf,
  rejudge,
  trustFingerprint,
} from "./inventory";
import { MAX_OBSERVATIONS, observeDeleted, observeFile } from "./observations";
import { evaluatePeerGroup, type PeerInput } from "./peer-group";
import { readCertificates } from "./reader";
import { type LoadResult, type ScanInput, scanFiles } from "./scan";

export interface StoredObjectInfo {
  key: string;
  size: number;
  etag?: string;
}

/** The certificate bucket (functions/adapters/s3-certificate-store.ts implements it). */
export interface CertificateStorePort {
  list(prefixes: readonly string[]): AsyncGenerator<StoredObjectInfo>;
  load(key: string, options: { maxBytes: number; knownSize?: number; etag?: string }): Promise<LoadResult>;
  uri(key: string): string;
  readonly bucket: string;
}

export type EndpointChain =
  | { ok: true; certificates: Uint8Array[] }
  | { ok: false; reason: Extract<UnreadableReason, "timeout" | "unreachable">; detail: string };

export interface StoreScanContext {
  store: CertificateStorePort;
  certificates: WatchpostConfig["certificates"];
  now: Date;
  /** PKCS#12 password of a source, from its secret; undefined when none is configured. */
  pkcs12Password: (source: CertificateSource) => Promise<string | undefined>;
  /** Where that password comes from, said when a PKCS#12 file has none; default: the source's secret. */
  pkcs12PasswordHint?: (source: CertificateSource) => string;
  /** Fetches the chain a peer presents (functions/adapters/tls-endpoint.ts). */
  fetchEndpoint: (endpoint: string) => Promise<EndpointChain>;
  /** What earlier scans learned per object; without it every object is downloaded. */
  inventory?: ObjectInventoryPort;
  /** Where degraded-but-survivable trouble is reported (the handler's logger). */
  warn?: (message: string, detail: Record<string, unknown>) => void;
}

export interface StoreCheck {
  run: CheckRun;
  /**
   * How many certificates were judged and the soonest expiry among them: all the metrics need.
   * A scan of a large store keeps no certificate (about 2 kB each as facts) past its judgement.
   */
  certificates: CertificateCount;
  /** Objects read from the store, and objects judged again from the inventory. */
  objects: { downloaded: number; reused: number };
  /** Why the run is partial, when it is (listing broke off, objects unreadable); never secrets. */
  error?: string;
}

export function sourceScope(store: CertificateStorePort, source: CertificateSource): string {
  return store.uri(source.prefix);
}

export function peerGroupScope(group: PeerGroup): string {
  return `peer-group:${group.name}`;
}

/** Every object under the source's prefix, judged with the source's names and trust bundle. */
export async function scanSource(source: CertificateSource, ctx: StoreScanContext): Promise<StoreCheck> {
  const { store } = ctx;
  const judge = await sourceJudge(source, ctx);
  const tally = emptyTally();
  let error: string | undefined;
  let chunk: StoredObjectInfo[] = [];
  try {
    for await (const object of store.list([source.prefix])) {
      chunk.push(object);
      if (chunk.length >= LISTING_CHUNK) {
        addTally(tally, await judgeObjects(chunk, judge, ctx));
        chunk = [];
      }
    }
  } catch (cause) {
    // Judge what was listed, but clear nothing else: the rest of the prefix was not seen.
    error = `listing ${store.uri(source.prefix)} broke off: ${describe(cause)}`;
  }
  addTally(tally, await judgeObjects(chunk, judge, ctx));
  return sourceCheck(source, judge, tally, ctx, error);
}

/**
 * A share of a source's objects, as a fan-out worker judges it (fan-out.ts): the same judgement as
 * `scanSource`, for objects another invocation listed.
 */
export async function scanObjects(
  source: CertificateSource,
  objects: readonly StoredObjectInfo[],
  ctx: StoreScanContext,
  options: { withPreamble: boolean } = { withPreamble: true },
): Promise<StoreCheck> {
  const judge = await sourceJudge(source, ctx);
  const tally = emptyTally();
  for (let start = 0; start < objects.length; start += LISTING_CHUNK) {
    addTally(tally, await judgeObjects(objects.slice(start, start + LISTING_CHUNK), judge, ctx));
  }
  if (!options.withPreamble) {
    judge.trust = { ...judge.trust, findings: [], examined: [] };
    judge.password = { ...judge.password, findings: [], examined: [] };
  }
  return sourceCheck(source, judge, tally, ctx, undefined);
}

/**
 * What a source's scan reports besides its objects: an unreadable trust bundle or password secret.
 * A fanned-out run reports these once, from the lister, rather than from every batch.
 */
export async function sourcePreamble(
  source: CertificateSource,
  ctx: StoreScanContext,
): Promise<{ findings: Finding[]; examined: string[] }> {
  const judge = await sourceJudge(source, ctx);
  return {
    findings: [...judge.trust.findings, ...judge.password.findings],
    examined: [...judge.trust.examined, ...judge.password.examined],
  };
}

export interface CertificateCount {
  count: number;
  soonestNotAfter?: Date;
}

function countOf(certificates: readonly Pick<CertificateFacts, "notAfter">[]): CertificateCount {
  const count: CertificateCount = { count: 0 };
  addCount(count, certificates);
  return count;
}

function addCount(into: CertificateCount, certificates: readonly Pick<CertificateFacts, "notAfter">[]): void {
  for (const { notAfter } of certificates) {
    into.count++;
    if (into.soonestNotAfter === undefined || notAfter < into.soonestNotAfter)
      into.soonestNotAfter = notAfter;
  }
}

/** Objects judged at a time: one inventory look-up and one bounded burst of downloads each. */
const LISTING_CHUNK = 200;

/** What judging a source's objects needs, loaded once per source and run. */
interface SourceJudge {
  source: CertificateSource;
  trust: TrustBundle;
  password: { value?: string; hint: string; findings: Finding[]; examined: string[] };
  policy: EvaluationPolicy;
  record: RecordContext;
}

async function sourceJudge(source: CertificateSource, ctx: StoreScanContext): Promise<SourceJudge> {
  const trust = await loadTrustBundle(source.caBundleKey, ctx);
  return {
    source,
    trust,
    password: {
      ...(await pkcs12PasswordOf(source, ctx)),
      hint: ctx.pkcs12PasswordHint?.(source) ?? deployedPasswordHint(source),
    },
    policy: policyFor(ctx, trust.anchors),
    record: {
      scope: sourceScope(ctx.store, source),
      trust: trustFingerprint(trust.anchors),
      anchors: trust.anchors ?? [],
      skewSeconds: ctx.certificates.thresholds.skewSeconds,
    },
  };
}

/** How a share of a source's objects came out; certificates are kept as facts only. */
export interface ObjectTally {
  findings: Finding[];
  certificates: CertificateCount;
  examined: string[];
  /** Objects that could not be fetched: not examined, so their alarms stand. */
  unexamined: string[];
  downloaded: number;
  reused: number;
  /** What was seen at examined objects (bounded), for the alarms this run clears. */
  observed: Map<string, SourceObservation>;
}

function emptyTally(): ObjectTally {
  return {
    findings: [],
    certificates: { count: 0 },
    examined: [],
    unexamined: [],
    downloaded: 0,
    reused: 0,
    observed: new Map(),
  };
}

function addTally(into: ObjectTally, from: ObjectTally): void {
  for (const finding of from.findings) into.findings.push(finding);
  for (const source of from.examined) into.examined.push(source);
  for (const source of from.unexamined) into.unexamined.push(source);
  into.certificates.count += from.certificates.count;
  const soonest = from.certificates.soonestNotAfter;
  if (soonest && (!into.certificates.soonestNotAfter || soonest < into.certificates.soonestNotAfter)) {
    into.certificates.soonestNotAfter = soonest;
  }
  into.downloaded += from.downloaded;
  into.reused += from.reused;
  for (const [source, observation] of from.observed) observeInto(into.observed, source, observation);
}

function observeInto(into: Map<string, SourceObservation>, source: string, observation: SourceObservation) {
  if (into.size < MAX_OBSERVATIONS || into.has(source)) into.set(source, observation);
}

/**
 * Judges listed objects: those the inventory still describes from their record, the rest from
 * their bytes (and their records are renewed). Inventory trouble only costs downloads.
 */
async function judgeObjects(
  objects: readonly StoredObjectInfo[],
  judge: SourceJudge,
  ctx: StoreScanContext,
): Promise<ObjectTally> {
  const tally = emptyTally();
  if (objects.length === 0) return tally;
  const { store, inventory } = ctx;
  const records = inventory
    ? await inventory
        .get(
          judge.record.scope,
          objects.map((o) => o.key),
        )
        .catch((cause: unknown) => {
          ctx.warn?.("inventory look-up failed; reading the objects instead", { error: describe(cause) });
          return new Map<string, InventoryRecord>();
        })
    : new Map<string, InventoryRecord>();

  const toRead: StoredObjectInfo[] = [];
  for (const object of objects) {
    const record = records.get(object.key);
    if (!isReusable(record, object, judge.record.trust, ctx.now)) {
      toRead.push(object);
      continue;
    }
    const expectedHosts = nonEmpty(expectedHostnamesFor(judge.source, object.key));
    tally.findings.push(
      ...rejudge(record, expectedHosts ? { ...judge.policy, expectedHosts } : judge.policy),
    );
    addCount(tally.certificates, record.certificates);
    tally.examined.push(store.uri(object.key));
    observeFile(tally.observed, store.uri(object.key), record.certificates, ctx.now);
    tally.reused++;
  }

  const read = await scanFiles(
    toRead.map((object) =>
      objectInput(judge.source, object.key, ctx, { knownSize: object.size, etag: object.etag }),
    ),
    { policy: judge.policy, pkcs12Password: judge.password.value, pkcs12PasswordHint: judge.password.hint },
  );
  const fresh: InventoryRecordInput[] = [];
  read.files.forEach((file, i) => {
    const object = toRead[i] as StoredObjectInfo;
    tally.findings.push(...file.findings);
    addCount(tally.certificates, file.certificates);
    (file.unexamined ? tally.unexamined : tally.examined).push(file.file);
    if (!file.unexamined) observeFile(tally.observed, file.file, file.certificates, ctx.now);
    if (file.verdict && object.etag)
      fresh.push(recordOf({ ...object, etag: object.etag }, file.verdict, judge.record, ctx.now));
  });
  tally.downloaded += toRead.length;
  if (inventory && fresh.length > 0) {
    await inventory.put(fresh).catch((cause: unknown) => {
      ctx.warn?.("inventory not updated; these objects will be read again next time", {
        error: describe(cause),
        objects: fresh.length,
      });
    });
  }
  return tally;
}

function sourceCheck(
  source: CertificateSource,
  judge: SourceJudge,
  tally: ObjectTally,
  ctx: StoreScanContext,
  listingError: string | undefined,
): StoreCheck {
  const { store } = ctx;
  const unreadNote =
    tally.unexamined.length > 0
      ? `${tally.unexamined.length} object(s) could not be read; their alarms stand until they can be`
      : undefined;
  const error = [listingError, unreadNote].filter(Boolean).join("; ") || undefined;
  return {
    run: {
      scope: sourceScope(store, source),
      complete: error === undefined,
      examinedSources: [...tally.examined, ...judge.trust.examined, ...judge.password.examined],
      findings: [...judge.trust.findings, ...judge.password.findings, ...tally.findings],
      parameters: { Bucket: store.bucket, Prefix: source.prefix },
      observations: tally.observed,
      now: ctx.now,
    },
    certificates: tally.certificates,
    objects: { downloaded: tally.downloaded, reused: tally.reused },
    ...(error ? { error } : {}),
  };
}

/**
 * One object changed (S3 event). Re-checks just that object within the source's scope; a deleted
 * object yields no finding, so its alarms clear and nothing is raised.
 */
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
    return { run: { ...base, findings: [], observations }, certificates: { count: 0 }, objects: NONE };
  }

  const judge = await sourceJudge(source, ctx);
  const result = await scanFiles([objectInput(source, key, ctx, {})], {
    policy: judge.policy,
    pkcs12Password: judge.password.value,
    pkcs12PasswordHint: judge.password.hint,
  });
  const read = result.files[0];
  const unexamined = read?.unexamined === true;
  // The event says the object changed: record what was read, so the next scan need not read it.
  if (ctx.inventory && read?.verdict && read.etag) {
    const record = recordOf(
      { key, etag: read.etag, size: read.size ?? 0 },
      read.verdict,
      judge.record,
      ctx.now,
    );
    await ctx.inventory
      .put([record])
      .catch((cause: unknown) =>
        ctx.warn?.("inventory not updated after the re-check", { error: describe(cause) }),
      );
  }
  if (!unexamined) observeFile(observations, file, result.certificates, ctx.now);
  return {
    run: {
      ...base,
      examinedSources: [...(unexamined ? [] : [file]), ...judge.trust.examined, ...judge.password.examined],
      findings: [...judge.trust.findings, ...judge.password.findings, ...result.findings],
      observations,
    },
    certificates: countOf(result.certificates),
    objects: { downloaded: 1, reused: 0 },
    ...(unexamined ? { error: `${file} could not be read; its alarms stand until it can be` } : {}),
  };
}

const NONE = { downloaded: 0, reused: 0 } as const;

/**
 * Every peer of a cluster must present a valid certificate that names it and chains to the
 * group's CA. A peer with both a stored certificate and a live endpoint is checked both ways: the
 * live check is reported as the group `<name>@live`, so the two never overwrite each other.
 */
export async function checkPeerGroup(group: PeerGroup, ctx: StoreScanContext): Promise<StoreCheck> {
  const { store } = ctx;
  const trust = await loadTrustBundle(group.caBundleKey, ctx);
  const policy = policyFor(ctx, undefined);
  const stored: PeerInput[] = [];
  const live: PeerInput[] = [];
  const certificates: ParsedCertificate[] = [];

  for (const peer of group.peers) {
    if (peer.certificateKey) {
      const input = await peerFromStore(peer.fqdn, peer.certificateKey, ctx);
      stored.push(input);
      if (Array.isArray(input.certificates)) certificates.push(...input.certificates);
    }
    if (peer.endpoint) {
      const input = await peerFromEndpoint(peer.fqdn, peer.endpoint, ctx);
      live.push(input);
      if (Array.isArray(input.certificates)) certificates.push(...input.certificates);
    }
  }
  const findings: Finding[] = [...trust.findings];
  if (stored.length > 0) {
    findings.push(
      ...evaluatePeerGroup({ name: group.name, ca: trust.anchors ?? [], peers: stored }, policy).findings,
    );
  }
  if (live.length > 0) {
    findings.push(
      ...evaluatePeerGroup({ name: `${group.name}@live`, ca: trust.anchors ?? [], peers: live }, policy)
        .findings,
    );
  }
  return {
    run: {
      scope: peerGroupScope(group),
      complete: true,
      examinedSources: [],
      findings,
      parameters: { PeerGroup: group.name, Bucket: store.bucket },
      now: ctx.now,
    },
    certificates: countOf(certificates),
    objects: { downloaded: stored.length, reused: 0 },
  };
}

/** What an S3 object event means for the configuration: which checks must run again. */
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

function objectInput(
  source: CertificateSource,
  key: string,
  ctx: StoreScanContext,
  known: { knownSize?: number; etag?: string },
): ScanInput {
  return {
    file: ctx.store.uri(key),
    // Everything under a watched prefix is meant to be a certificate: report what is not.
    explicit: true,
    expectedHosts: nonEmpty(expectedHostnamesFor(source, key)),
    load: () => ctx.store.load(key, { maxBytes: ctx.certificates.thresholds.maxObjectBytes, ...known }),
  };
}

interface TrustBundle {
  anchors?: ParsedCertificate[];
  findings: Finding[];
  examined: string[];
}

/** The CA bundle a source or group chains to; an unreadable bundle is itself a finding. */
async function loadTrustBundle(key: string | undefined, ctx: StoreScanContext): Promise<TrustBundle> {
  if (!key) return { findings: [], examined: [] };
  const file = ctx.store.uri(key);
  const failed = (reason: UnreadableReason, detail: string): TrustBundle => ({
    // Without anchors every chain would look untrusted: report the bundle, skip the chain check.
    findings: [unreadableFinding(file, reason, `trusted CA bundle: ${detail}`)],
    examined: [file],
  });
  const loaded = await ctx.store.load(key, { maxBytes: ctx.certificates.thresholds.maxObjectBytes });
  if (!loaded.ok) return failed(loaded.reason, loaded.detail);
  const read = await readCertificates(loaded.bytes, file);
  if (read.status === "unreadable") return failed(read.reason, read.detail);
  if (read.status === "not-certificate" || read.certificates.length === 0) {
    return failed("unsupported-format", "holds no certificate");
  }
  return { anchors: read.certificates, findings: [], examined: [file] };
}

/**
 * The source's PKCS#12 password. A secret that cannot be read is one finding on the secret, not a
 * failed scan: every other file is still judged, and PKCS#12 files report that no password was given.
 */
/** In the deployed stack a PKCS#12 password comes from the source's secret: name it, or say it is missing. */
export function deployedPasswordHint(source: CertificateSource): string {
  return source.pkcs12PasswordSecretName
    ? `the secret ${source.pkcs12PasswordSecretName}, this source's pkcs12PasswordSecretName, holds no password; put it there`
    : `source "${source.prefix}" has no pkcs12PasswordSecretName; create a Secrets Manager secret with the password and name it there`;
}

async function pkcs12PasswordOf(
  source: CertificateSource,
  ctx: StoreScanContext,
): Promise<{ value?: string; findings: Finding[]; examined: string[] }> {
  const name = source.pkcs12PasswordSecretName;
  if (!name) return { findings: [], examined: [] };
  const secret = `secretsmanager:${name}`;
  try {
    return { value: await ctx.pkcs12Password(source), findings: [], examined: [secret] };
  } catch (cause) {
    const detail = `the PKCS#12 password secret ${name} cannot be read (${describe(cause)}); PKCS#12 files under ${ctx.store.uri(source.prefix)} cannot be opened until it can`;
    return { findings: [unreadableFinding(secret, "bad-password", detail)], examined: [secret] };
  }
}

async function peerFromStore(fqdn: string, key: string, ctx: StoreScanContext): Promise<PeerInput> {
  const file = ctx.store.uri(key);
  const loaded = await ctx.store.load(key, { maxBytes: ctx.certificates.thresholds.maxObjectBytes });
  if (!loaded.ok) return { fqdn, certificates: { unreadable: loaded.reason, detail: loaded.detail } };
  const read = await readCertificates(loaded.bytes, file);
  if (read.status === "ok") return { fqdn, certificates: read.certificates };
  if (read.status === "unreadable")
    return { fqdn, certificates: { unreadable: read.reason, detail: read.detail } };
  return { fqdn, certificates: { unreadable: "unsupported-format", detail: `${file} holds no certificate` } };
}

async function peerFromEndpoint(fqdn: string, endpoint: string, ctx: StoreScanContext): Promise<PeerInput> {
  const presented = await ctx.fetchEndpoint(endpoint);
  if (!presented.ok)
    return { fqdn, certificates: { unreadable: presented.reason, detail: presented.detail } };
  try {
    return {
      fqdn,
      certificates: presented.certificates.map((der, index) =>
        parseCertificate(der, `tls://${endpoint}`, index),
      ),
    };
  } catch (cause) {
    return {
      fqdn,
      certificates: { unreadable: "bad-der", detail: `${endpoint} presented ${describe(cause)}` },
    };
  }
}

/** No expected names means no hostname check, not "must match nothing". */
function nonEmpty(names: string[]): string[] | undefined {
  return names.length > 0 ? names : undefined;
}

function policyFor(ctx: StoreScanContext, anchors: ParsedCertificate[] | undefined): EvaluationPolicy {
  const { warnDays, majorDays, skewSeconds } = ctx.certificates.thresholds;
  return { now: ctx.now, warnDays, majorDays, skewSeconds, trustAnchors: anchors };
}

function describe(cause: unknown): string {
  if (cause instanceof Error)
    return cause.name === "Error" ? cause.message : `${cause.name}: ${cause.message}`;
  return String(cause);
}
