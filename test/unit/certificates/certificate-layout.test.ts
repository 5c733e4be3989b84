/**
 * Where @lapo/asn1js says a certificate's fields are (formats/certificate-layout.ts), against
 * where asn1js and @peculiar/asn1-x509 find them when they decode the whole certificate; and the
 * inputs that are not laid out at all, which the reader then decodes whole as before (their
 * findings are held to the recorded ones by engine-baseline.test.ts).
 */
import { createPublicKey } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import * as asn1js from "asn1js";
import { describe, expect, it } from "vitest";
import {
  type CertificateLayout,
  certificateLayout,
  LAYOUT_MAX_BYTES,
  SIGNED_DATA_LAYOUT_MAX_BYTES,
  type Span,
  signedDataCertificateSpans,
} from "../../../functions/core/certificates/formats/certificate-layout";
import { readCertificates } from "../../../functions/core/certificates/reader";
import { integer, oid, pkcs7Bundle, seq, set, tlv } from "../../support/hostile-corpus";
import { issue } from "../../support/pki";

/** An OBJECT IDENTIFIER element in dotted form, as asn1js reads it. */
function oidOf(element: Uint8Array): string {
  const decoded = asn1js.fromBER(new Uint8Array(element));
  if (!(decoded.result instanceof asn1js.ObjectIdentifier)) throw new Error("not an OBJECT IDENTIFIER");
  return decoded.result.valueBlock.toString();
}

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");

/** The fields as the layout gives them: each span's bytes in hex (content only where noted). */
function laidOutFields(der: Uint8Array, layout: CertificateLayout) {
  const whole = (span: Span) => hex(der.subarray(span.start, span.end));
  const content = (span: Span) => hex(der.subarray(span.content, span.end));
  return {
    length: layout.length,
    version: layout.version ? content(layout.version) : undefined,
    serialNumber: content(layout.serialNumber),
    tbsSignature: whole(layout.tbsSignature),
    issuer: whole(layout.issuer),
    notBefore: Buffer.from(der.subarray(layout.notBefore.content, layout.notBefore.end)).toString("latin1"),
    notAfter: Buffer.from(der.subarray(layout.notAfter.content, layout.notAfter.end)).toString("latin1"),
    subject: whole(layout.subject),
    subjectAttributes: layout.subjectAttributes?.map((rdn) =>
      rdn.map(({ type, value }) => ({
        type: oidOf(der.subarray(type.start, type.end)),
        value: whole(value),
      })),
    ),
    keyAlgorithm: whole(layout.keyAlgorithm),
    subjectPublicKey: content(layout.subjectPublicKey).slice(2), // after the unused-bits octet
    signatureAlgorithm: whole(layout.signatureAlgorithm),
    extensions: layout.extensions?.map((e) => ({
      id: oidOf(der.subarray(e.id.start, e.id.end)),
      critical: e.critical ? content(e.critical) : undefined,
      value: content(e.value),
    })),
  };
}

/** The same fields from asn1-x509's mapping of the whole certificate. */
function schemaFields(der: Uint8Array) {
  const { tbsCertificate: tbs, signatureAlgorithm } = AsnConvert.parse(der, Certificate);
  const encoded = (value: unknown) => hex(AsnConvert.serialize(value));
  return {
    length: der.length,
    version: tbs.version === 0 ? undefined : hex(Uint8Array.of(tbs.version)),
    serialNumber: hex(tbs.serialNumber),
    tbsSignature: encoded(tbs.signature),
    issuer: encoded(tbs.issuer),
    notBefore: (tbs.validity.notBefore.utcTime ?? tbs.validity.notBefore.generalTime)
      ?.toISOString()
      .replace(/[-:T]|\.000/g, "")
      .slice(2),
    notAfter: (tbs.validity.notAfter.utcTime ?? tbs.validity.notAfter.generalTime)
      ?.toISOString()
      .replace(/[-:T]|\.000/g, "")
      .slice(2),
    subject: encoded(tbs.subject),
    subjectAttributes: tbs.subject.map((rdn) =>
      rdn.map((attribute) => ({ type: attribute.type, value: encoded(attribute.value) })),
    ),
    keyAlgorithm: encoded(tbs.subjectPublicKeyInfo.algorithm),
    subjectPublicKey: hex(tbs.subjectPublicKeyInfo.subjectPublicKey),
    signatureAlgorithm: encoded(signatureAlgorithm),
    extensions: tbs.extensions?.map((e) => ({
      id: e.extnID,
      critical: e.critical ? "ff" : undefined,
      value: hex(e.extnValue.buffer),
    })),
  };
}

