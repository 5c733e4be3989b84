/**
 * `hostname-mismatch`: does the certificate a service presents as its own name the hosts it is
 * expected to serve? Which certificates those are, CA flag or not, is end-certificates.ts's call.
 * Matching follows RFC 6125 §6.4 as browsers and Go's crypto/x509 apply it:
 * - Only subjectAltName entries count. A certificate with no DNS name in its subjectAltName that
 *   names the host in its subject common name is still a finding: OpenSSL-based clients and Java
 *   fall back to the common name and accept it, but Go (since 1.15), Chrome, Firefox, Safari and
 *   rustls ignore the common name (CA/B Forum BR §7.1.4.3 deprecates it) and refuse the
 *   certificate. It is `minor` (some clients refuse it), where a name no client finds is `major`.
 * - A wildcard is a whole left-most label (`*.example.com`) and covers exactly one label; partial
 *   wildcards (`f*.example.com`) and wildcards over fewer than three labels (`*.com`) match
 *   nothing. (A real public-suffix list would be needed to also refuse `*.co.uk`.)
 * - IP addresses match IP SANs only, compared as bytes (so `2001:DB8::1` = `2001:db8:0::1`).
 * - Comparison is case-insensitive and ignores one trailing dot. Internationalised names are
 *   compared as A-labels (`xn--…`): a U-label on either side is converted with UTS #46 first.
 */
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import type { Finding } from "../../contracts";
import type { CertificateFacts } from "../facts";
import { describeCertificate, makeFinding } from "./finding";

type NamedCertificate = Pick<CertificateFacts, "dnsNames" | "ipAddresses" | "commonNames">;

/** True when the certificate's subjectAltName covers `host` (a DNS name or an IPv4/IPv6 address). */
export function coversHost(cert: NamedCertificate, host: string): boolean {
  const ip = normaliseIp(host);
  if (ip) return cert.ipAddresses.some((presented) => normaliseIp(presented) === ip);
  return matchesAny(cert.dnsNames, host);
}

/**
 * True when only the legacy fallback covers `host`: the certificate has no DNS name in its
 * subjectAltName and its common name matches, which OpenSSL and Java accept and Go, browsers and
 * rustls do not.
 */
export function coveredByCommonNameOnly(cert: NamedCertificate, host: string): boolean {
  if (cert.dnsNames.length > 0 || normaliseIp(host) !== undefined) return false;
  return matchesAny(cert.commonNames, host);
}

function matchesAny(patterns: readonly string[], host: string): boolean {
  const reference = normaliseDnsName(host);
  if (reference === "") return false;
  return patterns.some((pattern) => matchesPattern(normaliseDnsName(pattern), reference));
}

/** The clients that still fall back to the common name, and those that refuse it. */
export const COMMON_NAME_FALLBACK = {
  acceptedBy: "OpenSSL-based clients (curl, Python, Nginx and HAProxy upstreams) and Java",
  rejectedBy: "Go (since 1.15: kubectl, etcd, Prometheus, Docker), Chrome, Firefox, Safari and rustls",
} as const;

