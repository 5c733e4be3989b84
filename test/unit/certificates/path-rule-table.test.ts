/**
 * One certificate per path rule, generated at test time, that breaks that rule and nothing else
 * (or, where a rule cannot be broken alone, the rule it drags along, named too), and the
 * `untrusted-chain` finding an operator reads for it: which link, which rule, how bad, and the
 * whole sentence. The good root, intermediate and leaf of test/support/crafted-certs.ts give no
 * finding; each row changes one field of one of them. Rules and their clauses: path/rule-table.ts.
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseCertificate } from "../../../functions/core/certificates/certificate";
import { checkChains } from "../../../functions/core/certificates/checks/chain";
import { RULES } from "../../../functions/core/certificates/path/rule-table";
import type { Purpose } from "../../../functions/core/certificates/path/rules";
import { severityRank } from "../../../functions/core/certificates/path/violation";
import type { Finding, Severity } from "../../../functions/core/contracts";
import {
  ANY_EKU,
  CLIENT_AUTH,
  type Crafted,
  craft,
  ECDSA_SHA384,
  ext,
  freshKeys,
  goodIntermediate,
  goodLeaf,
  goodRoot,
  KU,
  keyIdOf,
  replacing,
  SERVER_AUTH,
} from "../../support/crafted-certs";

const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
} as const;

interface Case {
  /** The certificates of the file (the checked one first) and the trusted CAs. */
  certs: Crafted[];
  anchors: Crafted[];
  purpose?: Purpose;
  presentedChain?: boolean;
}

/** The untrusted-chain finding on the file's first certificate, if any. */
function judge({ certs, anchors, purpose = "server", presentedChain = false }: Case): Finding | undefined {
  const findings = checkChains(
    certs.map((c, index) => parseCertificate(c.der, "tls.pem", index)),
    anchors.map((c, index) => parseCertificate(c.der, "ca.pem", index)),
    { now: new Date(), skewSeconds: 300, purpose, presentedChain },
  );
  return findings.find((f) => f.source === "tls.pem#0");
}

/** How the finding opens, by severity; `name` is the certificate as messages name it. */
function headline(severity: Severity, name: string): string {
  if (severityRank(severity) >= severityRank("major"))
    return `Certificate ${name} does not chain to a trusted CA`;
  return severity === "minor"
    ? `Certificate ${name} is refused by some clients`
    : `Certificate ${name} breaks a rule strict validators enforce`;
}

const LEAF = 'certificate "CN=node1.cluster.local" (tls.pem#0)';
const INTERMEDIATE = 'intermediate "CN=Crafted Issuing CA, O=watchpost" (tls.pem#1)';
const ANCHOR = 'trusted CA "CN=Crafted Root CA, O=watchpost" (ca.pem#0)';

/** A leaf under a good root, changed by `change`. */
function leafCase(
  change: Parameters<typeof goodLeaf>[2],
  options: Parameters<typeof goodLeaf>[3] = {},
  more: Partial<Case> = {},
): Case {
  const root = goodRoot();
  return { certs: [goodLeaf(root, undefined, change, options)], anchors: [root], ...more };
}

/** A good leaf under an intermediate changed by `change`, under a good root. */
function intermediateCase(
  change: Parameters<typeof goodIntermediate>[2],
  options: Parameters<typeof goodIntermediate>[3] = {},
  more: Partial<Case> = {},
  authorityKeyId?: (root: Crafted) => ReturnType<typeof ext.authorityKeyId>,
): Case {
  const root = goodRoot();
  const aki = authorityKeyId
    ? replacing(OID.authorityKeyId, authorityKeyId(root))
    : (e: ReturnType<typeof ext.unknown>[]) => e;
  const intermediate = goodIntermediate(
    root,
    undefined,
    (e, keys) => aki(change ? change(e, keys) : e),
    options,
  );
  return { certs: [goodLeaf(intermediate), intermediate], anchors: [root], ...more };
}

/** A good leaf directly under a trusted root changed by `change`. */
function anchorCase(
  change: Parameters<typeof goodRoot>[1],
  options: Parameters<typeof goodRoot>[2] = {},
  more: Partial<Case> = {},
): Case {
  const root = goodRoot(undefined, change, options);
  return { certs: [goodLeaf(root)], anchors: [root], ...more };
}

/** A leaf's extensions changed into a TLS client's: clientAuth, with keyUsage `bits`. */
const clientLeaf = (bits: number) => (extensions: ReturnType<typeof ext.unknown>[]) =>
  replacing(
    OID.extKeyUsage,
    ext.extKeyUsage([CLIENT_AUTH]),
  )(replacing(OID.keyUsage, ext.keyUsage(bits))(extensions));

