/**
 * Every peer of a cluster must present a valid certificate that names it and chains to the group's
 * CA. A peer with both a stored certificate and a live endpoint is checked both ways: the live
 * check is reported as the group `<name>@live`, so the two never overwrite each other.
 */
import type { PeerGroup } from "../../config";
import type { Finding } from "../../contracts";
import { describeCause } from "../../errors";
import { type ParsedCertificate, parseCertificate } from "../certificate";
import { evaluatePeerGroup, type PeerInput } from "../peer-group";
import type { StoreScanContext } from "../ports";
import { readCertificates } from "../reader";
import { countOf, policyFor, type StoreCheck } from "./judge-objects";
import { peerGroupScope } from "./scopes";
import { loadTrustBundle, trustBundleFindings } from "./trust-material";

export async function checkPeerGroup(group: PeerGroup, ctx: StoreScanContext): Promise<StoreCheck> {
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
  const ca = trust.anchors ?? [];
  const findings: Finding[] = [...trust.findings, ...trustBundleFindings(trust, new Map(), ctx)];
  if (stored.length > 0)
    findings.push(...evaluatePeerGroup({ name: group.name, ca, peers: stored }, policy).findings);
  if (live.length > 0)
    findings.push(...evaluatePeerGroup({ name: `${group.name}@live`, ca, peers: live }, policy).findings);
  return {
    run: {
      scope: peerGroupScope(group),
      complete: true,
      examinedSources: [],
      findings,
      parameters: { PeerGroup: group.name, Bucket: ctx.store.bucket },
      now: ctx.now,
    },
    certificates: countOf(certificates),
    objects: { downloaded: stored.length, reused: 0 },
  };
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
      presented: true,
    };
  } catch (cause) {
    return {
      fqdn,
      certificates: { unreadable: "bad-der", detail: `${endpoint} presented ${describeCause(cause)}` },
    };
  }
}
