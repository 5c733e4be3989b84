/**
 * The chain as sent, in the cases the probe tests' servers do not cover: a self-signed leaf, a
 * chain whose root is (rightly) not sent nor trusted here, a duplicate, a certificate that cannot
 * be read, a lone leaf that names where its issuer can be fetched. Each row is the whole finding
 * an operator reads, or none.
 */
import { describe, expect, it } from "vitest";
import { type ParsedCertificate, parseCertificate } from "../../../functions/core/certificates/certificate";
import { analyseSentChain, servedChainFinding } from "../../../functions/core/endpoints/served-chain";
import { chain, type Issued, issue } from "../../support/pki";

const SOURCE = "tls://api.cluster.test:443";
const HOST = "api.cluster.test";

/** What was sent, by position; `null` for a certificate that could not be read. */
function sent(certificates: (Issued | null)[]): { parsed: ParsedCertificate[]; count: number } {
  const parsed = certificates.flatMap((c, index) => (c ? [parseCertificate(c.der, SOURCE, index)] : []));
  return { parsed, count: certificates.length };
}

function judge(certificates: (Issued | null)[], anchors: Issued[] = []) {
  const { parsed, count } = sent(certificates);
  const trusted = anchors.map((a, i) => parseCertificate(a.der, "ca.pem", i));
  return servedChainFinding(SOURCE, parsed, count, analyseSentChain(parsed, count, trusted));
}

describe("served-chain", () => {
  it("says nothing about a self-signed leaf sent alone: trusting it is untrusted-chain's call", async () => {
    // Prepare
    const selfSigned = await issue({ subject: `CN=${HOST}`, dnsNames: [HOST] });

    // Act
    const finding = judge([selfSigned]);

    // Assess
    expect(finding).toBeUndefined();
  });

  it("says nothing about a chain that stops below a root it rightly does not send, unknown here", async () => {
    // Prepare
    const { leaf, intermediate } = await chain(HOST);

    // Act
    const finding = judge([leaf, intermediate]);

    // Assess
    expect(finding).toBeUndefined();
  });

  it("names a duplicate intermediate as a certificate not on the chain (warning)", async () => {
    // Prepare
    const { root, leaf, intermediate } = await chain(HOST);

    // Act
    const finding = judge([leaf, intermediate, intermediate], [root]);

    // Assess
    expect(finding).toMatchObject({
      check: "served-chain",
      alarmId: "1032",
      severity: "warning",
      source: SOURCE,
      details: {
        reason: "extra-certificates",
        problems: [{ problem: "extra-certificates", severity: "warning" }],
        path: [0, 1],
        sent: [
          { index: 0, role: "leaf", subject: `CN=${HOST}` },
          { index: 1, role: "chain", subject: "CN=Watchpost Test Intermediate CA, O=watchpost" },
          { index: 2, role: "extra", subject: "CN=Watchpost Test Intermediate CA, O=watchpost" },
        ],
      },
    });
  });

  it("counts a certificate that cannot be read as not on the chain, and the order as broken by it", async () => {
    // Prepare
    const { root, leaf, intermediate } = await chain(HOST);

    // Act
    const finding = judge([leaf, null, intermediate], [root]);

    // Assess
    expect(finding?.severity).toBe("minor");
    expect(finding?.details?.problems).toEqual([
      { problem: "wrong-order", severity: "minor" },
      { problem: "extra-certificates", severity: "warning" },
    ]);
    expect(finding?.details?.sent).toEqual([
      { index: 0, role: "leaf", subject: `CN=${HOST}` },
      { index: 1, role: "unreadable" },
      { index: 2, role: "chain", subject: "CN=Watchpost Test Intermediate CA, O=watchpost" },
    ]);
    expect(finding?.message).toContain(
      "it sends a certificate not on its chain: an unreadable certificate (#1)",
    );
  });

  it("a leaf sent alone, whose issuer is known nowhere: major, pointing at its AIA address", async () => {
    // Prepare
    const { intermediate } = await chain(HOST);
    const leaf = await issue({
      subject: `CN=${HOST}`,
      dnsNames: [HOST],
      issuer: intermediate,
      caIssuersUrl: "http://pki.cluster.test/intermediate.crt",
    });

    // Act
    const finding = judge([leaf]);

    // Assess
    expect(finding).toEqual({
      check: "served-chain",
      alarmId: "1032",
      severity: "major",
      source: SOURCE,
      message: `Endpoint ${SOURCE} sends one certificate ("CN=${HOST}" (#0)), and it does not send the intermediate CA certificate that issued "CN=${HOST}" (#0) (issuer "CN=Watchpost Test Intermediate CA, O=watchpost"): clients that build the chain from what the server sends fail — OpenSSL and what uses it (curl, wget, Python, Ruby, PHP, PostgreSQL and MySQL clients), Go, Java, Node.js, rustls, most apps and devices; browsers may still connect (Chrome, Edge and Safari fetch the issuer from the certificate's AIA address http://pki.cluster.test/intermediate.crt; Firefox knows public CAs' intermediates). Unless that issuer is itself a root the clients trust, this is a missing intermediate. Configure the service to send its certificate followed by the intermediate(s) (the full-chain file).`,
      details: {
        reason: "missing-intermediate",
        problems: [{ problem: "missing-intermediate", severity: "major" }],
        sent: [{ index: 0, role: "leaf", subject: `CN=${HOST}` }],
        path: [0],
      },
    });
  });
});