describe("certificate layout", () => {
  it.each([
    [
      "a P-256 leaf with subjectAltName and extendedKeyUsage",
      { dnsNames: ["a.example.com", "b.example.com"], extendedKeyUsage: ["1.3.6.1.5.5.7.3.1"] },
    ],
    ["an RSA-2048 CA", { isCA: true, key: "rsa2048" as const, subject: "CN=Example CA, O=Example, C=DE" }],
  ])("finds the fields of %s where the whole decode finds them", async (_what, options) => {
    // Prepare
    const { der } = await issue(options);

    // Act
    const layout = certificateLayout(der);

    // Assess
    expect(layout).toBeDefined();
    expect(laidOutFields(der, layout!)).toEqual(schemaFields(der));
  });

  it("ignores what follows the certificate (OpenSSL's aux data in a TRUSTED CERTIFICATE)", async () => {
    // Prepare
    const { der } = await issue();
    const withAux = new Uint8Array([...der, 0x30, 0x03, 0x02, 0x01, 0x00]);

    // Act / Assess
    expect(certificateLayout(withAux)).toEqual(certificateLayout(der));
    expect(certificateLayout(withAux)?.length).toBe(der.length);
  });

  it(`lays out nothing out of the ordinary, nor anything over ${LAYOUT_MAX_BYTES} bytes`, async () => {
    // Prepare
    const { der } = await issue({ dnsNames: ["node1.cluster.example"] });
    const large = await issue({
      dnsNames: Array.from({ length: 400 }, (_, i) => `host-${i}.a-long-cluster-name.example.com`),
    });
    // The same certificate with the indefinite length BER allows and DER does not.
    const lengthOctets = (der[1]! & 0x7f) + 1;
    const indefinite = new Uint8Array([0x30, 0x80, ...der.subarray(1 + lengthOctets), 0x00, 0x00]);
    const spki = new Uint8Array(
      createPublicKey(
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\nq9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n-----END PUBLIC KEY-----\n",
      ).export({ type: "spki", format: "der" }),
    );
    const cases: [string, Uint8Array][] = [
      ["an indefinite length", indefinite],
      ["cut short", der.subarray(0, der.length - 10)],
      ["a public key, not a certificate", spki],
      ["empty", new Uint8Array()],
      [`a certificate of ${large.der.length} bytes`, large.der],
    ];

    // Act
    const laidOut = cases.map(([what, bytes]) => [what, certificateLayout(bytes)]);

    // Assess
    expect(large.der.length).toBeGreaterThan(LAYOUT_MAX_BYTES);
    expect(laidOut).toEqual(cases.map(([what]) => [what, undefined]));
  });
});

