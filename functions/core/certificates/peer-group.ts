/**
 * Peer groups: up to six cluster peers, each of which must present a certificate that is valid
 * now, names the peer's FQDN (CN or SAN), and that every other peer accepts: it chains to a CA the
 * other peer's own trust store holds and is allowed for the roles peers play towards each other
 * (peer-matrix.ts). Each peer gets a status line as the cluster shows it: "Certificate: Valid" or
 * "Certificate: Invalid (<first reason>)", and the group a matrix of who accepts whom.
 *
 * Finding sources are `peer-group:<group>/<fqdn>` for the peer as a whole (cannot be read, no
 * end-entity certificate, refused by other peers) and `peer-group:<group>/<fqdn>#<n>` for its n-th
 * certificate: the `<file>` / `<file>#<index>` convention with the peer in place of the file. They
 * stay stable when the peer's certificate file moves or is replaced, and never collide with a plain
 * scan of the same file, whose alarms (without hostname or CA expectations) must not clear the
 * peer's. The certificate's own source is kept in `details.certificate`.
 */

import {
  ENDPOINT_FAILURES,
  type Finding,
  type PeerGroupReport,
  PeerRole,
  type UnreadableReason,
} from "../contracts";
import type { ParsedCertificate } from "./certificate";
import { chainFindingsOf } from "./checks/chain";
import { endCertificates } from "./checks/end-certificates";
import { compareFindings, makeFinding } from "./checks/finding";
import { type EvaluationPolicy, evaluateCertificates, unreadableFinding } from "./evaluate";
import {
  judgePairs,
  NOT_TRUSTED_REASONS,
  type PairVerdict,
  type PeerTrust,
  PURPOSE_OF_ROLE,
  PURPOSE_REASONS,
  refusalClause,
  refusalFinding,
  samePeer,
} from "./peer-matrix";

export type { PairVerdict, PeerTrust } from "./peer-matrix";

export const MAX_PEERS = 6;
export const DEFAULT_PEER_ROLES: readonly PeerRole[] = PeerRole.options;

export interface PeerInput {
  fqdn: string;
  certificates: ParsedCertificate[] | { unreadable: UnreadableReason; detail: string };
  /** The chain a live endpoint presented: its first certificate is the peer's own. */
  presented?: boolean;
  /** Where the certificate is, as alarm parameters: HostName, Key (stored), Endpoint (live). */
  parameters?: Record<string, string>;
  /** Where the certificate is, in words: "its certificate s3://bucket/peers/node1.pem". */
  where?: string;
}

export interface PeerGroupInput {
  /** Names the findings' sources, `peer-group:<name>/<fqdn>`. */
  name: string;
  /** The group as configured, said in messages (default: `name`). */
  group?: string;
  /** Which certificates these are: the stored files, or the chains the endpoints presented. */
  side?: "stored" | "live";
  /** The TLS roles peers play towards each other (default: both). */
  roles?: readonly PeerRole[];
  /** What every peer of the group trusts, those without a certificate on this side included. */
  trust: readonly { fqdn: string; trust: PeerTrust }[];
  /** The peers with a certificate on this side. */
  peers: PeerInput[];
  /**
   * Pairs another side already reported about the same certificate (the stored side, for the
   * live one): a peer serving exactly what is stored is refused once, by the stored side's alarm.
   */
  reported?: readonly PairVerdict[];
}

export interface PeerStatus {
  fqdn: string;
  valid: boolean;
  /** "Certificate: Valid" or "Certificate: Invalid (<first reason>)". */
  status: string;
  findings: Finding[];
}

export interface PeerGroupResult {
  peers: PeerStatus[];
  findings: Finding[];
  /** Every ordered pair of peers, for each role. */
  matrix: PairVerdict[];
  report: PeerGroupReport;
}

export type PeerPolicy = Omit<EvaluationPolicy, "expectedHosts" | "trustAnchors" | "presentedChain">;

/** Why a peer is invalid, most fundamental first; the first that applies names the status. */
const INVALID_REASONS = [
  "certificate file cannot be read",
  "certificate cannot be fetched from the peer",
  "no server certificate found",
  "certificate has expired",
  "certificate is not yet valid",
  "Common Name in certificate does not match",
  "certificate does not chain to the cluster CA",
  "certificate does not chain to a CA every peer trusts",
  "certificate is not allowed for TLS client authentication",
  "certificate is not allowed for TLS server authentication",
  "certificate is refused by TLS clients",
] as const;
type InvalidReason = (typeof INVALID_REASONS)[number];

