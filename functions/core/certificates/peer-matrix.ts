/**
 * A cluster's peers as they see each other. Every peer keeps its own trust store, and peers talk in
 * two TLS roles: as a server, a peer presents its certificate to the peer that connects to it; as a
 * client, it presents it to the peer it connects to (mutual TLS, as etcd, Kafka inter-broker and
 * ZooKeeper quorum traffic do). So for every ordered pair (A presents, B trusts) and every role the
 * group declares, the question is whether A's certificate validates against B's trust store for
 * that purpose: serverAuth when B connects to A, clientAuth when A connects to B (path/rules.ts).
 *
 * One `peer-refused` finding per refused certificate, listing every peer that refuses it and why,
 * rather than one per broken pair: a certificate re-issued from a server-only template is refused
 * by all five other peers of a group of six, which is one fault with one fix, and a certificate
 * renewed by a CA that one peer's trust store lacks is one alarm naming that peer. The refusing
 * peers' names, the CA and the trust store are in the message, so the fix — add the CA to those
 * trust stores, or re-issue the certificate — is readable from the one alarm. A fault in a single
 * trust store that refuses several renewed certificates raises one alarm per certificate: each
 * clears on its own when that certificate is accepted.
 */
import type { Finding, PeerRole } from "../contracts";
import type { ParsedCertificate } from "./certificate";
import { storedLeaf } from "./checks/end-certificates";
import { makeFinding } from "./checks/finding";
import { OIDS } from "./path/profile";
import type { Purpose } from "./path/rules";
import { PathContext, type PathResult, validatePath } from "./path/validate";
import { severityRank, type Violation } from "./path/violation";

/** The CAs a peer trusts, as read from its trust store. */
export interface PeerTrust {
  /** Where the trust store lives, e.g. `s3://bucket/trust/node2.jks` or a file path. */
  location: string;
  /** The peer's own trust store (true), or the group's CA bundle it falls back to (false). */
  own: boolean;
  /** The trust store's object key, when it is an object of the watched bucket. */
  key?: string;
  /** The trusted certificates; undefined when the trust store could not be read. */
  anchors?: ParsedCertificate[];
}

/** A peer's certificate as one side of the group has it: the stored file, or the chain its endpoint presented. */
export interface PresentedCertificate {
  fqdn: string;
  /** Undefined when it could not be read or fetched: every verdict on it is unknown. */
  certificates?: ParsedCertificate[];
  /** The chain an endpoint presented: its first certificate is the peer's own. */
  presented?: boolean;
}

export type PairOutcome = "accepted" | "refused" | "unknown";

export interface PairVerdict {
  presenter: string;
  truster: string;
  role: PeerRole;
  verdict: PairOutcome;
  /** The presenter's certificate that was judged, and the path search, when both sides were read. */
  target?: ParsedCertificate;
  result?: PathResult;
  /** The worst rule broken, for a refusal. */
  worst?: Violation;
}

export const PURPOSE_OF_ROLE: Record<PeerRole, Purpose> = { server: "server", client: "client" };

/** Reasons that say the path does not reach a CA the truster holds (path/validate.ts). */
export const NOT_TRUSTED_REASONS: ReadonlySet<string> = new Set([
  "no-issuer",
  "self-signed-untrusted",
  "bad-signature",
  "chain-too-complex",
]);

/** Reasons that say the certificate is not allowed for the role (path/rules.ts). */
export const PURPOSE_REASONS: ReadonlySet<string> = new Set(["extended-key-usage", "key-usage"]);

/** The certificate a peer presents: the first of a presented chain, else the file's end-entity certificate. */
export function peerCertificateOf(peer: PresentedCertificate): ParsedCertificate | undefined {
  if (!peer.certificates) return undefined;
  return peer.presented ? peer.certificates[0] : storedLeaf(peer.certificates);
}

