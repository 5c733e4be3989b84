/**
 * The rules of path validation as data: per rule, its reason code, severity, the clause that
 * states it, the clients that refuse a certificate breaking it and the fix. RULES are what one
 * certificate must be (rules.ts), LINK_RULES how certificates link into a path (validate.ts); and
 * the extensions clients understand, or refuse when critical.
 */
import { OIDS } from "./profile";
import type { Rule } from "./violation";

/** Extensions whose meaning the common clients implement; any other critical one is refused. */
export const UNDERSTOOD = new Set<string>([
  OIDS.keyUsage,
  OIDS.subjectAltName,
  OIDS.basicConstraints,
  OIDS.nameConstraints,
  OIDS.extKeyUsage,
  OIDS.certificatePolicies,
  OIDS.policyMappings,
  OIDS.policyConstraints,
  OIDS.inhibitAnyPolicy,
  OIDS.crlDistributionPoints,
]);

/** Extensions RFC 5280 says MUST be non-critical; OpenSSL and rustls refuse them as unhandled when critical. */
export const MUST_NOT_BE_CRITICAL: Record<string, string> = {
  [OIDS.authorityKeyIdentifier]: "authorityKeyIdentifier (RFC 5280 §4.2.1.1)",
  [OIDS.subjectKeyIdentifier]: "subjectKeyIdentifier (RFC 5280 §4.2.1.2)",
  [OIDS.authorityInfoAccess]: "authorityInfoAccess (RFC 5280 §4.2.2.1)",
};

const EXTENSION_NAMES: Record<string, string> = {
  [OIDS.subjectKeyIdentifier]: "subjectKeyIdentifier",
  [OIDS.keyUsage]: "keyUsage",
  [OIDS.subjectAltName]: "subjectAltName",
  [OIDS.basicConstraints]: "basicConstraints",
  [OIDS.nameConstraints]: "nameConstraints",
  [OIDS.authorityKeyIdentifier]: "authorityKeyIdentifier",
  [OIDS.extKeyUsage]: "extKeyUsage",
  [OIDS.authorityInfoAccess]: "authorityInfoAccess",
};

export function extensionName(oid: string): string {
  return EXTENSION_NAMES[oid] ?? oid;
}

const REISSUE =
  "Re-issue the certificate with a correct profile (openssl x509 -noout -text -in FILE shows its extensions).";