export function evaluatePeerGroup(group: PeerGroupInput, policy: PeerPolicy): PeerGroupResult {
  assertGroup(group);
  const roles = group.roles ?? DEFAULT_PEER_ROLES;
  const trustOf = (fqdn: string) => group.trust.find((entry) => samePeer(entry.fqdn, fqdn))?.trust;
  const matrix = judgePairs(
    group.peers.map((peer) => ({
      fqdn: peer.fqdn,
      ...(Array.isArray(peer.certificates) && peer.certificates.length > 0
        ? { certificates: peer.certificates }
        : {}),
      ...(peer.presented ? { presented: true } : {}),
    })),
    group.trust,
    roles,
    policy,
  );
  const peers = group.peers.map((peer) =>
    evaluatePeer(group, peer, policy, {
      roles,
      trustOf,
      verdicts: matrix.filter((v) => v.presenter === peer.fqdn),
      others: group.trust.filter((entry) => !samePeer(entry.fqdn, peer.fqdn)).length,
    }),
  );
  return {
    peers,
    findings: peers.flatMap((peer) => peer.findings).sort(compareFindings),
    matrix,
    report: reportOf(group, roles, peers, matrix, trustOf),
  };
}

export function peerSource(group: string, fqdn: string): string {
  return `peer-group:${group}/${fqdn}`;
}

interface PeerContext {
  roles: readonly PeerRole[];
  trustOf: (fqdn: string) => PeerTrust | undefined;
  /** The pairs in which this peer presents. */
  verdicts: PairVerdict[];
  /** How many other peers the group has. */
  others: number;
}

function evaluatePeer(
  group: PeerGroupInput,
  peer: PeerInput,
  policy: PeerPolicy,
  context: PeerContext,
): PeerStatus {
  const source = peerSource(group.name, peer.fqdn);
  const shownGroup = group.group ?? group.name;
  const prefix =
    group.side === "live"
      ? `Peer ${peer.fqdn} of group ${shownGroup}, as it serves: `
      : `Peer ${peer.fqdn} of group ${shownGroup}: `;
  const material = peer.certificates;
  const located = (finding: Finding, details: Record<string, unknown>): Finding => ({
    ...finding,
    details: { ...finding.details, ...details, peer: peer.fqdn, group: shownGroup },
    ...(peer.parameters ? { parameters: { ...peer.parameters, ...finding.parameters } } : {}),
  });

  if (!Array.isArray(material) || material.length === 0) {
    const { unreadable, detail } = Array.isArray(material)
      ? { unreadable: "empty" as const, detail: "the peer presented no certificate" }
      : material;
    const finding = unreadableFinding(source, unreadable, detail);
    const reason = (ENDPOINT_FAILURES as readonly string[]).includes(unreadable)
      ? "certificate cannot be fetched from the peer"
      : "certificate file cannot be read";
    return status(peer.fqdn, [reason], [located({ ...finding, message: prefix + finding.message }, {})]);
  }

  const positions = new Map<string, number>();
  material.forEach((cert, position) => {
    if (!positions.has(cert.source)) positions.set(cert.source, position);
  });
  const ends = new Set(endCertificates(material, peer.presented ?? false));
  const endEntityPositions = new Set(
    material.flatMap((cert, position) => (ends.has(cert) ? [position] : [])),
  );
  // A group of one has no other peer to judge it: its chain is checked against its own trust store.
  const alone = context.others === 0;
  const ownAnchors = alone ? context.trustOf(peer.fqdn)?.anchors : undefined;
  const evaluated = [
    ...evaluateCertificates(material, {
      ...policy,
      expectedHosts: [peer.fqdn],
      ...(ownAnchors ? { trustAnchors: ownAnchors, purpose: PURPOSE_OF_ROLE[context.roles[0]!] } : {}),
      ...(peer.presented ? { presentedChain: true } : {}),
    }),
    ...(alone ? [] : acceptedChainAdvice(context.verdicts)),
  ];

  const reasons: InvalidReason[] = [];
  const findings: Finding[] = [];
  if (endEntityPositions.size === 0) {
    reasons.push("no server certificate found");
    findings.push(located(noServerCertificate(source, prefix, peer.fqdn, material), {}));
  }
  for (const finding of evaluated) {
    const position = positions.get(finding.source);
    if (position !== undefined && endEntityPositions.has(position)) {
      const reason = invalidReason(finding);
      if (reason) reasons.push(reason);
    }
    findings.push(
      located(
        {
          ...finding,
          source: position === undefined ? source : `${source}#${position}`,
          message: prefix + finding.message,
        },
        { certificate: finding.source },
      ),
    );
  }
  reasons.push(...refusalReasons(context));
  const refused = refusalFinding(peer.fqdn, unreported(context.verdicts, group.reported), {
    group: shownGroup,
    source,
    roles: context.roles,
    trustOf: context.trustOf,
    where:
      peer.where ??
      (group.side === "live" ? "the certificate it serves" : `its certificate ${material[0]!.file}`),
    ...(peer.parameters ? { parameters: peer.parameters } : {}),
    details: { peer: peer.fqdn, group: shownGroup },
  });
  if (refused) findings.push(refused);
  return status(peer.fqdn, reasons, findings.sort(compareFindings));
}

/**
 * The chain findings below a refusal (some clients refuse it, a CA expires before the
 * certificate) of the first peer that accepts it: they are about the certificate and its issuers,
 * the same whichever peer judges it. Refusals are the `peer-refused` finding's.
 */
