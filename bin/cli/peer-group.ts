/**
 * `watchpost scan --peer FQDN=FILE …`: a cluster's peers from local files, judged as the deployed
 * scan judges a peer group (functions/core/certificates/peer-group.ts): each peer's certificate
 * must be valid and name the peer, and every other peer must accept it against its own trust store
 * (`--truststore FQDN=FILE`, else the `--ca` bundle) for the roles peers play (`--roles`). A trust
 * store that cannot be read is a finding about it, not a usage error: the pairs it decides are
 * unknown, the rest are judged.
 */
import { loadFile } from "../../functions/adapters/local-files";
import { judgeTrustBundle } from "../../functions/core/certificates/ca-lifecycle";
import type { ParsedCertificate } from "../../functions/core/certificates/certificate";
import { unreadableFinding } from "../../functions/core/certificates/evaluate";
import { factsOf } from "../../functions/core/certificates/facts";
import {
  DEFAULT_PEER_ROLES,
  evaluatePeerGroup,
  MAX_PEERS,
  type PeerInput,
  type PeerPolicy,
  type PeerTrust,
} from "../../functions/core/certificates/peer-group";
import { type ReadResult, readCertificates } from "../../functions/core/certificates/reader";
import { HostName } from "../../functions/core/config/fields";
import { type Finding, type PeerGroupReport, PeerRole } from "../../functions/core/contracts";
import type { FilePassword } from "../../functions/core/scan/read-files";
import { UsageError } from "./io";

export const PEER_GROUP_FLAGS = {
  peer: { type: "string", multiple: true },
  truststore: { type: "string", multiple: true },
  roles: { type: "string" },
  group: { type: "string" },
} as const;

export const PEER_GROUP_USAGE = `  --peer FQDN=FILE      a peer of a cluster and its certificate file (repeatable, up to ${MAX_PEERS}): the
                        peers are checked as they see each other, and the matrix is printed
  --truststore FQDN=FILE  that peer's trust store: PEM bundle, JKS/JCEKS truststore or PKCS#12
                        (default: the --ca bundle)
  --roles R[,R]         the TLS roles peers play towards each other: server, client (default both)
  --group NAME          the group's name in findings (default: cluster)
`;

export interface PeerGroupArguments {
  peer?: string[];
  truststore?: string[];
  roles?: string;
  group?: string;
}

export interface PeerGroupScan {
  findings: Finding[];
  certificates: ParsedCertificate[];
  report: PeerGroupReport;
  /** Files read (certificates and trust stores), and how many of them could not be. */
  files: number;
  unreadable: number;
}

interface Needs {
  policy: PeerPolicy;
  /** The --ca bundle, the trust store of peers without one of their own. */
  ca?: { files: readonly string[]; anchors: ParsedCertificate[] };
  passwordFor: (file: string) => FilePassword;
  maxBytes: number;
}

/** Whether the command line describes a peer group at all. */
export function hasPeerGroup(values: PeerGroupArguments): boolean {
  return (values.peer?.length ?? 0) > 0;
}

export async function scanPeerGroup(values: PeerGroupArguments, needs: Needs): Promise<PeerGroupScan> {
  const { peers, trustStores, roles, group } = parseArguments(values, needs.ca !== undefined);
  const reads = new Map<string, Promise<ReadResult | { failed: string; reason: "too-large" | "io-error" }>>();
  const read = (file: string) => {
    const known = reads.get(file);
    if (known) return known;
    const reading = (async () => {
      const loaded = await loadFile(file, needs.maxBytes);
      if (!loaded.ok) return { failed: loaded.detail, reason: loaded.reason };
      const password = needs.passwordFor(file);
      return readCertificates(loaded.bytes, file, {
        ...(password.value !== undefined ? { pkcs12Password: password.value } : {}),
        ...(password.hint ? { pkcs12PasswordHint: password.hint } : {}),
      });
    })();
    reads.set(file, reading);
    return reading;
  };

  const findings: Finding[] = [];
  const unreadableFiles = new Set<string>();
  const trust: { fqdn: string; trust: PeerTrust }[] = [];
  const judgedStores = new Set<string>();
  for (const { fqdn } of peers) {
    const file = trustStores.get(fqdn.toLowerCase());
    if (!file) {
      trust.push({
        fqdn,
        trust: { location: needs.ca!.files.join(", "), own: false, anchors: needs.ca!.anchors },
      });
      continue;
    }
    const result = await read(file);
    const anchors = "status" in result && result.status === "ok" ? result.certificates : undefined;
    trust.push({ fqdn, trust: { location: file, own: true, ...(anchors ? { anchors } : {}) } });
    if (judgedStores.has(file)) continue;
    judgedStores.add(file);
    if (anchors) {
      const problems = "problems" in result ? (result.problems ?? []) : [];
      findings.push(
        ...problems.map((p) => unreadableFinding(file, p.reason, `trust store: ${p.detail}`)),
        ...judgeTrustBundle(anchors.map(factsOf), new Map(), needs.policy),
      );
    } else {
      unreadableFiles.add(file);
      findings.push(failure(file, result, "trust store"));
    }
  }

  const inputs: PeerInput[] = [];
  const certificates: ParsedCertificate[] = [];
  for (const { fqdn, file } of peers) {
    const result = await read(file);
    if ("status" in result && result.status === "ok") {
      inputs.push({ fqdn, certificates: result.certificates, where: `its certificate ${file}` });
      certificates.push(...result.certificates);
    } else {
      unreadableFiles.add(file);
      const { reason, detail } = whyUnreadable(result);
      inputs.push({ fqdn, certificates: { unreadable: reason, detail: `${file}: ${detail}` } });
    }
  }

  const evaluated = evaluatePeerGroup(
    { name: group, group, side: "stored", roles, trust, peers: inputs },
    needs.policy,
  );
  // Parameters are the deployed scan's alarm fields; the command line prints what it read.
  const plain = evaluated.findings.map(({ parameters: _, ...finding }) => finding);
  return {
    findings: [...findings, ...plain],
    certificates,
    report: evaluated.report,
    files: reads.size,
    unreadable: unreadableFiles.size,
  };
}

