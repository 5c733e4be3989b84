/**
 * Certificates that are well-formed ASN.1 but use the odd corners of X.509: UTCTime around its
 * 1950/2049 pivot and GeneralizedTime on either side of 2050, BER time variants, impossible dates,
 * negative serials, names in legacy string types or with bytes that are not what their type says,
 * EC keys with explicit curve parameters, malformed extensions. Each case asserts what the operator
 * sees: the right dates, names and findings, or exactly one `unreadable` finding that says why.
 */
import { describe, expect, it } from "vitest";
import { coversHost } from "../../../functions/core/certificates/checks/hostname";
import {
  attribute,
  cn,
  craftCertificate,
  endEntityConstraints,
  explicitCurveSpki,
  extension,
  generalizedTime,
  judge,
  nestedSequences,
  OIDS,
  STRING_TAG,
  sanExtension,
  type TimeSpec,
  utcTime,
} from "../../support/hostile-corpus";

const latin1 = (value: string) => new Uint8Array(Buffer.from(value, "latin1"));
const bmp = (value: string) => new Uint8Array(Buffer.from(value, "utf16le").swap16());

/** The one certificate of a file that must read cleanly. */
async function readOne(bytes: Uint8Array, hosts?: string[]) {
  const judged = await judge(bytes, "odd.der", hosts ? { expectedHosts: hosts } : {});
  expect(judged.unreadable, JSON.stringify(judged.unreadable)).toEqual([]);
  expect(judged.certificates).toHaveLength(1);
  return { certificate: judged.certificates[0]!, checks: judged.findings.map((f) => f.check) };
}

/** The message of the single `unreadable` finding of a file that yields no certificate. */
async function refusal(bytes: Uint8Array): Promise<string> {
  const judged = await judge(bytes, "odd.der");
  expect(judged.certificates).toEqual([]);
  expect(judged.findings).toHaveLength(1);
  expect(judged.unreadable[0]?.details?.reason).toBe("bad-der");
  return judged.unreadable[0]?.message ?? "";
}

describe("validity times (judged at 2030-06-01)", () => {
  it.each<[string, TimeSpec, string, string[]]>([
    ["UTCTime 49 is 2049", utcTime("491231235959Z"), "2049-12-31T23:59:59.000Z", []],
    ["UTCTime 50 is 1950", utcTime("500101000000Z"), "1950-01-01T00:00:00.000Z", ["expired"]],
    ["UTCTime 99 is 1999", utcTime("991231235959Z"), "1999-12-31T23:59:59.000Z", ["expired"]],
    ["UTCTime 00 is 2000", utcTime("000101000000Z"), "2000-01-01T00:00:00.000Z", ["expired"]],
    ["GeneralizedTime in 2050", generalizedTime("20500101000000Z"), "2050-01-01T00:00:00.000Z", []],
    ["GeneralizedTime far ahead", generalizedTime("99991231235959Z"), "9999-12-31T23:59:59.000Z", []],
    [
      "GeneralizedTime used for a date before 2050",
      generalizedTime("20300615120000Z"),
      "2030-06-15T12:00:00.000Z",
      ["expiring"],
    ],
    [
      "GeneralizedTime in year 0",
      generalizedTime("00000101000000Z"),
      "0000-01-01T00:00:00.000Z",
      ["expired"],
    ],
    ["a leap day", utcTime("320229000000Z"), "2032-02-29T00:00:00.000Z", []],
    // BER variants older tools write; each names one instant, read as OpenSSL reads it.
    ["UTCTime without seconds", utcTime("3101010000Z"), "2031-01-01T00:00:00.000Z", []],
    ["UTCTime with an offset", utcTime("310101000000+0100"), "2030-12-31T23:00:00.000Z", []],
    [
      "GeneralizedTime with an offset",
      generalizedTime("20310101000000-0230"),
      "2031-01-01T02:30:00.000Z",
      [],
    ],
    [
      "GeneralizedTime with fractional seconds",
      generalizedTime("20310101000000.25Z"),
      "2031-01-01T00:00:00.250Z",
      [],
    ],
  ])("reads notAfter as %s", async (_name, notAfter, expected, checks) => {
    // Act
    const { certificate, checks: found } = await readOne(craftCertificate({ notAfter }));

    // Assess
    expect(certificate.notAfter.toISOString()).toBe(expected);
    expect(found).toEqual(checks);
  });

  it("reads a GeneralizedTime notBefore beyond 2050 as not yet valid, not as 1950", async () => {
    // Act
    const { certificate, checks } = await readOne(
      craftCertificate({
        notBefore: generalizedTime("20510101000000Z"),
        notAfter: generalizedTime("20600101000000Z"),
      }),
    );

    // Assess
    expect(certificate.notBefore.toISOString()).toBe("2051-01-01T00:00:00.000Z");
    expect(checks).toEqual(["not-yet-valid"]);
  });

  it.each<[string, TimeSpec, string]>([
    ["month 13", utcTime("311301000000Z"), 'UTCTime "311301000000Z" is not a valid date and time'],
    ["30 February", utcTime("310230000000Z"), 'UTCTime "310230000000Z" is not a valid date and time'],
    ["29 February of a common year", utcTime("310229000000Z"), "is not a valid date and time"],
    ["hour 24", utcTime("310101240000Z"), "is not a valid date and time"],
    ["a leap second", utcTime("311231235960Z"), "is not a valid date and time"],
    [
      "text that is no time",
      utcTime("next tuesday"),
      'UTCTime "next tuesday" is not a time (expected YYMMDDHHMMSSZ)',
    ],
    ["a time after junk", utcTime("x310101000000Z"), "is not a time"],
    ["a lower-case zone", utcTime("310101000000z"), "is not a time"],
    [
      "a GeneralizedTime in local time",
      generalizedTime("20310101000000"),
      'GeneralizedTime "20310101000000" gives no time zone (local time); RFC 5280 requires UTC ("Z")',
    ],
    ["an offset beyond a day", utcTime("310101000000+2400"), "has an invalid time zone offset"],
  ])("refuses a notAfter with %s, naming the field and its text", async (_name, notAfter, expected) => {
    // Act
    const message = await refusal(craftCertificate({ notAfter }));

    // Assess
    expect(message).toContain("does not hold a valid certificate: its notAfter ");
    expect(message).toContain(expected);
  });

  it("refuses a GeneralizedTime the decoder cannot read at all, saying it is a date", async () => {
    // Act
    const message = await refusal(craftCertificate({ notBefore: generalizedTime("2031010100000z") }));

    // Assess
    expect(message).toContain("a date (UTCTime or GeneralizedTime) is not written as a valid time");
  });
});

