import { describe, expect, it } from "vitest";
import { type ParsedCertificate, parseCertificate } from "../../../functions/core/certificates/certificate";
import { DEFAULT_POLICY } from "../../../functions/core/certificates/evaluate";
import {
  evaluatePeerGroup,
  type PeerGroupInput,
  type PeerInput,
} from "../../../functions/core/certificates/peer-group";
import { Finding } from "../../../functions/core/contracts";
import { DAY, type Issued, type IssueOptions, issue } from "../../support/pki";

const CA_SUBJECT = "CN=Cluster CA,O=watchpost";

async function clusterCa(): Promise<Issued> {
  return issue({ subject: CA_SUBJECT, isCA: true, notAfter: new Date(Date.now() + 3650 * DAY) });
}

async function peer(fqdn: string, ca: Issued, options: Partial<IssueOptions> = {}): Promise<PeerInput> {
  const issued = await issue({ subject: `CN=${fqdn}`, dnsNames: [fqdn], issuer: ca, ...options });
  return { fqdn, certificates: [parseCertificate(issued.der, `s3://certs/${fqdn}.pem`, 0)] };
}

function caCerts(ca: Issued): ParsedCertificate[] {
  return [parseCertificate(ca.der, "s3://certs/ca.pem", 0)];
}

/** Every peer trusts the group's CA bundle, as a group with only `caBundleKey` configured. */
function groupOf(name: string, ca: ParsedCertificate[], peers: PeerInput[]): PeerGroupInput {
  return {
    name,
    trust: peers.map(({ fqdn }) => ({
      fqdn,
      trust: { location: "s3://certs/ca.pem", own: false, anchors: ca },
    })),
    peers,
  };
}

const policy = () => ({ ...DEFAULT_POLICY, now: new Date() });

