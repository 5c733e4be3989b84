/**
 * What a TLS server sent during the handshake, read off the wire rather than from node:tls.
 *
 * Node's `getPeerCertificate(true)` rebuilds the chain from issuer links: it reorders what was
 * sent, drops certificates that link to nothing, and appends issuers from its own trust store
 * (bundled roots, NODE_EXTRA_CA_CERTS), so a server that sends only its leaf looks complete. The
 * probe instead records the bytes the server sent and parses its handshake messages here:
 *
 *   TLS ≤ 1.2  the handshake before ChangeCipherSpec is plain text (RFC 5246 §7.4): ServerHello,
 *              Certificate, CertificateStatus, CertificateRequest, ServerHelloDone.
 *   TLS 1.3    everything after ServerHello is encrypted with the server handshake traffic secret
 *              (RFC 8446 §7.1, §7.3, §5.2), which node:tls hands out through its `keylog` event
 *              (NSS key log format); the records are decrypted here until the server's Finished.
 *
 * A CertificateRequest is noticed in either version, so the probe can say the server asks for a
 * client certificate. Cost is bounded: the caller caps the bytes recorded, records are at most
 * 2^14 + 2048 bytes (RFC 5246 §6.2.3), and at most MAX_SENT_CERTIFICATES certificates are kept.
 */
import { createDecipheriv, createHash, createHmac } from "node:crypto";

/** Certificates kept from one Certificate message; a longer list is counted, not kept. */
export const MAX_SENT_CERTIFICATES = 32;

export interface ServerHandshake {
  /** "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3": the version the server chose. */
  version: string;
  /** The cipher suite the server chose, as its IANA code point. */
  cipherSuite: number;
  /** DER of each certificate, in the order sent (at most MAX_SENT_CERTIFICATES). */
  certificates: Uint8Array[];
  /** How many certificates the Certificate message held. */
  certificatesSent: number;
  /** The server sent a CertificateRequest (RFC 5246 §7.4.4, RFC 8446 §4.3.2). */
  certificateRequested: boolean;
}

export type TranscriptResult = { ok: true; handshake: ServerHandshake } | { ok: false; error: string };

const CONTENT = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;
const HANDSHAKE = {
  serverHello: 2,
  certificate: 11,
  certificateRequest: 13,
  serverHelloDone: 14,
  finished: 20,
} as const;
const SUPPORTED_VERSIONS = 43;
/** SHA-256 of "HelloRetryRequest": the random of a ServerHello that is a HelloRetryRequest (RFC 8446 §4.1.3). */
const HELLO_RETRY_RANDOM = createHash("sha256").update("HelloRetryRequest").digest();
const MAX_RECORD = 16_384 + 2_048;

const VERSIONS: Record<number, string> = {
  768: "SSLv3",
  769: "TLSv1",
  770: "TLSv1.1",
  771: "TLSv1.2",
  772: "TLSv1.3",
};

/** TLS 1.3 suites (RFC 8446 §B.4): AEAD, key length, tag length, HKDF hash. */
const TLS13_SUITES: Record<number, { cipher: string; keyLength: number; tagLength: number; hash: string }> = {
  4865: { cipher: "aes-128-gcm", keyLength: 16, tagLength: 16, hash: "sha256" },
  4866: { cipher: "aes-256-gcm", keyLength: 32, tagLength: 16, hash: "sha384" },
  4867: { cipher: "chacha20-poly1305", keyLength: 32, tagLength: 16, hash: "sha256" },
  4868: { cipher: "aes-128-ccm", keyLength: 16, tagLength: 16, hash: "sha256" },
  4869: { cipher: "aes-128-ccm", keyLength: 16, tagLength: 8, hash: "sha256" },
};

/**
 * The server's handshake, from the bytes it sent (`received`, from the first byte after any
 * STARTTLS exchange) and the key log lines node:tls emitted for the connection.
 */
