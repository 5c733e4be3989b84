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
import { unreadableFinding } from "../certificates/evaluate";
import type { StoreScanContext } from "../certificates/ports";
import {
  loadTrustBundle,
  type TrustBundle,
  trustBundleFindings,
} from "../certificates/store-scan/trust-material";
import type { EndpointTarget } from "../config";
import { CERTIFICATE_CHECKS, type CheckName } from "../contracts";
import { canonicalEndpoint, parseEndpointAddress } from "./address";
import { judgePresentedChain } from "./judge";
import type { TlsDetails } from "./probe";

export interface EndpointScanContext extends StoreScanContext {
  /** Trust anchors when an endpoint names no CA bundle: the public roots Node.js ships. */
  publicRoots: () => Promise<ParsedCertificate[]>;
}

export interface EndpointCheck {
  run: CheckRun;
  certificates: ParsedCertificate[];
  reached: boolean;
  tls?: TlsDetails;
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
    Endpoint: name,
    HostName: target.servername ?? host,
    ...(target.serviceName ? { ServiceName: target.serviceName } : {}),
    ...(target.caBundleKey || target.storedCertificateKey ? { Bucket: ctx.store.bucket } : {}),
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
  const judged = judgePresentedChain(source, presented.certificates, {
    now: ctx.now,
    warnDays,
    majorDays,
    skewSeconds,
    expectedHosts: expectedNamesOf(target),
    ...(trust.anchors ? { trustAnchors: trust.anchors } : {}),
    purpose: target.purpose ?? "server",
  });
  // A CA bundle that could not be read judged no chain: the chain alarms of the last good read stand.
  const examinedChecks: CheckName[] | undefined = trust.anchors
    ? undefined
    : CERTIFICATE_CHECKS.filter((check) => check !== "untrusted-chain");
  return {
    run: {
      scope: endpointScope(target),
      complete: true,
      examinedSources: [source],
      ...(examinedChecks ? { examinedChecks } : {}),
      findings: [
        ...judged.findings.map((f) => ({ ...f, details: { ...f.details, endpoint: name } })),
        ...trustFindings,
      ],
      parameters,
      now: ctx.now,
    },
    certificates: judged.certificates,
    reached: true,
    ...(presented.tls ? { tls: presented.tls } : {}),
  };
}
