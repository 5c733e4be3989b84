/**
 * Names as path validation compares them: distinguished names in a canonical form (RFC 5280 §7.1,
 * simplified: case folded, insignificant white space removed), host-name syntax (RFC 5280 §4.2.1.6:
 * the preferred name syntax of RFC 1034 §3.5 as modified by RFC 1123 §2.1), and name constraints
 * (RFC 5280 §4.2.1.10) for DNS names, IP addresses, e-mail addresses, URIs and directory names.
 */

/** One attribute of a distinguished name: its type OID and canonical value. */
export interface NameAttribute {
  type: string;
  value: string;
}

/** A distinguished name as a sequence of RDNs, each a set of attributes in canonical order. */
export type CanonicalName = NameAttribute[][];

/** RFC 4518-style preparation of a string value: case folded, white space trimmed and folded. */
export function canonicalValue(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** The comparable text of a canonical name: two names match when their keys are equal. */
export function nameKey(name: CanonicalName): string {
  return name
    .map((rdn) =>
      rdn
        .map((a) => `${a.type}=${JSON.stringify(a.value)}`)
        .sort()
        .join("+"),
    )
    .join(",");
}

/** RFC 5280 §4.2.1.10: a directoryName constraint matches names that begin with its RDNs. */
export function withinDirectory(name: CanonicalName, constraint: CanonicalName): boolean {
  if (constraint.length > name.length) return false;
  return constraint.every((rdn, i) => nameKey([rdn]) === nameKey([name[i]!]));
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Whether a dNSName is in the preferred name syntax a certificate must use: letters, digits and
 * hyphens in labels of 1-63 characters, no leading or trailing dot, at most 253 characters; a
 * wildcard only as the whole left-most label of a name with at least two more labels.
 */
export function isValidDnsName(name: string, { wildcard }: { wildcard: boolean }): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  if (wildcard && labels[0] === "*") {
    return labels.length >= 3 && labels.slice(1).every((label) => LABEL.test(label));
  }
  return labels.every((label) => LABEL.test(label));
}

function lower(text: string): string {
  return text.toLowerCase();
}

/**
 * RFC 5280 §4.2.1.10 DNS constraint: "example.com" covers example.com and every name below it;
 * ".example.com" only the names below it (as OpenSSL and Go read it); "" covers everything.
 */
export function dnsWithin(name: string, constraint: string): boolean {
  const n = lower(name).replace(/\.$/, "");
  const c = lower(constraint);
  if (c === "") return true;
  if (c.startsWith(".")) return n.endsWith(c);
  return n === c || n.endsWith(`.${c}`);
}

/**
 * Whether a wildcard name (`*.example.com`) may stand for a name inside an excluded subtree: it
 * does when the subtree covers every name the wildcard stands for, and also when the subtree is a
 * single name the wildcard matches (`bar.example.com`), which a client would accept for it.
 */
export function wildcardOverlaps(wildcard: string, constraint: string): boolean {
  if (dnsWithin(wildcard, constraint)) return true;
  const base = lower(wildcard).slice(2);
  const c = lower(constraint).replace(/^\./, "");
  if (!c.endsWith(`.${base}`)) return false;
  const label = c.slice(0, c.length - base.length - 1);
  return label.length > 0 && !label.includes(".");
}

/** IP constraint: address and mask (8 or 32 bytes); a name of the other family never matches. */
export function ipWithin(address: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== address.length * 2) return false;
  for (let i = 0; i < address.length; i += 1) {
    const mask = constraint[address.length + i]!;
    if ((address[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}

/** A constraint's address and mask are well formed: 8 or 32 bytes, the mask a run of ones. */
export function isValidIpConstraint(constraint: Uint8Array): boolean {
  if (constraint.length !== 8 && constraint.length !== 32) return false;
  const mask = constraint.subarray(constraint.length / 2);
  const bits = [...mask].map((byte) => byte.toString(2).padStart(8, "0")).join("");
  return /^1*0*$/.test(bits);
}

/** An e-mail address as RFC 5280 §4.2.1.10 compares it: local part as written, host case folded. */
export function parseMailbox(address: string): { local: string; host: string } | undefined {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return undefined;
  const local = address.slice(0, at);
  const host = address.slice(at + 1);
  if (local.includes("@") || !isValidDnsName(host, { wildcard: false })) return undefined;
  return { local, host: lower(host) };
}

/**
 * RFC 5280 §4.2.1.10 rfc822Name constraint: a mailbox ("foo@example.com", compared exactly, an
 * asterisk being a literal character), a host ("example.com": every mailbox there), or a domain
 * (".example.com": every mailbox on a host below it). Undefined when the constraint is malformed.
 */
export function emailWithin(address: string, constraint: string): boolean | undefined {
  const mailbox = parseMailbox(address);
  if (!mailbox) return false;
  if (constraint.includes("@")) {
    const wanted = parseMailbox(constraint);
    if (!wanted) return undefined;
    return wanted.local === mailbox.local && wanted.host === mailbox.host;
  }
  const c = lower(constraint);
  if (c.startsWith(".")) {
    if (!isValidDnsName(c.slice(1), { wildcard: false })) return undefined;
    return mailbox.host.endsWith(c);
  }
  if (!isValidDnsName(c, { wildcard: false })) return undefined;
  return mailbox.host === c;
}

/** The host of a URI, for URI constraints (which, like e-mail ones, name a host or a domain). */
export function uriHost(uri: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  const host = match?.[1];
  return host && host.length > 0 && !host.startsWith("[") ? lower(host) : undefined;
}

export function uriWithin(uri: string, constraint: string): boolean {
  const host = uriHost(uri);
  if (!host) return false;
  const c = lower(constraint);
  return c.startsWith(".") ? host.endsWith(c) : host === c;
}
