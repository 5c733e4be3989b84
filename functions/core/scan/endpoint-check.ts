/**
 * One endpoint source, one check run, through the scan pipeline as a scope adapter
 * (scope-adapter.ts): the item is the endpoint, its fetch a handshake (after a STARTTLS exchange
 * when configured) giving the chain it presents, judged like a stored certificate and settled.
 *
 * Scope `endpoint:<host:port>`; the connection is the source `tls://<host:port>` and the n-th
 * presented certificate `tls://<host:port>#n`. A probe that cannot connect saw nothing: it raises
 * (or keeps) the connection finding and clears nothing, so an `expired` alarm from the last probe
 * that got through stands until a probe sees the renewed certificate. A probe that connects settles
 * everything, the connection finding included.
 */
import type { CheckRun } from "../alarms/alarm-state";
import { type ParsedCertificate, parseCertificate } from "../certificates/certificate";
import { storedLeaf } from "../certificates/checks/end-certificates";
import { unreadableFinding } from "../certificates/evaluate";
import { readCertificates } from "../certificates/reader";
import type { EndpointTarget } from "../config";
import { CERTIFICATE_CHECKS, type CheckName, type Finding } from "../contracts";
import { canonicalEndpoint, parseEndpointAddress } from "../endpoints/address";
import { judgeEndpoint } from "../endpoints/judge";
import type { EndpointChain, TlsDetails } from "../endpoints/probe";
import { compareServedWithStored } from "../endpoints/served-vs-stored";
import type { OcspReport } from "../endpoints/stapled-ocsp";
import type { StoreScanContext } from "./ports";
import { checkScopeAdapter, type ItemJudgement, type ScopeAdapter } from "./scope-adapter";
import { loadTrustBundle, type TrustBundle, trustBundleFindings } from "./trust-material";

export interface EndpointScanContext extends StoreScanContext {
  /** Trust anchors when an endpoint names no CA bundle: the public roots Node.js ships. */
  publicRoots: () => Promise<ParsedCertificate[]>;
}

export interface EndpointCheck {
  run: CheckRun;
  certificates: ParsedCertificate[];
  reached: boolean;
  /** The handshake, and what its stapled OCSP response said. */
  tls?: TlsDetails & { ocsp: OcspReport };
}

export function endpointName(target: Pick<EndpointTarget, "endpoint">): string {
  const name = canonicalEndpoint(target.endpoint);
  if (!name) throw new Error(`"${target.endpoint}" is not host:port`);
  return name;
}

export function endpointScope(target: Pick<EndpointTarget, "endpoint">): string {
  return `endpoint:${endpointName(target)}`;
}

export function endpointSource(target: Pick<EndpointTarget, "endpoint">): string {
  return `tls://${endpointName(target)}`;
}

/** The names the presented certificate must cover: configured, else the SNI name, else the host. */
export function expectedNamesOf(target: EndpointTarget): string[] {
  if (target.expectedHostnames) return target.expectedHostnames;
  return [target.servername ?? parseEndpointAddress(target.endpoint)!.host];
}

/** What the pipeline fetches of an endpoint: the anchors it is judged with, what it presented, the stored copy. */
interface EndpointFetched {
  trust: TrustBundle;
  presented: EndpointChain;
  /**
   * The stored copy's leaf, or why there is none to compare with: fetched when one is configured
   * and the endpoint presented a leaf that parses; absent otherwise.
   */
  stored?: StoredCopy;
}

type StoredCopy = { at: string; leaf: ParsedCertificate } | { at: string; unreadable: Finding };

interface EndpointJudgement extends ItemJudgement {
  certificates: ParsedCertificate[];
  tls?: TlsDetails & { ocsp: OcspReport };
}

/**
 * One endpoint target as a scope adapter: its one item is the endpoint; its fetch a handshake
 * (after a STARTTLS exchange when configured) with the trust bundle it is judged against and the
 * stored copy it is compared with; its judgement endpoints/judge.ts's, plus the comparison.
 */