describe("serial numbers", () => {
  it.each([
    ["-1", [0xff], "-01"],
    ["-128", [0x80], "-80"],
    ["-129", [0xff, 0x7f], "-81"],
    ["+128", [0x00, 0x80], "80"],
    ["0", [0x00], "00"],
    ["a 20-byte negative", [0x80, ...new Array(19).fill(0)], `-80${"00".repeat(19)}`],
  ])("shows a serial of %s as OpenSSL does, so -128 and +128 are told apart", async (_name, bytes, shown) => {
    // Act
    const { certificate } = await readOne(craftCertificate({ serial: Uint8Array.from(bytes) }));

    // Assess
    expect(certificate.serialNumber).toBe(shown);
  });

  it("refuses a serial with a redundant leading zero byte and says so instead of quoting OpenSSL", async () => {
    // Act
    const message = await refusal(craftCertificate({ serial: Uint8Array.of(0x00, 0x00, 0x01) }));

    // Assess
    expect(message).toContain("an INTEGER in the serial number is not minimally encoded");
    expect(message).not.toMatch(/routines|no start line/);
  });
});

describe("names in legacy and mislabelled string types", () => {
  it("refuses Latin-1 bytes in a UTF8String and shows them as Latin-1", async () => {
    // Prepare
    const subject = [attribute(OIDS.commonName, STRING_TAG.utf8, latin1("Müller GmbH"))];

    // Act
    const message = await refusal(craftCertificate({ subject, issuer: [cn("Issuing CA")] }));

    // Assess
    expect(message).toContain(
      'a UTF8String in the subject holds bytes that are not UTF-8 ("Müller GmbH" read as Latin-1)',
    );
  });

  it.each([
    ["a BMPString", attribute(OIDS.commonName, STRING_TAG.bmp, bmp("Müller 日本")), "Müller 日本"],
    [
      "a TeletexString of Latin-1 bytes",
      attribute(OIDS.commonName, STRING_TAG.teletex, latin1("Müller GmbH")),
      "Müller GmbH",
    ],
    ["an IA5String", attribute(OIDS.commonName, STRING_TAG.ia5, "host.example.com"), "host.example.com"],
    ["a PrintableString", attribute(OIDS.commonName, STRING_TAG.printable, "Acme Ltd"), "Acme Ltd"],
    ["a UTF8String of ASCII", cn("host.example.com"), "host.example.com"],
    ["a UTF8String beyond ASCII", cn("Müller 日本"), "Müller 日本"],
  ])("reads a common name in %s", async (_name, name, expected) => {
    // Act
    const { certificate } = await readOne(craftCertificate({ subject: [name], issuer: [cn("Issuing CA")] }));

    // Assess
    expect(certificate.subject).toBe(`CN=${expected}`);
    expect(certificate.commonNames).toEqual([expected]);
    expect(certificate.issuer).toBe("CN=Issuing CA");
  });

  it("writes a subject of several string types with the escapes its text needs", async () => {
    // Prepare
    const organization = attribute(OIDS.organization, STRING_TAG.teletex, latin1("Müller, Söhne"));
    const subject = [
      organization,
      attribute(OIDS.commonName, STRING_TAG.ia5, " lead+trail "),
      attribute(OIDS.commonName, STRING_TAG.ia5, "#1"),
    ];

    // Act
    const { certificate } = await readOne(craftCertificate({ subject, issuer: [cn("Issuing CA")] }));

    // Assess
    expect(certificate.subject).toBe("O=Müller\\, Söhne, CN=\\ lead\\+trail\\ , CN=\\#1");
    expect(certificate.commonNames).toEqual([" lead+trail ", "#1"]);
  });

  it("matches the expected host against a common name kept in a BMPString", async () => {
    // Prepare
    const subject = [attribute(OIDS.commonName, STRING_TAG.bmp, bmp("node1.cluster.example"))];

    // Act
    const judged = await judge(craftCertificate({ subject }), "odd.der", {
      expectedHosts: ["node1.cluster.example"],
    });

    // Assess: the name is read and found, but only in the common name, which Go and browsers ignore
    expect(judged.findings.map((f) => [f.check, f.severity, f.details?.reason])).toEqual([
      ["hostname-mismatch", "minor", "common-name-only"],
    ]);
  });

  it("refuses a BMPString of an odd number of bytes", async () => {
    // Prepare
    const subject = [attribute(OIDS.commonName, STRING_TAG.bmp, Uint8Array.of(0x00, 0x41, 0x00))];

    // Act
    const message = await refusal(craftCertificate({ subject }));

    // Assess
    expect(message).toContain("a BMPString or UniversalString is not a whole number of characters long");
  });

  it("does not let a NUL byte in a common name stand for the name before it", async () => {
    // Prepare: the classic "evil.com\0.good.com" trick
    const subject = [cn("evil.example\u0000.good.example")];

    // Act
    const { certificate, checks } = await readOne(craftCertificate({ subject }), ["evil.example"]);

    // Assess
    expect(certificate.commonNames).toEqual(["evil.example\u0000.good.example"]);
    expect(checks).toEqual(["hostname-mismatch"]);
  });

  it("reads a certificate with an empty subject", async () => {
    // Act
    const { certificate } = await readOne(craftCertificate({ subject: [], issuer: [cn("Issuing CA")] }));

    // Assess
    expect(certificate.subject).toBe("");
    expect(certificate.commonNames).toEqual([]);
  });
});

