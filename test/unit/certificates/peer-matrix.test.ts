/**
 * A peer group checked as its peers see each other: each peer's certificate against every other
 * peer's own trust store, for each role the group declares (issue 31). The cases are the ones
 * clusters break on: every peer trusts every other; one trust store lacks the CA of a renewed
 * certificate; a CA trusted by some peers only; a certificate re-issued with serverAuth only.
 */
import { describe, expect, it } from "vitest";
import { type ParsedCertificate, parseCertificate } from "../../../functions/core/certificates/certificate";
import { DEFAULT_POLICY } from "../../../functions/core/certificates/evaluate";
import {
  evaluatePeerGroup,
  type PeerGroupInput,
  type PeerInput,
  type PeerTrust,
} from "../../../functions/core/certificates/peer-group";
import { Finding, PeerGroupReport, type PeerRole } from "../../../functions/core/contracts";
import { type Issued, type IssueOptions, issue } from "../../support/pki";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const NODES = ["node1.ha.test", "node2.ha.test", "node3.ha.test", "node4.ha.test"] as const;

const ca = (name: string) => issue({ subject: `CN=${name},O=watchpost`, isCA: true });

async function certificateOf(fqdn: string, issuer: Issued, options: Partial<IssueOptions> = {}) {
  const issued = await issue({
    subject: `CN=${fqdn}`,
    dnsNames: [fqdn],
    issuer,
    extendedKeyUsage: [SERVER_AUTH, CLIENT_AUTH],
    ...options,
  });
  return [parseCertificate(issued.der, `s3://certs/peers/${fqdn}.pem`, 0)];
}

function trustStore(fqdn: string, ...cas: Issued[]): PeerTrust {
  const location = `s3://certs/trust/${fqdn}.jks`;
  return {
    location,
    own: true,
    key: `trust/${fqdn}.jks`,
    anchors: cas.map((c, index) => parseCertificate(c.der, location, index)),
  };
}

/** Member `index` of NODES: a certificate from `issuer`, and a trust store of its own holding `trusted`. */
async function member(index: number, issuer: Issued, trusted: Issued[]) {
  const fqdn = NODES[index]!;
  return { fqdn, certificates: await certificateOf(fqdn, issuer), trust: trustStore(fqdn, ...trusted) };
}

/** Three peers of one CA, each trusting it; peer `index`'s certificate allows only `purposes`. */
async function threeWithOneCertificateFor(index: number, purposes: string[]) {
  const opsCa = await ca("Ops CA 1");
  return Promise.all(
    NODES.slice(0, 3).map(async (fqdn, at) => ({
      fqdn,
      certificates: await certificateOf(fqdn, opsCa, at === index ? { extendedKeyUsage: purposes } : {}),
      trust: trustStore(fqdn, opsCa),
    })),
  );
}

function group(
  peers: { fqdn: string; certificates: ParsedCertificate[]; trust: PeerTrust }[],
  roles?: PeerRole[],
): PeerGroupInput {
  return {
    name: "ha",
    ...(roles ? { roles } : {}),
    trust: peers.map(({ fqdn, trust }) => ({ fqdn, trust })),
    peers: peers.map(
      ({ fqdn, certificates }): PeerInput => ({
        fqdn,
        certificates,
        parameters: { HostName: fqdn, Key: `peers/${fqdn}.pem` },
      }),
    ),
  };
}

const policy = () => ({ ...DEFAULT_POLICY, now: new Date() });

/** "presenter → truster role: verdict reason" for every pair, as a table reads. */
function cells(report: PeerGroupReport): string[] {
  return report.matrix.map(
    (c) =>
      `${c.presenter.slice(0, 5)} → ${c.truster.slice(0, 5)} ${c.role}: ${c.verdict}${c.reason ? ` ${c.reason}` : ""}`,
  );
}

