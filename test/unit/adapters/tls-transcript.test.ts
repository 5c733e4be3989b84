/**
 * The handshake transcript reader on server flights built byte by byte (RFC 5246 §7.4, RFC 8446
 * §4): what a server controls (record types, lengths, certificate counts) ends in a clear error or
 * a bounded result, never a hang or an unbounded list. Real TLS 1.2 and 1.3 servers are read in
 * test/integration/cli/probe-handshake.test.ts.
 */
import { describe, expect, it } from "vitest";
import { MAX_SENT_CERTIFICATES, readServerHandshake } from "../../../functions/adapters/tls-transcript";

const u16 = (n: number) => [n >> 8, n & 0xff];
const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const record = (type: number, body: number[]) => [type, 3, 3, ...u16(body.length), ...body];
const handshake = (type: number, body: number[]) => [type, ...u24(body.length), ...body];
/** TLS 1.2 ServerHello choosing TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, no extensions. */
const serverHello = handshake(2, [3, 3, ...new Array(32).fill(7), 0, 0xc0, 0x2f, 0]);
const certificateList = (certificates: number[][]) => {
  const entries = certificates.flatMap((der) => [...u24(der.length), ...der]);
  return handshake(11, [...u24(entries.length), ...entries]);
};
const serverHelloDone = handshake(14, []);

describe("readServerHandshake", () => {
  it("reads a TLS 1.2 flight split across records, in the order sent", () => {
    // Prepare: the Certificate message starts in one record and ends in the next.
    const flight = [
      ...serverHello,
      ...certificateList([
        [0x30, 1],
        [0x30, 2],
        [0x30, 3],
      ]),
      ...serverHelloDone,
    ];
    const bytes = [...record(22, flight.slice(0, 50)), ...record(22, flight.slice(50))];

    // Act
    const result = readServerHandshake(new Uint8Array(bytes), []);

    // Assess
    expect(result).toEqual({
      ok: true,
      handshake: {
        version: "TLSv1.2",
        cipherSuite: 0xc02f,
        certificates: [new Uint8Array([0x30, 1]), new Uint8Array([0x30, 2]), new Uint8Array([0x30, 3])],
        certificatesSent: 3,
        certificateRequested: false,
      },
    });
  });

  it("notices a CertificateRequest", () => {
    // Prepare
    const flight = [
      ...serverHello,
      ...certificateList([[0x30, 1]]),
      ...handshake(13, [1, 1, 0, 0]),
      ...serverHelloDone,
    ];

    // Act
    const result = readServerHandshake(new Uint8Array(record(22, flight)), []);

    // Assess
    expect(result.ok && result.handshake.certificateRequested).toBe(true);
  });

  it(`keeps at most ${MAX_SENT_CERTIFICATES} certificates of a long list, and counts them all`, () => {
    // Prepare
    const many = Array.from({ length: 2_000 }, (_, i) => [0x30, i & 0xff]);
    const flight = [...serverHello, ...certificateList(many), ...serverHelloDone];
    const records: number[] = [];
    for (let at = 0; at < flight.length; at += 16_384)
      records.push(...record(22, flight.slice(at, at + 16_384)));

    // Act
    const result = readServerHandshake(new Uint8Array(records), []);

    // Assess
    expect(result.ok && result.handshake.certificates.length).toBe(MAX_SENT_CERTIFICATES);
    expect(result.ok && result.handshake.certificatesSent).toBe(2_000);
  });

  it.each([
    [
      "a server that answers in plain text",
      [...Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n")],
      "the server sent a record of content type 72, not TLS",
    ],
    [
      "a record longer than TLS allows",
      [22, 3, 3, 0xff, 0xff],
      "the server sent a 65535-byte record, over the TLS limit",
    ],
    ["an alert before any ServerHello", record(21, [2, 40]), "the server sent no ServerHello"],
    ["a ServerHello and nothing more", record(22, serverHello), "the server sent no Certificate message"],
    [
      "a certificate list longer than its message",
      record(22, [...serverHello, ...handshake(11, [...u24(100), ...u24(1), 0x30])]),
      "a truncated Certificate message",
    ],
    [
      "TLS 1.3 without the key log node:tls gives",
      record(
        22,
        handshake(2, [3, 3, ...new Array(32).fill(7), 0, 0x13, 0x01, 0, ...u16(6), 0, 43, ...u16(2), 3, 4]),
      ),
      "node:tls gave no server handshake traffic secret",
    ],
  ])("%s: a clear error", (_name, bytes, error) => {
    // Act
    const result = readServerHandshake(new Uint8Array(bytes), []);

    // Assess
    expect(result).toEqual({ ok: false, error });
  });
});