describe("EC keys with explicit curve parameters", () => {
  it("recognises P-256 written out as ECParameters", async () => {
    // Act
    const { certificate, checks } = await readOne(craftCertificate({ spki: explicitCurveSpki() }));

    // Assess
    expect(certificate.publicKey).toEqual({ type: "ec", curve: "prime256v1", bits: 256 });
    expect(checks).toEqual([]);
  });

  it("reads a key on an unknown explicit curve as an EC key sized by its group order", async () => {
    // Prepare: P-256 with another b is a curve OpenSSL has no name for
    const spki = explicitCurveSpki(undefined, {
      b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604c",
    });

    // Act
    const { certificate, checks } = await readOne(craftCertificate({ spki }));

    // Assess
    expect(certificate.publicKey).toEqual({ type: "ec", bits: 256 });
    expect(checks).toEqual([]);
  });

  it("reports a key on an explicit curve with a 160-bit order as weak", async () => {
    // Prepare
    const spki = explicitCurveSpki(undefined, { n: "ffffffffffffffffffffffffffffffffffffffff" });

    // Act
    const judged = await judge(craftCertificate({ spki }));

    // Assess
    expect(judged.certificates[0]?.publicKey).toEqual({ type: "ec", bits: 160 });
    expect(judged.findings.map((f) => f.check)).toEqual(["weak-crypto"]);
    expect(judged.findings[0]?.message).toContain("EC key on an unnamed curve of 160 bits");
  });
});

