/** What of a secret's or parameter's value goes on to the reader: certificates only, never a key. */
import { describe, expect, it } from "vitest";
import { certificateMaterial } from "../../../functions/core/aws-certificates/secret-material";
import { issue, privateKeyPem } from "../../support/pki";

const leaf = await issue({ subject: "CN=db.example.com", dnsNames: ["db.example.com"] });
const key = await privateKeyPem(leaf.keys);
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

describe("certificate material of a secret value", () => {
  it.each([
    ["PEM key then certificate", { text: `${key}${leaf.pem}` }, "pem", leaf.pem.trim()],
    [
      "PEM with CRLF line ends",
      { text: `${leaf.pem.replaceAll("\n", "\r\n")}${key}` },
      "pem",
      leaf.pem.trim().replaceAll("\n", "\r\n"),
    ],
    [
      "JSON with a certificate and a key",
      { text: JSON.stringify({ cert: leaf.pem, key }) },
      "json",
      leaf.pem.trim(),
    ],
    [
      "nested JSON",
      { text: JSON.stringify({ tls: { chain: [leaf.pem] }, password: "pw" }) },
      "json",
      leaf.pem.trim(),
    ],
    [
      "PEM kept as SecretBinary",
      { binary: new Uint8Array(Buffer.from(`${key}${leaf.pem}`)) },
      "pem",
      leaf.pem.trim(),
    ],
  ] as const)("%s: only the certificate goes on", (_case, value, form, expected) => {
    // Act
    const material = certificateMaterial(value);

    // Assess
    expect(material).toMatchObject({ ok: true, form });
    if (!material.ok) return;
    expect(text(material.bytes).trim()).toBe(expected);
    expect(text(material.bytes)).not.toContain("PRIVATE KEY");
  });

  it("passes base64 DER on as its bytes", () => {
    // Act
    const material = certificateMaterial({ text: Buffer.from(leaf.der).toString("base64") });

    // Assess
    expect(material).toEqual({ ok: true, bytes: Buffer.from(leaf.der), form: "base64" });
  });

  it.each([
    ["an empty value", { text: "  " }, "empty", "the value is empty"],
    [
      "a private key alone",
      { text: key },
      "unsupported-format",
      "holds PEM without a CERTIFICATE block (a private key or another object only)",
    ],
    [
      "a password",
      { text: "hunter2-but-longer" },
      "unsupported-format",
      "holds neither PEM, nor base64 DER or PKCS#12, nor a JSON object with a certificate field",
    ],
    [
      "broken JSON quoting a key",
      { text: `{"key": "${key.slice(0, 60)}` },
      "unsupported-format",
      "holds text that starts like JSON but is not JSON",
    ],
    [
      "JSON of database credentials",
      { text: JSON.stringify({ username: "app", password: "s3cr3t-value" }) },
      "unsupported-format",
      /holds a JSON object without a certificate/,
    ],
  ] as const)("%s: no certificate, and the value is not quoted", (_case, value, reason, detail) => {
    // Act
    const material = certificateMaterial(value);

    // Assess
    expect(material).toMatchObject({ ok: false, reason });
    if (material.ok) return;
    expect(material.detail).toMatch(detail);
    expect(material.detail).not.toMatch(/PRIVATE KEY|s3cr3t|hunter2/);
  });
});