function failure(
  file: string,
  result: ReadResult | { failed: string; reason: "too-large" | "io-error" },
  what: string,
): Finding {
  const { reason, detail } = whyUnreadable(result);
  return unreadableFinding(file, reason, `${what}: ${detail}`);
}

function whyUnreadable(result: ReadResult | { failed: string; reason: "too-large" | "io-error" }) {
  if ("failed" in result) return { reason: result.reason, detail: result.failed };
  if (result.status === "unreadable") return { reason: result.reason, detail: result.detail };
  if (result.status === "not-certificate")
    return { reason: "unsupported-format" as const, detail: `holds no certificate: ${result.detail}` };
  return { reason: "unsupported-format" as const, detail: "holds no certificate" };
}

const GROUP_NAME = /^[A-Za-z0-9._-]{1,64}$/;

function parseArguments(values: PeerGroupArguments, haveCa: boolean) {
  const peers: { fqdn: string; file: string }[] = [];
  for (const entry of values.peer ?? []) {
    const { name, file } = pair("--peer", entry);
    if (peers.some((p) => p.fqdn.toLowerCase() === name.toLowerCase()))
      throw new UsageError(`--peer ${name} is given twice`);
    peers.push({ fqdn: name, file });
  }
  if (peers.length > MAX_PEERS)
    throw new UsageError(`--peer is given ${peers.length} times; a group has at most ${MAX_PEERS} peers`);
  const trustStores = new Map<string, string>();
  for (const entry of values.truststore ?? []) {
    const { name, file } = pair("--truststore", entry);
    if (!peers.some((p) => p.fqdn.toLowerCase() === name.toLowerCase()))
      throw new UsageError(`--truststore ${name}: no --peer ${name} is given`);
    if (trustStores.has(name.toLowerCase())) throw new UsageError(`--truststore ${name} is given twice`);
    trustStores.set(name.toLowerCase(), file);
  }
  const without = peers.filter((p) => !trustStores.has(p.fqdn.toLowerCase()));
  if (without.length > 0 && !haveCa)
    throw new UsageError(
      `peer ${without[0]!.fqdn} has no --truststore, and no --ca bundle is given for peers without one`,
    );
  const roles = values.roles === undefined ? [...DEFAULT_PEER_ROLES] : parseRoles(values.roles);
  const group = values.group ?? "cluster";
  if (!GROUP_NAME.test(group))
    throw new UsageError("--group takes a name of 1-64 letters, digits, '.', '_' or '-'");
  return { peers, trustStores, roles, group };
}

function pair(flag: string, entry: string): { name: string; file: string } {
  const at = entry.indexOf("=");
  const name = at > 0 ? entry.slice(0, at) : "";
  const file = at > 0 ? entry.slice(at + 1) : "";
  if (name === "" || file === "") throw new UsageError(`${flag} takes FQDN=FILE, not '${entry}'`);
  if (!HostName.safeParse(name).success)
    throw new UsageError(`${flag} ${name}: expected a host name such as node1.example.com`);
  return { name, file };
}

function parseRoles(text: string): PeerRole[] {
  const roles = text.split(",").map((r) => r.trim());
  const parsed: PeerRole[] = [];
  for (const role of roles) {
    const checked = PeerRole.safeParse(role);
    if (!checked.success) throw new UsageError(`--roles takes server, client or both, not '${role}'`);
    if (!parsed.includes(checked.data)) parsed.push(checked.data);
  }
  return parsed;
}