export function endpointAdapter(
  target: EndpointTarget,
  ctx: EndpointScanContext,
): ScopeAdapter<EndpointTarget, EndpointFetched, EndpointJudgement> {
  const name = endpointName(target);
  const source = endpointSource(target);
  const host = parseEndpointAddress(name)!.host;
  const parameters: Record<string, string> = {
    HostName: target.servername ?? host,
    // Declared parameters name the host and service as operators do; the names watchpost sets
    // itself (Endpoint, Bucket, Key) are refused in them by the schema.
    ...target.parameters,
    ...(target.serviceName ? { ServiceName: target.serviceName } : {}),
    Endpoint: name,
    ...(target.caBundleKey || target.storedCertificateKey ? { Bucket: ctx.store.bucket } : {}),
    ...(target.storedCertificateKey ? { Key: target.storedCertificateKey } : {}),
  };
  const withEndpoint = (finding: Finding): Finding => ({
    ...finding,
    details: { ...finding.details, endpoint: name },
  });
  return {
    scope: endpointScope(target),
    parameters,
    list: () => [target],
    uri: () => source,
    fetch: async () => {
      const trust: TrustBundle = target.caBundleKey
        ? await loadTrustBundle(target.caBundleKey, ctx)
        : { anchors: await ctx.publicRoots(), findings: [], examined: [] };
      const presented = await ctx.fetchEndpoint(name, {
        ...(target.servername ? { servername: target.servername } : {}),
        ...(target.starttls ? { starttls: target.starttls } : {}),
      });
      const key = target.storedCertificateKey;
      // The stored copy is compared with the served leaf: read only when there is one to compare.
      const stored =
        key && presented.ok && servesLeaf(presented.certificates, source)
          ? await storedCopy(key, ctx)
          : undefined;
      return { trust, presented, ...(stored ? { stored } : {}) };
    },
    judge: (_target, { trust, presented, stored }) => {
      const trustFindings = [...trust.findings, ...trustBundleFindings(trust, new Map(), ctx)];
      // A probe that cannot connect saw nothing: it raises (or keeps) the connection finding and
      // clears nothing.
      if (!presented.ok)
        return {
          examined: false,
          findings: [
            withEndpoint(unreadableFinding(source, presented.reason, presented.detail)),
            ...trustFindings,
          ],
          certificates: [],
        };
      const { warnDays, majorDays, skewSeconds } = ctx.certificates.thresholds;
      const judged = judgeEndpoint(source, presented, {
        now: ctx.now,
        warnDays,
        majorDays,
        skewSeconds,
        expectedHosts: expectedNamesOf(target),
        ...(trust.anchors ? { trustAnchors: trust.anchors } : {}),
        purpose: target.purpose ?? "server",
      });
      const comparison = servedVersusStored(
        target,
        judged.certificates.find((c) => c.index === 0),
        stored,
      );
      // What was not judged keeps its alarms: the chain without a readable CA bundle, the comparison
      // without a readable stored copy, revocation without a verified staple.
      const skipped = new Set<CheckName>([
        ...(trust.anchors ? [] : (["untrusted-chain"] as const)),
        ...(comparison.compared ? [] : (["served-mismatch"] as const)),
        ...judged.unexamined,
      ]);
      return {
        examined: true,
        ...(skipped.size > 0
          ? { examinedChecks: CERTIFICATE_CHECKS.filter((check) => !skipped.has(check)) }
          : {}),
        findings: [...[...judged.findings, ...comparison.findings].map(withEndpoint), ...trustFindings],
        certificates: judged.certificates,
        ...(presented.tls ? { tls: { ...presented.tls, ocsp: judged.ocsp } } : {}),
      };
    },
  };
}

/** One endpoint source, one check run: the endpoint through the pipeline (endpointAdapter). */
export async function checkEndpoint(
  target: EndpointTarget,
  ctx: EndpointScanContext,
): Promise<EndpointCheck> {
  const { run, items } = await checkScopeAdapter(endpointAdapter(target, ctx), ctx.now);
  const judged = items[0]?.judgement;
  return {
    run,
    certificates: judged?.certificates ?? [],
    reached: judged?.examined === true,
    ...(judged?.tls ? { tls: judged.tls } : {}),
  };
}

/** Whether the first certificate presented parses: the leaf judgeEndpoint judges and compares. */
function servesLeaf(presented: readonly Uint8Array[], source: string): boolean {
  const first = presented[0];
  if (!first) return false;
  try {
    parseCertificate(first, source, 0);
    return true;
  } catch {
    return false;
  }
}

/** The stored copy's leaf, read as any stored certificate, or the finding that says why it cannot be. */
async function storedCopy(key: string, ctx: EndpointScanContext): Promise<StoredCopy> {
  const at = ctx.store.uri(key);
  const loaded = await ctx.store.load(key, { maxBytes: ctx.certificates.thresholds.maxObjectBytes });
  if (!loaded.ok)
    return { at, unreadable: unreadableFinding(at, loaded.reason, `stored copy: ${loaded.detail}`) };
  const read = await readCertificates(loaded.bytes, at);
  const leaf = read.status === "ok" ? storedLeaf(read.certificates) : undefined;
  if (leaf) return { at, leaf };
  const [reason, detail] =
    read.status === "unreadable"
      ? [read.reason, read.detail]
      : (["unsupported-format", "holds no certificate"] as const);
  return { at, unreadable: unreadableFinding(at, reason, `stored copy: ${detail}`) };
}

/**
 * The served leaf against the stored copy. `compared` is false when there is nothing to compare
 * with (no stored copy configured counts as compared: there is no such alarm to keep).
 */
function servedVersusStored(
  target: EndpointTarget,
  served: ParsedCertificate | undefined,
  stored: StoredCopy | undefined,
): { compared: boolean; findings: Finding[] } {
  if (!target.storedCertificateKey) return { compared: true, findings: [] };
  if (!served || !stored) return { compared: false, findings: [] };
  if ("unreadable" in stored) return { compared: false, findings: [stored.unreadable] };
  const finding = compareServedWithStored({
    source: served.source,
    service: `the service at ${endpointName(target)}`,
    served,
    stored: stored.leaf,
    storedAt: stored.at,
  });
  return { compared: true, findings: finding ? [finding] : [] };
}
