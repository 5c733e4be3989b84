/**
 * `served-chain`: what is wrong with the certificates an endpoint sends, as opposed to whether
 * they validate (`untrusted-chain`). TLS 1.2 requires the leaf first, then each certificate
 * followed by the one that certifies it (RFC 5246 §7.4.2); TLS 1.3 asks clients to cope with
 * extras and any order but still wants the leaf first (RFC 8446 §4.4.2). Clients differ:
 *
 *   missing intermediate  the sent chain stops short of a root: the leaf comes alone and its issuer
 *                         is not a trusted root, or the last certificate sent was issued by an
 *                         intermediate only the trust store here holds. Clients that build only from what the server
 *                         sends fail (OpenSSL and what uses it, Go, Java, Node.js, rustls, most
 *                         apps and devices); browsers may fetch it (AIA) or have it cached. It is
 *                         reported even when a trust store here completes the chain (a CA bundle
 *                         holding the intermediate): clients do not have that store.  major
 *   wrong order           the chain certificates are not in issuing order right after the leaf:
 *                         strict and older TLS stacks refuse it.                          minor
 *   extra certificates    certificates that are not on the leaf's chain: larger handshakes, and
 *                         confusion for clients that take the list at face value.         warning
 *   root sent             the self-signed root: harmless (clients use their own copy), noted. warning
 *
 * One finding per endpoint, on the connection's source, at the worst problem's severity.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityInfoAccessSyntax, Certificate, id_ad_caIssuers } from "@peculiar/asn1-x509";
import type { ParsedCertificate } from "../certificates/certificate";
import { describeCertificate, makeFinding } from "../certificates/checks/finding";
import { MAX_CHAIN_LENGTH } from "../certificates/path/validate";
import { compareSeverity, type Finding, type Severity } from "../contracts";

export type SentRole = "leaf" | "chain" | "root" | "extra" | "unreadable";

export interface SentChain {
  /** Indexes into what was sent, from the leaf up, each issued by the next. */
  path: number[];
  /**
   * How the path ends: at a root that was sent, at a trusted root, at an intermediate only the
   * trust store holds, at a lone leaf whose issuer nobody has, or at a sent CA certificate whose
   * issuer is not known here (the root, rightly not sent, that untrusted-chain says is not trusted).
   */
  end: "root-sent" | "trusted-root" | "trust-store-only" | "leaf-alone" | "issuer-unknown";
  /** The trust anchor that issued the last certificate sent on the path, when one did. */
  anchor?: ParsedCertificate;
  /** That anchor when it is not a root: the trust store supplies an intermediate the server did not send. */
  suppliedBy?: ParsedCertificate;
  /** Sent positions that are not on the leaf's chain (unreadable ones included). */
  extra: number[];
  outOfOrder: boolean;
  roles: SentRole[];
}

/**
 * Walks up from the leaf through what was sent (certificates at their sent index; a position
 * missing from `sent` could not be read). Each step verifies a signature; the walk is at most
 * MAX_CHAIN_LENGTH steps over at most as many candidates as were sent.
 */
export function analyseSentChain(
  sent: readonly ParsedCertificate[],
  count: number,
  anchors: readonly ParsedCertificate[],
): SentChain {
  const byIndex = new Map(sent.map((cert) => [cert.index, cert]));
  const leaf = byIndex.get(0);
  const path: number[] = leaf ? [0] : [];
  let end: SentChain["end"] = "issuer-unknown";
  let suppliedBy: ParsedCertificate | undefined;
  let issuingAnchor: ParsedCertificate | undefined;
  let current = leaf;
  while (current && path.length < MAX_CHAIN_LENGTH) {
    if (path.length > 1 && selfSigned(current)) {
      end = "root-sent";
      break;
    }
    const child: ParsedCertificate = current;
    const next = sent.find((candidate) => !path.includes(candidate.index) && issued(candidate, child));
    if (next) {
      path.push(next.index);
      current = next;
      continue;
    }
    const anchor = anchors.find((candidate) => issued(candidate, child));
    if (anchor && anchor.sha256 !== child.sha256) {
      issuingAnchor = anchor;
      if (selfSigned(anchor)) end = "trusted-root";
      else {
        end = "trust-store-only";
        suppliedBy = anchor;
      }
    } else if (path.length === 1) {
      // A self-signed leaf has no chain to send; whether it is trusted is untrusted-chain's call.
      end = selfSigned(child) ? "trusted-root" : "leaf-alone";
    }
    break;
  }
  const onPath = new Set(path);
  const extra = Array.from({ length: count }, (_, index) => index).filter((index) => !onPath.has(index));
  const outOfOrder = path.some((index, position) => index !== position);
  const roles: SentRole[] = Array.from({ length: count }, (_, index) => {
    if (!byIndex.has(index)) return "unreadable";
    if (index === 0) return "leaf";
    if (!onPath.has(index)) return "extra";
    return end === "root-sent" && index === path[path.length - 1] ? "root" : "chain";
  });
  return {
    path,
    end,
    ...(issuingAnchor ? { anchor: issuingAnchor } : {}),
    ...(suppliedBy ? { suppliedBy } : {}),
    extra,
    outOfOrder,
    roles,
  };
}

interface Problem {
  problem: "missing-intermediate" | "wrong-order" | "extra-certificates" | "root-sent";
  severity: Severity;
  text: string;
}

