/**
 * Peer groups: up to six cluster peers, each of which must present a certificate that is valid
 * now, names the peer's FQDN (CN or SAN) and chains to the group's CA. Each peer gets a status
 * line as the cluster shows it: "Certificate: Valid" or "Certificate: Invalid (<first reason>)".
 *
 * Finding sources are `peer-group:<group>/<fqdn>` for the peer as a whole (cannot be read, no
 * end-entity certificate) and `peer-group:<group>/<fqdn>#<n>` for its n-th certificate: the
 * `<file>` / `<file>#<index>` convention with the peer in place of the file. They stay stable when
 * the peer's certificate file moves or is replaced, and never collide with a plain scan of the
 * same file, whose alarms (without hostname or CA expectations) must not clear the peer's. The
 * certificate's own source is kept in `details.certificate`.
 */

import { ENDPOINT_FAILURES, type Finding, type UnreadableReason } from "../contracts";
import type { ParsedCertificate } from "./certificate";
import { endCertificates } from "./checks/end-certificates";
import { compareFindings, makeFinding } from "./checks/finding";
import { type EvaluationPolicy, evaluateCertificates, unreadableFinding } from "./evaluate";

export const MAX_PEERS = 6;

export interface PeerInput {
  fqdn: string;
  certificates: ParsedCertificate[] | { unreadable: UnreadableReason; detail: string };
  /** The chain a live endpoint presented: its first certificate is the peer's own. */
  presented?: boolean;
}

export interface PeerGroupInput {
  name: string;
  ca: ParsedCertificate[];
  peers: PeerInput[];
}

export interface PeerStatus {
  fqdn: string;
  valid: boolean;
  /** "Certificate: Valid" or "Certificate: Invalid (<first reason>)". */
  status: string;
  findings: Finding[];
}

export type PeerPolicy = Omit<EvaluationPolicy, "expectedHosts" | "trustAnchors">;

/** Why a peer is invalid, most fundamental first; the first that applies names the status. */
const INVALID_REASONS = [
  "certificate file cannot be read",
  "certificate cannot be fetched from the peer",
  "no server certificate found",
  "certificate has expired",
  "certificate is not yet valid",
  "Common Name in certificate does not match",
  "certificate does not chain to the cluster CA",
  "certificate is refused by TLS clients",
] as const;
type InvalidReason = (typeof INVALID_REASONS)[number];

export function evaluatePeerGroup(
  group: PeerGroupInput,
  policy: PeerPolicy,
): { peers: PeerStatus[]; findings: Finding[] } {
  assertGroup(group);
  const peers = group.peers.map((peer) => evaluatePeer(group, peer, policy));
  return { peers, findings: peers.flatMap((peer) => peer.findings).sort(compareFindings) };
}

export function peerSource(group: string, fqdn: string): string {
  return `peer-group:${group}/${fqdn}`;
}

