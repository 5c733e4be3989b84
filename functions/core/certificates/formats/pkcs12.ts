/**
 * PKCS#12 (RFC 7292) certificate extraction with node:crypto: verify the MAC with the password,
 * then read every CertBag of every safe, decrypting password-encrypted safes. Supports what
 * OpenSSL 3 writes by default (PBES2: PBKDF2 + AES-CBC, HMAC-SHA256 MAC), PBMAC1 (RFC 9579), and
 * what `openssl pkcs12 -legacy`, Java 8's keytool and Windows write: pbeWithSHAAnd3-KeyTripleDES-CBC
 * and pbeWithSHAAnd40BitRC2-CBC / 128BitRC2-CBC with SHA-1 MACs (RC2 from node-forge, rc2.ts: Node's
 * OpenSSL has no RC2 without the legacy provider). RC4 and the PKCS#5 v1 schemes are refused with a
 * re-export hint.
 */
import { createDecipheriv, createHmac, pbkdf2, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import {
  AuthenticatedSafe,
  CertBag,
  id_certBag,
  id_SafeContents,
  id_x509Certificate,
  type MacData,
  PFX,
  SafeContents,
} from "@peculiar/asn1-pfx";
import { OctetString } from "@peculiar/asn1-schema";
import type { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import type { KeystoreEntry } from "../certificate";
import { asSchema, contentOf, decodeBer, octetStringValue, parseAs, tagOf } from "./ber";
import { OID } from "./der";
import { Budget, type KdfBudget } from "./pkcs12-budget";
import { pkcs12KdfOffThread } from "./pkcs12-kdf";
import { EncryptedData, Pbes2Params, Pbkdf2Params, Pbmac1Params, Pkcs12PbeParams } from "./pkcs12-schemas";
import { ReadError, type ReadProblem } from "./read-error";

const pbkdf2Async = promisify(pbkdf2);

export interface Pkcs12Content {
  certificates: { der: Uint8Array; entry?: KeystoreEntry }[];
  /** Parts of the file that could not be read (e.g. a safe encrypted for a recipient key). */
  problems: ReadProblem[];
}

const REEXPORT_HINT =
  "re-export it with modern encryption: openssl pkcs12 -in old.p12 -nodes -legacy | " +
  "openssl pkcs12 -export -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256 -out new.p12";

const HASHES: Record<string, { name: string; block: number; size: number }> = {
  "1.3.14.3.2.26": { name: "sha1", block: 64, size: 20 },
  "2.16.840.1.101.3.4.2.4": { name: "sha224", block: 64, size: 28 },
  "2.16.840.1.101.3.4.2.1": { name: "sha256", block: 64, size: 32 },
  "2.16.840.1.101.3.4.2.2": { name: "sha384", block: 128, size: 48 },
  "2.16.840.1.101.3.4.2.3": { name: "sha512", block: 128, size: 64 },
};

const HMACS: Record<string, string> = {
  "1.2.840.113549.2.7": "sha1",
  "1.2.840.113549.2.8": "sha224",
  "1.2.840.113549.2.9": "sha256",
  "1.2.840.113549.2.10": "sha384",
  "1.2.840.113549.2.11": "sha512",
};

const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  "2.16.840.1.101.3.4.1.2": { name: "aes-128-cbc", keyLength: 16 },
  "2.16.840.1.101.3.4.1.22": { name: "aes-192-cbc", keyLength: 24 },
  "2.16.840.1.101.3.4.1.42": { name: "aes-256-cbc", keyLength: 32 },
  "1.2.840.113549.3.7": { name: "des-ede3-cbc", keyLength: 24 },
};

/** RFC 7292 appendix C; `rc2Bits`: RC2's effective key length (node:crypto has no RC2, rc2.ts does). */
const PKCS12_PBE: Record<
  string,
  { name: string; keyLength: number; ivLength: number; rc2Bits?: number } | string
> = {
  "1.2.840.113549.1.12.1.3": { name: "des-ede3-cbc", keyLength: 24, ivLength: 8 },
  "1.2.840.113549.1.12.1.4": { name: "des-ede-cbc", keyLength: 16, ivLength: 8 },
  "1.2.840.113549.1.12.1.5": { name: "rc2-128-cbc", keyLength: 16, ivLength: 8, rc2Bits: 128 },
  "1.2.840.113549.1.12.1.6": { name: "rc2-40-cbc", keyLength: 5, ivLength: 8, rc2Bits: 40 },
  "1.2.840.113549.1.12.1.1": "pbeWithSHAAnd128BitRC4",
  "1.2.840.113549.1.12.1.2": "pbeWithSHAAnd40BitRC4",
  "1.2.840.113549.1.5.1": "pbeWithMD2AndDES-CBC",
  "1.2.840.113549.1.5.3": "pbeWithMD5AndDES-CBC",
  "1.2.840.113549.1.5.6": "pbeWithMD5AndRC2-CBC",
  "1.2.840.113549.1.5.10": "pbeWithSHA1AndDES-CBC",
  "1.2.840.113549.1.5.11": "pbeWithSHA1AndRC2-CBC",
};

const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const PBMAC1 = "1.2.840.113549.1.5.14";
const MAX_NESTING = 8;

const malformed = (detail: string): ReadProblem => ({ reason: "bad-der", detail });

/**
 * A password as both encodings PKCS#12 needs: UTF-16BE with a terminating NUL for the RFC 7292
 * KDF, UTF-8 for PBKDF2. `absent` is OpenSSL's NULL password, which differs from "" in the KDF.
 */
export interface Secret {
  bmp: Uint8Array;
  utf8: Uint8Array;
}

export function secretOf(password: string | null): Secret {
  if (password === null) return { bmp: new Uint8Array(0), utf8: new Uint8Array(0) };
  const bmp = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i += 1) bmp.writeUInt16BE(password.charCodeAt(i), i * 2);
  return { bmp, utf8: Buffer.from(password, "utf8") };
}