export function readServerHandshake(received: Uint8Array, keylog: readonly string[]): TranscriptResult {
  try {
    return { ok: true, handshake: parse(Buffer.from(received), keylog) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

interface State {
  version?: number;
  cipherSuite?: number;
  certificates?: Uint8Array[];
  certificatesSent: number;
  certificateRequested: boolean;
}

function parse(bytes: Buffer, keylog: readonly string[]): ServerHandshake {
  const state: State = { certificatesSent: 0, certificateRequested: false };
  const plain = new MessageReader();
  let decrypter: RecordDecrypter | undefined;
  let encrypted: MessageReader | undefined;
  let done = false;
  for (const record of records(bytes)) {
    if (done) break;
    if (record.type === CONTENT.handshake && !decrypter) {
      for (const message of plain.push(record.fragment)) {
        handle(message, state, false);
        if (message.type === HANDSHAKE.serverHelloDone) done = true;
      }
      if (state.version === 0x0304 && state.cipherSuite !== undefined && !decrypter) {
        decrypter = new RecordDecrypter(state.cipherSuite, serverHandshakeSecret(keylog));
        encrypted = new MessageReader();
      }
    } else if (record.type === CONTENT.changeCipherSpec) {
      // TLS ≤ 1.2: what follows is encrypted, and the certificates came before. TLS 1.3: a
      // middlebox-compatibility record, meaningless (RFC 8446 §D.4).
      if (state.version !== undefined && state.version < 0x0304) done = true;
    } else if (record.type === CONTENT.applicationData && decrypter && encrypted) {
      const inner = decrypter.open(record.header, record.fragment);
      if (inner.type === CONTENT.alert) break;
      if (inner.type !== CONTENT.handshake) continue;
      for (const message of encrypted.push(inner.content)) {
        handle(message, state, true);
        if (message.type === HANDSHAKE.finished) done = true;
      }
    } else if (record.type === CONTENT.alert) {
      break;
    }
  }
  if (state.version === undefined || state.cipherSuite === undefined)
    throw new Error("the server sent no ServerHello");
  if (!state.certificates) throw new Error("the server sent no Certificate message");
  return {
    version: VERSIONS[state.version] ?? `0x${state.version.toString(16)}`,
    cipherSuite: state.cipherSuite,
    certificates: state.certificates,
    certificatesSent: state.certificatesSent,
    certificateRequested: state.certificateRequested,
  };
}

interface Message {
  type: number;
  body: Buffer;
}

function handle(message: Message, state: State, tls13: boolean): void {
  switch (message.type) {
    case HANDSHAKE.serverHello: {
      const hello = parseServerHello(message.body);
      // A HelloRetryRequest names the suite and version too, but the real ServerHello follows.
      if (hello.retry) return;
      state.version = hello.version;
      state.cipherSuite = hello.cipherSuite;
      return;
    }
    case HANDSHAKE.certificate:
      if (state.certificates) return;
      parseCertificateList(message.body, tls13, state);
      return;
    case HANDSHAKE.certificateRequest:
      state.certificateRequested = true;
      return;
  }
}

function parseServerHello(body: Buffer): { version: number; cipherSuite: number; retry: boolean } {
  const r = new Reader(body, "ServerHello");
  let version = r.u16();
  const random = r.bytes(32);
  r.vector(1);
  const cipherSuite = r.u16();
  r.u8(); // compression method
  if (!r.atEnd()) {
    const extensions = new Reader(r.vector(2), "ServerHello extensions");
    while (!extensions.atEnd()) {
      const type = extensions.u16();
      const data = extensions.vector(2);
      if (type === SUPPORTED_VERSIONS && data.length === 2) version = data.readUInt16BE(0);
    }
  }
  return { version, cipherSuite, retry: random.equals(HELLO_RETRY_RANDOM) };
}

/** Certificate (RFC 5246 §7.4.2; RFC 8446 §4.4.2, which adds a request context and per-entry extensions). */
function parseCertificateList(body: Buffer, tls13: boolean, state: State): void {
  const r = new Reader(body, "Certificate");
  if (tls13) r.vector(1);
  const list = new Reader(r.vector(3), "certificate_list");
  const certificates: Uint8Array[] = [];
  let count = 0;
  while (!list.atEnd()) {
    const der = list.vector(3);
    if (tls13) list.vector(2);
    count += 1;
    if (certificates.length < MAX_SENT_CERTIFICATES) certificates.push(new Uint8Array(der));
  }
  state.certificates = certificates;
  state.certificatesSent = count;
}

interface TlsRecord {
  type: number;
  header: Buffer;
  fragment: Buffer;
}

function* records(bytes: Buffer): Generator<TlsRecord> {
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 5);
    const type = header[0]!;
    const length = header.readUInt16BE(3);
    if (type < CONTENT.changeCipherSpec || type > CONTENT.applicationData)
      throw new Error(`the server sent a record of content type ${type}, not TLS`);
    if (length > MAX_RECORD) throw new Error(`the server sent a ${length}-byte record, over the TLS limit`);
    if (offset + 5 + length > bytes.length) return; // cut off by the recording budget or the close
    yield { type, header, fragment: bytes.subarray(offset + 5, offset + 5 + length) };
    offset += 5 + length;
  }
}

/** Handshake messages may span records and records may hold several messages (RFC 8446 §5.1). */
class MessageReader {
  private pending: Buffer = Buffer.alloc(0);
  push(fragment: Buffer): Message[] {
    this.pending = Buffer.concat([this.pending, fragment]);
    const messages: Message[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUIntBE(1, 3);
      if (this.pending.length < 4 + length) break;
      messages.push({ type: this.pending[0]!, body: this.pending.subarray(4, 4 + length) });
      this.pending = this.pending.subarray(4 + length);
    }
    return messages;
  }
}

/** Decrypts TLS 1.3 records protected with the server handshake traffic secret (RFC 8446 §5.2, §5.3, §7.3). */
class RecordDecrypter {
  private readonly suite: (typeof TLS13_SUITES)[number];
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private sequence = 0n;

  constructor(cipherSuite: number, secret: Buffer) {
    const suite = TLS13_SUITES[cipherSuite];
    if (!suite) throw new Error(`cipher suite 0x${cipherSuite.toString(16)} is not a TLS 1.3 suite`);
    this.suite = suite;
    this.key = expandLabel(suite.hash, secret, "key", suite.keyLength);
    this.iv = expandLabel(suite.hash, secret, "iv", 12);
  }

  open(header: Buffer, fragment: Buffer): { type: number; content: Buffer } {
    const { cipher, tagLength } = this.suite;
    if (fragment.length < tagLength) throw new Error("an encrypted record shorter than its tag");
    const nonce = Buffer.from(this.iv);
    const sequence = Buffer.alloc(8);
    sequence.writeBigUInt64BE(this.sequence);
    for (let i = 0; i < 8; i += 1) nonce[4 + i]! ^= sequence[i]!;
    this.sequence += 1n;
    const ciphertext = fragment.subarray(0, fragment.length - tagLength);
    // biome-ignore lint/suspicious/noExplicitAny: node:crypto's overloads for GCM, CCM and ChaCha20 differ only in types
    const decipher: any = createDecipheriv(cipher as "aes-128-gcm", this.key, nonce, {
      authTagLength: tagLength,
    });
    decipher.setAuthTag(fragment.subarray(fragment.length - tagLength));
    decipher.setAAD(header, cipher.endsWith("ccm") ? { plaintextLength: ciphertext.length } : undefined);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new Error("a handshake record does not decrypt with the server handshake traffic secret");
    }
    // TLSInnerPlaintext: content, then the real content type, then zero padding.
    let end = plain.length;
    while (end > 0 && plain[end - 1] === 0) end -= 1;
    if (end === 0) throw new Error("an encrypted record without a content type");
    return { type: plain[end - 1]!, content: plain.subarray(0, end - 1) };
  }
}

