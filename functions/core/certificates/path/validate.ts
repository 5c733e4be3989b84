/**
 * Certification path building and validation (RFC 5280 §6), as TLS clients do it: from the checked
 * certificate up through the intermediates at hand to a trust anchor, trying every candidate
 * issuer — the chain is good when any path is. Each link is judged as it is added: the signature
 * verifies with the issuer's key (node:crypto), the issuer is a CA allowed to sign certificates,
 * valid now, within its path length, with a key and a signature algorithm clients accept, allowing
 * the purpose, and every name below it is inside its name constraints. A path's violations add
 * up; the search keeps the path with the fewest and mildest (see violation.ts) and stops at the
 * first that has none.
 *
 * Cost is bounded whatever the input: every attempted link counts against LINK_BUDGET, cached or
 * not; every signature verification against SIGNATURE_BUDGET; name comparisons against
 * NAME_CHECK_BUDGET; paths are at most MAX_CHAIN_LENGTH certificates long; and a certificate whose
 * subject and key already appear on the path is not tried again (as Go's verifier does), so 14 CA
 * certificates sharing one name and one key cost 14 links, not 14! orderings. Running out of
 * budget ends the search with a "too complex to evaluate" violation rather than running on.
 */
import type { ParsedCertificate } from "../certificate";
import { describeCertificate, formatInstant } from "../checks/finding";
import { DecodeCache } from "../decode-cache";
import { keyViolation, signatureViolation } from "./algorithm-rules";
import { NAME_CHECK_BUDGET, type NameBudget, nameConstraintViolations } from "./constraints";
import { LINK_RULES } from "./rule-table";
import { caPurposeViolation, caRules, leafRules, type Purpose, who } from "./rules";
import { compareViolations, sortViolations, type Violation, violation } from "./violation";

/** Longest path accepted, anchor included; real chains have three or four links. */
export const MAX_CHAIN_LENGTH = 10;
/** Candidate links one search may try, cached or not. */
export const LINK_BUDGET = 1_000;
/** Signature verifications one search may spend (Go and rustls allow 100, pyca/cryptography 128). */
export const SIGNATURE_BUDGET = 200;

export interface PathOptions {
  now: Date;
  /** Tolerated clock difference before an issuer's future notBefore counts against it. */
  skewSeconds: number;
  purpose: Purpose;
  /** Most intermediates allowed between the checked certificate and the anchor. */
  maxIntermediates?: number;
}

export interface PathResult {
  /** The best complete path (checked certificate first, anchor last), when one exists. */
  path?: ParsedCertificate[];
  /** Without a complete path: how far the search that failed furthest up got. */
  reached?: ParsedCertificate[];
  /** What is wrong with that path, or why none was found; worst first. Empty: the chain is good. */
  violations: Violation[];
  /** What the search spent. */
  cost: { links: number; signatures: number };
}

/**
 * Signatures checked before, in this execution environment: whether a certificate's signature
 * verifies with another's key is a function of the two encodings. Every chain file of a CA repeats
 * the intermediate's signature by the root; it is verified once.
 */
const VERIFIED = new DecodeCache<boolean>(1024);

/** Shared by the searches of one input, so a signature is verified once however often it is met. */
export class SignatureCache {
  private readonly results = new Map<string, boolean>();
  verify(child: ParsedCertificate, issuer: ParsedCertificate, spend: () => boolean): boolean {
    const key = `${child.sha256}:${issuer.sha256}`;
    const known = this.results.get(key);
    if (known !== undefined) return known;
    // Spent whether or not an earlier input verified it, so what one input finds (a budget
    // exhausted) does not depend on what came before it.
    if (!spend()) return false;
    const result = VERIFIED.getByKey(key, () => {
      try {
        return issuer.key !== undefined && child.node.verify(issuer.key);
      } catch {
        // OpenSSL refuses some keys or algorithms outright; for trust that is a bad signature.
        return false;
      }
    });
    this.results.set(key, result);
    return result;
  }
}

interface Candidate {
  cert: ParsedCertificate;
  isAnchor: boolean;
}

interface Search {
  options: PathOptions;
  bySubject: Map<string, Candidate[]>;
  signatures: SignatureCache;
  links: number;
  signaturesSpent: number;
  exhausted: boolean;
  names: NameBudget;
  best?: { path: ParsedCertificate[]; violations: Violation[] };
  /** The failure that got furthest up when no complete path exists, and the path to it. */
  deadEnd?: { failure: Violation; path: ParsedCertificate[] };
  clean: boolean;
  ruleCache: Map<string, Violation[]>;
}

/**
 * What the searches of one input share: the candidate issuers by subject (built once, not per
 * checked certificate: a bundle of thousands would otherwise cost a quadratic amount of work) and
 * the signatures already verified.
 */
