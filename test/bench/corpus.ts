/**
 * The benchmark's certificate store, generated at run time (no key is ever written to disk).
 *
 * A root and an intermediate CA come from test/support/pki.ts; leaves are minted from a handful of
 * templates (one per key and validity kind) by patching a distinct serial number and common name
 * into the template's TBSCertificate and signing it with the intermediate's key through
 * node:crypto. Every leaf is a distinct, correctly signed certificate, at about a tenth of a
 * millisecond each instead of the five a full X.509 builder costs, so 60,000 of them take seconds.
 *
 * Objects are a fleet-like mix of containers (PEM, PEM chains, DER, PKCS#7) and mostly healthy
 * certificates, with a few percent that are expired, expiring, not yet valid or misnamed, so
 * that the scan also raises alarms as a real one would.
 */
import "reflect-metadata";
import { createHash, type KeyObject, sign } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asn1X509 from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import {
  asRawIssuer,
  DAY,
  type Issued,
  issue,
  issueRaw,
  pemOf,
  pkcs7Der,
  type RawKeySpec,
} from "../support/pki";

export const HOST = "svc.bench.example";
const OTHER_HOST = "old.bench.example";
const ECDSA_SHA256 = "1.2.840.10045.4.3.2";
/** Placeholders located in the template and overwritten per leaf. */
const SERIAL_MARK = Buffer.from("5a17e3c9a1b2c3d4e5f60718293a4b5c", "hex");
const CN_MARK = "LEAF00000000";

export type ObjectKind = "pem" | "pem-chain" | "pem-fullchain" | "der" | "pkcs7";
export type Health = "healthy" | "expiring" | "expired" | "not-yet-valid" | "wrong-host";

export interface CorpusObject {
  key: string;
  bytes: Uint8Array;
  kind: ObjectKind;
  /** Certificates the object holds (a bundle holds its leaf and the CA certificates). */
  certificates: number;
  health: Health;
}

export interface Pki {
  root: Issued;
  intermediate: Issued;
  /** The trust bundle the source chains to: root and intermediate, PEM. */
  trustBundle: Uint8Array;
  mint: (serial: number, health: Health, key: LeafKey) => Uint8Array;
}

type LeafKey = "p256" | "rsa2048";

/** Per 1000 objects: containers (sum 1000) and health (the rest is healthy). */
const KIND_MIX: [ObjectKind, number][] = [
  ["pem", 450],
  ["pem-chain", 200],
  ["pem-fullchain", 50],
  ["der", 250],
  ["pkcs7", 50],
];
const HEALTH_MIX: [Exclude<Health, "healthy">, number][] = [
  ["expired", 10],
  ["expiring", 20],
  ["not-yet-valid", 5],
  ["wrong-host", 10],
];

export async function makePki(): Promise<Pki> {
  const now = Date.now();
  const tenYears = { notBefore: new Date(now - 30 * DAY), notAfter: new Date(now + 3650 * DAY) };
  const root = await issue({ subject: "CN=Watchpost Bench Root CA,O=watchpost", isCA: true, ...tenYears });
  const intermediate = await issue({
    subject: "CN=Watchpost Bench Issuing CA,O=watchpost",
    isCA: true,
    issuer: root,
    ...tenYears,
  });
  const signer = asRawIssuer(intermediate);
  const templates = new Map<string, Template>();
  const template = (health: Health, key: LeafKey): Template => {
    const id = `${health}/${key}`;
    let found = templates.get(id);
    if (!found) {
      found = makeTemplate(signer, health, key, now);
      templates.set(id, found);
    }
    return found;
  };
  return {
    root,
    intermediate,
    trustBundle: new TextEncoder().encode(`${root.pem}\n${intermediate.pem}\n`),
    mint: (serial, health, key) => template(health, key).mint(serial, signer.privateKey),
  };
}

interface Template {
  mint(serial: number, signingKey: KeyObject): Uint8Array;
}

function validityOf(health: Health, now: number): { notBefore: Date; notAfter: Date } {
  switch (health) {
    case "expired":
      return { notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - 35 * DAY) };
    case "expiring":
      return { notBefore: new Date(now - 355 * DAY), notAfter: new Date(now + 12 * DAY) };
    case "not-yet-valid":
      return { notBefore: new Date(now + 30 * DAY), notAfter: new Date(now + 395 * DAY) };
    default:
      return { notBefore: new Date(now - DAY), notAfter: new Date(now + 364 * DAY) };
  }
}

