/**
 * Name constraints along a path (RFC 5280 §4.2.1.10, §6.1.3 (b) and (c)): every name of every
 * certificate below a CA with nameConstraints must lie inside one of its permitted subtrees of
 * that name's type (when it has any) and outside all of its excluded subtrees. The names are the
 * subjectAltName entries, the subject as a directory name, the subject's emailAddress attributes
 * when there is no rfc822Name, and, for the leaf alone, a common name that is a host name when
 * there is no dNSName (as OpenSSL checks it). Self-issued intermediates are exempt.
 *
 * Comparisons are counted against a budget shared by the whole path search: a crafted CA with
 * thousands of subtrees over a leaf with thousands of names makes the check quadratic, and every
 * client refuses such chains beyond about a million comparisons (OpenSSL, Go, pyca/cryptography).
 */
import { isIP } from "node:net";
import type { ParsedCertificate } from "../certificate";
import {
  dnsWithin,
  emailWithin,
  ipWithin,
  isValidDnsName,
  isValidIpConstraint,
  uriWithin,
  wildcardOverlaps,
  withinDirectory,
} from "./names";
import type { GeneralNameInfo } from "./profile";
import { who } from "./rules";
import { type Rule, type Violation, violation } from "./violation";

/** Name-versus-subtree comparisons one path search may make (OpenSSL's and pyca's limit). */
export const NAME_CHECK_BUDGET = 1 << 20;

export interface NameBudget {
  remaining: number;
}

const RULES = {
  permitted: {
    reason: "name-constraints",
    severity: "major",
    clause: "RFC 5280 §4.2.1.10",
    rejectedBy: "browsers, Go, OpenSSL, Java and rustls",
    fix: "Re-issue the certificate with names inside the CA's permitted subtrees, or from a CA allowed to issue for those names.",
  },
  excluded: {
    reason: "name-constraints",
    severity: "major",
    clause: "RFC 5280 §4.2.1.10",
    rejectedBy: "browsers, Go, OpenSSL, Java and rustls",
    fix: "Re-issue the certificate without the excluded names, or from a CA allowed to issue for them.",
  },
  unsatisfiable: {
    reason: "name-constraints-malformed-name",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.10",
    rejectedBy: "Go (x509: cannot parse dnsName) and pyca/cryptography",
    fix: "Re-issue the certificate with well-formed names only.",
  },
  leadingPeriod: {
    reason: "name-constraints-malformed",
    severity: "warning",
    clause: "RFC 5280 §4.2.1.10 (a leading period is for URI and e-mail constraints only)",
    rejectedBy: 'pyca/cryptography; OpenSSL and Go read it as "the names below"',
    fix: "Re-issue the CA certificate with the DNS constraint written without a leading period.",
  },
  unsupported: {
    reason: "name-constraints-unsupported",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.10 (a constraint that cannot be processed MUST reject the name)",
    rejectedBy: "Go (unhandled name constraint) and pyca/cryptography",
    fix: "Re-issue the certificate without that name form, or the CA without that constraint.",
  },
  malformedConstraint: {
    reason: "name-constraints-malformed",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.10",
    rejectedBy: "Go (it cannot parse the CA certificate) and pyca/cryptography",
    fix: "Re-issue the CA certificate with well-formed name constraints.",
  },
  tooComplex: {
    reason: "chain-too-complex",
    severity: "major",
    clause: "RFC 5280 §4.2.1.10 (as bounded by OpenSSL, Go and pyca/cryptography)",
    rejectedBy: "OpenSSL, Go and pyca/cryptography, which stop after about a million name comparisons",
    fix: "Re-issue the certificate with fewer names, or the CA with fewer name constraints.",
  },
} satisfies Record<string, Rule>;

interface NamedEntry {
  name: GeneralNameInfo;
  text: string;
}

