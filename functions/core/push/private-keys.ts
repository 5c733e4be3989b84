/**
 * Does a file hold a private key, and is it in clear? Decided from all of the file's bytes (never a
 * prefix), whatever encodes them: `watchpost push` must not carry a key to the bucket, where every
 * reader of the bucket — and of its backups — could use it.
 *
 * What is looked for, at every layer:
 * - binary: a DER private key anywhere in the bytes (PKCS#8, PKCS#1, SEC1, or a traditional
 *   sequence of integers) — alone, after a certificate (`cat cert.der key.der`), or appended to
 *   text; an encrypted PKCS#8 (EncryptedPrivateKeyInfo); a PKCS#12 file, whose bags are inspected;
 * - text, read as bytes (UTF-8, Latin-1) and with NUL bytes dropped (UTF-16 and UTF-32 in either
 *   byte order, with or without a byte-order mark, also when only part of the file is): a
 *   `BEGIN … PRIVATE KEY` line of any kind, an OpenSSH or PuTTY key, a key printed by `openssl
 *   -text`;
 * - and again inside every long base64 or hex run the text holds (a Kubernetes Secret's
 *   `tls.key: LS0t…`, a key wrapped in base64 twice, `xxd -p`), a few layers deep.
 *
 * A key is *in clear* when anyone who reads the file can use it: unencrypted, or encrypted under
 * the empty password or a default everybody knows (WELL_KNOWN_PASSWORDS), or in a PKCS#12 file
 * without an integrity MAC. Otherwise it is *encrypted*, and said to be. Every loop over the
 * content is bounded (InspectionBudget): a file that exhausts it is reported as not inspected,
 * never pushed on a guess. No key material ever appears in what is returned, only its kind.
 */
import { createPrivateKey } from "node:crypto";
import {
  AuthenticatedSafe,
  id_keyBag,
  id_pkcs8ShroudedKeyBag,
  id_SafeContents,
  PFX,
  SafeContents,
} from "@peculiar/asn1-pfx";
import { EncryptedPrivateKeyInfo } from "@peculiar/asn1-pkcs8";
import { octetStringValue, parseAs } from "../certificates/formats/ber";
import { OID } from "../certificates/formats/der";
import {
  decryptSafe,
  decryptWithScheme,
  macMatches,
  readPfx,
  type Secret,
  schemeName,
  secretOf,
} from "../certificates/formats/pkcs12";
import { Budget, FILE_BUDGET } from "../certificates/formats/pkcs12-budget";
import { EncryptedData } from "../certificates/formats/pkcs12-schemas";

/** Passwords a key under which is as good as in clear: none, empty, and the usual defaults. */
export const WELL_KNOWN_PASSWORDS: readonly (string | null)[] = [
  null,
  "",
  "changeit",
  "changeme",
  "password",
];

export interface KeyFound {
  protection: "clear" | "encrypted";
  /** What it is and where it sits, e.g. "a PEM PRIVATE KEY block (UTF-16 text, inside base64)"; never key material. */
  what: string;
}

export interface KeyInspection {
  keys: KeyFound[];
  /** Why the file was not inspected to its end (a budget ran out); such a file is not pushed. */
  incomplete?: string;
}

/** What one file's inspection may spend; a larger file may spend more, in proportion. */
export class InspectionBudget {
  /** Bytes decoded from base64 and hex runs, over all layers. */
  decodedBytes: number;
  /** Attempts to load a DER structure as a private key. */
  keyAttempts: number;
  /**
   * Key derivations (PKCS#12 MACs, safes, encrypted keys), in iterations as the PKCS#12 reader
   * counts them: each well-known password is tried, so a file may spend several readings' worth.
   */
  readonly kdf = new Budget(undefined, WELL_KNOWN_PASSWORDS.length * FILE_BUDGET);

  constructor(fileBytes = 0) {
    this.decodedBytes = 16 * 1024 * 1024 + 4 * fileBytes;
    this.keyAttempts = 4096 + Math.floor(fileBytes / 256);
  }
}

class Exhausted extends Error {}

/** Layers of decoding inside one another. */
const MAX_DEPTH = 4;
/** Base64 characters (or hex digits) a run needs before it is decoded: shorter than any key. */
const MIN_BASE64_RUN = 64;
const MIN_HEX_RUN = 128;