export const RULES = {
  duplicate: {
    reason: "duplicate-extension",
    severity: "major",
    clause: "RFC 5280 §4.2",
    rejectedBy: "OpenSSL, Go and rustls",
    fix: "Re-issue the certificate; the tool that made it wrote an extension twice.",
  },
  unknownCritical: {
    reason: "unknown-critical-extension",
    severity: "major",
    clause: "RFC 5280 §4.2",
    rejectedBy: "every TLS client (a critical extension it does not understand)",
    fix: "Re-issue the certificate without that extension, or with it marked non-critical.",
  },
  mustNotBeCritical: {
    reason: "extension-must-not-be-critical",
    severity: "major",
    clause: "RFC 5280 §4.2.1.1, §4.2.1.2, §4.2.2.1",
    rejectedBy:
      "OpenSSL and rustls (as an unhandled critical extension) and pyca/cryptography; Go accepts it",
    fix: "Re-issue the certificate with that extension marked non-critical.",
  },
  malformed: {
    reason: "malformed-extension",
    severity: "major",
    clause: "RFC 5280 §4.2",
    rejectedBy: "Go and OpenSSL, which fail to parse the certificate",
    fix: REISSUE,
  },
  malformedAia: {
    reason: "malformed-extension",
    severity: "minor",
    clause: "RFC 5280 §4.2.2.1",
    rejectedBy: "Go (x509: invalid authority info access) and pyca/cryptography; OpenSSL accepts it",
    fix: REISSUE,
  },
  signatureMismatch: {
    reason: "signature-algorithm-mismatch",
    severity: "major",
    clause: "RFC 5280 §4.1.1.2",
    rejectedBy: "Go, rustls and OpenSSL in strict mode",
    fix: REISSUE,
  },
  extensionsInV1: {
    reason: "extensions-in-v1-certificate",
    severity: "minor",
    clause: "RFC 5280 §4.1.2.1",
    rejectedBy: "OpenSSL in strict mode (Python 3.13 and later) and rustls",
    fix: "Re-issue it as a version 3 certificate.",
  },
  negativeSerial: {
    reason: "negative-serial-number",
    severity: "minor",
    clause: "RFC 5280 §4.1.2.2",
    rejectedBy: "Go 1.23 and later, and pyca/cryptography",
    fix: "Re-issue it with a positive serial number.",
  },
  serialTooLong: {
    reason: "serial-number-too-long",
    severity: "warning",
    clause: "RFC 5280 §4.1.2.2",
    rejectedBy: "pyca/cryptography; the common clients accept it",
    fix: "Re-issue it with a serial number of at most 20 octets (OpenSSL and every CA tool write 16 to 20).",
  },
  serialZero: {
    reason: "serial-number-zero",
    severity: "warning",
    clause: "RFC 5280 §4.1.2.2",
    rejectedBy:
      "strict validators (a serial number must be a positive integer); the common clients accept it",
    fix: "Re-issue it with a random positive serial number (openssl x509 -req writes one).",
  },
  issuerEmpty: {
    reason: "empty-issuer-name",
    severity: "minor",
    clause: "RFC 5280 §4.1.2.4",
    rejectedBy: "OpenSSL in strict mode (Python 3.13 and later) and pyca/cryptography",
    fix: "Re-issue it from a CA with a non-empty subject name.",
  },
  missingAki: {
    reason: "missing-authority-key-identifier",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.1",
    rejectedBy:
      "OpenSSL in strict mode, which Python 3.13 and later use by default, and pyca/cryptography; Go, browsers and Java accept it",
    fix: "Re-issue it with authorityKeyIdentifier=keyid (the default of OpenSSL 3, cfssl and Go).",
  },
  ipSan: {
    reason: "malformed-ip-address",
    severity: "major",
    clause: "RFC 5280 §4.2.1.6",
    rejectedBy: "Go (it cannot parse the certificate) and OpenSSL",
    fix: "Re-issue it with IP addresses of 4 (IPv4) or 16 (IPv6) bytes in subjectAltName.",
  },
  dnsSyntax: {
    reason: "malformed-dns-name",
    severity: "warning",
    clause: "RFC 5280 §4.2.1.6 (preferred name syntax), CA/B Forum BR §7.1.2.7.12",
    rejectedBy: "pyca/cryptography; Go and OpenSSL accept it",
    fix: "Re-issue it with host names made of letters, digits and hyphens only.",
  },
  keyCertSignWithoutCa: {
    reason: "key-cert-sign-without-ca",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.3, §4.2.1.9",
    rejectedBy: "OpenSSL in strict mode (Python 3.13 and later) and pyca/cryptography",
    fix: "Re-issue it without keyCertSign in keyUsage (or, for a CA, with basicConstraints cA=TRUE).",
  },
  pathLenWithoutCa: {
    reason: "path-length-without-ca",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.9",
    rejectedBy: "OpenSSL in strict mode (Python 3.13 and later)",
    fix: "Re-issue it without pathLenConstraint, which only a CA certificate may carry.",
  },
  keyUsageEmpty: {
    reason: "key-usage-empty",
    severity: "warning",
    clause: "RFC 5280 §4.2.1.3, CA/B Forum BR §7.1.2.7.11",
    rejectedBy: "pyca/cryptography; the common clients accept it",
    fix: "Re-issue it with the key usages it needs (digitalSignature for a TLS certificate), or without keyUsage.",
  },
  leafVersion: {
    reason: "not-version-3",
    severity: "minor",
    clause: "CA/B Forum BR §7.1.1",
    rejectedBy: "rustls and pyca/cryptography; OpenSSL and Go accept it",
    fix: "Re-issue it as a version 3 certificate with subjectAltName.",
  },
  // Leaf (the certificate checked for a purpose)
  ekuMissingPurpose: {
    reason: "extended-key-usage",
    severity: "major",
    clause: "RFC 5280 §4.2.1.12",
    rejectedBy: "browsers, Go, OpenSSL, Java and rustls",
    fix: "Re-issue it with extendedKeyUsage including the purpose it serves (serverAuth for a TLS server, clientAuth for a client).",
  },
  ekuAnyOnly: {
    reason: "extended-key-usage-any",
    severity: "minor",
    clause: "CA/B Forum BR §7.1.2.7.10",
    rejectedBy: "rustls and pyca/cryptography; Go and OpenSSL accept anyExtendedKeyUsage",
    fix: "Re-issue it with extendedKeyUsage naming the purpose itself (serverAuth or clientAuth).",
  },
  ekuCritical: {
    reason: "extended-key-usage-critical",
    severity: "warning",
    clause: "CA/B Forum BR §7.1.2.7.10",
    rejectedBy: "pyca/cryptography; the common clients accept it",
    fix: "Re-issue it with extendedKeyUsage marked non-critical.",
  },
  leafKeyUsage: {
    reason: "key-usage",
    severity: "major",
    clause: "RFC 5280 §4.2.1.3, RFC 8446 §4.4.2.2",
    rejectedBy: "OpenSSL and browsers",
    fix: "Re-issue it with keyUsage digitalSignature (and keyEncipherment for RSA keys), or without keyUsage.",
  },
  clientKeyUsage: {
    reason: "key-usage",
    severity: "major",
    clause: "RFC 5280 §4.2.1.3, RFC 8446 §4.4.2.2",
    rejectedBy: "OpenSSL and Java, as TLS servers checking a client certificate",
    fix: "Re-issue it with keyUsage digitalSignature (a TLS client signs the handshake), or without keyUsage.",
  },
  caAsLeaf: {
    reason: "ca-certificate-as-leaf",
    severity: "minor",
    clause: "CA/B Forum BR §7.1.2.7.8",
    rejectedBy: "rustls and pyca/cryptography; OpenSSL and Go accept it",
    fix: "Issue a separate end-entity certificate (basicConstraints cA=FALSE) for the service, signed by this CA.",
  },
  leafNameConstraints: {
    reason: "name-constraints-in-leaf",
    severity: "warning",
    clause: "RFC 5280 §4.2.1.10",
    rejectedBy: "pyca/cryptography; the common clients ignore it",
    fix: "Re-issue it without nameConstraints, which belong in CA certificates only.",
  },
  sanCriticality: {
    reason: "subject-alt-name-criticality",
    severity: "warning",
    clause: "CA/B Forum BR §7.1.2.7.12",
    rejectedBy: "pyca/cryptography; the common clients accept it",
    fix: "Re-issue it with subjectAltName marked non-critical.",
  },
  sanNotCriticalEmptySubject: {
    reason: "subject-alt-name-criticality",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.6",
    rejectedBy: "OpenSSL in strict mode (Python 3.13 and later) and pyca/cryptography",
    fix: "Re-issue it with subjectAltName marked critical, or with a subject name.",
  },
  // CA certificates on the path
  notCa: {
    reason: "issuer-not-ca",
    severity: "major",
    clause: "RFC 5280 §4.2.1.9, §6.1.4 (k)",
    rejectedBy: "every TLS client",
    fix: "Re-issue the certificate from a proper CA certificate (basicConstraints critical, cA=TRUE, keyUsage keyCertSign).",
  },
  anchorNotCa: {
    reason: "issuer-not-ca",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.9",
    rejectedBy: "OpenSSL and pyca/cryptography; Go and rustls accept a trust anchor without basicConstraints",
    fix: "Replace the trusted CA certificate with one that has basicConstraints cA=TRUE.",
  },
  anchorV1: {
    reason: "version-1-trust-anchor",
    severity: "warning",
    clause: "RFC 5280 §4.1.2.1, CA/B Forum BR §7.1.1",
    rejectedBy: "pyca/cryptography; OpenSSL, Go and rustls accept a version 1 trust anchor",
    fix: "Replace the trusted CA certificate with a version 3 one (basicConstraints cA=TRUE).",
  },
  caNotCritical: {
    reason: "basic-constraints-not-critical",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.9",
    rejectedBy:
      "OpenSSL in strict mode (Python 3.13 and later) and pyca/cryptography; Go, browsers and Java accept it",
    fix: "Re-issue the CA certificate with basicConstraints marked critical.",
  },
  caKeyUsageMissing: {
    reason: "ca-key-usage-missing",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.3",
    rejectedBy:
      "OpenSSL in strict mode (Python 3.13 and later) and pyca/cryptography; Go, browsers and Java accept it",
    fix: "Re-issue the CA certificate with keyUsage keyCertSign (and cRLSign).",
  },
  caKeyCertSign: {
    reason: "issuer-key-usage",
    severity: "major",
    clause: "RFC 5280 §4.2.1.3, §6.1.4 (n)",
    rejectedBy: "OpenSSL, rustls and browsers; Go does not check it",
    fix: "Re-issue the CA certificate with keyUsage keyCertSign.",
  },
  caSkiMissing: {
    reason: "ca-subject-key-identifier-missing",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.2",
    rejectedBy: "OpenSSL in strict mode (Python 3.13 and later); the other clients accept it",
    fix: "Re-issue the CA certificate with subjectKeyIdentifier=hash.",
  },
  caSubjectEmpty: {
    reason: "ca-subject-empty",
    severity: "minor",
    clause: "RFC 5280 §4.1.2.6",
    rejectedBy: "OpenSSL in strict mode (Python 3.13 and later) and pyca/cryptography",
    fix: "Re-issue the CA certificate with a subject name.",
  },
  caEku: {
    reason: "issuer-extended-key-usage",
    severity: "major",
    clause: "RFC 5280 §4.2.1.12 (as browsers, Go and OpenSSL apply it to CAs)",
    rejectedBy: "browsers, Go and OpenSSL",
    fix: "Use a CA whose extendedKeyUsage includes the purpose (or that has no extendedKeyUsage).",
  },
  nameConstraintsEmpty: {
    reason: "name-constraints-empty",
    severity: "minor",
    clause: "RFC 5280 §4.2.1.10, CA/B Forum BR §7.1.2.5.2",
    rejectedBy: "Go (x509: empty name constraints extension) and pyca/cryptography",
    fix: "Re-issue the CA certificate with at least one permitted or excluded subtree, or without nameConstraints.",
  },
  rootAki: {
    reason: "root-authority-key-identifier",
    severity: "minor",
    clause: "CA/B Forum BR §7.1.2.1.3",
    rejectedBy:
      "OpenSSL where the identifier names another key (it then does not take the root as self-signed: unable to get local issuer certificate; OpenSSL 3.0 accepts an empty one), and pyca/cryptography",
    fix: "Replace the root with one whose authorityKeyIdentifier holds only its own key identifier.",
  },
  caAkiFields: {
    reason: "authority-key-identifier-fields",
    severity: "warning",
    clause: "CA/B Forum BR §7.1.2.11.1",
    rejectedBy: "pyca/cryptography; the common clients accept it",
    fix: "Re-issue the CA certificate with authorityKeyIdentifier=keyid only.",
  },
} satisfies Record<string, Rule>;