export class PathContext {
  readonly anchorHashes: Set<string>;
  readonly bySubject = new Map<string, Candidate[]>();
  readonly signatures = new SignatureCache();
  constructor(pool: readonly ParsedCertificate[], anchors: readonly ParsedCertificate[]) {
    this.anchorHashes = new Set(anchors.map((anchor) => anchor.sha256));
    const seen = new Set<string>();
    const add = (cert: ParsedCertificate, isAnchor: boolean) => {
      if (seen.has(cert.sha256)) return;
      seen.add(cert.sha256);
      const key = cert.profile.subjectKey;
      const list = this.bySubject.get(key) ?? [];
      list.push({ cert, isAnchor });
      this.bySubject.set(key, list);
    };
    for (const anchor of anchors) add(anchor, true);
    for (const cert of pool) if (!this.anchorHashes.has(cert.sha256)) add(cert, false);
  }
}

/**
 * Finds the best path from `target` to one of `anchors` through `pool` (the other certificates of
 * the input; anchors and the target among them are ignored). `role` says whether the target is
 * checked as the certificate a service presents (`leaf`) or as a CA certificate in a CA bundle.
 */
export function validatePath(
  target: ParsedCertificate,
  pool: readonly ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  options: PathOptions,
  role: "leaf" | "ca",
  context: PathContext = new PathContext(pool, anchors),
): PathResult {
  const { anchorHashes, bySubject, signatures } = context;
  const search: Search = {
    options,
    bySubject,
    signatures,
    links: 0,
    signaturesSpent: 0,
    exhausted: false,
    names: { remaining: NAME_CHECK_BUDGET },
    clean: false,
    ruleCache: new Map(),
  };
  const own = role === "leaf" ? leafRules(target, options.purpose) : caRules(target, 0, "CA certificate");
  if (anchorHashes.has(target.sha256)) return result(search, [target], own);

  extend(search, [target], own);
  if (search.best) return result(search, search.best.path, search.best.violations);
  if (search.exhausted) {
    const text = `the search for a path from ${describeCertificate(target)} to a trusted CA gave up after ${search.links} candidate links and ${search.signaturesSpent} signature checks: the chain is too complex to evaluate`;
    return result(search, undefined, [violation(LINK_RULES.tooComplex, target, 0, text)]);
  }
  if (!search.deadEnd) return result(search, undefined, []);
  return { ...result(search, undefined, [search.deadEnd.failure]), reached: search.deadEnd.path };
}

function result(search: Search, path: ParsedCertificate[] | undefined, violations: Violation[]): PathResult {
  return {
    ...(path ? { path } : {}),
    violations: sortViolations(violations),
    cost: { links: search.links, signatures: search.signaturesSpent },
  };
}

function extend(search: Search, path: ParsedCertificate[], violations: Violation[]): void {
  const childIndex = path.length - 1;
  const child = path[childIndex]!;
  const named = candidatesFor(search, child);
  // A certificate already on the path, or one with the same subject and key, is a cycle: it is an
  // attempted link all the same, counted so that no input makes the search run on.
  search.links += named.length;
  if (search.links > LINK_BUDGET) {
    search.exhausted = true;
    return;
  }
  const candidates = named.filter(({ cert }) => !onPath(path, cert));
  if (candidates.length === 0) {
    const text = child.selfIssued
      ? `${describeCertificate(child)} is self-signed and is not one of the trusted CA certificates`
      : named.length > 0
        ? `no issuer found for ${describeCertificate(child)}: the only certificates named "${child.issuer}" are already on this path (the CAs sign each other in a loop), and none leads to a trusted CA`
        : `no issuer found for ${describeCertificate(child)}: no certificate named "${child.issuer}" is among the intermediates in this input or the trusted CA certificates`;
    deadEnd(
      search,
      violation(child.selfIssued ? LINK_RULES.selfSigned : LINK_RULES.noIssuer, child, childIndex, text),
      path,
    );
    return;
  }
  for (const { cert: issuer, isAnchor } of candidates) {
    if (search.clean || search.exhausted) return;
    const role = isAnchor ? "trusted CA" : "intermediate";
    const verified = search.signatures.verify(child, issuer, () => {
      if (search.signaturesSpent >= SIGNATURE_BUDGET) {
        search.exhausted = true;
        return false;
      }
      search.signaturesSpent += 1;
      return true;
    });
    if (search.exhausted) return;
    if (!verified) {
      deadEnd(
        search,
        violation(
          LINK_RULES.badSignature,
          child,
          childIndex,
          `the signature of ${describeCertificate(child)} does not verify with the key of ${who(issuer, role)}: it was signed by a different key that carries the same name`,
        ),
        [...path, issuer],
      );
      continue;
    }
    const next = [...path, issuer];
    const issuerIndex = childIndex + 1;
    if (!isAnchor && next.length >= MAX_CHAIN_LENGTH) {
      deadEnd(
        search,
        violation(
          LINK_RULES.tooLong,
          child,
          childIndex,
          `the chain is longer than ${MAX_CHAIN_LENGTH} certificates at ${describeCertificate(child)}`,
        ),
        next,
      );
      continue;
    }
    const total = [...violations, ...linkViolations(search, next, issuerIndex, isAnchor)];
    if (search.best && compareViolations(total, search.best.violations) >= 0) continue;
    if (isAnchor) {
      search.best = { path: next, violations: total };
      if (total.length === 0) search.clean = true;
      continue;
    }
    extend(search, next, total);
  }
}

