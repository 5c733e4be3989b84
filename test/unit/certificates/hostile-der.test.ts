/**
 * Malformed encodings: truncation, length fields that lie, BER's indefinite lengths and deep
 * nesting. Every case is judged as `watchpost scan FILE` judges it, and asserts what the operator
 * sees: the certificate read correctly, or exactly one `unreadable` finding whose message says why.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  cn,
  craftCertificate,
  integer,
  judge,
  nestedIndefiniteSequences,
  nestedSequences,
  oid,
  pkcs7Bundle,
  seq,
  set,
  tlv,
  utcTime,
  withIndefiniteOuterLength,
  withOuterLengthOctets,
  withOuterLengthOff,
  withTbsLengthOff,
} from "../../support/hostile-corpus";
import { pemOf } from "../../support/pki";

const text = (value: string) => new Uint8Array(Buffer.from(value, "latin1"));

let der: Uint8Array;
let pem: string;

const DATA = seq(oid("1.2.840.113549.1.7.1"));

/** A SignedData bundle of two well-formed certificates around the given parts. */
function signedData(digests: Uint8Array, encap: Uint8Array, rest: Uint8Array[]): Uint8Array {
  const certificates = [1, 2].map((i) => craftCertificate({ subject: [cn(`peer-${i}.example.com`)] }));
  return seq(
    oid("1.2.840.113549.1.7.2"),
    tlv(0xa0, seq(integer(1), digests, encap, tlv(0xa0, ...certificates), ...rest)),
  );
}

beforeAll(() => {
  der = craftCertificate({ notBefore: utcTime("250101000000Z"), notAfter: utcTime("350101000000Z") });
  pem = pemOf("CERTIFICATE", der);
});

/** The single `unreadable` finding of a file that yields no certificate. */
async function onlyUnreadable(bytes: Uint8Array, file = "hostile.der") {
  const judged = await judge(bytes, file);
  expect(judged.certificates).toEqual([]);
  expect(judged.findings, JSON.stringify(judged.findings)).toHaveLength(1);
  const [finding] = judged.unreadable;
  expect(finding?.source).toBe(file);
  return { reason: finding?.details?.reason, message: finding?.message ?? "" };
}

describe("truncated files", () => {
  it("reports every cut-off prefix of a DER certificate as one bad-der finding saying it was truncated", async () => {
    for (let length = 1; length < der.length; length += 1) {
      // Act
      const { reason, message } = await onlyUnreadable(der.subarray(0, length));

      // Assess
      expect(reason, `prefix of ${length} bytes`).toBe("bad-der");
      expect(message, `prefix of ${length} bytes`).toContain("truncated?");
    }
  });

  it("reports every cut-off prefix of a PEM file as one finding, never a crash or a silent skip", async () => {
    // Every prefix that stops short of the complete END line (which would make it a whole file).
    const complete = pem.indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length;
    for (let length = 1; length < complete; length += 3) {
      // Act
      const { reason } = await onlyUnreadable(text(pem.slice(0, length)), "cut.pem");

      // Assess: before the BEGIN line is complete the file is not recognisably PEM
      const expected = pem.slice(0, length).includes("-----BEGIN") ? "bad-pem" : "unsupported-format";
      expect(reason, `prefix of ${length} characters`).toBe(expected);
    }
  });

  it("keeps the certificates around a truncated one in a bundle and names the broken block", async () => {
    // Prepare
    const cut = pemOf("CERTIFICATE", der.subarray(0, 200));
    const bundle = text([pem, cut, pem].join(""));

    // Act
    const judged = await judge(bundle, "bundle.pem");

    // Assess
    expect(judged.certificates.map((c) => c.source)).toEqual(["bundle.pem#0", "bundle.pem#1"]);
    expect(judged.unreadable).toHaveLength(1);
    expect(judged.unreadable[0]?.message).toContain("PEM block 2 (CERTIFICATE) is not valid DER");
    expect(judged.unreadable[0]?.message).toContain("truncated?");
  });
});