/**
 * The served-chain finding for an endpoint (`source` is its connection) from the analysis of what
 * it sent, or none when what it sends is right.
 */
export function servedChainFinding(
  source: string,
  sent: readonly ParsedCertificate[],
  count: number,
  chain: SentChain,
): Finding | undefined {
  if (count === 0 || !sent.some((cert) => cert.index === 0)) return undefined;
  const byIndex = new Map(sent.map((cert) => [cert.index, cert]));
  const name = (index: number) => {
    const cert = byIndex.get(index);
    return cert ? `${describeCertificate(cert)} (#${index})` : `an unreadable certificate (#${index})`;
  };
  const problems: Problem[] = [];
  if (chain.end === "leaf-alone" || chain.end === "trust-store-only") {
    const last = byIndex.get(chain.path[chain.path.length - 1]!)!;
    const aia = caIssuersUrl(last);
    const fetchers = aia
      ? `; browsers may still connect (Chrome, Edge and Safari fetch the issuer from the certificate's AIA address ${aia}; Firefox knows public CAs' intermediates)`
      : "; browsers fetch a missing issuer only from an AIA address, and this certificate names none";
    const here = chain.suppliedBy
      ? ` It validates here only because the trust store holds ${describeCertificate(chain.suppliedBy)}, which clients do not have.`
      : " Unless that issuer is itself a root the clients trust, this is a missing intermediate.";
    problems.push({
      problem: "missing-intermediate",
      severity: "major",
      text: `it does not send the intermediate CA certificate that issued ${name(last.index)} (issuer "${last.issuer}"): clients that build the chain from what the server sends fail — OpenSSL and what uses it (curl, wget, Python, Ruby, PHP, PostgreSQL and MySQL clients), Go, Java, Node.js, rustls, most apps and devices${fetchers}.${here} Configure the service to send its certificate followed by the intermediate(s) (the full-chain file)`,
    });
  }
  const misplaced = chain.path.filter((index, position) => index !== position);
  if (chain.outOfOrder)
    problems.push({
      problem: "wrong-order",
      severity: "minor",
      text: `it sends its chain out of order: ${misplaced.map(name).join(", ")} ${misplaced.length === 1 ? "is" : "are"} not right after the certificate ${misplaced.length === 1 ? "it issues" : "each issues"} (TLS 1.2 requires leaf, then each issuer in turn, RFC 5246 §7.4.2; OpenSSL, Go and browsers cope, strict and older TLS stacks refuse). Reorder the chain file: leaf first, then its issuer, then that one's`,
    });
  if (chain.extra.length > 0)
    problems.push({
      problem: "extra-certificates",
      severity: "warning",
      text: `it sends ${chain.extra.length === 1 ? "a certificate" : `${chain.extra.length} certificates`} not on its chain: ${chain.extra.map(name).join(", ")} (every handshake carries ${chain.extra.length === 1 ? "it" : "them"} for nothing, and clients that take the list as sent may stumble on ${chain.extra.length === 1 ? "it" : "them"}). Remove ${chain.extra.length === 1 ? "it" : "them"} from the chain file`,
    });
  if (chain.end === "root-sent")
    problems.push({
      problem: "root-sent",
      severity: "warning",
      text: `it sends the root ${name(chain.path[chain.path.length - 1]!)}: harmless (clients trust their own copy or none), it only makes every handshake larger. It may be left out`,
    });
  if (problems.length === 0) return undefined;
  const severity = problems.map((p) => p.severity).sort(compareSeverity)[0]!;
  const sentList = Array.from({ length: count }, (_, index) => name(index)).join(", ");
  return makeFinding(
    "served-chain",
    source,
    `Endpoint ${source} sends ${count === 1 ? "one certificate" : `${count} certificates`} (${sentList}), and ${problems.map((p) => p.text).join("; and ")}.`,
    {
      reason: problems[0]!.problem,
      problems: problems.map(({ problem, severity }) => ({ problem, severity })),
      sent: chain.roles.map((role, index) => ({
        index,
        role,
        ...(byIndex.get(index) ? { subject: byIndex.get(index)!.subject } : {}),
      })),
      path: chain.path,
      ...(chain.suppliedBy ? { suppliedBy: chain.suppliedBy.subject } : {}),
    },
    severity,
  );
}

/** `issuer` issued `child`: same name, and its key verifies the signature. */
function issued(issuer: ParsedCertificate, child: ParsedCertificate): boolean {
  if (issuer.profile.subjectKey !== child.profile.issuerKey || !issuer.key) return false;
  try {
    return child.node.verify(issuer.key);
  } catch {
    return false;
  }
}

function selfSigned(cert: ParsedCertificate): boolean {
  return cert.selfIssued && issued(cert, cert);
}

/** The caIssuers address of the certificate's Authority Information Access, if it names one. */
function caIssuersUrl(cert: ParsedCertificate): string | undefined {
  if (!cert.profile.authorityInfoAccess) return undefined;
  try {
    const extension = AsnConvert.parse(cert.der, Certificate).tbsCertificate.extensions?.find(
      (e) => e.extnID === "1.3.6.1.5.5.7.1.1",
    );
    if (!extension) return undefined;
    const access = AsnConvert.parse(extension.extnValue.buffer, AuthorityInfoAccessSyntax);
    return access.find((entry) => entry.accessMethod === id_ad_caIssuers)?.accessLocation
      .uniformResourceIdentifier;
  } catch {
    return undefined;
  }
}