/** The same certificate, or one with the same subject and key, is already on the path. */
function onPath(path: readonly ParsedCertificate[], cert: ParsedCertificate): boolean {
  return path.some(
    (link) =>
      link.sha256 === cert.sha256 ||
      (link.profile.subjectKey === cert.profile.subjectKey && link.profile.keyHash === cert.profile.keyHash),
  );
}

function deadEnd(search: Search, failure: Violation, path: ParsedCertificate[]): void {
  if (!search.deadEnd || failure.linkIndex > search.deadEnd.failure.linkIndex)
    search.deadEnd = { failure, path };
}

/**
 * Issuer candidates: certificates whose subject is the child's issuer, those whose key identifier
 * matches the child's authority key identifier first, one without identifiers next, a mismatched
 * identifier last; anchors before intermediates within each group (the order Go and pyca use).
 */
function candidatesFor(search: Search, child: ParsedCertificate): Candidate[] {
  const named = search.bySubject.get(child.profile.issuerKey) ?? [];
  const wanted = child.profile.authorityKeyId?.keyId;
  const likeliness = ({ cert }: Candidate) => {
    const have = cert.profile.subjectKeyId?.keyId;
    if (!wanted || !have) return 1;
    return wanted === have ? 0 : 2;
  };
  return [...named].sort((a, b) => likeliness(a) - likeliness(b) || Number(b.isAnchor) - Number(a.isAnchor));
}

/** Everything adding `path[index]` as the issuer of `path[index - 1]` breaks. */
function linkViolations(
  search: Search,
  path: readonly ParsedCertificate[],
  index: number,
  isAnchor: boolean,
): Violation[] {
  const { options } = search;
  const issuer = path[index]!;
  const child = path[index - 1]!;
  const role = isAnchor ? "trusted CA" : "intermediate";
  const found: Violation[] = [...issuerRules(search, issuer, index, role)];

  const signature = signatureViolation(child, index - 1);
  if (signature) found.push(signature);

  const now = Math.floor(options.now.getTime() / 1000) * 1000;
  if (issuer.notAfter.getTime() < now)
    found.push(
      violation(
        LINK_RULES.expired,
        issuer,
        index,
        `${who(issuer, role)} expired on ${formatInstant(issuer.notAfter)}`,
      ),
    );
  else if (issuer.notBefore.getTime() > now + options.skewSeconds * 1000)
    found.push(
      violation(
        LINK_RULES.notYetValid,
        issuer,
        index,
        `${who(issuer, role)} is not valid until ${formatInstant(issuer.notBefore)}`,
      ),
    );

  const pathLen = issuer.profile.basicConstraints?.pathLen;
  if (pathLen !== undefined) {
    const below = path
      .slice(1, index)
      .filter((cert) => cert.profile.subjectKey !== cert.profile.issuerKey).length;
    if (below > pathLen)
      found.push(
        violation(
          LINK_RULES.pathLength,
          issuer,
          index,
          `${who(issuer, role)} allows ${pathLen} intermediate CA${pathLen === 1 ? "" : "s"} below it (pathLenConstraint ${pathLen}) but ${below} follow it`,
        ),
      );
  }
  const maxIntermediates = options.maxIntermediates;
  if (!isAnchor && maxIntermediates !== undefined && index > maxIntermediates)
    found.push(
      violation(
        { ...LINK_RULES.tooLong, rejectedBy: "clients configured with this maximum depth" },
        issuer,
        index,
        `the path needs more than ${maxIntermediates} intermediate CA${maxIntermediates === 1 ? "" : "s"}, the configured maximum, at ${who(issuer, role)}`,
      ),
    );

  const purpose = caPurposeViolation(issuer, index, role, options.purpose);
  if (purpose) found.push(purpose);

  const constraints = nameConstraintViolations(path, index, role, search.names);
  if (constraints !== "exhausted") found.push(...constraints);
  return found;
}

/** What the issuer itself breaks, computed once per certificate and role, then placed at `index`. */
function issuerRules(
  search: Search,
  issuer: ParsedCertificate,
  index: number,
  role: "intermediate" | "trusted CA",
): Violation[] {
  const key = `${issuer.sha256}:${role}`;
  let cached = search.ruleCache.get(key);
  if (!cached) {
    cached = caRules(issuer, index, role);
    const weakKey = keyViolation(issuer, index, role);
    if (weakKey) cached.push(weakKey);
    search.ruleCache.set(key, cached);
  }
  return cached.map((v) => (v.linkIndex === index ? v : { ...v, linkIndex: index }));
}