export async function inspectPrivateKeys(
  bytes: Uint8Array,
  budget: InspectionBudget = new InspectionBudget(bytes.byteLength),
): Promise<KeyInspection> {
  const found = new Map<string, KeyFound>();
  const add = (key: KeyFound) => {
    if (!found.has(key.what)) found.set(key.what, key);
  };
  try {
    await inspectLayer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), [], 0, budget, add);
  } catch (error) {
    if (!(error instanceof Exhausted)) throw error;
    return { keys: [...found.values()], incomplete: error.message };
  }
  return { keys: [...found.values()] };
}

type Add = (key: KeyFound) => void;

const where = (layers: readonly string[]) => (layers.length > 0 ? ` (${layers.join(", ")})` : "");

async function inspectLayer(
  bytes: Buffer,
  layers: readonly string[],
  depth: number,
  budget: InspectionBudget,
  add: Add,
): Promise<void> {
  await scanDer(bytes, layers, budget, add);
  const views = [{ text: bytes.toString("latin1"), layers }];
  // UTF-16 and UTF-32 text of ASCII characters is that text with NUL bytes between: dropped, it
  // reads as ASCII in either byte order and at any offset, byte-order mark or not.
  if (bytes.includes(0)) {
    views.push({ text: withoutNuls(bytes).toString("latin1"), layers: [...layers, "UTF-16 or UTF-32 text"] });
  }
  for (const view of views) {
    await scanText(view.text, view.layers, budget, add);
    for (const run of encodedRuns(view.text)) {
      // Deeper than any real file wraps its content: what is inside cannot be ruled out.
      if (depth >= MAX_DEPTH) throw new Exhausted(`it holds data encoded more than ${MAX_DEPTH} layers deep`);
      if (budget.decodedBytes < run.decoded.length)
        throw new Exhausted("it holds more encoded data than is inspected");
      budget.decodedBytes -= run.decoded.length;
      await inspectLayer(run.decoded, [...view.layers, `inside ${run.encoding}`], depth + 1, budget, add);
    }
  }
}

function withoutNuls(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  let length = 0;
  for (const byte of bytes) if (byte !== 0) out[length++] = byte;
  return out.subarray(0, length);
}

// ---------------------------------------------------------------------------------------------
// Text: PEM armour, OpenSSH and PuTTY keys, `openssl -text` dumps

/** A BEGIN line naming a private key, also without its dashes or with odd spacing. */
const PEM_KEY_BEGIN = /BEGIN[ \t]+([A-Za-z0-9 \t]{0,40}?)PRIVATE[ \t]+KEY/gi;
const PEM_KEY_END = /-*[ \t]*END[ \t]+[A-Za-z0-9 \t]{0,40}?PRIVATE[ \t]+KEY/gi;
const PUTTY_KEY =
  /PuTTY-User-Key-File-\d+:[^\r\n]*[\r\n]+(?:[^\r\n]*[\r\n]+){0,3}?Encryption:[ \t]*([^\r\n]+)/g;
/** What `openssl rsa|ec|pkey -text` prints of the private part. */
const TEXT_DUMP = /(?:^|[\r\n])[ \t]*(privateExponent|prime1|priv)[ \t]*:[ \t]*[\r\n]+[ \t]+[0-9a-fA-F]{2}:/;

async function scanText(text: string, layers: readonly string[], budget: InspectionBudget, add: Add) {
  for (const match of text.matchAll(PEM_KEY_BEGIN)) {
    const label = `${(match[1] ?? "").trim().replace(/\s+/g, " ")} PRIVATE KEY`.trim().toUpperCase();
    // The block: up to its END line, or a bounded stretch when there is none (a truncated key leaks too).
    const from = match.index + match[0].length;
    PEM_KEY_END.lastIndex = from;
    const end = PEM_KEY_END.exec(text)?.index ?? Math.min(text.length, from + 65_536);
    add(await classifyPemKey(label, text.slice(match.index, end), layers, budget));
  }
  for (const match of text.matchAll(PUTTY_KEY)) {
    const encryption = (match[1] ?? "").trim();
    add(
      encryption === "none"
        ? { protection: "clear", what: `a PuTTY private key, not encrypted${where(layers)}` }
        : {
            protection: "encrypted",
            what: `a PuTTY private key encrypted with ${encryption}${where(layers)}`,
          },
    );
  }
  const dump = TEXT_DUMP.exec(text);
  if (dump) {
    add({
      protection: "clear",
      what: `a private key printed as text (its ${dump[1]} field)${where(layers)}`,
    });
  }
}