function evaluatePeer(group: PeerGroupInput, peer: PeerInput, policy: PeerPolicy): PeerStatus {
  const source = peerSource(group.name, peer.fqdn);
  const prefix = `Peer ${peer.fqdn} of group ${group.name}: `;
  const material = peer.certificates;

  if (!Array.isArray(material) || material.length === 0) {
    const { unreadable, detail } = Array.isArray(material)
      ? { unreadable: "empty" as const, detail: "the peer presented no certificate" }
      : material;
    const finding = unreadableFinding(source, unreadable, detail);
    const reason = (ENDPOINT_FAILURES as readonly string[]).includes(unreadable)
      ? "certificate cannot be fetched from the peer"
      : "certificate file cannot be read";
    const details = { ...finding.details, peer: peer.fqdn, group: group.name };
    return status(peer.fqdn, [reason], [{ ...finding, message: prefix + finding.message, details }]);
  }

  const positions = new Map<string, number>();
  material.forEach((cert, position) => {
    if (!positions.has(cert.source)) positions.set(cert.source, position);
  });
  const ends = new Set(endCertificates(material, peer.presented ?? false));
  const endEntityPositions = new Set(
    material.flatMap((cert, position) => (ends.has(cert) ? [position] : [])),
  );
  const evaluated = evaluateCertificates(material, {
    ...policy,
    expectedHosts: [peer.fqdn],
    trustAnchors: group.ca,
    ...(peer.presented ? { presentedChain: true } : {}),
  });

  const reasons: InvalidReason[] = [];
  const findings: Finding[] = [];
  if (endEntityPositions.size === 0) {
    reasons.push("no server certificate found");
    findings.push(noServerCertificate(source, prefix, peer.fqdn, group.name, material));
  }
  for (const finding of evaluated) {
    const position = positions.get(finding.source);
    if (position !== undefined && endEntityPositions.has(position)) {
      const reason = invalidReason(finding);
      if (reason) reasons.push(reason);
    }
    findings.push({
      ...finding,
      source: position === undefined ? source : `${source}#${position}`,
      message: prefix + finding.message,
      details: { ...finding.details, certificate: finding.source, peer: peer.fqdn, group: group.name },
    });
  }
  return status(peer.fqdn, reasons, findings.sort(compareFindings));
}

function invalidReason(finding: Finding): InvalidReason | undefined {
  switch (finding.check) {
    case "expired":
      return "certificate has expired";
    case "not-yet-valid":
      return "certificate is not yet valid";
    case "hostname-mismatch":
      // A name found only in the common name still works for the OpenSSL- and Java-based clients.
      return finding.severity === "major" ? "Common Name in certificate does not match" : undefined;
    case "untrusted-chain":
      // Minor and warning findings name rules only some clients enforce, or a chain that will die
      // early: the certificate still works for the peers today.
      if (finding.severity !== "major" && finding.severity !== "critical") return undefined;
      return finding.details?.linkIndex === 0 && !CHAIN_REASONS.has(String(finding.details?.reason))
        ? "certificate is refused by TLS clients"
        : "certificate does not chain to the cluster CA";
    default:
      return undefined;
  }
}

/** Verdicts about the path to the CA, as opposed to the peer's certificate itself (path/validate.ts). */
const CHAIN_REASONS = new Set(["no-issuer", "self-signed-untrusted", "bad-signature", "chain-too-complex"]);

function status(fqdn: string, reasons: InvalidReason[], findings: Finding[]): PeerStatus {
  const first = INVALID_REASONS.find((reason) => reasons.includes(reason));
  return {
    fqdn,
    valid: first === undefined,
    status: first === undefined ? "Certificate: Valid" : `Certificate: Invalid (${first})`,
    findings,
  };
}

function noServerCertificate(
  source: string,
  prefix: string,
  fqdn: string,
  group: string,
  material: ParsedCertificate[],
) {
  return makeFinding(
    "hostname-mismatch",
    source,
    `${prefix}only CA certificates were found (${material.map((cert) => `"${cert.subject}"`).join(", ")}), ` +
      `so no certificate names ${fqdn}. Install the peer's own certificate.`,
    {
      reason: "no-end-entity",
      expected: [fqdn],
      subjects: material.map((cert) => cert.subject),
      peer: fqdn,
      group,
    },
  );
}

function assertGroup(group: PeerGroupInput): void {
  if (group.peers.length > MAX_PEERS) {
    throw new Error(
      `peer group "${group.name}" lists ${group.peers.length} peers; at most ${MAX_PEERS} are supported. ` +
        "Check the configuration, or split the peers into several groups.",
    );
  }
  const seen = new Set<string>();
  for (const { fqdn } of group.peers) {
    const key = fqdn.toLowerCase();
    if (seen.has(key))
      throw new Error(`peer group "${group.name}" lists peer ${fqdn} twice; check the configuration.`);
    seen.add(key);
  }
}
