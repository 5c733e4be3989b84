/**
 * A peer group: every peer must present a valid certificate that names it and that every other
 * peer accepts against its own trust store, for the roles peers play (certificates/peer-group.ts).
 * A peer with both a stored certificate and a live endpoint is checked both ways: the live side's
 * sources are `peer-group:<name>@live/<fqdn>`, so the two never overwrite each other; messages name
 * the group as configured. The live side reports a refusal only when the stored side has not
 * already reported the same pair refusing the same certificate.
 */

import { type ParsedCertificate, parseCertificate } from "../certificates/certificate";
import { storedLeaf } from "../certificates/checks/end-certificates";
import {
  evaluatePeerGroup,
  type PeerGroupResult,
  type PeerInput,
  peerSource,
} from "../certificates/peer-group";
import { readCertificates } from "../certificates/reader";
import type { PeerGroup } from "../config";
import { CERTIFICATE_CHECKS, type CheckName, type Finding } from "../contracts";
import { compareServedWithStored } from "../endpoints/served-vs-stored";
import { describeCause } from "../errors";
import { countOf, policyFor, type StoreCheck } from "./judge-objects";
import { loadGroupTrust } from "./peer-trust";
import type { StoreScanContext } from "./ports";
import { peerGroupScope } from "./scopes";

export async function checkPeerGroup(group: PeerGroup, ctx: StoreScanContext): Promise<StoreCheck> {
  const trust = await loadGroupTrust(group, ctx);
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
          { fqdn: peer.fqdn, endpoint: peer.endpoint, key: peer.certificateKey },
          storedInput,
          input,
          ctx.store.uri(peer.certificateKey),
        );
        if (compared === undefined) allCompared = false;
        else comparisons.push(...compared);
      }
    }
  }
  const sides: PeerGroupResult[] = [];
  const common = { group: group.name, roles: group.roles, trust: trust.entries };
  const storedSide =
    stored.length > 0
      ? evaluatePeerGroup({ ...common, name: group.name, side: "stored", peers: stored }, policy)
      : undefined;
  if (storedSide) sides.push(storedSide);
  if (live.length > 0)
    sides.push(
      evaluatePeerGroup(
        {
          ...common,
          name: `${group.name}@live`,
          side: "live",
          peers: live,
          ...(storedSide ? { reported: storedSide.matrix } : {}),
        },
        policy,
      ),
    );

  // What could not be judged keeps its alarms: a comparison without both certificates, a pair
  // without the certificate or the trust store, a lone peer's chain without its trust store.
  const lone = group.peers.length === 1 && !trust.entries[0]?.trust.anchors;
  const skipped = new Set<CheckName>([
    ...(allCompared ? [] : (["served-mismatch"] as const)),
    ...(sides.some((side) => side.matrix.some((v) => v.verdict === "unknown"))
      ? (["peer-refused"] as const)
      : []),
    ...(lone ? (["untrusted-chain"] as const) : []),
  ]);
  return {
    run: {
      scope: peerGroupScope(group),
      complete: true,
      examinedSources: [],
      ...(skipped.size > 0 ? { examinedChecks: CERTIFICATE_CHECKS.filter((c) => !skipped.has(c)) } : {}),
      findings: [...trust.findings, ...comparisons, ...sides.flatMap((side) => side.findings)],
      parameters: { PeerGroup: group.name, Bucket: ctx.store.bucket },
      now: ctx.now,
    },
    certificates: countOf(certificates),
    objects: { downloaded: stored.length, reused: 0 },
    peerGroups: sides.map((side) => side.report),
  };
}

async function peerFromStore(fqdn: string, key: string, ctx: StoreScanContext): Promise<PeerInput> {
  const file = ctx.store.uri(key);
  const located = { parameters: { HostName: fqdn, Key: key }, where: `its certificate ${file}` };
  const loaded = await ctx.store.load(key, { maxBytes: ctx.certificates.thresholds.maxObjectBytes });
  if (!loaded.ok)
    return { fqdn, certificates: { unreadable: loaded.reason, detail: loaded.detail }, ...located };
  const read = await readCertificates(loaded.bytes, file);
  if (read.status === "ok") return { fqdn, certificates: read.certificates, ...located };
  if (read.status === "unreadable")
    return { fqdn, certificates: { unreadable: read.reason, detail: read.detail }, ...located };
  return {
    fqdn,
    certificates: { unreadable: "unsupported-format", detail: `${file} holds no certificate` },
    ...located,
  };
}

/** The chain the peer presents, asked for by its FQDN (SNI) as the other peers ask for it. */
async function peerFromEndpoint(fqdn: string, endpoint: string, ctx: StoreScanContext): Promise<PeerInput> {
  const located = {
    parameters: { HostName: fqdn, Endpoint: endpoint },
    where: `the certificate it serves at ${endpoint}`,
  };
  const presented = await ctx.fetchEndpoint(endpoint, { servername: fqdn });
  if (!presented.ok)
    return { fqdn, certificates: { unreadable: presented.reason, detail: presented.detail }, ...located };
  try {
    return {
      fqdn,
      certificates: presented.certificates.map((der, index) =>
        parseCertificate(der, `tls://${endpoint}`, index),
      ),
      presented: true,
      ...located,
    };
  } catch (cause) {
    return {
      fqdn,
      certificates: { unreadable: "bad-der", detail: `${endpoint} presented ${describeCause(cause)}` },
      ...located,
    };
  }
}

/**
 * A peer with both a stored certificate and a live endpoint: is the leaf it serves the stored one?
 * Undefined when either side could not be read (nothing was compared).
 */
function servedVersusStored(
  group: string,
  peer: { fqdn: string; endpoint: string; key: string },
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
  return [
    {
      ...finding,
      details: { ...finding.details, peer: peer.fqdn, group, endpoint: peer.endpoint },
      parameters: { HostName: peer.fqdn, Key: peer.key, Endpoint: peer.endpoint },
    },
  ];
}
