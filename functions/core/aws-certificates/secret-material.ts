/**
 * The certificate material in a secret's or parameter's value, and nothing else. Values are kept
 * as PEM (often a certificate with its private key), as a JSON object of fields (`{"certificate":
 * "-----BEGIN…", "privateKey": "…"}`, what many Kafka, Flink and database set-ups store), as base64
 * of DER or PKCS#12, or (SecretBinary) as raw DER or PKCS#12. What goes on to the reader is only the
 * CERTIFICATE blocks of PEM text, or the binary as it is (the reader takes only certificates out of
 * a PKCS#12 file): a private key is never copied, so it cannot reach a finding, a log or an event.
 */
import type { UnreadableReason } from "../contracts";

export type SecretMaterial =
  | { ok: true; bytes: Uint8Array; form: "pem" | "json" | "base64" | "binary" }
  | { ok: false; reason: UnreadableReason; detail: string };

const CERTIFICATE_BLOCK =
  /-----BEGIN (X509 CERTIFICATE|TRUSTED CERTIFICATE|CERTIFICATE|PKCS7)-----[\s\S]*?-----END \1-----/g;
const ANY_PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;
/** Shortest base64 that could hold a certificate (a DER certificate is some hundreds of bytes). */
const MIN_BASE64 = 64;
const MAX_DEPTH = 4;

/** Fields of a JSON value that are taken as base64 DER or PKCS#12 when they hold no PEM. */
const BINARY_FIELDS =
  /^(cert|certificate|crt|chain|certificatechain|fullchain|pkcs12|p12|pfx|keystore|truststore)$/i;

export function certificateMaterial(value: { text?: string; binary?: Uint8Array }): SecretMaterial {
  if (value.binary !== undefined) {
    const text = asText(value.binary);
    if (text === undefined || !ANY_PEM.test(text)) {
      return value.binary.byteLength === 0
        ? { ok: false, reason: "empty", detail: "the binary value is empty" }
        : { ok: true, bytes: value.binary, form: "binary" };
    }
    return fromText(text);
  }
  if (value.text === undefined || value.text.trim() === "") {
    return { ok: false, reason: "empty", detail: "the value is empty" };
  }
  return fromText(value.text);
}

function fromText(text: string): SecretMaterial {
  const trimmed = text.trim();
  // A JSON object first: its PEM fields hold their line breaks as "\n" escapes.
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      // The parser's message can quote the value: it is not passed on.
      return {
        ok: false,
        reason: "unsupported-format",
        detail: "holds text that starts like JSON but is not JSON",
      };
    }
    return fromJson(parsed);
  }
  if (ANY_PEM.test(text)) {
    const blocks = pemCertificates(text);
    return blocks.length > 0
      ? { ok: true, bytes: utf8(blocks.join("\n")), form: "pem" }
      : {
          ok: false,
          reason: "unsupported-format",
          detail: "holds PEM without a CERTIFICATE block (a private key or another object only)",
        };
  }
  if (trimmed.length >= MIN_BASE64 && BASE64.test(trimmed)) {
    return { ok: true, bytes: Buffer.from(trimmed.replace(/\s+/g, ""), "base64"), form: "base64" };
  }
  return {
    ok: false,
    reason: "unsupported-format",
    detail: "holds neither PEM, nor base64 DER or PKCS#12, nor a JSON object with a certificate field",
  };
}

function fromJson(parsed: unknown): SecretMaterial {
  const pem: string[] = [];
  const binary: { field: string; text: string }[] = [];
  const visit = (value: unknown, field: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    if (typeof value === "string") {
      if (ANY_PEM.test(value)) pem.push(...pemCertificates(value));
      else if (BINARY_FIELDS.test(field) && value.length >= MIN_BASE64 && BASE64.test(value)) {
        binary.push({ field, text: value });
      }
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, field, depth + 1);
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) visit(item, key, depth + 1);
    }
  };
  visit(parsed, "", 0);
  if (pem.length > 0) return { ok: true, bytes: utf8(pem.join("\n")), form: "json" };
  const [first] = binary;
  if (first) return { ok: true, bytes: Buffer.from(first.text.replace(/\s+/g, ""), "base64"), form: "json" };
  return {
    ok: false,
    reason: "unsupported-format",
    detail:
      "holds a JSON object without a certificate: no field holds a PEM CERTIFICATE block, and none named certificate, chain, pkcs12 or keystore holds base64",
  };
}

function pemCertificates(text: string): string[] {
  // Line endings as stored (CRLF from Windows tools) are kept; the reader copes with both.
  return [...text.matchAll(CERTIFICATE_BLOCK)].map((match) => match[0]);
}

function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "utf8"));
}

/** The bytes as text when they are printable UTF-8 (a PEM value stored as SecretBinary). */
function asText(bytes: Uint8Array): string | undefined {
  const head = bytes.subarray(0, 64);
  if (!head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))) return undefined;
  return Buffer.from(bytes).toString("utf8");
}