function acceptedChainAdvice(verdicts: readonly PairVerdict[]): Finding[] {
  const accepted = verdicts.find((v) => v.verdict === "accepted" && v.target && v.result);
  if (!accepted?.target || !accepted.result) return [];
  return chainFindingsOf([{ target: accepted.target, result: accepted.result }], 1, {
    purpose: PURPOSE_OF_ROLE[accepted.role],
  });
}

/** What the other peers' refusals make of this peer's status. */
function refusalReasons(context: PeerContext): InvalidReason[] {
  const refusals = context.verdicts.filter((v) => v.verdict === "refused" && v.worst);
  const reasons: InvalidReason[] = [];
  const notTrusted = new Set(
    refusals.filter((v) => NOT_TRUSTED_REASONS.has(v.worst!.reason)).map((v) => v.truster.toLowerCase()),
  );
  if (notTrusted.size > 0)
    reasons.push(
      notTrusted.size === context.others
        ? "certificate does not chain to the cluster CA"
        : "certificate does not chain to a CA every peer trusts",
    );
  for (const v of refusals) {
    const reason = v.worst!.reason;
    if (NOT_TRUSTED_REASONS.has(reason)) continue;
    if (PURPOSE_REASONS.has(reason))
      reasons.push(
        v.role === "client"
          ? "certificate is not allowed for TLS client authentication"
          : "certificate is not allowed for TLS server authentication",
      );
    else reasons.push("certificate is refused by TLS clients");
  }
  return reasons;
}

/** The refusals another side has not already reported about the very same certificate. */
function unreported(
  verdicts: readonly PairVerdict[],
  reported: readonly PairVerdict[] | undefined,
): PairVerdict[] {
  if (!reported) return [...verdicts];
  return verdicts.filter(
    (v) =>
      !reported.some(
        (r) =>
          r.verdict === "refused" &&
          samePeer(r.presenter, v.presenter) &&
          samePeer(r.truster, v.truster) &&
          r.role === v.role &&
          r.target?.sha256 === v.target?.sha256 &&
          r.worst?.reason === v.worst?.reason,
      ),
  );
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
      return finding.details?.linkIndex === 0 && !NOT_TRUSTED_REASONS.has(String(finding.details?.reason))
        ? "certificate is refused by TLS clients"
        : "certificate does not chain to the cluster CA";
    default:
      return undefined;
  }
}

function status(fqdn: string, reasons: InvalidReason[], findings: Finding[]): PeerStatus {
  const first = INVALID_REASONS.find((reason) => reasons.includes(reason));
  return {
    fqdn,
    valid: first === undefined,
    status: first === undefined ? "Certificate: Valid" : `Certificate: Invalid (${first})`,
    findings,
  };
}

function noServerCertificate(source: string, prefix: string, fqdn: string, material: ParsedCertificate[]) {
  return makeFinding(
    "hostname-mismatch",
    source,
    `${prefix}only CA certificates were found (${material.map((cert) => `"${cert.subject}"`).join(", ")}), ` +
      `so no certificate names ${fqdn}. Install the peer's own certificate.`,
    {
      reason: "no-end-entity",
      expected: [fqdn],
      subjects: material.map((cert) => cert.subject),
    },
  );
}

/** The group as JSON and the CLI show it: status lines and who accepts whom. */
function reportOf(
  group: PeerGroupInput,
  roles: readonly PeerRole[],
  statuses: readonly PeerStatus[],
  matrix: readonly PairVerdict[],
  trustOf: (fqdn: string) => PeerTrust | undefined,
): PeerGroupReport {
  return {
    group: group.group ?? group.name,
    certificates: group.side ?? "stored",
    roles: [...roles],
    peers: group.trust.map(({ fqdn, trust }) => {
      const peer = statuses.find((s) => samePeer(s.fqdn, fqdn));
      return {
        fqdn,
        status: peer?.status ?? null,
        valid: peer?.valid ?? null,
        trustStore: trust.location === "" ? null : trust.location,
      };
    }),
    matrix: matrix.map((v) => ({
      presenter: v.presenter,
      truster: v.truster,
      role: v.role,
      verdict: v.verdict,
      ...(v.worst ? { reason: v.worst.reason, because: refusalClause(v, trustOf) } : {}),
    })),
  };
}

function assertGroup(group: PeerGroupInput): void {
  const listedPeers = group.trust.length > 0 ? group.trust : group.peers;
  if (listedPeers.length > MAX_PEERS || group.peers.length > MAX_PEERS) {
    throw new Error(
      `peer group "${group.group ?? group.name}" lists ${Math.max(listedPeers.length, group.peers.length)} peers; at most ${MAX_PEERS} are supported. ` +
        "Check the configuration, or split the peers into several groups.",
    );
  }
  for (const list of [group.peers, group.trust]) {
    const seen = new Set<string>();
    for (const { fqdn } of list) {
      const key = fqdn.toLowerCase();
      if (seen.has(key))
        throw new Error(
          `peer group "${group.group ?? group.name}" lists peer ${fqdn} twice; check the configuration.`,
        );
      seen.add(key);
    }
  }
}