function serverHandshakeSecret(keylog: readonly string[]): Buffer {
  for (const line of keylog) {
    const [label, , secret] = line.trim().split(" ");
    if (label === "SERVER_HANDSHAKE_TRAFFIC_SECRET" && secret && /^[0-9a-f]+$/i.test(secret))
      return Buffer.from(secret, "hex");
  }
  throw new Error("node:tls gave no server handshake traffic secret");
}

/** HKDF-Expand-Label (RFC 8446 §7.1) over HKDF-Expand (RFC 5869 §2.3); the secret is already a PRK. */
function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, "ascii");
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, fullLabel.length]),
    fullLabel,
    Buffer.from([0]),
  ]);
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let counter = 1; Buffer.concat(blocks).length < length; counter += 1) {
    previous = createHmac(hash, secret)
      .update(Buffer.concat([previous, info, Buffer.from([counter])]))
      .digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** Reads TLS presentation-language fields (RFC 8446 §3), refusing to run past the message. */
class Reader {
  private offset = 0;
  constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
  ) {}
  atEnd(): boolean {
    return this.offset >= this.buffer.length;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    return this.take(2).readUInt16BE(0);
  }
  bytes(length: number): Buffer {
    return this.take(length);
  }
  /** A vector whose length is written in `lengthBytes` bytes. */
  vector(lengthBytes: 1 | 2 | 3): Buffer {
    return this.take(this.take(lengthBytes).readUIntBE(0, lengthBytes));
  }
  private take(length: number): Buffer {
    if (this.offset + length > this.buffer.length) throw new Error(`a truncated ${this.what} message`);
    const slice = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}