/** How certificates link into a path: issuer found, signature, validity, path length and size. */
export const LINK_RULES = {
  noIssuer: {
    reason: "no-issuer",
    severity: "major",
    clause: "RFC 5280 §6.1",
    rejectedBy: "every TLS client (unable to get local issuer certificate)",
    fix: "Add the missing intermediate CA certificate after the certificate in the file, or check that it was issued by the trusted CA.",
  },
  selfSigned: {
    reason: "self-signed-untrusted",
    severity: "major",
    clause: "RFC 5280 §6.1",
    rejectedBy: "every TLS client (self-signed certificate)",
    fix: "Replace it with a certificate issued by the trusted CA, or add this certificate to the trusted CA bundle if it is meant to be trusted.",
  },
  badSignature: {
    reason: "bad-signature",
    severity: "major",
    clause: "RFC 5280 §6.1.3 (a)(1)",
    rejectedBy: "every TLS client (certificate signature failure)",
    fix: "The certificate was issued by another CA that reuses the name; re-issue it from the trusted CA.",
  },
  expired: {
    reason: "issuer-expired",
    severity: "major",
    clause: "RFC 5280 §6.1.3 (a)(2)",
    rejectedBy: "every TLS client (certificate has expired)",
    fix: "Renew that CA certificate (or replace it with its renewed version) and put the new one in the chain.",
  },
  notYetValid: {
    reason: "issuer-not-yet-valid",
    severity: "major",
    clause: "RFC 5280 §6.1.3 (a)(2)",
    rejectedBy: "every TLS client (certificate is not yet valid)",
    fix: "That CA certificate was issued while a clock ran ahead; re-issue it once the clock is right.",
  },
  pathLength: {
    reason: "path-length-exceeded",
    severity: "major",
    clause: "RFC 5280 §4.2.1.9, §6.1.4 (l)",
    rejectedBy: "every TLS client (path length constraint exceeded)",
    fix: "Issue the certificate from a CA closer to the root, or re-issue the CA with a larger pathLenConstraint.",
  },
  tooLong: {
    reason: "chain-too-long",
    severity: "major",
    clause: "RFC 5280 §6.1 (clients bound the path length)",
    rejectedBy: "Go, pyca/cryptography and rustls beyond 8 intermediates, OpenSSL beyond its verify depth",
    fix: "Remove unrelated or cross-signed CA certificates from the file, or shorten the chain.",
  },
  tooComplex: {
    reason: "chain-too-complex",
    severity: "major",
    clause: "RFC 5280 §6.1 (clients bound the path search)",
    rejectedBy: "Go, rustls and pyca/cryptography, which stop after about 100 signature checks",
    fix: "Remove duplicate, unrelated or cross-signed CA certificates from the file, so that one path leads to the trusted CA.",
  },
} satisfies Record<string, Rule>;