/** A TBSCertificate with placeholders, built once with the X.509 schema classes. */
function makeTemplate(
  signer: ReturnType<typeof asRawIssuer>,
  health: Health,
  key: LeafKey,
  now: number,
): Template {
  // issueRaw caches one key pair per spec: every leaf of a kind shares it (as the method says).
  const keys = issueRaw({ key: key as RawKeySpec });
  const spki = keys.publicKey.export({ type: "spki", format: "der" });
  const subjectKeyId = createHash("sha1").update(spki).digest();
  const issuerKeyId = createHash("sha1")
    .update(
      new Uint8Array(
        AsnConvert.parse(
          signer.publicKey.export({ type: "spki", format: "der" }),
          asn1X509.SubjectPublicKeyInfo,
        ).subjectPublicKey,
      ),
    )
    .digest();
  const host = health === "wrong-host" ? OTHER_HOST : HOST;
  const extension = (ext: x509.Extension) => AsnConvert.parse(ext.rawData, asn1X509.Extension);
  const algorithm = new asn1X509.AlgorithmIdentifier({ algorithm: ECDSA_SHA256 });
  const tbs = new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: new Uint8Array(SERIAL_MARK).buffer,
    signature: algorithm,
    issuer: AsnConvert.parse(new x509.Name(signer.subject).toArrayBuffer(), asn1X509.Name),
    subject: AsnConvert.parse(
      new x509.Name(`CN=${CN_MARK}.${host},O=watchpost bench`).toArrayBuffer(),
      asn1X509.Name,
    ),
    validity: new asn1X509.Validity(validityOf(health, now)),
    subjectPublicKeyInfo: AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo),
    extensions: new asn1X509.Extensions([
      extension(new x509.BasicConstraintsExtension(false, undefined, true)),
      extension(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)),
      extension(new x509.SubjectAlternativeNameExtension([{ type: "dns", value: host }])),
      new asn1X509.Extension({
        extnID: asn1X509.id_ce_subjectKeyIdentifier,
        extnValue: new OctetString(
          AsnConvert.serialize(new asn1X509.SubjectKeyIdentifier(new Uint8Array(subjectKeyId).buffer)),
        ),
      }),
      new asn1X509.Extension({
        extnID: asn1X509.id_ce_authorityKeyIdentifier,
        extnValue: new OctetString(
          AsnConvert.serialize(
            new asn1X509.AuthorityKeyIdentifier({
              keyIdentifier: new asn1X509.KeyIdentifier(new Uint8Array(issuerKeyId).buffer),
            }),
          ),
        ),
      }),
    ]),
  });
  const template = Buffer.from(AsnConvert.serialize(tbs));
  const serialAt = template.indexOf(SERIAL_MARK);
  const cnAt = template.indexOf(Buffer.from(CN_MARK, "latin1"));
  if (serialAt < 0 || cnAt < 0) throw new Error("bench corpus: template placeholders not found");
  const algorithmDer = Buffer.from(AsnConvert.serialize(algorithm));
  return {
    mint(serial, signingKey) {
      const tbsDer = Buffer.from(template);
      // A positive 16-byte serial: first byte below 0x80, the number in the last six bytes.
      SERIAL_MARK.copy(tbsDer, serialAt);
      tbsDer.writeUIntBE(serial, serialAt + SERIAL_MARK.length - 6, 6);
      tbsDer.write(`LEAF${String(serial).padStart(8, "0")}`, cnAt, "latin1");
      const signature = sign("sha256", tbsDer, signingKey);
      const bitString = derElement(0x03, Buffer.concat([Buffer.from([0]), signature]));
      return new Uint8Array(derElement(0x30, Buffer.concat([tbsDer, algorithmDer, bitString])));
    },
  };
}

function derElement(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : n < 0x10000
          ? Buffer.from([0x82, n >> 8, n & 0xff])
          : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/** Deterministic mix: object i gets its container and health from fixed per-mille slots. */
function pick<T>(mix: [T, number][], slot: number): T | undefined {
  let at = slot;
  for (const [value, share] of mix) {
    if (at < share) return value;
    at -= share;
  }
  return undefined;
}

const EXTENSION: Record<ObjectKind, string> = {
  pem: "pem",
  "pem-chain": "chain.pem",
  "pem-fullchain": "fullchain.pem",
  der: "der",
  pkcs7: "p7b",
};

/**
 * `count` objects under `prefix`, keys `prefix + dNNN/objNNNNNN.ext`. Serials start at
 * `firstSerial`, so two stores made from the same PKI never share a certificate.
 */
export function* generateObjects(
  pki: Pki,
  prefix: string,
  count: number,
  firstSerial = 1,
): Generator<CorpusObject> {
  const rootPem = pki.root.pem;
  const intermediatePem = pki.intermediate.pem;
  for (let i = 0; i < count; i += 1) {
    // Spread the kinds over the store rather than in runs: slot = i scrambled modulo 1000.
    const kind = pick(KIND_MIX, (i * 7) % 1000) ?? "pem";
    const health = pick(HEALTH_MIX, (i * 13 + 500) % 1000) ?? "healthy";
    const leafKey: LeafKey = i % 5 === 4 ? "rsa2048" : "p256";
    const der = pki.mint(firstSerial + i, health, leafKey);
    const pem = pemOf("CERTIFICATE", der);
    let bytes: Uint8Array;
    let certificates = 1;
    switch (kind) {
      case "pem":
        bytes = new TextEncoder().encode(pem);
        break;
      case "pem-chain":
        bytes = new TextEncoder().encode(`${pem}${intermediatePem}`);
        certificates = 2;
        break;
      case "pem-fullchain":
        bytes = new TextEncoder().encode(`${pem}${intermediatePem}${rootPem}`);
        certificates = 3;
        break;
      case "der":
        bytes = der;
        break;
      case "pkcs7":
        bytes = pkcs7Der([der, pki.intermediate.der]);
        certificates = 2;
        break;
    }
    const key = `${prefix}d${String(Math.floor(i / 1000)).padStart(3, "0")}/obj${String(i).padStart(6, "0")}.${EXTENSION[kind]}`;
    yield { key, bytes, kind, certificates, health };
  }
}
