/**
 * One endpoint source, one check run: connect (after a STARTTLS exchange when configured), judge
 * the presented chain like a stored certificate, and settle the endpoint's alarms.
 *
 * Scope `endpoint:<host:port>`; the connection is the source `tls://<host:port>` and the n-th
 * presented certificate `tls://<host:port>#n`. A probe that cannot connect saw nothing: it raises
 * (or keeps) the connection finding and clears nothing, so an `expired` alarm from the last probe
 * that got through stands until a probe sees the renewed certificate. A probe that connects settles
 * everything, the connection finding included.
 */
import type { CheckRun } from "../alarms/lifecycle";
import type { ParsedCertificate } from "../certificates/certificate";
import { storedLeaf } from "../certificates/checks/end-certificates";
import { unreadableFinding } from "../certificates/evaluate";
import { readCertificates } from "../certificates/reader";
import type { EndpointTarget } from "../config";
import { CERTIFICATE_CHECKS, type CheckName, type Finding } from "../contracts";
import { canonicalEndpoint, parseEndpointAddress } from "../endpoints/address";
import { judgeEndpoint } from "../endpoints/judge";
import type { TlsDetails } from "../endpoints/probe";
import { compareServedWithStored } from "../endpoints/served-vs-stored";
import type { OcspReport } from "../endpoints/stapled-ocsp";
import type { StoreScanContext } from "./ports";
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

export async function checkEndpoint(
  target: EndpointTarget,
  ctx: EndpointScanContext,
): Promise<EndpointCheck> {
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
  const trust: TrustBundle = target.caBundleKey
    ? await loadTrustBundle(target.caBundleKey, ctx)
    : { anchors: await ctx.publicRoots(), findings: [], examined: [] };
  const trustFindings = [...trust.findings, ...trustBundleFindings(trust, new Map(), ctx)];

  const presented = await ctx.fetchEndpoint(name, {
    ...(target.servername ? { servername: target.servername } : {}),
    ...(target.starttls ? { starttls: target.starttls } : {}),
  });
  if (!presented.ok) {
    const finding = unreadableFinding(source, presented.reason, presented.detail);
    return {
      run: {
        scope: endpointScope(target),
        complete: false,
        examinedSources: [],
        findings: [{ ...finding, details: { ...finding.details, endpoint: name } }, ...trustFindings],
        parameters,
        now: ctx.now,
      },
      certificates: [],
      reached: false,
    };
  }

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
  const comparison = await servedVersusStored(
    target,
    judged.certificates.find((c) => c.index === 0),
    ctx,
  );
  // What was not judged keeps its alarms: the chain without a readable CA bundle, the comparison
  // without a readable stored copy, revocation without a verified staple.
  const skipped = new Set<CheckName>([
    ...(trust.anchors ? [] : (["untrusted-chain"] as const)),
    ...(comparison.compared ? [] : (["served-mismatch"] as const)),
    ...judged.unexamined,
  ]);
  const examinedChecks: CheckName[] | undefined =
    skipped.size > 0 ? CERTIFICATE_CHECKS.filter((check) => !skipped.has(check)) : undefined;
  return {
    run: {
      scope: endpointScope(target),
      complete: true,
      examinedSources: [source],
      ...(examinedChecks ? { examinedChecks } : {}),
      findings: [
        ...[...judged.findings, ...comparison.findings].map((f) => ({
          ...f,
          details: { ...f.details, endpoint: name },
        })),
        ...trustFindings,
      ],
      parameters,
      now: ctx.now,
    },
    certificates: judged.certificates,
    reached: true,
    ...(presented.tls ? { tls: { ...presented.tls, ocsp: judged.ocsp } } : {}),
  };
}

/**
 * The served leaf against the stored copy. `compared` is false when there is nothing to compare
 * with (no stored copy configured counts as compared: there is no such alarm to keep).
 */
async function servedVersusStored(
  target: EndpointTarget,
  served: ParsedCertificate | undefined,
  ctx: EndpointScanContext,
): Promise<{ compared: boolean; findings: Finding[] }> {
  const key = target.storedCertificateKey;
  if (!key) return { compared: true, findings: [] };
  if (!served) return { compared: false, findings: [] };
  const storedAt = ctx.store.uri(key);
  const loaded = await ctx.store.load(key, { maxBytes: ctx.certificates.thresholds.maxObjectBytes });
  if (!loaded.ok)
    return {
      compared: false,
      findings: [unreadableFinding(storedAt, loaded.reason, `stored copy: ${loaded.detail}`)],
    };
  const read = await readCertificates(loaded.bytes, storedAt);
  const leaf = read.status === "ok" ? storedLeaf(read.certificates) : undefined;
  if (!leaf) {
    const [reason, detail] =
      read.status === "unreadable"
        ? [read.reason, read.detail]
        : (["unsupported-format", "holds no certificate"] as const);
    return { compared: false, findings: [unreadableFinding(storedAt, reason, `stored copy: ${detail}`)] };
  }
  const finding = compareServedWithStored({
    source: served.source,
    service: `the service at ${endpointName(target)}`,
    served,
    stored: leaf,
    storedAt,
  });
  return { compared: true, findings: finding ? [finding] : [] };
}