describe("a peer group as a matrix", () => {
  it("accepts every pair in both roles when every peer trusts every other's CA", async () => {
    // Prepare
    const opsCa = await ca("Ops CA 1");
    const peers = await Promise.all(
      NODES.slice(0, 3).map(async (fqdn) => ({
        fqdn,
        certificates: await certificateOf(fqdn, opsCa),
        trust: trustStore(fqdn, opsCa),
      })),
    );

    // Act
    const result = evaluatePeerGroup(group(peers), policy());

    // Assess
    expect(result.findings).toEqual([]);
    expect(result.peers.map((p) => p.status)).toEqual([
      "Certificate: Valid",
      "Certificate: Valid",
      "Certificate: Valid",
    ]);
    expect(cells(result.report)).toEqual([
      "node1 → node2 server: accepted",
      "node1 → node2 client: accepted",
      "node1 → node3 server: accepted",
      "node1 → node3 client: accepted",
      "node2 → node1 server: accepted",
      "node2 → node1 client: accepted",
      "node2 → node3 server: accepted",
      "node2 → node3 client: accepted",
      "node3 → node1 server: accepted",
      "node3 → node1 client: accepted",
      "node3 → node2 server: accepted",
      "node3 → node2 client: accepted",
    ]);
    expect(PeerGroupReport.parse(result.report)).toEqual(result.report);
  });

  it("names both peers when one trust store lacks the CA of a renewed certificate: one alarm, on the renewed peer", async () => {
    // Prepare: node1 was renewed by Ops CA 2; node2's trust store was never given it
    const [ca1, ca2] = [await ca("Ops CA 1"), await ca("Ops CA 2")];
    const peers = [
      await member(0, ca2, [ca1, ca2]),
      await member(1, ca1, [ca1]),
      await member(2, ca1, [ca1, ca2]),
    ];

    // Act
    const result = evaluatePeerGroup(group(peers), policy());

    // Assess
    expect(result.findings.map((f) => [f.check, f.alarmId, f.severity, f.source])).toEqual([
      ["peer-refused", "1040", "major", "peer-group:ha/node1.ha.test"],
    ]);
    const [refused] = result.findings;
    expect(refused?.message).toBe(
      "node2.ha.test will refuse node1.ha.test's certificate: it chains to 'Ops CA 2', which node2.ha.test's trust store (s3://certs/trust/node2.ha.test.jks) does not hold. " +
        "Add 'Ops CA 2' to node2.ha.test's trust store (s3://certs/trust/node2.ha.test.jks) and reload node2.ha.test, or re-issue node1.ha.test's certificate from a CA every peer trusts. " +
        "(Peer group ha; its certificate s3://certs/peers/node1.ha.test.pem.)",
    );
    expect(refused?.parameters).toEqual({
      HostName: NODES[0],
      Key: "peers/node1.ha.test.pem",
      RefusedBy: NODES[1],
      TrustStoreKey: "trust/node2.ha.test.jks",
    });
    expect(refused?.details).toMatchObject({
      peer: NODES[0],
      group: "ha",
      reason: "no-issuer",
      refusedBy: [
        {
          peer: NODES[1],
          roles: ["server", "client"],
          reasons: ["no-issuer"],
          trustStore: "s3://certs/trust/node2.ha.test.jks",
        },
      ],
    });
    expect(Finding.parse(refused)).toEqual(refused);
    expect(result.peers.map((p) => p.status)).toEqual([
      "Certificate: Invalid (certificate does not chain to a CA every peer trusts)",
      "Certificate: Valid",
      "Certificate: Valid",
    ]);
    expect(cells(result.report).filter((c) => !c.endsWith("accepted"))).toEqual([
      "node1 → node2 server: refused no-issuer",
      "node1 → node2 client: refused no-issuer",
    ]);
    expect(result.report.matrix.find((c) => c.verdict === "refused")?.because).toBe(
      "it chains to 'Ops CA 2', which node2.ha.test's trust store (s3://certs/trust/node2.ha.test.jks) does not hold",
    );
  });

  it("lists every peer that refuses a CA trusted by some peers only, and says 'the cluster CA' when all refuse", async () => {
    // Prepare: Ops CA 2 is in node1's trust store only; node3 and node4 have certificates from it
    const [ca1, ca2] = [await ca("Ops CA 1"), await ca("Ops CA 2")];
    const peers = [
      await member(0, ca1, [ca1, ca2]),
      await member(1, ca1, [ca1]),
      await member(2, ca2, [ca1]),
      await member(3, ca2, [ca1, ca2]),
    ];

    // Act
    const result = evaluatePeerGroup(group(peers), policy());

    // Assess: node3 is refused by node2 alone (node1 and node4 hold Ops CA 2), node4 by node2 and node3
    expect(result.findings.map((f) => [f.source, f.parameters?.RefusedBy])).toEqual([
      ["peer-group:ha/node3.ha.test", "node2.ha.test"],
      ["peer-group:ha/node4.ha.test", "node2.ha.test, node3.ha.test"],
    ]);
    expect(result.findings[1]?.message).toBe(
      "node2.ha.test and node3.ha.test will refuse node4.ha.test's certificate: it chains to 'Ops CA 2', which node2.ha.test's trust store (s3://certs/trust/node2.ha.test.jks) and node3.ha.test's trust store (s3://certs/trust/node3.ha.test.jks) do not hold. " +
        "Add 'Ops CA 2' to node2.ha.test's trust store (s3://certs/trust/node2.ha.test.jks) and node3.ha.test's trust store (s3://certs/trust/node3.ha.test.jks) and reload node2.ha.test and node3.ha.test, or re-issue node4.ha.test's certificate from a CA every peer trusts. " +
        "(Peer group ha; its certificate s3://certs/peers/node4.ha.test.pem.)",
    );
    // Two refusing trust stores: the alarm cannot name one to fetch.
    expect(result.findings[1]?.parameters).not.toHaveProperty("TrustStoreKey");
    expect(result.peers.map((p) => p.status)).toEqual([
      "Certificate: Valid",
      "Certificate: Valid",
      "Certificate: Invalid (certificate does not chain to a CA every peer trusts)",
      "Certificate: Invalid (certificate does not chain to a CA every peer trusts)",
    ]);

    // Act: every other peer lacks Ops CA 2
    const alone = evaluatePeerGroup(
      group([
        { ...peers[0]!, trust: trustStore(NODES[0], ca1) },
        peers[1]!,
        { ...peers[2]!, trust: trustStore(NODES[2], ca1) },
      ]),
      policy(),
    );

    // Assess
    expect(alone.peers[2]?.status).toBe(
      "Certificate: Invalid (certificate does not chain to the cluster CA)",
    );
  });

  it("refuses a certificate re-issued with serverAuth only in the client role, as etcd, Kafka and ZooKeeper do", async () => {
    // Prepare
    const peers = await threeWithOneCertificateFor(1, [SERVER_AUTH]);

    // Act
    const both = evaluatePeerGroup(group(peers), policy());
    const serverOnly = evaluatePeerGroup(group(peers, ["server"]), policy());

    // Assess
    expect(both.findings.map((f) => [f.check, f.severity, f.source, f.parameters?.RefusedBy])).toEqual([
      ["peer-refused", "major", "peer-group:ha/node2.ha.test", "node1.ha.test, node3.ha.test"],
    ]);
    expect(both.findings[0]?.message).toBe(
      "node1.ha.test and node3.ha.test will refuse node2.ha.test's certificate when node2.ha.test connects to them (TLS client role): " +
        "its extendedKeyUsage allows serverAuth only, not clientAuth, which a peer needs when it connects to the others. " +
        "Re-issue node2.ha.test's certificate with extendedKeyUsage serverAuth and clientAuth (or without extendedKeyUsage). " +
        "(Peer group ha; its certificate s3://certs/peers/node2.ha.test.pem.)",
    );
    expect(both.peers[1]?.status).toBe(
      "Certificate: Invalid (certificate is not allowed for TLS client authentication)",
    );
    expect(cells(both.report).filter((c) => !c.endsWith("accepted"))).toEqual([
      "node2 → node1 client: refused extended-key-usage",
      "node2 → node3 client: refused extended-key-usage",
    ]);
    // Peers that only accept each other's connections never see it as a client.
    expect(serverOnly.findings).toEqual([]);
    expect(serverOnly.peers[1]?.status).toBe("Certificate: Valid");
    expect(serverOnly.report.matrix.every((c) => c.role === "server")).toBe(true);
  });

  it("refuses a certificate allowed for clientAuth only when the others connect to it", async () => {
    // Prepare
    const peers = await threeWithOneCertificateFor(0, [CLIENT_AUTH]);

    // Act
    const result = evaluatePeerGroup(group(peers), policy());

    // Assess
    expect(result.findings.map((f) => f.message)).toEqual([
      "node2.ha.test and node3.ha.test will refuse node1.ha.test's certificate when they connect to node1.ha.test (TLS server role): " +
        "its extendedKeyUsage allows clientAuth only, not serverAuth, which a peer needs when the others connect to it. " +
        "Re-issue node1.ha.test's certificate with extendedKeyUsage serverAuth and clientAuth (or without extendedKeyUsage). " +
        "(Peer group ha; its certificate s3://certs/peers/node1.ha.test.pem.)",
    ]);
    expect(result.peers[0]?.status).toBe(
      "Certificate: Invalid (certificate is not allowed for TLS server authentication)",
    );
  });

  it("tells a self-signed certificate one trust store lacks, and an impostor CA of the same name, from a missing CA", async () => {
    // Prepare: node1 is self-signed and only node2 holds it; node3's CA has the name of the real one
    const opsCa = await ca("Ops CA 1");
    const impostor = await ca("Ops CA 1");
    const selfSigned = await issue({
      subject: `CN=${NODES[0]}`,
      dnsNames: [NODES[0]],
      extendedKeyUsage: [SERVER_AUTH, CLIENT_AUTH],
    });
    const node1 = [parseCertificate(selfSigned.der, "s3://certs/peers/node1.ha.test.pem", 0)];
    const peers = [
      { fqdn: NODES[0], certificates: node1, trust: trustStore(NODES[0], opsCa) },
      {
        fqdn: NODES[1],
        certificates: await certificateOf(NODES[1], opsCa),
        trust: trustStore(NODES[1], opsCa, selfSigned),
      },
      {
        fqdn: NODES[2],
        certificates: await certificateOf(NODES[2], impostor),
        trust: trustStore(NODES[2], opsCa),
      },
    ];

    // Act
    const result = evaluatePeerGroup(group(peers), policy());

    // Assess
    expect(cells(result.report).filter((c) => !c.endsWith("accepted"))).toEqual([
      "node1 → node3 server: refused self-signed-untrusted",
      "node1 → node3 client: refused self-signed-untrusted",
      "node3 → node1 server: refused bad-signature",
      "node3 → node1 client: refused bad-signature",
      "node3 → node2 server: refused bad-signature",
      "node3 → node2 client: refused bad-signature",
    ]);
    expect(result.findings.map((f) => f.message.split(". ")[0])).toEqual([
      "node3.ha.test will refuse node1.ha.test's certificate: it is self-signed ('node1.ha.test'), and node3.ha.test's trust store (s3://certs/trust/node3.ha.test.jks) does not hold it",
      "node1.ha.test and node2.ha.test will refuse node3.ha.test's certificate: it was signed by a CA named 'Ops CA 1', but not by the 'Ops CA 1' node1.ha.test's trust store (s3://certs/trust/node1.ha.test.jks) and node2.ha.test's trust store (s3://certs/trust/node2.ha.test.jks) hold (the signature does not verify)",
    ]);
  });

  it("refuses a client certificate whose keyUsage allows only keyEncipherment, as OpenSSL's sslclient purpose does", async () => {
    // Prepare: the keyUsage extension written by hand (the test PKI sets none on leaves)
    const opsCa = await ca("Ops CA 1");
    const { KeyUsageFlags, KeyUsagesExtension, X509CertificateGenerator } = await import("@peculiar/x509");
    const leafKeys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ]);
    const built = await X509CertificateGenerator.create({
      serialNumber: "0badc0de",
      subject: `CN=${NODES[0]}`,
      issuer: opsCa.cert.subject,
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 30 * 86_400_000),
      publicKey: leafKeys.publicKey,
      signingKey: opsCa.keys.privateKey,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [new KeyUsagesExtension(KeyUsageFlags.keyEncipherment, true)],
    });
    const peers = [
      {
        fqdn: NODES[0],
        certificates: [
          parseCertificate(new Uint8Array(built.rawData), "s3://certs/peers/node1.ha.test.pem", 0),
        ],
        trust: trustStore(NODES[0], opsCa),
      },
      await member(1, opsCa, [opsCa]),
    ];

    // Act
    const result = evaluatePeerGroup(group(peers), policy());

    // Assess: as a server it may decrypt with its key; as a client it must sign
    expect(cells(result.report).filter((c) => c.startsWith("node1"))).toEqual([
      "node1 → node2 server: accepted",
      "node1 → node2 client: refused key-usage",
    ]);
    expect(result.findings.find((f) => f.check === "peer-refused")?.message).toMatch(
      /^node2\.ha\.test will refuse node1\.ha\.test's certificate when node1\.ha\.test connects to it \(TLS client role\): its keyUsage does not allow digitalSignature or keyAgreement, which a TLS client needs\./,
    );
  });

  it("leaves a pair unknown when a trust store could not be read, and raises nothing about it", async () => {
    // Prepare
    const [ca1, ca2] = [await ca("Ops CA 1"), await ca("Ops CA 2")];
    const unreadable: PeerTrust = { location: "s3://certs/trust/node2.ha.test.p12", own: true };
    const peers = [
      await member(0, ca2, [ca1]),
      { fqdn: NODES[1], certificates: await certificateOf(NODES[1], ca1), trust: unreadable },
    ];

    // Act
    const result = evaluatePeerGroup(group(peers), policy());

    // Assess
    expect(cells(result.report)).toEqual([
      "node1 → node2 server: unknown",
      "node1 → node2 client: unknown",
      "node2 → node1 server: accepted",
      "node2 → node1 client: accepted",
    ]);
    expect(result.findings).toEqual([]);
    expect(result.report.peers.map((p) => [p.fqdn, p.trustStore, p.status])).toEqual([
      [NODES[0], "s3://certs/trust/node1.ha.test.jks", "Certificate: Valid"],
      [NODES[1], "s3://certs/trust/node2.ha.test.p12", "Certificate: Valid"],
    ]);
  });

  it("does not raise again on the live side what the stored side reports about the same certificate", async () => {
    // Prepare: node1 serves exactly its stored certificate, which node2 refuses
    const [ca1, ca2] = [await ca("Ops CA 1"), await ca("Ops CA 2")];
    const node1 = await certificateOf(NODES[0], ca2);
    const base = [
      { fqdn: NODES[0], certificates: node1, trust: trustStore(NODES[0], ca1, ca2) },
      await member(1, ca1, [ca1]),
    ];
    const stored = evaluatePeerGroup(group(base), policy());
    const served = node1.map((c) => ({
      ...c,
      source: "tls://127.0.0.1:2380#0",
      file: "tls://127.0.0.1:2380",
    }));
    const liveGroup: PeerGroupInput = {
      ...group(base),
      name: "ha@live",
      group: "ha",
      side: "live",
      peers: [{ fqdn: NODES[0], certificates: served, presented: true }],
    };

    // Act
    const live = evaluatePeerGroup({ ...liveGroup, reported: stored.matrix }, policy());
    const liveAlone = evaluatePeerGroup(liveGroup, policy());

    // Assess
    expect(stored.findings.map((f) => f.source)).toEqual(["peer-group:ha/node1.ha.test"]);
    expect(live.findings).toEqual([]);
    expect(live.report.matrix.filter((c) => c.verdict === "refused")).toHaveLength(2);
    expect(live.report.certificates).toBe("live");
    expect(
      liveAlone.findings.map((f) => [
        f.source,
        f.message.endsWith("(Peer group ha; the certificate it serves.)"),
      ]),
    ).toEqual([["peer-group:ha@live/node1.ha.test", true]]);
  });
});