export function checkHostname(cert: CertificateFacts, expectedHosts: readonly string[]): Finding | undefined {
  const missing = expectedHosts.filter((host) => !coversHost(cert, host));
  if (missing.length === 0) return undefined;

  const byCommonName = cert.dnsNames.length === 0;
  if (byCommonName && missing.every((host) => coveredByCommonNameOnly(cert, host))) {
    return makeFinding(
      "hostname-mismatch",
      cert.source,
      `Certificate ${describeCertificate(cert)} names ${missing.join(", ")} only in its Common Name and has no ` +
        `subjectAltName DNS entry: ${COMMON_NAME_FALLBACK.rejectedBy} ignore the Common Name and reject it; ` +
        `${COMMON_NAME_FALLBACK.acceptedBy} still accept it (CA/B Forum BR §7.1.4.3, RFC 6125 §6.4.4). ` +
        "Re-issue the certificate with every expected name in its Subject Alternative Names.",
      {
        expected: [...expectedHosts],
        missing,
        reason: "common-name-only",
        nameSource: "commonName",
        rejectedBy: COMMON_NAME_FALLBACK.rejectedBy,
        acceptedBy: COMMON_NAME_FALLBACK.acceptedBy,
        presentedDnsNames: cert.dnsNames,
        presentedIpAddresses: cert.ipAddresses,
        commonNames: cert.commonNames,
      },
      "minor",
    );
  }

  const presented = byCommonName
    ? [...cert.commonNames, ...cert.ipAddresses]
    : [...cert.dnsNames, ...cert.ipAddresses];
  const headline = byCommonName
    ? "Common Name in certificate does not match"
    : "Names in certificate do not match";
  return makeFinding(
    "hostname-mismatch",
    cert.source,
    `${headline}: certificate ${describeCertificate(cert)} names ${presented.join(", ") || "nothing"}; ` +
      `expected ${missing.join(", ")}. Clients connecting to ${missing.length === 1 ? "that name" : "those names"} ` +
      "reject it. Re-issue the certificate with every expected name in its Subject Alternative Names.",
    {
      expected: [...expectedHosts],
      missing,
      nameSource: byCommonName ? "commonName" : "subjectAltName",
      presentedDnsNames: cert.dnsNames,
      presentedIpAddresses: cert.ipAddresses,
      commonNames: cert.commonNames,
    },
  );
}

/**
 * `pattern` and `reference` are normalised and `reference` is not empty, so neither has an empty
 * label. A wildcard pattern covers a reference whose labels after the first are the pattern's own:
 * that takes the same number of labels, and no '*' beyond the first label can match, since the
 * reference holds none.
 */
function matchesPattern(pattern: string, reference: string): boolean {
  // A reference that itself holds '*' is not a host name; only the identical text matches it.
  if (!pattern.includes("*") || reference.includes("*")) return pattern === reference;
  const [first, ...rest] = pattern.split(".");
  if (first !== "*" || rest.length < 2) return false;
  const [, ...referenceRest] = reference.split(".");
  return referenceRest.join(".") === rest.join(".");
}

/** Lower case, one trailing dot removed, U-labels turned into A-labels; "" when not a valid name. */
export function normaliseDnsName(name: string): string {
  let value = name.trim().toLowerCase();
  if (value.endsWith(".")) value = value.slice(0, -1);
  if (value.startsWith(".") || value.endsWith(".") || value.includes("..")) return "";
  // An ASCII name is compared as written: Node's domainToASCII validates A-labels differently from
  // one version to the next (Node 20 refuses "xn--a.example", Node 24 keeps it), and a host name
  // must not match, or stop matching, with the runtime.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the ASCII test itself
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  // A U-label becomes its A-label; a wildcard label passes through; a name UTS #46 refuses is "".
  return domainToASCII(value);
}

/** Canonical text of an IPv4/IPv6 address (brackets and zone removed), or undefined for a name. */
export function normaliseIp(text: string): string | undefined {
  let value = text.trim();
  if (value.startsWith("[") && value.endsWith("]")) value = value.slice(1, -1);
  const family = isIP(value);
  if (family === 4) return value.split(".").map(Number).join(".");
  if (family !== 6) return undefined;
  // The zone ("%eth0") names an interface, not the address. Hex digits are read in either case.
  return expandIpv6(value.split("%")[0]!);
}

function expandIpv6(value: string): string {
  const toGroups = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [Number.parseInt(group, 16)];
          const [a, b, c, d] = group.split(".").map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  // split always yields a first part: "" for an address that starts with "::".
  const [head, tail] = value.split("::") as [string, string?];
  const headGroups = toGroups(head);
  const tailGroups = tail === undefined ? [] : toGroups(tail);
  const zeros = new Array<number>(8 - headGroups.length - tailGroups.length).fill(0);
  return [...headGroups, ...zeros, ...tailGroups].map((group) => group.toString(16)).join(":");
}