async function classifyPemKey(
  label: string,
  block: string,
  layers: readonly string[],
  budget: InspectionBudget,
): Promise<KeyFound> {
  const named = `a PEM "${label}" block${where(layers)}`;
  const body = pemBody(block);
  if (label.startsWith("ENCRYPTED")) {
    const info = parseAs(body, EncryptedPrivateKeyInfo);
    if (!info) return { protection: "clear", what: `${named} that is not a well-formed encrypted key` };
    return encryptedKeyVerdict(info, `an encrypted PKCS#8 private key in PEM${where(layers)}`, budget);
  }
  if (label.startsWith("OPENSSH")) {
    const cipher = openSshCipher(body);
    return cipher === "none" || cipher === undefined
      ? { protection: "clear", what: `an OpenSSH private key, not encrypted${where(layers)}` }
      : { protection: "encrypted", what: `an OpenSSH private key encrypted with ${cipher}${where(layers)}` };
  }
  const dekInfo = /Proc-Type:[ \t]*4,ENCRYPTED[\s\S]*?DEK-Info:[ \t]*([A-Za-z0-9-]+)/.exec(block);
  if (dekInfo) {
    // RFC 1421 encryption derives its key with one MD5 round (cheap to try): OpenSSL reads it.
    const pem = `-----BEGIN ${label}-----${block.slice(block.search(/[\r\n]/)).trimEnd()}\n-----END ${label}-----\n`;
    for (const password of WELL_KNOWN_PASSWORDS) {
      if (password === null) continue;
      if (loadsWith(pem, password)) {
        return {
          protection: "clear",
          what: `${named} encrypted (${dekInfo[1]}) with an empty or well-known password`,
        };
      }
    }
    return { protection: "encrypted", what: `${named} encrypted with ${dekInfo[1]} (legacy PEM encryption)` };
  }
  return { protection: "clear", what: named };
}

function loadsWith(pem: string, passphrase: string): boolean {
  try {
    createPrivateKey({ key: pem, format: "pem", passphrase });
    return true;
  } catch {
    return false;
  }
}