/** The names of `cert` that constraints apply to (see the module comment). */
function namesOf(cert: ParsedCertificate, isLeaf: boolean): NamedEntry[] {
  const { profile } = cert;
  const sans = profile.subjectAltName?.names ?? [];
  const entries: NamedEntry[] = sans.flatMap((name) => {
    if (name.kind === "ip" && name.bytes.length !== 4 && name.bytes.length !== 16) return [];
    return [{ name, text: describe(name) }];
  });
  if (!profile.subjectEmpty)
    entries.push({ name: { kind: "dn", name: profile.subjectName }, text: `subject "${cert.subject}"` });
  if (!sans.some((n) => n.kind === "email"))
    for (const value of profile.subjectEmails)
      entries.push({ name: { kind: "email", value }, text: `emailAddress ${value}` });
  if (isLeaf && !sans.some((n) => n.kind === "dns")) {
    for (const cn of cert.commonNames) {
      if (cn.includes(".") && !isIP(cn) && isValidDnsName(cn, { wildcard: true }))
        entries.push({ name: { kind: "dns", value: cn }, text: `common name ${cn}` });
    }
  }
  return entries;
}

function describe(name: GeneralNameInfo): string {
  switch (name.kind) {
    case "dns":
      return `DNS name ${name.value}`;
    case "email":
      return `e-mail address ${name.value}`;
    case "uri":
      return `URI ${name.value}`;
    case "ip":
      return `IP address ${ipText(name.bytes)}`;
    case "dn":
      return "directory name";
    case "other":
      return name.tag;
  }
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join(".");
  if (bytes.length === 16)
    return Buffer.from(bytes)
      .toString("hex")
      .replace(/(.{4})(?!$)/g, "$1:");
  if (bytes.length === 8) return `${[...bytes.subarray(0, 4)].join(".")}/${[...bytes.subarray(4)].join(".")}`;
  return Buffer.from(bytes).toString("hex");
}

/** Whether `name` lies in `subtree`: true, false, or "unsatisfiable"/"malformed" when it cannot be told. */
function within(
  name: GeneralNameInfo,
  subtree: GeneralNameInfo,
  excluded: boolean,
): boolean | "unsatisfiable" | "malformed" {
  switch (name.kind) {
    case "dns": {
      if (subtree.kind !== "dns") return false;
      const constraint = subtree.value.replace(/^\./, "");
      if (constraint !== "" && !isValidDnsName(constraint, { wildcard: false })) return "malformed";
      // Go refuses names with empty labels here (".example.com"); underscores it lets through.
      if (name.value.split(".").some((label) => label === "")) return "unsatisfiable";
      if (name.value.startsWith("*."))
        return excluded ? wildcardOverlaps(name.value, subtree.value) : dnsWithin(name.value, subtree.value);
      return dnsWithin(name.value, subtree.value);
    }
    case "ip":
      if (subtree.kind !== "ip") return false;
      if (!isValidIpConstraint(subtree.bytes)) return "malformed";
      return ipWithin(name.bytes, subtree.bytes);
    case "email": {
      if (subtree.kind !== "email") return false;
      const result = emailWithin(name.value, subtree.value);
      return result === undefined ? "malformed" : result;
    }
    case "uri":
      return subtree.kind === "uri" ? uriWithin(name.value, subtree.value) : false;
    case "dn":
      return subtree.kind === "dn" ? withinDirectory(name.name, subtree.name) : false;
    case "other":
      return false;
  }
}

/**
 * Checks the certificates below `ca` (path[0..caIndex-1]) against its name constraints. Returns
 * the violations (at most one per certificate and kind), or "exhausted" when the budget ran out.
 */
