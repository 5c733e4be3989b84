/**
 * Cases whose expected verdict watchpost deliberately does not follow, each with its reason. They
 * are run and printed like every case, but left out of the agreement figure (cases.ts). An entry
 * ending in `::` covers every case whose id starts with it. docs/conformance.md explains each.
 */
export interface Deviation {
  id: string;
  reason: string;
}

export const DEVIATIONS: readonly Deviation[] = [
  {
    id: "rfc5280::ca-as-leaf",
    reason:
      "conflicts with webpki::ca-as-leaf; watchpost sides with the TLS clients (rustls, OpenSSL's sslserver purpose) that refuse a CA certificate as a server certificate",
  },
  {
    id: "webpki::cn::",
    reason:
      "CA/B Forum BR §7.1.4.3 (common name a character-for-character copy of a SAN entry) is an issuance rule no TLS client enforces, and the suite's own SUCCESS cases carry common names outside their SANs (rfc5280::nc::permitted-dns-match-more, webpki::san::exact-localhost-ip-san)",
  },
];

export function deviationOf(id: string): Deviation | undefined {
  return DEVIATIONS.find((d) => (d.id.endsWith("::") ? id.startsWith(d.id) : id === d.id));
}