describe("PKCS#7 SignedData layout", () => {
  /** A SignedData ContentInfo written out field by field, `content` being what follows its version. */
  const signedData = (type: string, ...content: Uint8Array[]) =>
    seq(oid(type), tlv(0xa0, seq(integer(1), set(), seq(oid("1.2.840.113549.1.7.1")), ...content)));

  it("finds each certificate's bytes in a certs-only bundle, as openssl crl2pkcs7 -nocrl writes it", async () => {
    // Prepare
    const [a, b] = [(await issue()).der, (await issue({ isCA: true })).der];
    const bundle = pkcs7Bundle([a, b]);

    // Act
    const found = signedDataCertificateSpans(bundle)?.map(([start, end]) => hex(bundle.subarray(start, end)));

    // Assess
    expect(found).toEqual([hex(a), hex(b)]);
  });

  it(`lays out nothing but plain SignedData with certificates, up to ${SIGNED_DATA_LAYOUT_MAX_BYTES} bytes`, async () => {
    // Prepare
    const { der } = await issue();
    const bundle = pkcs7Bundle([der]);
    const lengthOctets = (bundle[1]! & 0x7f) + 1;
    const cases: [string, Uint8Array][] = [
      [
        "an indefinite length",
        new Uint8Array([0x30, 0x80, ...bundle.subarray(1 + lengthOctets), 0x00, 0x00]),
      ],
      ["bytes after it", new Uint8Array([...bundle, 0x00])],
      ["envelopedData", signedData("1.2.840.113549.1.7.3", tlv(0xa0, der), set())],
      ["no certificates field", signedData("1.2.840.113549.1.7.2", set())],
      ["an empty certificates field", pkcs7Bundle([])],
      [
        "an attribute certificate ([2]) among the certificates",
        signedData("1.2.840.113549.1.7.2", tlv(0xa0, der, tlv(0xa2)), set()),
      ],
      ["no signerInfos", signedData("1.2.840.113549.1.7.2", tlv(0xa0, der))],
      ["an empty crls field", signedData("1.2.840.113549.1.7.2", tlv(0xa0, der), tlv(0xa1), set())],
      ["a signer", signedData("1.2.840.113549.1.7.2", tlv(0xa0, der), set(seq(integer(1))))],
      [
        "a digest algorithm",
        seq(
          oid("1.2.840.113549.1.7.2"),
          tlv(
            0xa0,
            seq(
              integer(1),
              set(seq(oid("2.16.840.1.101.3.4.2.1"))),
              seq(oid("1.2.840.113549.1.7.1")),
              tlv(0xa0, der),
              set(),
            ),
          ),
        ),
      ],
      [
        "version 3",
        seq(
          oid("1.2.840.113549.1.7.2"),
          tlv(0xa0, seq(integer(3), set(), seq(oid("1.2.840.113549.1.7.1")), tlv(0xa0, der), set())),
        ),
      ],
      [
        "a length in a longer form than DER's",
        new Uint8Array([
          0x30,
          0x84,
          0,
          0,
          (bundle.length - 1 - lengthOctets) >> 8,
          (bundle.length - 1 - lengthOctets) & 0xff,
          ...bundle.subarray(1 + lengthOctets),
        ]),
      ],
      ["a certificate alone", der],
      [
        "too large",
        pkcs7Bundle(
          Array.from({ length: Math.ceil(SIGNED_DATA_LAYOUT_MAX_BYTES / der.length) + 1 }, () => der),
        ),
      ],
    ];

    // Act
    const laidOut = cases.map(([what, bytes]) => [what, signedDataCertificateSpans(bytes)]);

    // Assess
    expect(laidOut).toEqual(cases.map(([what]) => [what, undefined]));
  });

  it("reads a bundle it lays out as it reads one decoded whole", async () => {
    // Prepare: the same two certificates, as a plain bundle and with an attribute certificate that
    // sends the reader down the whole decode
    const [a, b] = [(await issue()).der, (await issue({ isCA: true })).der];
    const plain = pkcs7Bundle([a, b]);
    const decodedWhole = signedData("1.2.840.113549.1.7.2", tlv(0xa0, a, b, tlv(0xa2)), set());

    // Act
    const [fast, whole] = await Promise.all([
      readCertificates(plain, "chain.p7b"),
      readCertificates(decodedWhole, "chain.p7b"),
    ]);

    // Assess: every fact but node:crypto's own objects (made from the same bytes)
    const facts = (result: typeof fast) =>
      result.status === "ok"
        ? result.certificates.map(({ node: _node, key: _key, ...rest }) => rest)
        : result;
    expect(signedDataCertificateSpans(plain)).toHaveLength(2);
    expect(signedDataCertificateSpans(decodedWhole)).toBeUndefined();
    expect(fast).toMatchObject({ status: "ok", format: "pkcs7-der" });
    expect(facts(fast)).toEqual(facts(whole));
  });
});
