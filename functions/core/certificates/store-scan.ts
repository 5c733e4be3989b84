/**
 * Certificate checks over a certificate store (the S3 bucket), as the scan Lambda runs them:
 * what one configured source, one changed object, or one peer group turns into — a CheckRun for
 * the alarm lifecycle. SDK-free: the store, secrets and live endpoints are ports.
 *
 * Scopes: a source is `s3://<bucket>/<prefix>`, a peer group `peer-group:<name>`. A run over a
 * whole source is complete unless the listing broke off; a re-check of one object is partial and
 * may clear only that object's alarms.
 */

import type { CheckRun } from "../alarms/lifecycle";
import {
  type CertificateSource,
  expectedHostnamesFor,
  type PeerGroup,
  type WatchpostConfig,
} from "../config";
import type { Finding, UnreadableReason } from "../contracts";
import { type ParsedCertificate, parseCertificate } from "./certificate";
import { type EvaluationPolicy, unreadableFinding } from "./evaluate";
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
  /** Fetches the chain a peer presents (functions/adapters/tls-endpoint.ts). */
  fetchEndpoint: (endpoint: string) => Promise<EndpointChain>;
}

export interface StoreCheck {
  run: CheckRun;
  certificates: ParsedCertificate[];
  /** Why the run is partial, when it is (listing broke off); never secrets. */
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
  const trust = await loadTrustBundle(source.caBundleKey, ctx);
  const policy = policyFor(ctx, trust.anchors);

  const inputs: ScanInput[] = [];
  let error: string | undefined;
  try {
    for await (const object of store.list([source.prefix])) {
      inputs.push(objectInput(source, object.key, ctx, { knownSize: object.size, etag: object.etag }));
    }
  } catch (cause) {
    // Judge what was listed, but clear nothing else: the rest of the prefix was not seen.
    error = `listing ${store.uri(source.prefix)} broke off: ${describe(cause)}`;
  }
  const password = await pkcs12PasswordOf(source, ctx);
  const result = await scanFiles(inputs, { policy, pkcs12Password: password.value });
  return {
    run: {
      scope: sourceScope(store, source),
      complete: error === undefined,
      examinedSources: [...inputs.map((i) => i.file), ...trust.examined, ...password.examined],
      findings: [...trust.findings, ...password.findings, ...result.findings],
      parameters: { Bucket: store.bucket, Prefix: source.prefix },
      now: ctx.now,
    },
    certificates: result.certificates,
    error,
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
  if (change === "deleted") return { run: { ...base, findings: [] }, certificates: [] };

  const trust = await loadTrustBundle(source.caBundleKey, ctx);
  const password = await pkcs12PasswordOf(source, ctx);
  const result = await scanFiles([objectInput(source, key, ctx, {})], {
    policy: policyFor(ctx, trust.anchors),
    pkcs12Password: password.value,
  });
  return {
    run: {
      ...base,
      examinedSources: [file, ...trust.examined, ...password.examined],
      findings: [...trust.findings, ...password.findings, ...result.findings],
    },
    certificates: result.certificates,
  };
}

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
    certificates,
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
