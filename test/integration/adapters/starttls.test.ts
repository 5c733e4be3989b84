/**
 * STARTTLS against small servers written here that speak each protocol's upgrade exchange as its
 * RFC describes (test/support/tls-servers.ts), then continue as node:tls servers with a generated
 * certificate. And the servers an attacker could shape: one that refuses the upgrade, one that
 * speaks another protocol, one that stalls, one that floods. Each must end in a finding with a
 * reason, within the timeout and the byte budget, never a hang.
 */

import * as asn1js from "asn1js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ldapStartTlsRequest, parseLdapExtendedResponse } from "../../../functions/adapters/starttls";
import { fetchPresentedChain } from "../../../functions/adapters/tls-endpoint";
import { STARTTLS_PROTOCOLS, type StarttlsProtocol } from "../../../functions/core/config/endpoints";
import { parseEndpointAddress } from "../../../functions/core/endpoints/address";
import { chain, type Issued } from "../../support/pki";
import {
  type StarttlsBehaviour,
  type StarttlsServer,
  startStaplingEndpoint,
  startStarttlsServer,
} from "../../support/tls-servers";

const HOST = "mail.cluster.test";
let pki: { root: Issued; intermediate: Issued; leaf: Issued };
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  pki = await chain(HOST);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function server(
  protocol: StarttlsProtocol,
  behaviour: StarttlsBehaviour = "upgrade",
): Promise<StarttlsServer> {
  const started = await startStarttlsServer(protocol, pki.leaf, [pki.intermediate], behaviour);
  servers.push(started);
  return started;
}

function probe(endpoint: string, starttls: StarttlsProtocol, timeoutMs = 3000, maxExchangeBytes?: number) {
  return fetchPresentedChain({
    ...parseEndpointAddress(endpoint)!,
    servername: HOST,
    starttls,
    timeoutMs,
    ...(maxExchangeBytes ? { maxExchangeBytes } : {}),
  });
}

describe("STARTTLS", () => {
  it.each(STARTTLS_PROTOCOLS)(
    "%s: upgrades as the RFC says, then reads the chain the server presents",
    async (protocol) => {
      // Prepare
      const started = await server(protocol);

      // Act
      const result = await probe(started.endpoint, protocol);

      // Assess
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) return;
      expect(result.certificates).toHaveLength(2);
      expect(Buffer.from(result.certificates[0]!).equals(Buffer.from(pki.leaf.der))).toBe(true);
      expect(result.tls).toMatchObject({
        starttls: protocol,
        chainLength: 2,
        protocol: expect.stringMatching(/^TLSv1\.[23]$/),
      });
    },
  );

  it.each(STARTTLS_PROTOCOLS)(
    "%s: a server that refuses the upgrade is not speaking TLS, and says why",
    async (protocol) => {
      // Prepare
      const started = await server(protocol, "refuse");

      // Act
      const result = await probe(started.endpoint, protocol);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: "not-tls" });
      if (result.ok) return;
      expect(result.detail).toMatch(
        /STARTTLS|STLS|CLIENT_SSL|SSLRequest with 'N'|resultCode 2|closed the connection|did not answer the TLS handshake/,
      );
    },
  );

  it.each(STARTTLS_PROTOCOLS)(
    "%s: a server that stalls ends in a timeout naming the exchange",
    async (protocol) => {
      // Prepare
      const started = await server(protocol, "stall");

      // Act: the timeout named in the detail is what ended it (how long that took on a loaded
      // machine is not asserted: wall-clock budgets stop work, they do not fail tests)
      const result = await probe(started.endpoint, protocol, 400);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: "timeout" });
      if (!result.ok) expect(result.detail).toMatch(/STARTTLS exchange .* within 400 ms/);
    },
  );

  it.each(STARTTLS_PROTOCOLS)("%s: a server that floods is cut off at the byte budget", async (protocol) => {
    // Prepare
    const started = await server(protocol, "flood");

    // Act
    const result = await probe(started.endpoint, protocol, 5000, 32 * 1024);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: "not-tls" });
    if (!result.ok)
      expect(result.detail).toMatch(
        /more than \d+ bytes|longer than \d+ bytes|announced \d+ bytes|not an? |sent byte|first packet|protocol version/,
      );
  });

  it("a server of another protocol is not speaking TLS: SMTP spoken to a POP3 server, PostgreSQL to an SMTP server", async () => {
    // Prepare
    const pop3 = await server("pop3");
    const smtp = await server("smtp");

    // Act
    const smtpToPop3 = await probe(pop3.endpoint, "smtp");
    const postgresToSmtp = await probe(smtp.endpoint, "postgres");

    // Assess
    expect(smtpToPop3).toMatchObject({ ok: false, reason: "not-tls" });
    if (!smtpToPop3.ok)
      expect(smtpToPop3.detail).toMatch(/SMTP server sent "\+OK POP3 server ready", not an SMTP reply/);
    expect(postgresToSmtp).toMatchObject({ ok: false, reason: "not-tls" });
    if (!postgresToSmtp.ok)
      expect(postgresToSmtp.detail).toMatch(/PostgreSQL server answered SSLRequest with byte 0x32/);
  });

  it("LDAP: the StartTLS ExtendedRequest is the BER RFC 4511 describes, as an independent decoder reads it", () => {
    // Act
    const request = ldapStartTlsRequest(1);
    const decoded = asn1js.fromBER(new Uint8Array(request).buffer);

    // Assess
    expect(decoded.offset).toBe(request.length);
    const message = decoded.result as asn1js.Sequence;
    expect((message.valueBlock.value[0] as asn1js.Integer).valueBlock.valueDec).toBe(1);
    const op = message.valueBlock.value[1] as asn1js.Constructed;
    expect([op.idBlock.tagClass, op.idBlock.tagNumber, op.idBlock.isConstructed]).toEqual([2, 23, true]);
    const name = op.valueBlock.value[0] as asn1js.Primitive;
    expect([name.idBlock.tagClass, name.idBlock.tagNumber]).toEqual([3, 0]);
    expect(Buffer.from(name.valueBlock.valueHexView).toString()).toBe("1.3.6.1.4.1.1466.20037");
    // Long-form lengths are read too, and a message cut short is refused rather than over-read.
    expect(() => parseLdapExtendedResponse(Buffer.from([0x30, 0x84, 0, 0, 0, 5, 2, 1]))).toThrow(
      /past the message/,
    );
  });
});

describe("OCSP stapling", () => {
  it("reports a stapled OCSP response when the server sends one", async () => {
    // Prepare
    const stapling = await startStaplingEndpoint(
      pki.leaf,
      [pki.intermediate],
      Buffer.from("a stapled response"),
    );
    servers.push(stapling);

    // Act
    const result = await fetchPresentedChain({
      ...parseEndpointAddress(stapling.endpoint)!,
      servername: HOST,
      timeoutMs: 3000,
    });

    // Assess
    expect(result).toMatchObject({ ok: true, tls: { ocspStapled: true, chainLength: 2 } });
  });
});