const withExtra =
  (...extra: ReturnType<typeof ext.unknown>[]) =>
  (extensions: ReturnType<typeof ext.unknown>[]) => [...extensions, ...extra];

describe("the good certificates the cases start from", () => {
  it.each([
    ["a leaf under a root", leafCase(undefined)],
    ["a leaf under an intermediate", intermediateCase(undefined)],
    [
      "a leaf with an IPv4 and an IPv6 address",
      leafCase(
        replacing(OID.subjectAltName, ext.names(["node1.cluster.local"], ["10.0.0.1", "2001:db8::1"])),
      ),
    ],
  ])(
    "%s give no finding as a server or for any use (and, being serverAuth only, one as a client)",
    (_label, built) => {
      for (const purpose of ["server", "any"] as const) expect(judge({ ...built, purpose })).toBeUndefined();
      expect(judge({ ...built, purpose: "client" })?.details?.reason).toBe("extended-key-usage");
    },
  );
});

type Row = {
  rule: keyof typeof RULES;
  breaks: string;
  build: () => Case;
  /** The text of the rule's violation, as the finding says it. */
  text: string | RegExp;
  linkIndex: number;
  /** The checked certificate as messages name it, when not by its subject. */
  name?: string;
};

describe("each rule on one certificate, and the finding that names it", () => {
  const rows: Row[] = [
    {
      rule: "duplicate",
      breaks: "an extension written twice",
      build: () => leafCase(withExtra(ext.extKeyUsage([SERVER_AUTH]))),
      text: `${LEAF} carries the extKeyUsage extension twice`,
      linkIndex: 0,
    },
    {
      rule: "mustNotBeCritical",
      breaks: "a critical authorityKeyIdentifier",
      build: () => {
        const root = goodRoot();
        const aki = { ...ext.authorityKeyId(root.keyId), critical: true };
        return { certs: [goodLeaf(root, undefined, replacing(OID.authorityKeyId, aki))], anchors: [root] };
      },
      text: `${LEAF} marks authorityKeyIdentifier (RFC 5280 §4.2.1.1) critical`,
      linkIndex: 0,
    },
    {
      rule: "unknownCritical",
      breaks: "a critical extension no client knows",
      build: () => leafCase(withExtra(ext.unknown(true))),
      text: `${LEAF} carries a critical extension 1.3.6.1.4.1.55555.7.1 that clients do not understand`,
      linkIndex: 0,
    },
    {
      rule: "malformed",
      breaks: "an extendedKeyUsage that does not decode",
      build: () => leafCase(replacing(OID.extKeyUsage, ext.garbled(OID.extKeyUsage))),
      text: new RegExp(`^${escapeRegExp(LEAF)} has a malformed extKeyUsage extension \\(.+\\)$`),
      linkIndex: 0,
    },
    {
      rule: "malformedAia",
      breaks: "an authorityInfoAccess without any access description",
      build: () => leafCase(withExtra(ext.emptyAuthorityInfoAccess())),
      text: `${LEAF} has a malformed authorityInfoAccess extension (it lists no access description)`,
      linkIndex: 0,
    },
    {
      rule: "signatureMismatch",
      // OpenSSL refuses to verify a signature under mismatched algorithms (a bad signature, which
      // ends the path), so the rule shows on the one certificate whose signature is not verified:
      // the trust anchor.
      breaks: "another signature algorithm inside than outside, on the trusted CA",
      build: () => anchorCase(undefined, { innerSignature: ECDSA_SHA384 }),
      text: `${ANCHOR} names one signature algorithm inside and another outside its signed part`,
      linkIndex: 1,
    },
    {
      rule: "extensionsInV1",
      breaks: "a version 1 trust anchor with extensions",
      build: () => anchorCase(undefined, { version: 1 }),
      text: `${ANCHOR} is a version 1 certificate with extensions`,
      linkIndex: 1,
    },
    {
      rule: "negativeSerial",
      breaks: "a negative serial number",
      build: () => leafCase(undefined, { serial: [0x80, 0x01] }),
      text: `${LEAF} has a negative serial number`,
      linkIndex: 0,
    },
    {
      rule: "keyUsageEmpty",
      breaks: "a keyUsage with no bit set (checked for any use)",
      build: () => leafCase(replacing(OID.keyUsage, ext.keyUsage(0)), {}, { purpose: "any" }),
      text: `${LEAF} has a keyUsage extension with no usage set`,
      linkIndex: 0,
    },
    {
      rule: "keyCertSignWithoutCa",
      breaks: "keyCertSign in a certificate with cA=FALSE",
      build: () => leafCase(replacing(OID.keyUsage, ext.keyUsage(KU.digitalSignature | KU.keyCertSign))),
      text: `${LEAF} allows keyCertSign in keyUsage but is not a CA certificate`,
      linkIndex: 0,
    },
    {
      rule: "keyCertSignWithoutCa",
      breaks: "keyCertSign in a certificate without basicConstraints",
      build: () =>
        leafCase((e) =>
          replacing(
            OID.basicConstraints,
            undefined,
          )(replacing(OID.keyUsage, ext.keyUsage(KU.digitalSignature | KU.keyCertSign))(e)),
        ),
      text: `${LEAF} allows keyCertSign in keyUsage but is not a CA certificate`,
      linkIndex: 0,
    },
    {
      rule: "pathLenWithoutCa",
      breaks: "a pathLenConstraint with cA=FALSE",
      build: () => leafCase(replacing(OID.basicConstraints, ext.basicConstraints(false, { pathLen: 0 }))),
      text: `${LEAF} has a pathLenConstraint but is not a CA certificate`,
      linkIndex: 0,
    },
    {
      rule: "missingAki",
      breaks: "no authorityKeyIdentifier",
      build: () => leafCase(replacing(OID.authorityKeyId, undefined)),
      text: `${LEAF} has no authority key identifier`,
      linkIndex: 0,
    },
    {
      rule: "ipSan",
      breaks: "an IP address of 5 bytes",
      build: () => leafCase(replacing(OID.subjectAltName, ext.ipAddressBytes([10, 0, 0, 1, 2]))),
      text: `${LEAF} lists an IP address of 5 bytes in subjectAltName`,
      linkIndex: 0,
    },
    {
      rule: "dnsSyntax",
      breaks: "a DNS name with a space",
      build: () =>
        leafCase(
          replacing(OID.subjectAltName, ext.dnsNames(["node1.cluster.local", "node 2.cluster.local"])),
        ),
      text: `${LEAF} lists "node 2.cluster.local", which is not a valid host name, in subjectAltName`,
      linkIndex: 0,
    },
    {
      rule: "leafVersion",
      breaks: "a version 1 leaf",
      build: () => leafCase(() => [], { version: 1 }),
      text: `${LEAF} is a version 1 certificate`,
      linkIndex: 0,
    },
    {
      rule: "caAsLeaf",
      breaks: "cA=TRUE on the certificate a server presents",
      build: () =>
        leafCase(replacing(OID.basicConstraints, ext.basicConstraints(true)), {}, { presentedChain: true }),
      text: `${LEAF} is a CA certificate (basicConstraints cA=TRUE) used as a server certificate`,
      linkIndex: 0,
    },
    {
      rule: "leafNameConstraints",
      breaks: "nameConstraints in a leaf",
      build: () => leafCase(withExtra(ext.nameConstraints(["cluster.local"]))),
      text: `${LEAF} carries nameConstraints`,
      linkIndex: 0,
    },
    {
      rule: "ekuMissingPurpose",
      breaks: "clientAuth only, checked as a server",
      build: () => leafCase(replacing(OID.extKeyUsage, ext.extKeyUsage([CLIENT_AUTH]))),
      text: `${LEAF} does not allow serverAuth (TLS server) in extendedKeyUsage`,
      linkIndex: 0,
    },
    {
      rule: "ekuMissingPurpose",
      breaks: "serverAuth only, checked as a client",
      build: () => leafCase(undefined, {}, { purpose: "client" }),
      text: `${LEAF} does not allow clientAuth (TLS client) in extendedKeyUsage`,
      linkIndex: 0,
    },
    {
      rule: "ekuMissingPurpose",
      breaks: "an empty extendedKeyUsage",
      build: () => leafCase(replacing(OID.extKeyUsage, ext.extKeyUsage([]))),
      text: `${LEAF} does not allow serverAuth (TLS server) in extendedKeyUsage (the extension is empty)`,
      linkIndex: 0,
    },
    {
      rule: "ekuMissingPurpose",
      breaks: "anyExtendedKeyUsage beside clientAuth, checked as a server",
      build: () => leafCase(replacing(OID.extKeyUsage, ext.extKeyUsage([ANY_EKU, CLIENT_AUTH]))),
      text: `${LEAF} does not allow serverAuth (TLS server) in extendedKeyUsage`,
      linkIndex: 0,
    },
    {
      rule: "ekuAnyOnly",
      breaks: "anyExtendedKeyUsage alone",
      build: () => leafCase(replacing(OID.extKeyUsage, ext.extKeyUsage([ANY_EKU]))),
      text: `${LEAF} allows only anyExtendedKeyUsage, not serverAuth (TLS server)`,
      linkIndex: 0,
    },
    {
      rule: "ekuCritical",
      breaks: "a critical extendedKeyUsage",
      build: () => leafCase(replacing(OID.extKeyUsage, ext.extKeyUsage([SERVER_AUTH], true))),
      text: `${LEAF} marks extendedKeyUsage critical`,
      linkIndex: 0,
    },
    {
      rule: "leafKeyUsage",
      breaks: "keyUsage nonRepudiation alone",
      build: () => leafCase(replacing(OID.keyUsage, ext.keyUsage(KU.nonRepudiation))),
      text: `${LEAF} does not allow digitalSignature, keyEncipherment or keyAgreement in keyUsage`,
      linkIndex: 0,
    },
    {
      rule: "clientKeyUsage",
      breaks: "a client certificate whose keyUsage allows keyEncipherment alone",
      build: () => leafCase(clientLeaf(KU.keyEncipherment), {}, { purpose: "client" }),
      text: `${LEAF} does not allow digitalSignature or keyAgreement in keyUsage, which a TLS client needs`,
      linkIndex: 0,
    },
    {
      rule: "clientKeyUsage",
      breaks:
        "a client certificate whose keyUsage allows nonRepudiation alone (which no server role allows either)",
      build: () => leafCase(clientLeaf(KU.nonRepudiation), {}, { purpose: "client" }),
      text: `${LEAF} does not allow digitalSignature or keyAgreement in keyUsage, which a TLS client needs`,
      linkIndex: 0,
    },
    {
      rule: "serialZero",
      breaks: "a leaf with serial number 0",
      build: () => leafCase(undefined, { serial: [0x00] }),
      text: `${LEAF} has the serial number 0`,
      linkIndex: 0,
    },
    {
      rule: "serialTooLong",
      breaks: "a leaf whose serial number has 21 octets",
      build: () => leafCase(undefined, { serial: [0x01, ...new Array(20).fill(0x5a)] }),
      text: `${LEAF} has a serial number of 21 octets, more than the 20 RFC 5280 allows`,
      linkIndex: 0,
    },
    {
      rule: "sanNotCriticalEmptySubject",
      breaks: "an empty subject with a non-critical subjectAltName",
      build: () => {
        const root = goodRoot();
        return { certs: [craftedLeafWithSubject(root, "")], anchors: [root] };
      },
      text: "certificate certificate tls.pem#0 (tls.pem#0) has an empty subject and a non-critical subjectAltName",
      linkIndex: 0,
      name: "certificate tls.pem#0",
    },
    {
      rule: "sanCriticality",
      breaks: "a critical subjectAltName beside a subject name, checked as a server",
      build: () => leafCase(replacing(OID.subjectAltName, ext.dnsNames(["node1.cluster.local"], true))),
      text: `${LEAF} marks subjectAltName critical`,
      linkIndex: 0,
    },
    {
      rule: "notCa",
      breaks: "an intermediate with cA=FALSE",
      build: () =>
        intermediateCase((e) =>
          replacing(
            OID.keyUsage,
            ext.keyUsage(KU.digitalSignature),
          )(replacing(OID.basicConstraints, ext.basicConstraints(false))(e)),
        ),
      text: `${INTERMEDIATE} is not a CA certificate (basicConstraints cA=FALSE), so it cannot vouch for other certificates`,
      linkIndex: 1,
    },
    {
      rule: "notCa",
      breaks: "an intermediate without basicConstraints",
      build: () =>
        intermediateCase((e) =>
          replacing(
            OID.keyUsage,
            ext.keyUsage(KU.digitalSignature),
          )(replacing(OID.basicConstraints, undefined)(e)),
        ),
      text: `${INTERMEDIATE} is not a CA certificate (no basicConstraints), so it cannot vouch for other certificates`,
      linkIndex: 1,
    },
    {
      rule: "notCa",
      breaks: "a version 1 intermediate",
      build: () => intermediateCase(() => [], { version: 1 }),
      text: `${INTERMEDIATE} is a version 1 certificate, which cannot carry basicConstraints, so it is not a CA certificate`,
      linkIndex: 1,
    },
    {
      rule: "anchorNotCa",
      breaks: "a trusted CA without basicConstraints",
      build: () => anchorCase((e) => e.filter((x) => x.oid === OID.subjectKeyId)),
      text: `${ANCHOR} is not a CA certificate (no basicConstraints), so it cannot vouch for other certificates`,
      linkIndex: 1,
    },
    {
      rule: "anchorV1",
      breaks: "a version 1 trusted CA",
      build: () => anchorCase(() => [], { version: 1 }),
      text: `${ANCHOR} is a version 1 certificate`,
      linkIndex: 1,
    },
    {
      rule: "caNotCritical",
      breaks: "an intermediate with non-critical basicConstraints",
      build: () =>
        intermediateCase(replacing(OID.basicConstraints, ext.basicConstraints(true, { critical: false }))),
      text: `${INTERMEDIATE} does not mark basicConstraints critical`,
      linkIndex: 1,
    },
    {
      rule: "caKeyUsageMissing",
      breaks: "an intermediate without keyUsage",
      build: () => intermediateCase(replacing(OID.keyUsage, undefined)),
      text: `${INTERMEDIATE} has no keyUsage extension`,
      linkIndex: 1,
    },
    {
      rule: "caKeyCertSign",
      breaks: "an intermediate without keyCertSign",
      build: () => intermediateCase(replacing(OID.keyUsage, ext.keyUsage(KU.cRLSign | KU.digitalSignature))),
      text: `${INTERMEDIATE} does not allow keyCertSign in keyUsage, so its key may not sign certificates`,
      linkIndex: 1,
    },
    {
      rule: "caSkiMissing",
      breaks: "an intermediate without subjectKeyIdentifier",
      build: () => intermediateCase(replacing(OID.subjectKeyId, undefined)),
      text: `${INTERMEDIATE} has no subject key identifier`,
      linkIndex: 1,
    },
    {
      rule: "nameConstraintsEmpty",
      breaks: "an intermediate with empty nameConstraints",
      build: () => intermediateCase(withExtra(ext.nameConstraints([]))),
      text: `${INTERMEDIATE} has a nameConstraints extension with no permitted or excluded subtree`,
      linkIndex: 1,
    },
    {
      rule: "rootAki",
      breaks: "a self-signed trusted CA whose AKI names another key",
      build: () => anchorCase(withExtra(ext.authorityKeyId(new Uint8Array(20).fill(7).buffer))),
      text: `${ANCHOR} is self-signed but its authorityKeyIdentifier does not match its own key identifier`,
      linkIndex: 1,
    },
    {
      rule: "rootAki",
      breaks: "a self-signed trusted CA whose AKI is empty (no key identifier, issuer or serial)",
      build: () => anchorCase(withExtra(ext.authorityKeyId(undefined))),
      text: `${ANCHOR} is self-signed but its authorityKeyIdentifier has no keyIdentifier`,
      linkIndex: 1,
    },
    {
      rule: "rootAki",
      breaks: "a self-signed trusted CA whose AKI names an issuer and serial",
      build: () =>
        anchorCase(
          withExtra(
            ext.authorityKeyId(undefined, { issuerName: "CN=Crafted Root CA,O=watchpost", serial: [0x01] }),
          ),
        ),
      text: `${ANCHOR} is self-signed but its authorityKeyIdentifier names an issuer and serial number`,
      linkIndex: 1,
    },
    {
      rule: "caAkiFields",
      breaks: "an intermediate whose AKI names its issuer and serial",
      build: () =>
        intermediateCase(undefined, {}, {}, (root) =>
          ext.authorityKeyId(root.keyId, {
            issuerName: "CN=Crafted Root CA,O=watchpost",
            serial: [0x01, 0x01],
          }),
        ),
      text: `${INTERMEDIATE} has authorityCertIssuer or authorityCertSerialNumber in its authorityKeyIdentifier`,
      linkIndex: 1,
    },
    {
      rule: "caEku",
      breaks: "an intermediate restricted to clientAuth, for a server",
      build: () => intermediateCase(withExtra(ext.extKeyUsage([CLIENT_AUTH]))),
      text: `${INTERMEDIATE} restricts its extendedKeyUsage to purposes that do not include serverAuth`,
      linkIndex: 1,
    },
    {
      rule: "caEku",
      breaks: "an intermediate restricted to serverAuth, for a client",
      build: () => {
        const root = goodRoot();
        const intermediate = goodIntermediate(root, undefined, withExtra(ext.extKeyUsage([SERVER_AUTH])));
        const leaf = goodLeaf(
          intermediate,
          undefined,
          replacing(OID.extKeyUsage, ext.extKeyUsage([CLIENT_AUTH])),
        );
        return { certs: [leaf, intermediate], anchors: [root], purpose: "client" };
      },
      text: `${INTERMEDIATE} restricts its extendedKeyUsage to purposes that do not include clientAuth`,
      linkIndex: 1,
    },
    {
      rule: "caAkiFields",
      breaks: "a trusted CA that is not self-signed, whose AKI names its issuer and serial",
      build: () => {
        // The intermediate of the row above, trusted itself and presented without its root.
        const [leaf, trusted] = intermediateCase(undefined, {}, {}, (root) =>
          ext.authorityKeyId(root.keyId, {
            issuerName: "CN=Crafted Root CA,O=watchpost",
            serial: [0x01, 0x01],
          }),
        ).certs as [Crafted, Crafted];
        return { certs: [leaf], anchors: [trusted] };
      },
      text: 'trusted CA "CN=Crafted Issuing CA, O=watchpost" (ca.pem#0) has authorityCertIssuer or authorityCertSerialNumber in its authorityKeyIdentifier',
      linkIndex: 1,
    },
    {
      rule: "caNotCritical",
      breaks: "a CA certificate checked on its own (a file of CA certificates)",
      build: () => {
        const root = goodRoot();
        const intermediate = goodIntermediate(
          root,
          undefined,
          replacing(OID.basicConstraints, ext.basicConstraints(true, { critical: false })),
        );
        return { certs: [intermediate], anchors: [root] };
      },
      text: 'CA certificate "CN=Crafted Issuing CA, O=watchpost" (tls.pem#0) does not mark basicConstraints critical',
      linkIndex: 0,
      name: '"CN=Crafted Issuing CA, O=watchpost"',
    },
    {
      rule: "rootAki",
      breaks: "a self-signed trusted CA whose AKI holds its own key identifier and a serial number",
      build: () =>
        anchorCase((e, keys) => [...e, ext.authorityKeyId(keyIdOf(keys.publicKey), { serial: [0x01] })]),
      text: `${ANCHOR} is self-signed but its authorityKeyIdentifier names an issuer and serial number`,
      linkIndex: 1,
    },
    {
      rule: "caAkiFields",
      breaks: "an intermediate whose AKI names its issuer alone",
      build: () =>
        intermediateCase(undefined, {}, {}, (root) =>
          ext.authorityKeyId(root.keyId, { issuerName: "CN=Crafted Root CA,O=watchpost" }),
        ),
      text: `${INTERMEDIATE} has authorityCertIssuer or authorityCertSerialNumber in its authorityKeyIdentifier`,
      linkIndex: 1,
    },
  ];

  it.each(rows)("$rule: $breaks", ({ rule, build, text, linkIndex, name = '"CN=node1.cluster.local"' }) => {
    // Prepare
    const built = build();
    const { reason, severity, clause, rejectedBy, fix } = RULES[rule];

    // Act
    const finding = judge(built);

    // Assess
    expect(finding?.details?.violations).toEqual([
      expect.objectContaining({ reason, severity, linkIndex, rule: clause }),
    ]);
    const textOf = (message: string) =>
      message.slice(message.indexOf(": ") + 2, message.lastIndexOf(` (chain link ${linkIndex}).`));
    expect(finding).toMatchObject({
      check: "untrusted-chain",
      severity,
      source: "tls.pem#0",
      details: { reason, linkIndex, rule: clause, rejectedBy },
    });
    expect(textOf(finding!.message)).toMatch(
      typeof text === "string" ? new RegExp(`^${escapeRegExp(text)}$`) : text,
    );
    expect(finding!.message).toBe(
      `${headline(severity, name)}: ${textOf(finding!.message)} (chain link ${linkIndex}). ${fix} (${clause}; refused by ${rejectedBy}.)`,
    );
  });
});