/** The base64 content of a block that starts with its BEGIN line and ends before its END line. */
function pemBody(block: string): Buffer {
  const firstLineEnd = block.search(/[\r\n]/);
  const lines = (firstLineEnd < 0 ? "" : block.slice(firstLineEnd))
    .split(/\r\n|\r|\n/)
    // RFC 1421 headers (Proc-Type, DEK-Info) hold ':'; base64 never does.
    .filter((line) => !line.includes(":"));
  return Buffer.from(lines.join("").replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
}

/** The cipher named by an `openssh-key-v1` blob (PROTOCOL.key), "none" when it is not encrypted. */
function openSshCipher(blob: Buffer): string | undefined {
  const magic = "openssh-key-v1\0";
  if (blob.subarray(0, magic.length).toString("latin1") !== magic || blob.length < magic.length + 4)
    return undefined;
  const length = blob.readUInt32BE(magic.length);
  if (length > 64 || blob.length < magic.length + 4 + length) return undefined;
  return blob.subarray(magic.length + 4, magic.length + 4 + length).toString("latin1");
}

// ---------------------------------------------------------------------------------------------
// Encoded runs: base64 (standard or URL alphabet, one long line or PEM-like lines) and hex (`xxd -p`, colons)

interface EncodedRun {
  encoding: "base64" | "hex";
  decoded: Buffer;
}

const BASE64_TOKEN = /[A-Za-z0-9+/_-]{4,}={0,2}/g;
const HEX_TOKEN = /[0-9a-fA-F]{2,}/g;
/** Shortest line of a base64 block written in lines (PEM writes 64, MIME 76). */
const MIN_BASE64_LINE = 40;

function* encodedRuns(text: string): Generator<EncodedRun> {
  // JSON and YAML write a PEM's line breaks as the two characters `\n`.
  const normalised = text.includes("\\") ? text.replace(/\\[nrt]/g, "\n") : text;
  for (const run of base64Runs(normalised)) {
    const alphabet = /[-_]/.test(run) ? "base64url" : "base64";
    yield { encoding: "base64", decoded: Buffer.from(run, alphabet) };
  }
  for (const run of hexRuns(normalised)) {
    yield { encoding: "hex", decoded: Buffer.from(run.slice(0, run.length & ~1), "hex") };
  }
}

/**
 * Base64 blocks: one long token, or lines of one length (the last shorter) separated only by
 * white space. A word next to a block (`key LS0t…`) is not glued to it, which would shift every
 * later character and decode to noise.
 */
function* base64Runs(text: string): Generator<string> {
  let lines: string[] = [];
  let lastEnd = 0;
  const flush = () => {
    const run = lines.join("");
    lines = [];
    return run.length >= MIN_BASE64_RUN ? run : undefined;
  };
  for (const match of text.matchAll(BASE64_TOKEN)) {
    const token = match[0];
    const previous = lines[lines.length - 1];
    const continues =
      previous !== undefined &&
      previous.length >= MIN_BASE64_LINE &&
      previous.length === lines[0]!.length &&
      !previous.endsWith("=") &&
      /^\s+$/.test(text.slice(lastEnd, match.index));
    if (!continues) {
      const run = flush();
      if (run) yield run;
    }
    lines.push(token);
    lastEnd = match.index + token.length;
  }
  const run = flush();
  if (run) yield run;
}

/** Hex digits in runs separated only by white space and colons (`xxd -p`, `openssl -text`). */
function* hexRuns(text: string): Generator<string> {
  let digits = "";
  let lastEnd = -1;
  for (const match of text.matchAll(HEX_TOKEN)) {
    if (lastEnd >= 0 && !/^[\s:]+$/.test(text.slice(lastEnd, match.index))) {
      if (digits.length >= MIN_HEX_RUN) yield digits;
      digits = "";
    }
    digits += match[0];
    lastEnd = match.index + match[0].length;
  }
  if (digits.length >= MIN_HEX_RUN) yield digits;
}

// ---------------------------------------------------------------------------------------------
// Binary: DER keys anywhere, encrypted PKCS#8, PKCS#12

/** pkcs-5 (PBES1, PBES2) and pkcs-12 PBE (RFC 7292 appendix C) algorithm OIDs, as DER content. */
const PBE_OID_PREFIXES = [Buffer.from("2a864886f70d0105", "hex"), Buffer.from("2a864886f70d010c01", "hex")];

async function scanDer(bytes: Buffer, layers: readonly string[], budget: InspectionBudget, add: Add) {
  for (let offset = bytes.indexOf(0x30); offset >= 0; offset = bytes.indexOf(0x30, offset + 1)) {
    const tlv = tlvAt(bytes, offset);
    if (!tlv) continue;
    const { header, end } = tlv;
    const first = offset + header;
    if (bytes[first] === 0x02 && bytes[first + 1] === 0x01) {
      const version = bytes[first + 2];
      if (version === 0x03 && bytes[first + 3] === 0x30) {
        await pkcs12Keys(bytes.subarray(offset, end), layers, budget, add);
      } else if (version === 0x00 || version === 0x01) {
        const key = derPrivateKey(bytes.subarray(offset, end), budget);
        if (key) add({ protection: "clear", what: `${key}${where(layers)}` });
      }
    } else if (bytes[first] === 0x30 && isEncryptedKeyInfo(bytes, first)) {
      const info = parseAs(bytes.subarray(offset, end), EncryptedPrivateKeyInfo);
      if (info)
        add(
          await encryptedKeyVerdict(info, `an encrypted PKCS#8 private key in DER${where(layers)}`, budget),
        );
    }
  }
}

/** The DER TLV at `offset` when its length fits in the buffer: header size and end. */
function tlvAt(bytes: Buffer, offset: number, minLength = 3): { header: number; end: number } | undefined {
  const lead = bytes[offset + 1];
  if (lead === undefined) return undefined;
  let length = lead;
  let header = 2;
  if (lead & 0x80) {
    const octets = lead & 0x7f;
    if (octets === 0 || octets > 3) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) {
      const byte = bytes[offset + 2 + i];
      if (byte === undefined) return undefined;
      length = length * 256 + byte;
    }
    header += octets;
  }
  const end = offset + header + length;
  return length >= minLength && end <= bytes.length ? { header, end } : undefined;
}

function isEncryptedKeyInfo(bytes: Buffer, at: number): boolean {
  // EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier ::= SEQUENCE { OID, params }, OCTET STRING }
  const algorithm = tlvAt(bytes, at);
  if (!algorithm || bytes[at + algorithm.header] !== 0x06) return false;
  const oidLength = bytes[at + algorithm.header + 1] ?? 0;
  const oid = bytes.subarray(at + algorithm.header + 2, at + algorithm.header + 2 + oidLength);
  return PBE_OID_PREFIXES.some((prefix) => oid.subarray(0, prefix.length).equals(prefix));
}