export function samePeer(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Every ordered pair of distinct peers, for each role: `presenters` are the peers with a
 * certificate on this side, `trusters` every peer of the group with what it trusts. A refusal is a
 * path that clients in general use refuse (major or worse); minor and warning rules do not break
 * the pair.
 */
export function judgePairs(
  presenters: readonly PresentedCertificate[],
  trusters: readonly { fqdn: string; trust: PeerTrust }[],
  roles: readonly PeerRole[],
  options: { now: Date; skewSeconds: number },
): PairVerdict[] {
  const verdicts: PairVerdict[] = [];
  for (const presenter of presenters) {
    const target = peerCertificateOf(presenter);
    for (const { fqdn, trust } of trusters) {
      if (samePeer(fqdn, presenter.fqdn)) continue;
      const pair = { presenter: presenter.fqdn, truster: fqdn };
      if (!target || !presenter.certificates || !trust.anchors) {
        for (const role of roles) verdicts.push({ ...pair, role, verdict: "unknown" });
        continue;
      }
      // The candidate issuers are the presenter's chain and the truster's anchors, whatever the role.
      const context = new PathContext(presenter.certificates, trust.anchors);
      for (const role of roles) {
        const result = validatePath(
          target,
          presenter.certificates,
          trust.anchors,
          { now: options.now, skewSeconds: options.skewSeconds, purpose: PURPOSE_OF_ROLE[role] },
          "leaf",
          context,
        );
        const worst = result.violations[0];
        const refused = worst !== undefined && severityRank(worst.severity) >= severityRank("major");
        verdicts.push({
          ...pair,
          role,
          verdict: refused ? "refused" : "accepted",
          target,
          result,
          ...(refused ? { worst } : {}),
        });
      }
    }
  }
  return verdicts;
}

export interface RefusalContext {
  /** The group as configured, for the message. */
  group: string;
  /** Where the finding goes: the presenting peer, e.g. `peer-group:etcd/node1.example.com`. */
  source: string;
  /** The group's roles: a refusal in every one of them needs no role said. */
  roles: readonly PeerRole[];
  /** What each peer trusts, by FQDN. */
  trustOf: (fqdn: string) => PeerTrust | undefined;
  /** Where the refused certificate is, for the message: "its certificate s3://…/node1.pem". */
  where: string;
  /** The presenting peer's alarm parameters (HostName, Key, Endpoint). */
  parameters?: Record<string, string>;
  /** Details every finding of the group carries (peer, group). */
  details?: Record<string, unknown>;
}

/** One `peer-refused` finding for the presenter of `verdicts`, when any peer refuses its certificate. */
export function refusalFinding(
  presenter: string,
  verdicts: readonly PairVerdict[],
  context: RefusalContext,
): Finding | undefined {
  const refusals = verdicts.filter(
    (v): v is PairVerdict & { worst: Violation; target: ParsedCertificate } =>
      v.presenter === presenter && v.verdict === "refused" && v.worst !== undefined && v.target !== undefined,
  );
  if (refusals.length === 0) return undefined;
  const target = refusals[0]!.target;

  // Per refusing peer: the roles it refuses in, and why (the first role's reason speaks for both
  // when they agree, which they do unless the purpose differs).
  const byTruster = new Map<string, typeof refusals>();
  for (const refusal of refusals) {
    const list = byTruster.get(refusal.truster) ?? [];
    list.push(refusal);
    byTruster.set(refusal.truster, list);
  }
  interface Part {
    trusters: string[];
    roles: PeerRole[];
    clause: Clause;
  }
  const parts = new Map<string, Part>();
  for (const [truster, list] of byTruster) {
    // Different reasons per role (a purpose in one, a CA in both): say each.
    const byReason = new Map<string, { roles: PeerRole[]; refusal: (typeof refusals)[number] }>();
    for (const refusal of list) {
      const key = clauseOf(refusal, presenter).key;
      const entry = byReason.get(key) ?? { roles: [], refusal };
      entry.roles.push(refusal.role);
      byReason.set(key, entry);
    }
    for (const [key, { roles, refusal }] of byReason) {
      const partKey = `${roles.join(",")}\u0000${key}`;
      const part = parts.get(partKey) ?? { trusters: [], roles, clause: clauseOf(refusal, presenter) };
      part.trusters.push(truster);
      parts.set(partKey, part);
    }
  }

  const sentences: string[] = [];
  const fixes: string[] = [];
  for (const part of parts.values()) {
    const trusts = part.trusters.map((fqdn) => ({ fqdn, trust: context.trustOf(fqdn) }));
    const trustPhrase = describeTrusts(trusts);
    const rolePhrase = roleWords(part.roles, context.roles, presenter, part.trusters.length);
    sentences.push(
      `${listed(part.trusters)} will refuse ${presenter}'s certificate${rolePhrase}: ${part.clause.text(trustPhrase.text, trustPhrase.plural)}.`,
    );
    const fix = part.clause.fix(trustPhrase.text, listed(part.trusters));
    if (!fixes.includes(fix)) fixes.push(fix);
  }
  const refusedBy = [...byTruster.keys()];
  const refusingKeys = [
    ...new Set(refusedBy.map((fqdn) => context.trustOf(fqdn)?.key).filter((k) => k !== undefined)),
  ];
  const worst = refusals[0]!.worst;
  return {
    ...makeFinding(
      "peer-refused",
      context.source,
      `${sentences.join(" ")} ${fixes.join(" ")} (Peer group ${context.group}; ${context.where}.)`,
      {
        ...context.details,
        subject: target.subject,
        certificate: target.source,
        reason: worst.reason,
        refusedBy: [...byTruster].map(([fqdn, list]) => ({
          peer: fqdn,
          roles: list.map((v) => v.role),
          reasons: [...new Set(list.map((v) => v.worst.reason))],
          trustStore: context.trustOf(fqdn)?.location ?? null,
        })),
      },
    ),
    parameters: {
      ...context.parameters,
      RefusedBy: refusedBy.join(", "),
      ...(refusingKeys.length === 1 ? { TrustStoreKey: refusingKeys[0]! } : {}),
    },
  };
}

/** Why `truster` refuses, as a clause: "it chains to 'Ops CA 2', which node2's trust store (…) does not hold". */
export function refusalClause(
  verdict: PairVerdict,
  trustOf: (fqdn: string) => PeerTrust | undefined,
): string | undefined {
  if (verdict.verdict !== "refused" || !verdict.worst || !verdict.target) return undefined;
  const trust = describeTrusts([{ fqdn: verdict.truster, trust: trustOf(verdict.truster) }]);
  return clauseOf({ ...verdict, worst: verdict.worst, target: verdict.target }, verdict.presenter).text(
    trust.text,
    trust.plural,
  );
}

interface Clause {
  /** Refusals with the same key say the same thing and are told together. */
  key: string;
  text: (trust: string, plural: boolean) => string;
  fix: (trust: string, refusers: string) => string;
}

function clauseOf(
  refusal: PairVerdict & { worst: Violation; target: ParsedCertificate },
  presenter: string,
): Clause {
  const { worst, target, role } = refusal;
  if (worst.reason === "bad-signature") {
    const ca = commonNameOf(target.issuer);
    return {
      key: `signature:${ca}`,
      text: (trust, plural) =>
        `it was signed by a CA named '${ca}', but not by the '${ca}' ${trust} ${plural ? "hold" : "holds"} (the signature does not verify)`,
      fix: (trust, refusers) =>
        `Re-issue ${presenter}'s certificate from the CA in ${trust}, or, if the CA was re-created, give ${refusers} its new certificate.`,
    };
  }
  if (worst.reason === "no-issuer") {
    const ca = caReached(refusal.result, target);
    return {
      key: `chain:${ca}`,
      text: (trust, plural) => `it chains to '${ca}', which ${trust} ${plural ? "do" : "does"} not hold`,
      fix: (trust, refusers) =>
        `Add '${ca}' to ${trust} and reload ${refusers}, or re-issue ${presenter}'s certificate from a CA every peer trusts.`,
    };
  }
  if (worst.reason === "self-signed-untrusted") {
    const name = commonNameOf(target.subject);
    return {
      key: `self:${target.sha256}`,
      text: (trust, plural) =>
        `it is self-signed ('${name}'), and ${trust} ${plural ? "do" : "does"} not hold it`,
      fix: (trust, refusers) =>
        `Add ${presenter}'s certificate to ${trust} and reload ${refusers}, or re-issue it from a CA every peer trusts.`,
    };
  }
  if (worst.reason === "extended-key-usage" || worst.reason === "extended-key-usage-any") {
    const wanted = role === "server" ? "serverAuth" : "clientAuth";
    const allowed = (target.profile.extKeyUsage?.purposes ?? []).map(ekuName);
    const what =
      role === "server"
        ? "which a peer needs when the others connect to it"
        : "which a peer needs when it connects to the others";
    return {
      key: `eku:${role}`,
      text: () =>
        `its extendedKeyUsage allows ${allowed.length > 0 ? `${allowed.join(", ")} only` : "nothing"}, not ${wanted}, ${what}`,
      fix: () =>
        `Re-issue ${presenter}'s certificate with extendedKeyUsage serverAuth and clientAuth (or without extendedKeyUsage).`,
    };
  }
  if (worst.reason === "key-usage") {
    return {
      key: `ku:${role}`,
      text: () =>
        `its keyUsage does not allow ${role === "client" ? "digitalSignature or keyAgreement, which a TLS client needs" : "digitalSignature, keyEncipherment or keyAgreement, which a TLS server needs"}`,
      fix: () => `Re-issue ${presenter}'s certificate with keyUsage digitalSignature (or without keyUsage).`,
    };
  }
  return {
    key: `rule:${worst.reason}:${worst.linkIndex}`,
    text: () =>
      `${worst.text} (chain link ${worst.linkIndex}; ${worst.clause}; refused by ${worst.rejectedBy})`,
    fix: () => worst.fix,
  };
}

/**
 * The CA a chain that found no trusted issuer leads to: the issuer of the topmost certificate the
 * search reached (the leaf's own issuer when the chain holds no intermediate).
 */
function caReached(result: PathResult | undefined, target: ParsedCertificate): string {
  const reached = result?.reached ?? result?.path ?? [target];
  const top = reached[reached.length - 1] ?? target;
  return commonNameOf(top.selfIssued ? top.subject : top.issuer);
}

/** "CN=Ops CA 2, O=Example" → "Ops CA 2"; the whole name when it has no common name. */
export function commonNameOf(name: string): string {
  const cn = /(?:^|,\s*|\n)CN=([^,\n]+)/.exec(name)?.[1]?.trim();
  return cn && cn !== "" ? cn : name;
}

const EKU_NAMES: Record<string, string> = {
  [OIDS.serverAuth]: "serverAuth",
  [OIDS.clientAuth]: "clientAuth",
  [OIDS.anyExtendedKeyUsage]: "anyExtendedKeyUsage",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
};

function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}

/** "node2's truststore (s3://…)", "the group's CA bundle (s3://…)", joined with "and". */
function describeTrusts(trusts: readonly { fqdn: string; trust: PeerTrust | undefined }[]): {
  text: string;
  plural: boolean;
} {
  const phrases: string[] = [];
  for (const { fqdn, trust } of trusts) {
    const phrase = !trust
      ? `${fqdn}'s trust store`
      : trust.own
        ? `${fqdn}'s trust store (${trust.location})`
        : `the group's CA bundle (${trust.location})`;
    if (!phrases.includes(phrase)) phrases.push(phrase);
  }
  return { text: listed(phrases), plural: phrases.length > 1 };
}

/** Said only when the refusal is in some of the group's roles, not all. */
function roleWords(
  refused: readonly PeerRole[],
  groupRoles: readonly PeerRole[],
  presenter: string,
  trusters: number,
): string {
  if (groupRoles.every((role) => refused.includes(role))) return "";
  if (refused.includes("client"))
    return ` when ${presenter} connects to ${trusters > 1 ? "them" : "it"} (TLS client role)`;
  return ` when ${trusters > 1 ? "they connect" : "it connects"} to ${presenter} (TLS server role)`;
}

/** "a", "a and b", "a, b and c". */
export function listed(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
