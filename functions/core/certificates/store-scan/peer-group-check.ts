/**
 * Every peer of a cluster must present a valid certificate that names it and chains to the group's
 * CA. A peer with both a stored certificate and a live endpoint is checked both ways: the live
 * check is reported as the group `<name>@live`, so the two never overwrite each other.
 */
import type { PeerGroup } from "../../config";
import { CERTIFICATE_CHECKS, type Finding } from "../../contracts";
import { compareServedWithStored, storedLeaf } from "../../endpoints/served-vs-stored";
import { describeCause } from "../../errors";
import { type ParsedCertificate, parseCertificate } from "../certificate";
import { evaluatePeerGroup, type PeerInput, peerSource } from "../peer-group";
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

  const comparisons: Finding[] = [];
  let allCompared = true;
  for (const peer of group.peers) {
    let storedInput: PeerInput | undefined;
    if (peer.certificateKey) {
      storedInput = await peerFromStore(peer.fqdn, peer.certificateKey, ctx);
      stored.push(storedInput);
      if (Array.isArray(storedInput.certificates)) certificates.push(...storedInput.certificates);
    }
    if (peer.endpoint) {
      const input = await peerFromEndpoint(peer.fqdn, peer.endpoint, ctx);
      live.push(input);
      if (Array.isArray(input.certificates)) certificates.push(...input.certificates);
      if (storedInput && peer.certificateKey) {
        const compared = servedVersusStored(
          group.name,
          peer,
          storedInput,
          input,
          ctx.store.uri(peer.certificateKey),
        );
        if (compared === undefined) allCompared = false;
        else comparisons.push(...compared);
      }
    }
  }
  const ca = trust.anchors ?? [];
  const findings: Finding[] = [
    ...trust.findings,
    ...trustBundleFindings(trust, new Map(), ctx),
    ...comparisons,
  ];
  if (stored.length > 0)
    findings.push(...evaluatePeerGroup({ name: group.name, ca, peers: stored }, policy).findings);
  if (live.length > 0)
    findings.push(...evaluatePeerGroup({ name: `${group.name}@live`, ca, peers: live }, policy).findings);
  return {
    run: {
      scope: peerGroupScope(group),
      complete: true,
      examinedSources: [],
      // A peer whose stored or served certificate could not be read was not compared: keep those alarms.
      ...(allCompared ? {} : { examinedChecks: CERTIFICATE_CHECKS.filter((c) => c !== "served-mismatch") }),
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

/**
 * A peer with both a stored certificate and a live endpoint: is the leaf it serves the stored one?
 * Undefined when either side could not be read (nothing was compared).
 */
function servedVersusStored(
  group: string,
  peer: { fqdn: string; endpoint?: string },
  stored: PeerInput,
  live: PeerInput,
  storedAt: string,
): Finding[] | undefined {
  if (!Array.isArray(stored.certificates) || !Array.isArray(live.certificates)) return undefined;
  const storedCertificate = storedLeaf(stored.certificates);
  const served = live.certificates[0];
  if (!storedCertificate || !served) return undefined;
  const finding = compareServedWithStored({
    source: `${peerSource(`${group}@live`, peer.fqdn)}#0`,
    service: `peer ${peer.fqdn} of group ${group} (${peer.endpoint})`,
    served,
    stored: storedCertificate,
    storedAt,
  });
  if (!finding) return [];
  return [{ ...finding, details: { ...finding.details, peer: peer.fqdn, group, endpoint: peer.endpoint } }];
}