/** The algorithms of PKCS#8 keys, by OID, for messages; any other OID is a key all the same. */
const KEY_ALGORITHMS: Record<string, string> = {
  "1.2.840.113549.1.1.1": "RSA",
  "1.2.840.113549.1.1.10": "RSA-PSS",
  "1.2.840.10045.2.1": "EC",
  "1.2.840.10040.4.1": "DSA",
  "1.2.840.113549.1.3.1": "DH",
  "1.3.101.110": "X25519",
  "1.3.101.111": "X448",
  "1.3.101.112": "ED25519",
  "1.3.101.113": "ED448",
};

/** The smallest private key structure there is (an Ed25519 PKCS#8 is 48 bytes). */
const MIN_KEY_BYTES = 40;

/**
 * What the DER at hand is when it has the shape of a private key; undefined otherwise. Decided
 * from the structure alone, with no key loaded (OpenSSL spends about a millisecond refusing each
 * candidate, which a crafted file would multiply), and erring towards "a key":
 * - PKCS#8 PrivateKeyInfo: version 0 or 1, an AlgorithmIdentifier starting with an OID, the key
 *   as an OCTET STRING (RFC 5958 §2);
 * - SEC1 ECPrivateKey: version 1, the key as an OCTET STRING (RFC 5915 §3);
 * - PKCS#1 RSAPrivateKey and the traditional DSA key: version 0 and only INTEGERs, six or more,
 *   one of them at least 64 bytes (RFC 8017 A.1.2).
 */
function derPrivateKey(der: Buffer, budget: InspectionBudget): string | undefined {
  if (der.length < MIN_KEY_BYTES) return undefined;
  const children = childrenOf(der);
  if (!children || children.length < 2) return undefined;
  if (budget.keyAttempts-- <= 0)
    throw new Exhausted("it holds more candidate key structures than are inspected");
  const [version, second, third] = children;
  const versionValue = version!.tag === 0x02 && version!.value.length === 1 ? version!.value[0] : undefined;
  if (versionValue === undefined) return undefined;
  if (
    second!.tag === 0x30 &&
    third?.tag === 0x04 &&
    third.value.length >= 16 &&
    (versionValue === 0 || versionValue === 1)
  ) {
    const algorithm = childrenOf(second!.encoded);
    if (algorithm?.[0]?.tag !== 0x06) return undefined;
    const oid = oidText(algorithm[0].value);
    const name = KEY_ALGORITHMS[oid];
    return name ? `a PKCS#8 ${name} private key in DER` : `a PKCS#8 private key (algorithm ${oid}) in DER`;
  }
  if (
    versionValue === 1 &&
    second!.tag === 0x04 &&
    second!.value.length >= 16 &&
    second!.value.length <= 72
  ) {
    return "a SEC1 EC private key in DER";
  }
  if (versionValue === 0 && children.every((c) => c.tag === 0x02) && children.length >= 6) {
    if (!children.some((c) => c.value.length >= 64)) return undefined;
    return children.length >= 9 ? "a PKCS#1 RSA private key in DER" : "a traditional DSA private key in DER";
  }
  return undefined;
}

interface Tlv {
  tag: number;
  value: Buffer;
  encoded: Buffer;
}

/** The elements directly inside a SEQUENCE that `der` is exactly; undefined when it is not one. */
function childrenOf(der: Buffer): Tlv[] | undefined {
  const outer = der[0] === 0x30 ? tlvAt(der, 0, 0) : undefined;
  if (!outer || outer.end !== der.length) return undefined;
  const children: Tlv[] = [];
  for (let offset = outer.header; offset < der.length; ) {
    const tlv = tlvAt(der, offset, 0);
    if (!tlv) return undefined;
    children.push({
      tag: der[offset]!,
      value: der.subarray(offset + tlv.header, tlv.end),
      encoded: der.subarray(offset, tlv.end),
    });
    offset = tlv.end;
  }
  return children;
}

/** An OBJECT IDENTIFIER's content as dotted text (X.690 §8.19). */
function oidText(content: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (arcs.length === 0)
      arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  return arcs.join(".");
}

/** An encrypted key is in clear when one of the well-known passwords opens it. */
async function encryptedKeyVerdict(
  info: EncryptedPrivateKeyInfo,
  what: string,
  budget: InspectionBudget,
): Promise<KeyFound> {
  const scheme = schemeName(info.encryptionAlgorithm);
  const opened = await openWithWellKnown(info, WELL_KNOWN_PASSWORDS.map(secretOf), budget);
  if (opened === "unknown") {
    throw new Exhausted(
      `it holds ${what} whose encryption (${scheme}) could not be checked against the well-known passwords`,
    );
  }
  return opened
    ? { protection: "clear", what: `${what}, encrypted (${scheme}) with an empty or well-known password` }
    : { protection: "encrypted", what: `${what}, encrypted with ${scheme}` };
}

