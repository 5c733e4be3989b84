/**
 * The inspection that keeps private keys on the host (functions/core/push/private-keys.ts): every
 * encoding a key turns up in, what it is called, whether it is in clear, and the bounds on what a
 * crafted file may make the inspection spend. Keys are generated here (node:crypto), never kept.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { inspectPrivateKeys, type KeyInspection } from "../../../functions/core/push/private-keys";
import { chain } from "../../support/pki";

let rsa: KeyObject;
let ec: KeyObject;
let publicKey: KeyObject;
let certificate: string;
let certificateDer: Buffer;

beforeAll(async () => {
  rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  ec = pair.privateKey;
  publicKey = pair.publicKey;
  const { leaf } = await chain("h1.example.com");
  certificate = leaf.pem;
  certificateDer = Buffer.from(leaf.der);
});

const pem = (key: KeyObject, type: "pkcs8" | "pkcs1" | "sec1") =>
  key.export({ type, format: "pem" }) as string;
const der = (key: KeyObject, type: "pkcs8" | "pkcs1" | "sec1") =>
  key.export({ type, format: "der" }) as Buffer;
const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");
const first = (inspection: KeyInspection) => inspection.keys[0];

describe("a private key in clear, however it is encoded", () => {
  it.each<[string, () => Buffer, string]>([
    ["a PKCS#8 PEM block", () => Buffer.from(pem(rsa, "pkcs8")), 'a PEM "PRIVATE KEY" block'],
    [
      "a PKCS#1 PEM block after a certificate",
      () => Buffer.from(certificate + pem(rsa, "pkcs1")),
      'a PEM "RSA PRIVATE KEY" block',
    ],
    ["a SEC1 PEM block", () => Buffer.from(pem(ec, "sec1")), 'a PEM "EC PRIVATE KEY" block'],
    [
      "UTF-16LE text without a byte-order mark",
      () => Buffer.from(certificate + pem(rsa, "pkcs8"), "utf16le"),
      'a PEM "PRIVATE KEY" block (UTF-16 or UTF-32 text)',
    ],
    [
      "UTF-32BE text with a byte-order mark",
      () => {
        const text = `\ufeff${certificate}${pem(ec, "pkcs8")}`;
        const out = Buffer.alloc(text.length * 4);
        for (let i = 0; i < text.length; i++) out.writeUInt32BE(text.charCodeAt(i), i * 4);
        return out;
      },
      'a PEM "PRIVATE KEY" block (UTF-16 or UTF-32 text)',
    ],
    [
      "a Kubernetes Secret's base64 value",
      () => Buffer.from(`data:\n  tls.crt: ${b64(certificate)}\n  tls.key: ${b64(pem(ec, "sec1"))}\n`),
      'a PEM "EC PRIVATE KEY" block (inside base64)',
    ],
    [
      "base64url without padding",
      () => Buffer.from(`${certificate}\n${Buffer.from(pem(rsa, "pkcs8")).toString("base64url")}\n`),
      'a PEM "PRIVATE KEY" block (inside base64)',
    ],
    [
      "a JSON string with escaped line breaks",
      () => Buffer.from(JSON.stringify({ certificate, key: pem(rsa, "pkcs8") })),
      'a PEM "PRIVATE KEY" block',
    ],
    [
      "DER after unrelated bytes",
      () => Buffer.concat([Buffer.from("garbage\u0000\u0001"), der(ec, "pkcs8")]),
      "a PKCS#8 EC private key in DER",
    ],
    [
      "DER after a DER certificate",
      () => Buffer.concat([certificateDer, der(rsa, "pkcs1")]),
      "a PKCS#1 RSA private key in DER",
    ],
    [
      "hex written by xxd -p, 30 bytes a line",
      () =>
        Buffer.from(
          `${certificate}\n${(
            der(ec, "sec1")
              .toString("hex")
              .match(/.{1,60}/g) ?? []
          ).join("\n")}\n`,
        ),
      "a SEC1 EC private key in DER (inside hex)",
    ],
    [
      "a BEGIN line without its dashes, cut short",
      () => Buffer.from(`${certificate}\nBEGIN RSA PRIVATE KEY\nMIIEowIBAAKCAQEA`),
      'a PEM "RSA PRIVATE KEY" block',
    ],
    [
      "an OpenSSH key without a passphrase",
      () => {
        const blob = Buffer.concat([
          Buffer.from("openssh-key-v1\u0000"),
          Buffer.from([0, 0, 0, 4]),
          Buffer.from("none"),
        ]);
        return Buffer.from(
          `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64(blob)}\n-----END OPENSSH PRIVATE KEY-----\n`,
        );
      },
      "an OpenSSH private key, not encrypted",
    ],
    [
      "a PuTTY key without a passphrase",
      () =>
        Buffer.from("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 2\n"),
      "a PuTTY private key, not encrypted",
    ],
    [
      "a key encrypted under a well-known password (changeit)",
      () =>
        Buffer.from(
          rsa.export({
            type: "pkcs8",
            format: "pem",
            cipher: "aes-256-cbc",
            passphrase: "changeit",
          }) as string,
        ),
      "an encrypted PKCS#8 private key in PEM, encrypted (PBES2 (aes-256-cbc)) with an empty or well-known password",
    ],
    [
      "legacy PEM encryption under the password 'password'",
      () =>
        Buffer.from(
          rsa.export({
            type: "pkcs1",
            format: "pem",
            cipher: "des-ede3-cbc",
            passphrase: "password",
          }) as string,
        ),
      'a PEM "RSA PRIVATE KEY" block encrypted (DES-EDE3-CBC) with an empty or well-known password',
    ],
  ])("%s", async (_case, content, what) => {
    // Act
    const inspection = await inspectPrivateKeys(content());

    // Assess
    expect(first(inspection)).toEqual({ protection: "clear", what });
    expect(inspection.incomplete).toBeUndefined();
  });
});

describe("an encrypted private key", () => {
  it.each<[string, () => Buffer, string]>([
    [
      "PKCS#8 under a password nobody guesses",
      () =>
        Buffer.from(
          rsa.export({
            type: "pkcs8",
            format: "pem",
            cipher: "aes-256-cbc",
            passphrase: "k7#Qv!9z",
          }) as string,
        ),
      "an encrypted PKCS#8 private key in PEM, encrypted with PBES2 (aes-256-cbc)",
    ],
    [
      "legacy PEM encryption under a password nobody guesses",
      () =>
        Buffer.from(
          ec.export({ type: "sec1", format: "pem", cipher: "aes-128-cbc", passphrase: "k7#Qv!9z" }) as string,
        ),
      'a PEM "EC PRIVATE KEY" block encrypted with AES-128-CBC (legacy PEM encryption)',
    ],
    [
      "a PuTTY key with a passphrase",
      () => Buffer.from("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\n"),
      "a PuTTY private key encrypted with aes256-cbc",
    ],
  ])("%s is said to be encrypted, and what protects it", async (_case, content, what) => {
    const inspection = await inspectPrivateKeys(content());
    expect(first(inspection)).toEqual({ protection: "encrypted", what });
    expect(inspection.keys.some((k) => k.protection === "clear")).toBe(false);
  });
});

describe("files without a private key", () => {
  it.each<[string, () => Buffer]>([
    ["a PEM certificate", () => Buffer.from(certificate)],
    ["a DER certificate", () => certificateDer],
    [
      "a README",
      () =>
        Buffer.from(
          "These certificates are renewed by cert-manager.\nBEGIN here: see the private key policy.\n",
        ),
    ],
    ["a public key", () => Buffer.from(publicKey.export({ type: "spki", format: "pem" }) as string)],
  ])("%s holds none", async (_case, content) => {
    expect(await inspectPrivateKeys(content())).toEqual({ keys: [] });
  });
});

describe("what a crafted file may make the inspection spend", () => {
  it("refuses base64 nested deeper than any file wraps its content, rather than guess", async () => {
    // Prepare: a key wrapped in base64 six times
    let wrapped = pem(ec, "pkcs8");
    for (let layer = 0; layer < 6; layer++) wrapped = b64(wrapped);

    // Act
    const inspection = await inspectPrivateKeys(Buffer.from(`${certificate}\n${wrapped}\n`));

    // Assess
    expect(inspection).toEqual({ keys: [], incomplete: "it holds data encoded more than 4 layers deep" });
  });

  it("stops at its budget of candidate key structures, and says so", async () => {
    // Prepare: 20,000 SEQUENCEs that start like a private key (version 0) and are none
    const shaped = Buffer.from(`3028020100${"0523"}${"20".repeat(35)}`, "hex");
    const candidates = Buffer.concat(Array.from({ length: 20_000 }, () => shaped));

    // Act
    const inspection = await inspectPrivateKeys(candidates);

    // Assess
    expect(inspection).toEqual({
      keys: [],
      incomplete: "it holds more candidate key structures than are inspected",
    });
  });
});