describe("length fields that do not match the content", () => {
  it.each([1, 10, 1000])("reports an outer length %i bytes too large as truncated", async (delta) => {
    // Act
    const { reason, message } = await onlyUnreadable(withOuterLengthOff(der, delta));

    // Assess
    expect(reason).toBe("bad-der");
    expect(message).toContain("it ends before the lengths it declares are complete (truncated?)");
  });

  it.each([1, 10])(
    "reports an outer length %i bytes too small as a wrong length field, not as OpenSSL's 'no start line'",
    async (delta) => {
      // Prepare
      const content = der.length - 4;

      // Act
      const { reason, message } = await onlyUnreadable(withOuterLengthOff(der, -delta));

      // Assess
      expect(reason).toBe("bad-der");
      expect(message).toContain(
        `a length field is wrong: the element at byte 0 declares ${content - delta} content bytes but the elements inside it take ${content}`,
      );
      expect(message).not.toMatch(/routines|no start line/);
    },
  );

  it("keeps the other certificates of a PKCS#7 bundle when one of them has a lying length", async () => {
    // Prepare
    const others = [1, 2].map((i) => craftCertificate({ subject: [cn(`peer-${i}.example.com`)] }));
    const bundle = pkcs7Bundle([others[0]!, withOuterLengthOff(der, -10), others[1]!]);

    // Act
    const judged = await judge(bundle, "bundle.p7b");

    // Assess
    expect(judged.certificates.map((c) => [c.source, c.subject])).toEqual([
      ["bundle.p7b#0", "CN=peer-1.example.com"],
      ["bundle.p7b#1", "CN=peer-2.example.com"],
    ]);
    expect(judged.unreadable.map((f) => f.details?.detail)).toEqual([
      `PKCS#7 certificate 2 does not hold a valid certificate: a length field is wrong: the element at byte 0 declares ${der.length - 14} content bytes but the elements inside it take ${der.length - 4}`,
    ]);
  });

  // A bundle is refused whole when any part of its SignedData is malformed, not only a certificate:
  // `openssl pkcs7 -inform DER -print_certs` refuses these with "invalid object encoding", so a
  // client loading the bundle fails too, and the alarm must stand until the file is fixed.
  it.each([
    ["digestAlgorithms", (bad: Uint8Array) => signedData(set(seq(bad)), DATA, [set()])],
    ["encapContentInfo", (bad: Uint8Array) => signedData(set(), seq(bad), [set()])],
    ["signerInfos", (bad: Uint8Array) => signedData(set(), DATA, [set(seq(bad))])],
    ["crls", (bad: Uint8Array) => signedData(set(), DATA, [tlv(0xa1, seq(bad)), set()])],
  ])(
    "reads a PKCS#7 bundle with a malformed identifier in its %s as one bad-der finding and no certificate",
    async (_part, bundle) => {
      // Prepare: an object identifier whose last octet says another follows
      const malformedOid = tlv(0x06, Uint8Array.of(0x2a, 0x86));

      // Act
      const { reason, message } = await onlyUnreadable(bundle(malformedOid), "bundle.p7b");

      // Assess
      expect(reason).toBe("bad-der");
      expect(message).toBe(
        "Certificate file bundle.p7b does not hold a valid DER-encoded certificate (the file starts like DER but is not valid DER: it ends before the lengths it declares are complete (truncated?)). Whatever uses it cannot load a certificate either; fix or replace it.",
      );
    },
  );

  it.each([1, -1])("reports a tbsCertificate length off by %i as one bad-der finding", async (delta) => {
    // Act
    const { reason, message } = await onlyUnreadable(withTbsLengthOff(der, delta));

    // Assess
    expect(reason).toBe("bad-der");
    expect(message).toMatch(/truncated\?|a length field is wrong/);
  });

  it.each([
    ["a 4-byte length of 4 GiB", Uint8Array.of(0x84, 0xff, 0xff, 0xff, 0xff)],
    ["an 8-byte length of 2^64-1", Uint8Array.of(0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ["a 9-byte length", Uint8Array.of(0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9)],
    ["the reserved length octet 0xFF", Uint8Array.of(0xff)],
  ])("refuses %s without trying to allocate it", async (_name, lengthOctets) => {
    // Prepare
    const bytes = withOuterLengthOctets(der, lengthOctets);

    // Act
    const fromDer = await onlyUnreadable(bytes);
    const fromPem = await onlyUnreadable(text(pemOf("CERTIFICATE", bytes)), "absurd.pem");

    // Assess
    expect(fromDer.reason).toBe("bad-der");
    expect(fromDer.message).toContain("a length field declares an impossible size");
    expect(fromPem.reason).toBe("bad-pem");
    expect(fromPem.message).toContain(
      "PEM block 1 (CERTIFICATE) is not valid DER: a length field declares an impossible size",
    );
  });

  it("reads a certificate whose outer SEQUENCE uses BER's indefinite length, with its dates", async () => {
    // Act
    const judged = await judge(withIndefiniteOuterLength(der));

    // Assess
    expect(judged.unreadable).toEqual([]);
    expect(judged.certificates).toHaveLength(1);
    expect(judged.certificates[0]?.subject).toBe("CN=hostile.example.com");
    expect(judged.certificates[0]?.notBefore.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(judged.certificates[0]?.notAfter.toISOString()).toBe("2035-01-01T00:00:00.000Z");
  });

  it("reads a certificate whose outer length is written in more octets than needed (BER)", async () => {
    // Prepare: 0x84 00 00 LL LL instead of 0x82 LL LL
    const length = der.length - 4;
    const bytes = withOuterLengthOctets(der, Uint8Array.of(0x84, 0, 0, length >> 8, length & 0xff));

    // Act
    const judged = await judge(bytes);

    // Assess
    expect(judged.unreadable).toEqual([]);
    expect(judged.certificates.map((c) => c.subject)).toEqual(["CN=hostile.example.com"]);
  });

  it("keeps a certificate followed by stray bytes and reports the stray bytes once", async () => {
    // Act
    const judged = await judge(Buffer.concat([der, Uint8Array.of(0x30, 0x05, 0x01)]));

    // Assess
    expect(judged.certificates).toHaveLength(1);
    expect(judged.unreadable.map((f) => f.details?.detail)).toEqual([
      `3 bytes at offset ${der.length} are not a DER certificate`,
    ]);
  });
});

describe("deep nesting", () => {
  it.each([
    ["5,000 definite-length", () => nestedSequences(5_000)],
    ["100,000 definite-length", () => nestedSequences(100_000)],
    ["5,000 indefinite-length", () => nestedIndefiniteSequences(5_000)],
  ])("refuses %s nested SEQUENCEs with one finding, without exhausting the stack", async (_name, make) => {
    // Prepare
    const bytes = make();

    // Act
    const fromDer = await onlyUnreadable(bytes);
    const fromPem = await onlyUnreadable(text(pemOf("CERTIFICATE", bytes)), "deep.pem");

    // Assess
    expect(fromDer.reason).toBe("bad-der");
    expect(fromDer.message).toContain("its ASN.1 elements are nested more than 100 levels deep");
    expect(fromPem.reason).toBe("bad-pem");
    expect(fromPem.message).toContain("nested more than 100 levels deep");
  });
});