function craftedLeafWithSubject(root: Crafted, subject: string): Crafted {
  return craft({
    subject,
    issuer: root,
    extensions: [
      ext.basicConstraints(false),
      ext.keyUsage(KU.digitalSignature),
      ext.extKeyUsage([SERVER_AUTH]),
      ext.dnsNames(["node1.cluster.local"]),
      ext.authorityKeyId(root.keyId),
    ],
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("what breaks no rule", () => {
  it.each([
    [
      "keyUsage keyAgreement alone, checked as a client",
      () => leafCase(clientLeaf(KU.keyAgreement), {}, { purpose: "client" }),
    ],
    [
      "keyUsage digitalSignature alone, checked as a client",
      () => leafCase(clientLeaf(KU.digitalSignature), {}, { purpose: "client" }),
    ],
    ["a non-critical extension no client knows", () => leafCase(withExtra(ext.unknown(false)))],
    [
      "keyUsage keyEncipherment alone",
      () => leafCase(replacing(OID.keyUsage, ext.keyUsage(KU.keyEncipherment))),
    ],
    ["keyUsage keyAgreement alone", () => leafCase(replacing(OID.keyUsage, ext.keyUsage(KU.keyAgreement)))],
    ["no keyUsage on a leaf", () => leafCase(replacing(OID.keyUsage, undefined))],
    ["no basicConstraints on a leaf", () => leafCase(replacing(OID.basicConstraints, undefined))],
    [
      "anyExtendedKeyUsage beside serverAuth",
      () => leafCase(replacing(OID.extKeyUsage, ext.extKeyUsage([ANY_EKU, SERVER_AUTH]))),
    ],
    [
      "a CA certificate presented by a server, checked for any use",
      () =>
        leafCase(
          replacing(OID.basicConstraints, ext.basicConstraints(true)),
          {},
          { presentedChain: true, purpose: "any" },
        ),
    ],
    [
      "a critical subjectAltName beside a subject name, checked as a client",
      () =>
        leafCase(
          (e) =>
            replacing(
              OID.extKeyUsage,
              ext.extKeyUsage([CLIENT_AUTH]),
            )(replacing(OID.subjectAltName, ext.dnsNames(["node1.cluster.local"], true))(e)),
          {},
          { purpose: "client" },
        ),
    ],
    [
      "a critical subjectAltName and an empty subject, checked as a server",
      () => {
        const root = goodRoot();
        const leaf = craft({
          subject: "",
          issuer: root,
          extensions: [
            ext.basicConstraints(false),
            ext.keyUsage(KU.digitalSignature),
            ext.extKeyUsage([SERVER_AUTH]),
            ext.dnsNames(["node1.cluster.local"], true),
            ext.authorityKeyId(root.keyId),
          ],
        });
        return { certs: [leaf], anchors: [root] };
      },
    ],
    [
      "an intermediate with pathLenConstraint 0 above the leaf",
      () => intermediateCase(replacing(OID.basicConstraints, ext.basicConstraints(true, { pathLen: 0 }))),
    ],
    [
      "an intermediate allowing anyExtendedKeyUsage, for a server",
      () => intermediateCase(withExtra(ext.extKeyUsage([ANY_EKU]))),
    ],
    [
      "an intermediate allowing serverAuth and clientAuth, for a server",
      () => intermediateCase(withExtra(ext.extKeyUsage([CLIENT_AUTH, SERVER_AUTH]))),
    ],
    [
      "an intermediate restricted to clientAuth, for any use",
      () => intermediateCase(withExtra(ext.extKeyUsage([CLIENT_AUTH])), {}, { purpose: "any" }),
    ],
    [
      "a self-signed trusted CA whose AKI holds its own key identifier",
      () => anchorCase((e, keys) => [...e, ext.authorityKeyId(keyIdOf(keys.publicKey))]),
    ],
    [
      "a trusted CA named as its own issuer but signed by another key, whose AKI names that key",
      () => {
        const other = goodRoot("CN=Other Root");
        const subject = "CN=Crafted Root CA,O=watchpost";
        const keys = freshKeys();
        const trusted = craft({
          subject,
          issuer: other,
          issuerName: subject,
          keys,
          extensions: [
            ext.basicConstraints(true),
            ext.keyUsage(KU.keyCertSign | KU.cRLSign),
            ext.subjectKeyId(keyIdOf(keys.publicKey)),
            ext.authorityKeyId(other.keyId),
          ],
        });
        return { certs: [goodLeaf(trusted)], anchors: [trusted] };
      },
    ],
    ["a wildcard DNS name", () => leafCase(replacing(OID.subjectAltName, ext.dnsNames(["*.cluster.local"])))],
    [
      "an intermediate restricted to serverAuth, for any use",
      () => intermediateCase(withExtra(ext.extKeyUsage([SERVER_AUTH])), {}, { purpose: "any" }),
    ],
    [
      "an intermediate with nameConstraints that permit the leaf's name",
      () => intermediateCase(withExtra(ext.nameConstraints(["cluster.local"]))),
    ],
    [
      "an intermediate with nameConstraints that only exclude another name",
      () => intermediateCase(withExtra(ext.nameConstraints([], ["other.example"]))),
    ],
    [
      "a trusted CA signed by its own key under another issuer name, whose AKI names another key",
      () => {
        const keys = freshKeys();
        const trusted = craft({
          subject: "CN=Crafted Root CA,O=watchpost",
          issuerName: "CN=Somebody Else",
          keys,
          extensions: [
            ext.basicConstraints(true),
            ext.keyUsage(KU.keyCertSign | KU.cRLSign),
            ext.subjectKeyId(keyIdOf(keys.publicKey)),
            ext.authorityKeyId(new Uint8Array(20).fill(9).buffer),
          ],
        });
        return { certs: [goodLeaf(trusted)], anchors: [trusted] };
      },
    ],
  ])("%s", (_label, build) => {
    expect(judge(build())).toBeUndefined();
  });
});

describe("rules that cannot be broken alone", () => {
  it("a root with an empty authorityKeyIdentifier and no subjectKeyIdentifier is named for both", () => {
    // Prepare: without a key identifier of its own, the root's AKI has none to match either.
    const built = anchorCase((e) =>
      replacing(OID.subjectKeyId, undefined)([...e, ext.authorityKeyId(undefined)]),
    );

    // Act
    const finding = judge(built);

    // Assess
    expect(finding?.details?.violations).toEqual([
      expect.objectContaining({ reason: RULES.caSkiMissing.reason, linkIndex: 1 }),
      expect.objectContaining({ reason: RULES.rootAki.reason, linkIndex: 1 }),
    ]);
    expect(finding?.message).toBe(
      `${headline("minor", '"CN=node1.cluster.local"')}: ${ANCHOR} has no subject key identifier (chain link 1). ` +
        `${RULES.caSkiMissing.fix} (${RULES.caSkiMissing.clause}; refused by ${RULES.caSkiMissing.rejectedBy}.) ` +
        `Also: ${ANCHOR} is self-signed but its authorityKeyIdentifier has no keyIdentifier (chain link 1; ${RULES.rootAki.clause}).`,
    );
  });

  it("an empty issuer name comes with a CA whose subject is empty, and the finding names both", () => {
    // Prepare
    const root = goodRoot();
    const nameless = goodIntermediate(root, "");
    const leaf = goodLeaf(nameless);

    // Act
    const finding = judge({ certs: [leaf, nameless], anchors: [root] });

    // Assess
    expect(finding?.details?.violations).toEqual([
      expect.objectContaining({ reason: "empty-issuer-name", severity: "minor", linkIndex: 0 }),
      expect.objectContaining({ reason: "ca-subject-empty", severity: "minor", linkIndex: 1 }),
    ]);
    expect(finding?.message).toBe(
      `Certificate "CN=node1.cluster.local" is refused by some clients: ${LEAF} has an empty issuer name (chain link 0). ` +
        `${RULES.issuerEmpty.fix} (${RULES.issuerEmpty.clause}; refused by ${RULES.issuerEmpty.rejectedBy}.) ` +
        `Also: intermediate certificate tls.pem#1 (tls.pem#1) has an empty subject name (chain link 1; ${RULES.caSubjectEmpty.clause}).`,
    );
  });

  it("a keyUsage with no bit set, checked as a server, also lacks the usages a server needs", () => {
    // Prepare
    const built = leafCase(replacing(OID.keyUsage, ext.keyUsage(0)));

    // Act
    const finding = judge(built);

    // Assess
    expect(finding?.details?.violations).toEqual([
      expect.objectContaining({ reason: "key-usage", severity: "major", linkIndex: 0 }),
      expect.objectContaining({ reason: "key-usage-empty", severity: "warning", linkIndex: 0 }),
    ]);
    expect(finding?.message).toBe(
      `Certificate "CN=node1.cluster.local" does not chain to a trusted CA: ${LEAF} does not allow digitalSignature, keyEncipherment or keyAgreement in keyUsage (chain link 0). ` +
        `${RULES.leafKeyUsage.fix} (${RULES.leafKeyUsage.clause}; refused by ${RULES.leafKeyUsage.rejectedBy}.) ` +
        `Also: ${LEAF} has a keyUsage extension with no usage set (chain link 0; ${RULES.keyUsageEmpty.clause}).`,
    );
  });
});

describe("the key of the certificate checked", () => {
  it("is named with the certificate's role when it is too weak", () => {
    // Prepare: an RSA key of 1024 bits, which OpenSSL's default security level refuses.
    const root = goodRoot();
    const leaf = goodLeaf(root, undefined, undefined, {
      keys: generateKeyPairSync("rsa", { modulusLength: 1024 }),
    });

    // Act
    const finding = judge({ certs: [leaf], anchors: [root] });

    // Assess
    expect(finding?.details?.violations).toEqual([
      expect.objectContaining({ reason: "weak-key", severity: "major", linkIndex: 0 }),
    ]);
    expect(finding?.message).toMatch(
      new RegExp(
        `^Certificate "CN=node1.cluster.local" does not chain to a trusted CA: ${escapeRegExp(LEAF)} has an RSA key of 1024 bits \\(minimum 2048\\) \\(chain link 0\\)\\. `,
      ),
    );
  });
});