/** RFC 7292 appendix B.2 key derivation, on the worker thread (pkcs12-kdf.ts). */
export function pkcs12Kdf(
  hashOid: string,
  id: 1 | 2 | 3,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Promise<Buffer> {
  const hash = HASHES[hashOid];
  if (!hash) throw new ReadError("unsupported-format", `the PKCS#12 digest ${hashOid} is not supported`);
  return pkcs12KdfOffThread({
    name: hash.name,
    v: hash.block,
    u: hash.size,
    kind: id,
    password,
    salt,
    iterations,
    length,
  });
}

/** The AuthenticatedSafe's bytes and the MAC over them, from a PFX that fits the schema. */
export function readPfx(pfx: PFX): { authSafe: Uint8Array; macData: MacData | undefined } {
  if (pfx.version !== 3) {
    throw new ReadError(
      "unsupported-format",
      `a PKCS#12 file of version ${pfx.version} (only version 3 exists)`,
    );
  }
  const type = pfx.authSafe.contentType;
  if (type === OID.signedData) {
    throw new ReadError(
      "unsupported-format",
      "a PKCS#12 file in public-key integrity mode (signed, not password-protected)",
    );
  }
  const bytes = type === OID.data ? octetStringValue(pfx.authSafe.content) : undefined;
  if (!bytes) throw new ReadError("bad-der", "the PKCS#12 authenticated safe is malformed");
  // asn1-pfx leaves its default (empty) MacData in place when the file has none.
  const hasMac = Boolean(pfx.macData?.mac?.digestAlgorithm?.algorithm);
  return { authSafe: bytes, macData: hasMac ? pfx.macData : undefined };
}

const bytesOf = (octets: OctetString | undefined) => (octets ? new Uint8Array(octets.buffer) : undefined);

export async function macMatches(
  macData: MacData,
  data: Uint8Array,
  secret: Secret,
  budget: Budget,
): Promise<boolean> {
  const macAlgorithm = macData.mac.digestAlgorithm.algorithm;
  const expected = bytesOf(macData.mac.digest);
  const salt = bytesOf(macData.macSalt);
  if (!expected || !salt) throw new ReadError("bad-der", "the PKCS#12 MAC data is malformed");
  let actual: Buffer;
  if (macAlgorithm === PBMAC1) {
    const params = parseAs(macData.mac.digestAlgorithm.parameters, Pbmac1Params);
    const hmacHash = params ? HMACS[params.messageAuthScheme.algorithm] : undefined;
    if (!params || !hmacHash)
      throw new ReadError("unsupported-format", "the PKCS#12 PBMAC1 MAC scheme is not supported");
    const key = await pbkdf2Key(params.keyDerivationFunc, secret, budget, "MAC");
    actual = createHmac(hmacHash, key).update(data).digest();
  } else {
    const hash = HASHES[macAlgorithm];
    if (!hash)
      throw new ReadError("unsupported-format", `the PKCS#12 MAC digest ${macAlgorithm} is not supported`);
    // iterations INTEGER DEFAULT 1; the schema fills in the default
    const count = budget.spend(macData.iterations, "MAC");
    const key = await pkcs12Kdf(macAlgorithm, 3, secret.bmp, salt, count, hash.size);
    actual = createHmac(hash.name, key).update(data).digest();
  }
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

async function pbkdf2Key(
  kdf: AlgorithmIdentifier,
  secret: Secret,
  budget: Budget,
  what: string,
  defaultKeyLength?: number,
): Promise<Buffer> {
  if (kdf.algorithm !== PBKDF2)
    throw new ReadError("unsupported-format", `the ${what} key derivation is not PBKDF2`);
  const params = parseAs(kdf.parameters, Pbkdf2Params);
  if (!params) {
    throw new ReadError(
      "unsupported-format",
      `the ${what} PBKDF2 parameters are malformed or do not give the salt as an OCTET STRING`,
    );
  }
  const count = budget.spend(params.iterationCount, what);
  const keyLength = params.keyLength === undefined ? defaultKeyLength : Number(params.keyLength);
  const prf = params.prf?.algorithm;
  const hash = prf === undefined ? "sha1" : HMACS[prf];
  if (!hash) throw new ReadError("unsupported-format", `the ${what} PBKDF2 PRF ${prf} is not supported`);
  if (!keyLength || keyLength < 1 || keyLength > 64)
    throw new ReadError("bad-der", `the ${what} PBKDF2 key length is invalid`);
  return pbkdf2Async(secret.utf8, bytesOf(params.salt) ?? new Uint8Array(0), count, keyLength, hash);
}

/** Decrypts a password-encrypted safe; `undefined` when the password does not fit (bad padding). */
export async function decryptSafe(
  encrypted: EncryptedData,
  secret: Secret,
  budget: Budget,
): Promise<Uint8Array | undefined> {
  const info = encrypted.encryptedContentInfo;
  const content = info.encryptedContent;
  // A BER writer may split the ciphertext into a constructed [0] of OCTET STRING pieces.
  const pieces = content?.value ? [content.value] : content?.constructedValue;
  const ciphertext = pieces ? Buffer.concat(pieces.map((piece) => new Uint8Array(piece.buffer))) : undefined;
  if (!ciphertext) throw new ReadError("bad-der", "an encrypted PKCS#12 safe is malformed");
  return decryptWithScheme(info.contentEncryptionAlgorithm, ciphertext, secret, budget);
}

/**
 * Decrypts what a password-based scheme encrypted (a PKCS#12 safe, or an EncryptedPrivateKeyInfo:
 * a shrouded key bag, an encrypted PKCS#8 key); `undefined` when the password does not fit (bad
 * padding). Every derivation is counted against `budget`.
 */
export async function decryptWithScheme(
  scheme: AlgorithmIdentifier,
  ciphertext: Uint8Array,
  secret: Secret,
  budget: Budget,
): Promise<Uint8Array | undefined> {
  let cipher: { name: string; key: Uint8Array; iv: Uint8Array; rc2Bits?: number };
  const legacy = PKCS12_PBE[scheme.algorithm];
  if (typeof legacy === "string") {
    throw new ReadError("unsupported-format", `a PKCS#12 file encrypted with ${legacy}: ${REEXPORT_HINT}`);
  }
  if (legacy) {
    const params = parseAs(scheme.parameters, Pkcs12PbeParams);
    if (!params) throw new ReadError("bad-der", "a PKCS#12 PBE salt is malformed");
    const salt = bytesOf(params.salt) ?? new Uint8Array(0);
    const count = budget.spend(params.iterations, "encryption");
    budget.spend(count, "encryption"); // key and IV are two derivations
    const sha1 = "1.3.14.3.2.26";
    cipher = {
      name: legacy.name,
      key: await pkcs12Kdf(sha1, 1, secret.bmp, salt, count, legacy.keyLength),
      iv: await pkcs12Kdf(sha1, 2, secret.bmp, salt, count, legacy.ivLength),
      ...(legacy.rc2Bits ? { rc2Bits: legacy.rc2Bits } : {}),
    };
  } else if (scheme.algorithm === PBES2) {
    const params = parseAs(scheme.parameters, Pbes2Params);
    if (!params) throw new ReadError("bad-der", "a PKCS#12 PBES2 parameter block is malformed");
    const encryption = params.encryptionScheme;
    const known = PBES2_CIPHERS[encryption.algorithm];
    if (!known) {
      throw new ReadError(
        "unsupported-format",
        `a PKCS#12 file encrypted with ${encryption.algorithm}: ${REEXPORT_HINT}`,
      );
    }
    const iv = bytesOf(parseAs(encryption.parameters, OctetString));
    if (!iv) throw new ReadError("bad-der", "a PKCS#12 PBES2 IV is malformed");
    const key = await pbkdf2Key(params.keyDerivationFunc, secret, budget, "encryption", known.keyLength);
    cipher = { name: known.name, key, iv };
  } else {
    throw new ReadError(
      "unsupported-format",
      `a PKCS#12 file encrypted with ${scheme.algorithm}: ${REEXPORT_HINT}`,
    );
  }

  if (cipher.rc2Bits) {
    // Only legacy files use RC2; its cipher (node-forge's) is loaded for them alone, a chunk of its
    // own in the Lambda bundle (lib/bundling.ts).
    const { decryptRc2Cbc } = await import("./rc2");
    return decryptRc2Cbc(cipher.key, cipher.iv, cipher.rc2Bits, ciphertext);
  }
  try {
    const decipher = createDecipheriv(cipher.name, cipher.key, cipher.iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** The name of a password-based encryption scheme, for messages: "PBES2 (aes-256-cbc)", "PKCS#12 PBE (des-ede3-cbc)". */
export function schemeName(scheme: AlgorithmIdentifier): string {
  const legacy = PKCS12_PBE[scheme.algorithm];
  if (typeof legacy === "string") return legacy;
  if (legacy) return `PKCS#12 PBE (${legacy.name})`;
  if (scheme.algorithm === PBES2) {
    const params = parseAs(scheme.parameters, Pbes2Params);
    const cipher = params ? PBES2_CIPHERS[params.encryptionScheme.algorithm]?.name : undefined;
    return cipher ? `PBES2 (${cipher})` : "PBES2";
  }
  return scheme.algorithm;
}

function collectBags(safeContents: ArrayBuffer | Uint8Array, out: Pkcs12Content, depth: number): void {
  const bags = parseAs(safeContents, SafeContents);
  if (!bags) {
    out.problems.push(malformed("a PKCS#12 safe does not hold DER SafeContents"));
    return;
  }
  for (const bag of bags) {
    if (bag.bagId === id_certBag) {
      const certBag = parseAs(bag.bagValue, CertBag);
      if (certBag && certBag.certId !== id_x509Certificate) continue; // SDSI certificates are not X.509
      const der = certBag ? octetStringValue(certBag.certValue) : undefined;
      if (!der) out.problems.push(malformed("a PKCS#12 certificate bag is malformed"));
      else {
        const entry = entryOf(bag.bagAttributes ?? []);
        out.certificates.push(entry ? { der, entry } : { der });
      }
    } else if (bag.bagId === id_SafeContents) {
      if (depth >= MAX_NESTING) out.problems.push(malformed("PKCS#12 safes are nested too deeply"));
      else collectBags(bag.bagValue, out, depth + 1);
    }
  }
}

const FRIENDLY_NAME = "1.2.840.113549.1.9.20";
const LOCAL_KEY_ID = "1.2.840.113549.1.9.21";

/**
 * What a certificate bag's attributes say about its entry (RFC 7292 §4.2): a localKeyId pairs it
 * with a key bag, so it is that key's certificate (OpenSSL and Java set it on the key's certificate
 * only); a friendlyName is the alias `keytool` and `openssl pkcs12 -name` give. A bag with neither
 * is a chain certificate of no entry of its own.
 */
function entryOf(
  attributes: readonly { attrId: string; attrValues: ArrayBuffer[] }[],
): KeystoreEntry | undefined {
  const keyed = attributes.some((attribute) => attribute.attrId === LOCAL_KEY_ID);
  const name = attributes.find((attribute) => attribute.attrId === FRIENDLY_NAME)?.attrValues[0];
  const alias = name ? bmpString(new Uint8Array(name)) : undefined;
  if (!keyed && alias === undefined) return undefined;
  return {
    ...(alias !== undefined ? { alias } : {}),
    kind: keyed ? "private-key" : "trusted-certificate",
    position: 0,
  };
}

/** The text of a DER BMPString (UTF-16BE), or undefined when the bytes are something else. */
function bmpString(bytes: Uint8Array): string | undefined {
  const decoded = decodeBer(bytes);
  if ("error" in decoded) return undefined;
  const tag = tagOf(decoded.element);
  if (tag.tagClass !== 1 || tag.tagNumber !== 30 || tag.constructed) return undefined; // asn1js: 1 is UNIVERSAL
  const content = contentOf(decoded.element);
  if (content.length % 2 !== 0) return undefined;
  return Buffer.from(content).swap16().toString("utf16le");
}

/** What reading a PKCS#12 file may cost in key derivation: iterations in all, and in the largest one. */
export interface KdfCost {
  total: number;
  peak: number;
}

/**
 * What reading `bytes` as a PKCS#12 file would spend on key derivation at most, from the counts it
 * declares (no derivation is done): the MAC, and each password-encrypted safe (key and IV for the
 * PKCS#12 schemes), once per password tried — two without a password (OpenSSL's two encodings of
 * the empty one). Undefined when the bytes are not a PFX; counts past the reader's limits are
 * taken at face value, and the reader refuses them at no cost.
 */
export function declaredKdfCost(bytes: Uint8Array, passwordGiven: boolean): KdfCost | undefined {
  const decoded = bytes[0] === 0x30 ? decodeBer(bytes) : undefined;
  const pfx = decoded && !("error" in decoded) ? asSchema(decoded.element, PFX) : undefined;
  if (!pfx) return undefined;
  const tries = passwordGiven ? 1 : 2;
  const counts: number[] = [];
  try {
    const { authSafe, macData } = readPfx(pfx);
    if (macData) counts.push(...repeat(macIterations(macData), tries));
    for (const safe of parseAs(authSafe, AuthenticatedSafe) ?? []) {
      if (safe.contentType !== OID.encryptedData) continue;
      const scheme = parseAs(safe.content, EncryptedData)?.encryptedContentInfo.contentEncryptionAlgorithm;
      // Once the MAC has proved the password, each safe is decrypted with that one only.
      counts.push(...repeat(safeIterations(scheme), macData ? 1 : tries));
    }
  } catch {
    return { total: 0, peak: 0 };
  }
  return { total: counts.reduce((a, b) => a + b, 0), peak: Math.max(0, ...counts) };
}

function repeat(counts: number[], times: number): number[] {
  return Array.from({ length: times }, () => counts).flat();
}

function macIterations(macData: MacData): number[] {
  const algorithm = macData.mac.digestAlgorithm;
  if (algorithm.algorithm !== PBMAC1) return [Number(macData.iterations)];
  const kdf = parseAs(algorithm.parameters, Pbmac1Params)?.keyDerivationFunc;
  return [Number(parseAs(kdf?.parameters, Pbkdf2Params)?.iterationCount ?? 0)];
}

function safeIterations(scheme: AlgorithmIdentifier | undefined): number[] {
  if (!scheme) return [];
  if (typeof PKCS12_PBE[scheme.algorithm] === "object") {
    const count = Number(parseAs(scheme.parameters, Pkcs12PbeParams)?.iterations ?? 0);
    return [count, count]; // key and IV
  }
  if (scheme.algorithm !== PBES2) return [];
  const kdf = parseAs(scheme.parameters, Pbes2Params)?.keyDerivationFunc;
  return [Number(parseAs(kdf?.parameters, Pbkdf2Params)?.iterationCount ?? 0)];
}

export type Pkcs12Outcome =
  | { ok: true; content: Pkcs12Content }
  | {
      ok: false;
      reason: "no-password" | "wrong-password" | "safe-password-differs";
      /** What proved the password wrong: the MAC, or (in a file without one) decryption. */
      provedBy?: "mac" | "decryption";
    };

/**
 * Reads the certificates of a PFX. Without a password, OpenSSL's behaviour is copied: try the
 * empty password in both of its encodings. Throws ReadError for malformed or unsupported files.
 */
export async function readPkcs12(
  pfx: PFX,
  password: string | undefined,
  scanBudget?: KdfBudget,
): Promise<Pkcs12Outcome> {
  const { authSafe, macData } = readPfx(pfx);
  const budget = new Budget(scanBudget);
  const candidates = (password === undefined || password === "" ? ["", null] : [password]).map(secretOf);
  const failed: Pkcs12Outcome = {
    ok: false,
    reason: password === undefined ? "no-password" : "wrong-password",
    provedBy: macData ? "mac" : "decryption",
  };

  let secret: Secret | undefined;
  if (macData) {
    for (const candidate of candidates) {
      if (await macMatches(macData, authSafe, candidate, budget)) {
        secret = candidate;
        break;
      }
    }
    if (!secret) return failed;
  }

  const safes = parseAs(authSafe, AuthenticatedSafe);
  if (!safes) throw new ReadError("bad-der", "the PKCS#12 authenticated safe is not DER");
  const content: Pkcs12Content = { certificates: [], problems: [] };
  for (const safe of safes) {
    const type = safe.contentType;
    if (type === OID.data) {
      const bytes = octetStringValue(safe.content);
      if (bytes) collectBags(bytes, content, 0);
      else content.problems.push(malformed("a PKCS#12 safe is malformed"));
    } else if (type === OID.encryptedData) {
      const encrypted = parseAs(safe.content, EncryptedData);
      if (!encrypted) {
        content.problems.push(malformed("an encrypted PKCS#12 safe is malformed"));
        continue;
      }
      // Without a MAC the password is only proved by a safe that decrypts to SafeContents, whole.
      // (Merely "some BER" is not proof: about one wrong password in a thousand yields valid
      // CBC padding and a first byte that decodes, and the file was then reported as malformed.)
      let plain: Uint8Array | undefined;
      for (const candidate of secret ? [secret] : candidates) {
        plain = await decryptSafe(encrypted, candidate, budget);
        if (plain && (secret || parseAs(plain, SafeContents) !== undefined)) {
          secret = candidate;
          break;
        }
        plain = undefined;
      }
      if (!plain) {
        if (!macData) return failed;
        // The MAC matched, so the bytes are intact: the safe was encrypted with another password.
        return { ok: false, reason: "safe-password-differs" };
      }
      collectBags(plain, content, 0);
    } else if (type === OID.envelopedData) {
      content.problems.push({
        reason: "unsupported-format",
        detail:
          "a PKCS#12 safe is encrypted for a recipient's private key (public-key privacy mode) and cannot be read",
      });
    } else {
      content.problems.push({
        reason: "unsupported-format",
        detail: `a PKCS#12 safe of unknown type ${type || "?"}`,
      });
    }
  }
  return { ok: true, content };
}