describe("evaluatePeerGroup", () => {
  it("shows each of three peers as valid or invalid with the first reason", async () => {
    // Prepare
    const ca = await clusterCa();
    const peers = [
      await peer("node1.cluster.local", ca),
      await peer("node2.cluster.local", ca, { subject: "CN=node9.cluster.local", dnsNames: [] }),
      await peer("node3.cluster.local", ca, {
        notBefore: new Date(Date.now() - 400 * DAY),
        notAfter: new Date(Date.now() - 5 * DAY),
      }),
    ];

    // Act
    const result = evaluatePeerGroup(groupOf("ha", caCerts(ca), peers), policy());

    // Assess
    expect(result.peers.map((p) => [p.fqdn, p.valid, p.status])).toEqual([
      ["node1.cluster.local", true, "Certificate: Valid"],
      ["node2.cluster.local", false, "Certificate: Invalid (Common Name in certificate does not match)"],
      ["node3.cluster.local", false, "Certificate: Invalid (certificate has expired)"],
    ]);
    expect(result.findings.map((f) => [f.source, f.check, f.severity])).toEqual([
      ["peer-group:ha/node2.cluster.local#0", "hostname-mismatch", "major"],
      ["peer-group:ha/node3.cluster.local#0", "expired", "critical"],
    ]);
    expect(result.findings[0]?.message).toMatch(
      /^Peer node2\.cluster\.local of group ha: Common Name in certificate does not match: .* names node9\.cluster\.local; expected node2\.cluster\.local/,
    );
    expect(result.findings[1]?.details).toMatchObject({
      certificate: "s3://certs/node3.cluster.local.pem#0",
      peer: "node3.cluster.local",
      group: "ha",
    });
    expect(result.peers[2]?.findings).toEqual([result.findings[1]]);
    for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
  });

  it("marks a peer whose certificate was issued by another CA as not chaining to the cluster CA", async () => {
    // Prepare
    const ca = await clusterCa();
    const otherCa = await issue({ subject: "CN=Other CA", isCA: true });
    const peers = [await peer("node1.cluster.local", otherCa)];

    // Act
    const result = evaluatePeerGroup(groupOf("ha", caCerts(ca), peers), policy());

    // Assess
    expect(result.peers[0]?.status).toBe(
      "Certificate: Invalid (certificate does not chain to the cluster CA)",
    );
    expect(result.findings.map((f) => [f.check, f.details?.reason])).toEqual([
      ["untrusted-chain", "no-issuer"],
    ]);
  });

  it("marks a peer whose certificate is not valid yet", async () => {
    // Prepare
    const ca = await clusterCa();
    const peers = [await peer("node1.cluster.local", ca, { notBefore: new Date(Date.now() + 10 * DAY) })];

    // Act
    const result = evaluatePeerGroup(groupOf("ha", caCerts(ca), peers), policy());

    // Assess
    expect(result.peers[0]?.status).toBe("Certificate: Invalid (certificate is not yet valid)");
  });

  it("names the most fundamental reason first when several apply", async () => {
    // Prepare: expired and naming another host
    const ca = await clusterCa();
    const peers = [
      await peer("node1.cluster.local", ca, {
        dnsNames: ["node7.cluster.local"],
        notBefore: new Date(Date.now() - 400 * DAY),
        notAfter: new Date(Date.now() - DAY),
      }),
    ];

    // Act
    const result = evaluatePeerGroup(groupOf("ha", caCerts(ca), peers), policy());

    // Assess
    expect(result.peers[0]?.status).toBe("Certificate: Invalid (certificate has expired)");
    expect(result.peers[0]?.findings.map((f) => f.check)).toEqual(["expired", "hostname-mismatch"]);
  });

  it("keeps a peer valid while its certificate is merely expiring", async () => {
    // Prepare
    const ca = await clusterCa();
    const peers = [await peer("node1.cluster.local", ca, { notAfter: new Date(Date.now() + 3 * DAY) })];

    // Act
    const result = evaluatePeerGroup(groupOf("ha", caCerts(ca), peers), policy());

    // Assess
    expect(result.peers[0]?.status).toBe("Certificate: Valid");
    expect(result.findings.map((f) => [f.check, f.severity])).toEqual([["expiring", "major"]]);
  });

  it("marks a peer invalid when clients refuse its SHA-1 signature", async () => {
    // Prepare
    const ca = await clusterCa();
    const peers = [await peer("node1.cluster.local", ca, { hash: "SHA-1" })];

    // Act
    const result = evaluatePeerGroup(groupOf("ha", caCerts(ca), peers), policy());

    // Assess
    expect(result.peers[0]?.status).toBe("Certificate: Invalid (certificate is refused by TLS clients)");
    expect(result.findings.map((f) => [f.check, f.severity, f.details?.reason])).toEqual([
      ["untrusted-chain", "major", "weak-signature"],
      ["weak-crypto", "minor", undefined],
    ]);
  });

  it("reports a peer whose certificate file cannot be read", async () => {
    // Prepare
    const ca = await clusterCa();
    const peers: PeerInput[] = [
      {
        fqdn: "node1.cluster.local",
        certificates: { unreadable: "bad-pem", detail: "no BEGIN CERTIFICATE line" },
      },
    ];

    // Act
    const result = evaluatePeerGroup(groupOf("ha", caCerts(ca), peers), policy());

    // Assess
    expect(result.peers[0]?.status).toBe("Certificate: Invalid (certificate file cannot be read)");
    expect(result.findings).toMatchObject([
      { check: "unreadable", source: "peer-group:ha/node1.cluster.local", details: { reason: "bad-pem" } },
    ]);
  });

  it("reports a peer that presents only CA certificates", async () => {
    // Prepare
    const ca = await clusterCa();
    const peers: PeerInput[] = [{ fqdn: "node1.cluster.local", certificates: caCerts(ca) }];

    // Act
    const result = evaluatePeerGroup(groupOf("ha", caCerts(ca), peers), policy());

    // Assess
    expect(result.peers[0]?.status).toBe("Certificate: Invalid (no server certificate found)");
    expect(result.findings).toMatchObject([
      {
        check: "hostname-mismatch",
        source: "peer-group:ha/node1.cluster.local",
        details: { reason: "no-end-entity" },
      },
    ]);
  });

  it("refuses more than six peers, and the same peer twice, as configuration mistakes", async () => {
    // Prepare
    const ca = await clusterCa();
    const one = await peer("node1.cluster.local", ca);
    const seven = Array.from({ length: 7 }, (_, n) => ({ ...one, fqdn: `node${n}.cluster.local` }));

    // Act
    const tooMany = () => evaluatePeerGroup(groupOf("ha", caCerts(ca), seven), policy());
    const twice = () => evaluatePeerGroup(groupOf("ha", caCerts(ca), [one, one]), policy());

    // Assess
    expect(tooMany).toThrow('peer group "ha" lists 7 peers; at most 6 are supported');
    expect(twice).toThrow("lists peer node1.cluster.local twice");
  });
});
