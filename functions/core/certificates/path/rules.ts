/**
 * What a single certificate on a path must be, apart from how it links to its neighbours: the
 * RFC 5280 certificate profile, the CA/Browser Forum profile modern TLS clients apply, and which
 * clients refuse a certificate that breaks each rule (see violation.ts for the severities).
 * Three roles: the certificate being checked (the leaf, judged for the purpose it serves), a CA on
 * the path (intermediate or trust anchor), and rules common to both.
 */
import type { ParsedCertificate } from "../certificate";
import { describeCertificate } from "../checks/finding";
import { keyViolation } from "./algorithms";
import { isValidDnsName } from "./names";
import { KEY_USAGE, OIDS } from "./profile";
import { type Rule, type Violation, violation } from "./violation";

/** What the leaf is checked for: a TLS server, a TLS client, or no particular use. */
export type Purpose = "server" | "client" | "any";

/** Extensions whose meaning the common clients implement; any other critical one is refused. */
const UNDERSTOOD = new Set<string>([
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
const MUST_NOT_BE_CRITICAL: Record<string, string> = {
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

const RULES = {
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
      "OpenSSL, which then does not recognise the root as self-signed (unable to get local issuer certificate), and pyca/cryptography",
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

/** How a certificate is named in a violation: its role, subject and place. */
export function who(cert: ParsedCertificate, role: string): string {
  return `${role} ${describeCertificate(cert)} (${cert.source})`;
}

/** Rules every certificate on a path must follow, whatever its role. */
export function commonRules(cert: ParsedCertificate, linkIndex: number, role: string): Violation[] {
  const { profile } = cert;
  const name = who(cert, role);
  const found: Violation[] = [];
  for (const oid of profile.duplicateExtensions)
    found.push(
      violation(
        RULES.duplicate,
        cert,
        linkIndex,
        `${name} carries the ${extensionName(oid)} extension twice`,
      ),
    );
  for (const { oid, critical } of profile.extensions) {
    if (!critical) continue;
    const mustNot = MUST_NOT_BE_CRITICAL[oid];
    if (mustNot)
      found.push(violation(RULES.mustNotBeCritical, cert, linkIndex, `${name} marks ${mustNot} critical`));
    else if (!UNDERSTOOD.has(oid))
      found.push(
        violation(
          RULES.unknownCritical,
          cert,
          linkIndex,
          `${name} carries a critical extension ${oid} that clients do not understand`,
        ),
      );
  }
  for (const { oid, detail } of profile.malformedExtensions)
    found.push(
      violation(
        oid === OIDS.authorityInfoAccess ? RULES.malformedAia : RULES.malformed,
        cert,
        linkIndex,
        `${name} has a malformed ${extensionName(oid)} extension (${detail})`,
      ),
    );
  if (!profile.signatureAlgorithmsMatch)
    found.push(
      violation(
        RULES.signatureMismatch,
        cert,
        linkIndex,
        `${name} names one signature algorithm inside and another outside its signed part`,
      ),
    );
  if (profile.version < 3 && profile.extensions.length > 0)
    found.push(
      violation(
        RULES.extensionsInV1,
        cert,
        linkIndex,
        `${name} is a version ${profile.version} certificate with extensions`,
      ),
    );
  if (profile.serialNegative)
    found.push(violation(RULES.negativeSerial, cert, linkIndex, `${name} has a negative serial number`));
  if (profile.issuerEmpty)
    found.push(violation(RULES.issuerEmpty, cert, linkIndex, `${name} has an empty issuer name`));
  const usage = profile.keyUsage;
  if (usage && usage.bits === 0)
    found.push(
      violation(RULES.keyUsageEmpty, cert, linkIndex, `${name} has a keyUsage extension with no usage set`),
    );
  if (!profile.basicConstraints?.cA && usage && usage.bits & KEY_USAGE.keyCertSign)
    found.push(
      violation(
        RULES.keyCertSignWithoutCa,
        cert,
        linkIndex,
        `${name} allows keyCertSign in keyUsage but is not a CA certificate`,
      ),
    );
  if (
    profile.basicConstraints &&
    !profile.basicConstraints.cA &&
    profile.basicConstraints.pathLen !== undefined
  )
    found.push(
      violation(
        RULES.pathLenWithoutCa,
        cert,
        linkIndex,
        `${name} has a pathLenConstraint but is not a CA certificate`,
      ),
    );
  const selfIssued = profile.subjectKey === profile.issuerKey;
  if (!selfIssued && profile.version === 3 && !profile.authorityKeyId?.keyId)
    found.push(violation(RULES.missingAki, cert, linkIndex, `${name} has no authority key identifier`));
  for (const san of profile.subjectAltName?.names ?? []) {
    if (san.kind === "ip" && san.bytes.length !== 4 && san.bytes.length !== 16)
      found.push(
        violation(
          RULES.ipSan,
          cert,
          linkIndex,
          `${name} lists an IP address of ${san.bytes.length} bytes in subjectAltName`,
        ),
      );
    if (san.kind === "dns" && !isValidDnsName(san.value, { wildcard: true }))
      found.push(
        violation(
          RULES.dnsSyntax,
          cert,
          linkIndex,
          `${name} lists "${san.value}", which is not a valid host name, in subjectAltName`,
        ),
      );
  }
  return found;
}

/** What the certificate being checked must be for its purpose (linkIndex 0). */
export function leafRules(cert: ParsedCertificate, purpose: Purpose): Violation[] {
  const { profile } = cert;
  const name = who(cert, "certificate");
  const found = commonRules(cert, 0, "certificate");
  const key = keyViolation(cert, 0, "certificate");
  if (key) found.push(key);
  if (profile.version < 3)
    found.push(violation(RULES.leafVersion, cert, 0, `${name} is a version ${profile.version} certificate`));
  if (profile.basicConstraints?.cA && purpose !== "any")
    found.push(
      violation(
        RULES.caAsLeaf,
        cert,
        0,
        `${name} is a CA certificate (basicConstraints cA=TRUE) used as a ${purpose} certificate`,
      ),
    );
  if (profile.nameConstraints)
    found.push(violation(RULES.leafNameConstraints, cert, 0, `${name} carries nameConstraints`));
  if (purpose === "any") return found;

  const wanted = purpose === "server" ? OIDS.serverAuth : OIDS.clientAuth;
  const label = purpose === "server" ? "serverAuth (TLS server)" : "clientAuth (TLS client)";
  const eku = profile.extKeyUsage;
  if (eku && !eku.purposes.includes(wanted)) {
    found.push(
      eku.purposes.length > 0 && eku.purposes.every((p) => p === OIDS.anyExtendedKeyUsage)
        ? violation(RULES.ekuAnyOnly, cert, 0, `${name} allows only anyExtendedKeyUsage, not ${label}`)
        : violation(
            RULES.ekuMissingPurpose,
            cert,
            0,
            `${name} does not allow ${label} in extendedKeyUsage${eku.purposes.length === 0 ? " (the extension is empty)" : ""}`,
          ),
    );
  } else if (eku?.critical) {
    found.push(violation(RULES.ekuCritical, cert, 0, `${name} marks extendedKeyUsage critical`));
  }
  const usage = profile.keyUsage;
  const serves = KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment | KEY_USAGE.keyAgreement;
  if (usage && !(usage.bits & serves))
    found.push(
      violation(
        RULES.leafKeyUsage,
        cert,
        0,
        `${name} does not allow digitalSignature, keyEncipherment or keyAgreement in keyUsage`,
      ),
    );
  const san = profile.subjectAltName;
  if (san && profile.subjectEmpty && !san.critical)
    found.push(
      violation(
        RULES.sanNotCriticalEmptySubject,
        cert,
        0,
        `${name} has an empty subject and a non-critical subjectAltName`,
      ),
    );
  if (purpose === "server" && san) {
    if (!profile.subjectEmpty && san.critical)
      found.push(violation(RULES.sanCriticality, cert, 0, `${name} marks subjectAltName critical`));
  }
  return found;
}

/**
 * What a CA certificate on the path must be (an intermediate, a trust anchor, or a CA checked on
 * its own). Path length, name constraints and the purpose are checked where the path is known.
 */
export function caRules(
  cert: ParsedCertificate,
  linkIndex: number,
  role: "intermediate" | "trusted CA" | "CA certificate",
): Violation[] {
  const { profile } = cert;
  const name = who(cert, role);
  const found = commonRules(cert, linkIndex, role);
  const anchor = role === "trusted CA";
  const bc = profile.basicConstraints;
  if (!bc?.cA) {
    if (anchor && profile.version < 3)
      found.push(
        violation(RULES.anchorV1, cert, linkIndex, `${name} is a version ${profile.version} certificate`),
      );
    else
      found.push(
        violation(
          anchor ? RULES.anchorNotCa : RULES.notCa,
          cert,
          linkIndex,
          profile.version < 3
            ? `${name} is a version ${profile.version} certificate, which cannot carry basicConstraints, so it is not a CA certificate`
            : `${name} is not a CA certificate (${bc ? "basicConstraints cA=FALSE" : "no basicConstraints"}), so it cannot vouch for other certificates`,
        ),
      );
    return found;
  }
  if (!bc.critical)
    found.push(
      violation(RULES.caNotCritical, cert, linkIndex, `${name} does not mark basicConstraints critical`),
    );
  if (!profile.keyUsage)
    found.push(violation(RULES.caKeyUsageMissing, cert, linkIndex, `${name} has no keyUsage extension`));
  else if (!(profile.keyUsage.bits & KEY_USAGE.keyCertSign))
    found.push(
      violation(
        RULES.caKeyCertSign,
        cert,
        linkIndex,
        `${name} does not allow keyCertSign in keyUsage, so its key may not sign certificates`,
      ),
    );
  if (!profile.subjectKeyId)
    found.push(violation(RULES.caSkiMissing, cert, linkIndex, `${name} has no subject key identifier`));
  if (profile.subjectEmpty)
    found.push(violation(RULES.caSubjectEmpty, cert, linkIndex, `${name} has an empty subject name`));
  const nc = profile.nameConstraints;
  if (nc && nc.permitted.length === 0 && nc.excluded.length === 0)
    found.push(
      violation(
        RULES.nameConstraintsEmpty,
        cert,
        linkIndex,
        `${name} has a nameConstraints extension with no permitted or excluded subtree`,
      ),
    );
  const aki = profile.authorityKeyId;
  const mismatch =
    aki !== undefined &&
    (aki.hasIssuer ||
      aki.hasSerial ||
      (aki.keyId !== undefined && aki.keyId !== profile.subjectKeyId?.keyId));
  if (anchor && mismatch && profile.subjectKey === profile.issuerKey && signedByItself(cert))
    found.push(
      violation(
        RULES.rootAki,
        cert,
        linkIndex,
        `${name} is self-signed but its authorityKeyIdentifier ${aki.hasIssuer || aki.hasSerial ? "names an issuer and serial number" : "does not match its own key identifier"}`,
      ),
    );
  else if (aki?.hasIssuer || aki?.hasSerial)
    found.push(
      violation(
        RULES.caAkiFields,
        cert,
        linkIndex,
        `${name} has authorityCertIssuer or authorityCertSerialNumber in its authorityKeyIdentifier`,
      ),
    );
  return found;
}

function signedByItself(cert: ParsedCertificate): boolean {
  if (!cert.key) return false;
  try {
    return cert.node.verify(cert.key);
  } catch {
    return false;
  }
}

/** The purpose a CA's extendedKeyUsage, when present, must allow (as browsers, Go and OpenSSL nest it). */
export function caPurposeViolation(
  cert: ParsedCertificate,
  linkIndex: number,
  role: string,
  purpose: Purpose,
): Violation | undefined {
  const eku = cert.profile.extKeyUsage;
  if (purpose === "any" || !eku) return undefined;
  const wanted = purpose === "server" ? OIDS.serverAuth : OIDS.clientAuth;
  if (eku.purposes.includes(wanted) || eku.purposes.includes(OIDS.anyExtendedKeyUsage)) return undefined;
  return violation(
    RULES.caEku,
    cert,
    linkIndex,
    `${who(cert, role)} restricts its extendedKeyUsage to purposes that do not include ${purpose === "server" ? "serverAuth" : "clientAuth"}`,
  );
}