describe("malformed extensions", () => {
  const garbage = Uint8Array.of(0x30, 0x05, 0x01, 0x02);

  it.each([
    ["certificatePolicies", "2.5.29.32"],
    ["keyUsage", "2.5.29.15"],
    ["authorityKeyIdentifier", "2.5.29.35"],
    ["an unknown extension", "1.3.6.1.4.1.99999.1"],
  ])("reads the certificate when %s, which no check needs, is malformed", async (_name, id) => {
    // Prepare
    const bytes = craftCertificate({
      extensions: [endEntityConstraints(), extension(id, garbage), sanExtension(["a.example.com"])],
    });

    // Act
    const { certificate } = await readOne(bytes, ["a.example.com"]);

    // Assess
    expect(certificate.dnsNames).toEqual(["a.example.com"]);
  });

  it.each([
    ["subjectAltName", OIDS.subjectAltName],
    ["basicConstraints", OIDS.basicConstraints],
  ])("refuses a certificate whose %s, which the checks read, is malformed, naming it", async (name, id) => {
    // Act
    const message = await refusal(craftCertificate({ extensions: [extension(id, garbage)] }));

    // Assess
    expect(message).toContain(`its ${name} extension is malformed: `);
  });

  it("names the extension when deep nesting hides inside a subjectAltName", async () => {
    // Act
    const message = await refusal(
      craftCertificate({ extensions: [extension(OIDS.subjectAltName, nestedSequences(2_000))] }),
    );

    // Assess
    expect(message).toContain("its subjectAltName extension is malformed: ");
    expect(message).toContain("nested more than 100 levels deep");
  });

  it("uses the first of two subjectAltName extensions, as it always has", async () => {
    // Prepare
    const extensions = [sanExtension(["first.example.com"]), sanExtension(["second.example.com"])];

    // Act
    const { certificate } = await readOne(craftCertificate({ extensions }));

    // Assess
    expect(certificate.dnsNames).toEqual(["first.example.com"]);
    expect(coversHost(certificate, "second.example.com")).toBe(false);
  });
});

describe("PKCS#12 without a MAC", () => {
  /**
   * A certificate-only PKCS#12 (no key inside) whose safe is AES-256-CBC encrypted with the
   * password "right" and that has no MAC. With the password "wrong-73" its safe decrypts to bytes
   * with valid padding that begin like BER, which the reader once took as proof of the password,
   * reporting the file as malformed (bad-der) instead of bad-password.
   */
  const NO_MAC = Buffer.from(
    "MIICUQIBAzCCAkoGCSqGSIb3DQEHAaCCAjsEggI3MIAwgAYJKoZIhvcNAQcGoIAwgAIBADCABgkqhkiG9w0BBwEwgY8GCSqG" +
      "SIb3DQEFDTCBgTBgBgkqhkiG9w0BBQwwUwRA0xnuZ2YTqZhSsGdbhMOSySLaL8hQeiUFz8VQJ4VQVPCeoWtpYbJEPalupO4m" +
      "Mi6/BthAWlKKwasnmHwyjd1vkQIBATAMBggqhkiG9w0CCQUAMB0GCWCGSAFlAwQBKgQQsyKe4a8f63nwrjt0s3yPaKCABIIB" +
      "cDkXtX4PtAHi/kJ04RSy/vES/ZiUxfUyn2uqFqKeX0ebMnxR6fUeU1jMjdV/tsYTcsgsFjN0G3jyrcAG0FJowtCylvCsgEg9" +
      "x48QyKrA/j25X6qF016R/h6K1Pv39TCnV42yv+TZqTiKN1RbBjFUwrLWwHxEuuYkcQlLmtWqjd92gWhm96Q+iQSAhqDn5a4k" +
      "UdlxcQ3MHj5Cm0oOPr0sLvYyJALyZm9vZMi0EwNSyTmFTIWWX0oBK7vL77sdQ1Bpr0rq25ACNKGw50Q0vrFAmzOIS52LzOaR" +
      "nWEp7uPLsUS0r4/8oMMhGepIK6gLlPYeo9pEKB9pHGujjLfHO99J/h1LApe8XCtiDWOA1+ahbmdWWx2WN2sHwa54rq4Z95Lt" +
      "hshk7dwdvpkIAL+ume6tKG3th9gnGJVwbLmpXbyKJ91BTwhjQM/SHc745sbNXWkDMS2oRrzPzbFsdORKWjkSC4klzJHewFN5" +
      "3uON6ekMIzvhAAAAAAAAAAAAAAAA",
    "base64",
  );

  it("says a wrong password is wrong, even when it happens to decrypt to something BER-like", async () => {
    // Act
    const judged = await judge(new Uint8Array(NO_MAC), "nomac.p12", {}, "wrong-73");

    // Assess
    expect(judged.certificates).toEqual([]);
    expect(judged.unreadable.map((f) => f.details)).toEqual([
      {
        reason: "bad-password",
        detail: "the PKCS#12 password given does not match the file (its safes do not decrypt with it)",
        format: "pkcs12",
      },
    ]);
  });

  it("reads it with the right password", async () => {
    // Act
    const judged = await judge(new Uint8Array(NO_MAC), "nomac.p12", {}, "right");

    // Assess
    expect(judged.unreadable).toEqual([]);
    expect(judged.certificates.map((c) => c.subject)).toEqual(["CN=p12.example.com"]);
  });
});