export function nameConstraintViolations(
  path: readonly ParsedCertificate[],
  caIndex: number,
  role: string,
  budget: NameBudget,
): Violation[] | "exhausted" {
  const ca = path[caIndex]!;
  const nc = ca.profile.nameConstraints;
  if (!nc) return [];
  const found: Violation[] = [];
  const malformed = [...nc.permitted, ...nc.excluded].find(
    (subtree) =>
      (subtree.kind === "ip" && !isValidIpConstraint(subtree.bytes)) ||
      (subtree.kind === "email" && emailWithin("probe@example.com", subtree.value) === undefined) ||
      (subtree.kind === "dns" &&
        subtree.value !== "" &&
        !isValidDnsName(subtree.value.replace(/^\./, ""), { wildcard: false })),
  );
  const leadingPeriod = [...nc.permitted, ...nc.excluded].find(
    (subtree) => subtree.kind === "dns" && subtree.value.startsWith("."),
  );
  if (leadingPeriod)
    found.push(
      violation(
        RULES.leadingPeriod,
        ca,
        caIndex,
        `${who(ca, role)} has a DNS name constraint with a leading period (${describe(leadingPeriod)})`,
      ),
    );
  if (malformed)
    found.push(
      violation(
        RULES.malformedConstraint,
        ca,
        caIndex,
        `${who(ca, role)} has a malformed name constraint (${describe(malformed)})`,
      ),
    );

  const subtrees = nc.permitted.length + nc.excluded.length;
  for (let index = 0; index < caIndex; index += 1) {
    const cert = path[index]!;
    const isLeaf = index === 0;
    if (!isLeaf && cert.profile.subjectKey === cert.profile.issuerKey) continue;
    const names = namesOf(cert, isLeaf);
    // Refuse up front what cannot be finished, rather than spend the budget first.
    if (names.length * subtrees > budget.remaining) {
      budget.remaining = 0;
      found.push(
        violation(
          RULES.tooComplex,
          ca,
          caIndex,
          `checking the ${names.length} names of ${who(cert, isLeaf ? "certificate" : "intermediate")} against the ${subtrees} name constraints of ${who(ca, role)} would take more than ${NAME_CHECK_BUDGET.toLocaleString("en-US")} comparisons: the chain is too complex to evaluate`,
        ),
      );
      return found;
    }
    budget.remaining -= names.length * subtrees;
    const certRole = isLeaf ? "certificate" : "intermediate";
    for (const entry of names) {
      const problem = judgeName(entry, nc.permitted, nc.excluded);
      if (!problem) continue;
      const rule =
        problem === "unsatisfiable"
          ? RULES.unsatisfiable
          : problem === "unsupported"
            ? RULES.unsupported
            : problem === "excluded"
              ? RULES.excluded
              : RULES.permitted;
      const text =
        problem === "unsupported"
          ? `the ${entry.text} of ${who(cert, certRole)} is of a form the name constraints of ${who(ca, role)} restrict but watchpost, like most clients, cannot evaluate`
          : problem === "unsatisfiable"
            ? `the ${entry.text} of ${who(cert, certRole)} is malformed, so it cannot be shown to lie within the name constraints of ${who(ca, role)}`
            : problem === "excluded"
              ? `the ${entry.text} of ${who(cert, certRole)} is excluded by the name constraints of ${who(ca, role)}`
              : `the ${entry.text} of ${who(cert, certRole)} is outside the names permitted by ${who(ca, role)}`;
      found.push({ ...violation(rule, cert, index, text) });
      break;
    }
  }
  return found;
}

function judgeName(
  entry: NamedEntry,
  permitted: readonly GeneralNameInfo[],
  excluded: readonly GeneralNameInfo[],
): "excluded" | "not-permitted" | "unsatisfiable" | "unsupported" | undefined {
  if (entry.name.kind === "other") {
    const tag = entry.name.tag;
    const restricted = [...permitted, ...excluded].some(
      (subtree) => subtree.kind === "other" && subtree.tag === tag,
    );
    return restricted ? "unsupported" : undefined;
  }
  for (const subtree of excluded) {
    const result = within(entry.name, subtree, true);
    if (result === "unsatisfiable") return "unsatisfiable";
    if (result === true) return "excluded";
  }
  const sameKind = permitted.filter((subtree) => subtree.kind === entry.name.kind);
  if (sameKind.length === 0) return undefined;
  let inside = false;
  for (const subtree of sameKind) {
    const result = within(entry.name, subtree, false);
    if (result === "unsatisfiable") return "unsatisfiable";
    if (result === true) inside = true;
  }
  return inside ? undefined : "not-permitted";
}
