/**
 * What a single certificate on a path must be, apart from how it links to its neighbours: the
 * RFC 5280 certificate profile, the CA/Browser Forum profile modern TLS clients apply, and which
 * clients refuse a certificate that breaks each rule (see violation.ts for the severities).
 * Three roles: the certificate being checked (the leaf, judged for the purpose it serves), a CA on
 * the path (intermediate or trust anchor), and rules common to both.
 */
import type { ParsedCertificate } from "../certificate";
import { describeCertificate } from "../checks/finding";
import { verifiesWithOwnKey as signedByItself } from "../facts";
import { keyViolation } from "./algorithm-rules";
import { isValidDnsName } from "./names";
import { KEY_USAGE, OIDS } from "./profile";
import { extensionName, MUST_NOT_BE_CRITICAL, RULES, UNDERSTOOD } from "./rule-table";
import { type Violation, violation } from "./violation";

/** What the leaf is checked for: a TLS server, a TLS client, or no particular use. */
export type Purpose = "server" | "client" | "any";

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
  // Trust anchors are taken as configured: real roots carry serial 0 (Starfield's G2, for one).
  const anchor = role === "trusted CA";
  if (!anchor && !profile.serialNegative && profile.serialZero)
    found.push(violation(RULES.serialZero, cert, linkIndex, `${name} has the serial number 0`));
  if (!anchor && profile.serialOctets > 20)
    found.push(
      violation(
        RULES.serialTooLong,
        cert,
        linkIndex,
        `${name} has a serial number of ${profile.serialOctets} octets, more than the 20 RFC 5280 allows`,
      ),
    );
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
  // A TLS client proves its key by signing (or, with static DH, agreeing on) the handshake; only a
  // server may instead decrypt with it: OpenSSL's sslclient purpose and Java's checks hold to that.
  const clientUses = KEY_USAGE.digitalSignature | KEY_USAGE.keyAgreement;
  if (purpose === "client" && usage && !(usage.bits & clientUses))
    found.push(
      violation(
        RULES.clientKeyUsage,
        cert,
        0,
        `${name} does not allow digitalSignature or keyAgreement in keyUsage, which a TLS client needs`,
      ),
    );
  const serves = KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment | KEY_USAGE.keyAgreement;
  if (purpose !== "client" && usage && !(usage.bits & serves))
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
  // A root's authorityKeyIdentifier, when present, holds its own key identifier and nothing else
  // (CA/B Forum BR §7.1.2.1.3: keyIdentifier MUST be present, the other two MUST NOT).
  const aki = profile.authorityKeyId;
  const mismatch =
    aki !== undefined &&
    (aki.hasIssuer || aki.hasSerial || aki.keyId === undefined || aki.keyId !== profile.subjectKeyId?.keyId);
  if (anchor && mismatch && profile.subjectKey === profile.issuerKey && signedByItself(cert))
    found.push(
      violation(
        RULES.rootAki,
        cert,
        linkIndex,
        `${name} is self-signed but its authorityKeyIdentifier ${aki.hasIssuer || aki.hasSerial ? "names an issuer and serial number" : aki.keyId === undefined ? "has no keyIdentifier" : "does not match its own key identifier"}`,
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