/** true: a candidate opens it; false: none does; "unknown": trying was not possible within the budget or scheme. */
async function openWithWellKnown(
  info: EncryptedPrivateKeyInfo,
  secrets: readonly Secret[],
  budget: InspectionBudget,
): Promise<boolean | "unknown"> {
  const ciphertext = new Uint8Array(info.encryptedData.buffer);
  for (const secret of secrets) {
    let plain: Uint8Array | undefined;
    try {
      plain = await decryptWithScheme(info.encryptionAlgorithm, ciphertext, secret, budget.kdf);
    } catch {
      return "unknown";
    }
    if (plain && derPrivateKey(Buffer.from(plain), budget)) return true;
  }
  return false;
}

/**
 * A PKCS#12 file's keys: a key bag is in clear; a shrouded one is in clear when a well-known
 * password opens it, and so is any key of a file without an integrity MAC (RFC 7292 allows
 * writing one: `openssl pkcs12 -nomac`). Safes encrypted under an unknown password hold nothing
 * anyone can read without it.
 */
async function pkcs12Keys(der: Buffer, layers: readonly string[], budget: InspectionBudget, add: Add) {
  const pfx = parseAs(der, PFX);
  if (!pfx) return;
  let content: ReturnType<typeof readPfx>;
  try {
    content = readPfx(pfx);
  } catch {
    return;
  }
  const named = `PKCS#12${where(layers)}`;
  const candidates = WELL_KNOWN_PASSWORDS.map(secretOf);
  let secrets = candidates;
  if (content.macData) {
    const macData = content.macData;
    let matched: Secret | undefined;
    for (const candidate of candidates) {
      try {
        if (await macMatches(macData, content.authSafe, candidate, budget.kdf)) {
          matched = candidate;
          break;
        }
      } catch {
        throw new Exhausted(`its ${named} MAC could not be checked against the well-known passwords`);
      }
    }
    if (matched) secrets = [matched];
  }
  const withMac = content.macData !== undefined;
  const safes = parseAs(content.authSafe, AuthenticatedSafe) ?? [];
  const bags = async (safeContents: Uint8Array | ArrayBuffer, depth: number): Promise<void> => {
    for (const bag of parseAs(safeContents, SafeContents) ?? []) {
      if (bag.bagId === id_keyBag) {
        add({ protection: "clear", what: `a private key in a PKCS#12 key bag, not encrypted (${named})` });
      } else if (bag.bagId === id_pkcs8ShroudedKeyBag) {
        const info = parseAs(bag.bagValue, EncryptedPrivateKeyInfo);
        const opened = info ? await openWithWellKnown(info, secrets, budget) : "unknown";
        if (opened === true) {
          add({
            protection: "clear",
            what: `a private key in a PKCS#12 file whose password is empty or well known (${named})`,
          });
        } else if (!withMac) {
          add({
            protection: "clear",
            what: `a private key in a PKCS#12 file without an integrity MAC (${named})`,
          });
        } else if (opened === "unknown") {
          throw new Exhausted(
            `its ${named} key encryption could not be checked against the well-known passwords`,
          );
        } else {
          add({
            protection: "encrypted",
            what: `a private key in a PKCS#12 file, encrypted with ${info ? schemeName(info.encryptionAlgorithm) : "?"}`,
          });
        }
      } else if (bag.bagId === id_SafeContents && depth < 8) {
        await bags(bag.bagValue, depth + 1);
      }
    }
  };
  for (const safe of safes) {
    if (safe.contentType === OID.data) {
      const plain = octetStringValue(safe.content);
      if (plain) await bags(plain, 0);
    } else if (safe.contentType === OID.encryptedData) {
      const encrypted = parseAs(safe.content, EncryptedData);
      if (!encrypted) continue;
      for (const secret of secrets) {
        let plain: Uint8Array | undefined;
        try {
          plain = await decryptSafe(encrypted, secret, budget.kdf);
        } catch {
          throw new Exhausted(`its ${named} safes could not be checked against the well-known passwords`);
        }
        if (plain && parseAs(plain, SafeContents)) {
          await bags(plain, 0);
          break;
        }
      }
    }
  }
}
