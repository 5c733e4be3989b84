/**
 * STARTTLS: the plain-text exchange that turns a mail, directory or database connection into TLS,
 * as each protocol's RFC describes it. Every exchange is bounded in bytes (`maxBytes`, all that the
 * server may send before the handshake) and, by the caller, in time: a server shaped by an
 * attacker can refuse, stall or flood, and each of those ends the exchange with a reason.
 *
 *   SMTP        RFC 3207: greeting 220, EHLO, STARTTLS offered, STARTTLS → 220
 *   IMAP        RFC 3501 §6.2.1 / RFC 9051: greeting * OK, CAPABILITY lists STARTTLS, tagged STARTTLS → OK
 *   POP3        RFC 2595 §4: greeting +OK, STLS → +OK
 *   LDAP        RFC 4511 §4.14 / RFC 4513 §3: ExtendedRequest 1.3.6.1.4.1.1466.20037 → ExtendedResponse resultCode 0
 *   PostgreSQL  Frontend/Backend Protocol §55.2.10 "SSL Session Encryption": SSLRequest 80877103 → 'S'
 *   MySQL       Client/Server Protocol, "SSL Handshake": Initial Handshake with CLIENT_SSL → SSLRequest packet
 */
import type { Socket } from "node:net";
import type { StarttlsProtocol } from "../core/config/endpoints";

/** The server answered, but not as the protocol says, or refused the upgrade. */
export class StarttlsRefused extends Error {
  override readonly name = "StarttlsRefused";
}

/** Bytes a server may send before the handshake (greetings and capability lists are far smaller). */
export const DEFAULT_STARTTLS_MAX_BYTES = 64 * 1024;
const MAX_LINE = 8 * 1024;

/** Runs the protocol's upgrade exchange on a connected socket; resolves when TLS may start. */
export async function upgradeToTls(
  socket: Socket,
  protocol: StarttlsProtocol,
  maxBytes = DEFAULT_STARTTLS_MAX_BYTES,
) {
  const exchange = new Exchange(socket, maxBytes, protocol);
  try {
    await EXCHANGES[protocol](exchange);
    exchange.expectNothingMore();
  } finally {
    exchange.detach();
  }
}

const EXCHANGES: Record<StarttlsProtocol, (x: Exchange) => Promise<void>> = {
  smtp: async (x) => {
    const greeting = await smtpReply(x);
    if (greeting.code !== 220) throw x.refused(`greeted with ${greeting.text}`);
    x.write("EHLO watchpost.localdomain\r\n");
    const ehlo = await smtpReply(x);
    if (ehlo.code !== 250) throw x.refused(`answered EHLO with ${ehlo.text}`);
    if (!ehlo.lines.slice(1).some((line) => /^STARTTLS\b/i.test(line.slice(4))))
      throw x.refused("does not offer STARTTLS in its EHLO reply");
    x.write("STARTTLS\r\n");
    const ready = await smtpReply(x);
    if (ready.code !== 220) throw x.refused(`answered STARTTLS with ${ready.text}`);
  },
  imap: async (x) => {
    const greeting = await x.line();
    if (/^\* PREAUTH\b/i.test(greeting))
      throw x.refused("greeted with PREAUTH, after which STARTTLS is not allowed (RFC 3501 §6.2.1)");
    if (!/^\* OK\b/i.test(greeting)) throw x.refused(`greeted with "${clip(greeting)}"`);
    x.write("W1 CAPABILITY\r\n");
    const capabilities = await imapTagged(x, "W1");
    if (!/^OK\b/i.test(capabilities.status))
      throw x.refused(`answered CAPABILITY with "${clip(capabilities.status)}"`);
    const offered = [greeting, ...capabilities.untagged].some((line) => /\bSTARTTLS\b/i.test(line));
    if (!offered) throw x.refused("does not list STARTTLS among its capabilities");
    x.write("W2 STARTTLS\r\n");
    const started = await imapTagged(x, "W2");
    if (!/^OK\b/i.test(started.status)) throw x.refused(`answered STARTTLS with "${clip(started.status)}"`);
  },
  pop3: async (x) => {
    const greeting = await x.line();
    if (!greeting.startsWith("+OK")) throw x.refused(`greeted with "${clip(greeting)}"`);
    x.write("STLS\r\n");
    const answer = await x.line();
    if (!answer.startsWith("+OK")) throw x.refused(`answered STLS with "${clip(answer)}"`);
  },
  ldap: async (x) => {
    x.write(ldapStartTlsRequest(1));
    const response = parseLdapExtendedResponse(await berMessage(x));
    if (response.messageId === 0)
      throw x.refused(
        `sent a notice of disconnection (resultCode ${response.resultCode}) instead of an answer`,
      );
    if (response.messageId !== 1)
      throw x.refused(`answered message ${response.messageId}, not the StartTLS request`);
    if (response.resultCode !== 0)
      throw x.refused(
        `refused StartTLS with resultCode ${response.resultCode}${response.diagnostic ? ` ("${clip(response.diagnostic)}")` : ""}`,
      );
  },
  postgres: async (x) => {
    // Int32 length 8, Int32 80877103 (1234 << 16 | 5679).
    x.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
    const [answer] = await x.bytes(1);
    if (answer === 0x53) return; // 'S'
    if (answer === 0x4e)
      throw x.refused("answered SSLRequest with 'N': the server has TLS switched off (ssl = off)");
    if (answer === 0x45)
      throw x.refused("answered SSLRequest with an error message: the server does not understand it");
    throw x.refused(
      `answered SSLRequest with byte 0x${answer!.toString(16).padStart(2, "0")}, not 'S' or 'N'`,
    );
  },
  mysql: async (x) => {
    const header = await x.bytes(4);
    const length = header.readUIntLE(0, 3);
    if (length > 4096 || length < 1)
      throw x.refused(`sent a first packet of ${length} bytes, not a server greeting`);
    const greeting = await x.bytes(length);
    if (greeting[0] === 0xff)
      throw x.refused(
        `sent an error instead of a greeting: "${clip(greeting.subarray(9).toString("latin1"))}"`,
      );
    if (greeting[0] !== 10)
      throw x.refused(`sent protocol version ${greeting[0]}, not a protocol-10 greeting`);
    const versionEnd = greeting.indexOf(0, 1);
    // version NUL, connection id (4), auth-plugin-data-part-1 (8), filler (1), capability flags (2)
    const flagsAt = versionEnd + 1 + 4 + 8 + 1;
    if (versionEnd < 0 || greeting.length < flagsAt + 2) throw x.refused("sent a truncated server greeting");
    const capabilities = greeting.readUInt16LE(flagsAt);
    if ((capabilities & CLIENT_SSL) === 0)
      throw x.refused(
        `(${clip(greeting.subarray(1, versionEnd).toString("latin1"))}) does not offer TLS (no CLIENT_SSL)`,
      );
    const request = Buffer.alloc(4 + 32);
    request.writeUIntLE(32, 0, 3);
    request[3] = (header[3]! + 1) & 0xff;
    request.writeUInt32LE(CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION, 4);
    request.writeUInt32LE(0x0100_0000, 8); // max packet size 16 MiB
    request[12] = 45; // utf8mb4_general_ci; 23 zero bytes follow
    x.write(request);
  },
};

const CLIENT_PROTOCOL_41 = 0x0200;
const CLIENT_SSL = 0x0800;
const CLIENT_SECURE_CONNECTION = 0x8000;

interface SmtpReply {
  code: number;
  lines: string[];
  text: string;
}

/** A reply of one or more lines "250-…" ending with "250 …" (RFC 5321 §4.2.1). */
async function smtpReply(x: Exchange): Promise<SmtpReply> {
  const lines: string[] = [];
  for (;;) {
    const line = await x.line();
    if (!/^\d{3}([ -]|$)/.test(line)) throw x.refused(`sent "${clip(line)}", not an SMTP reply`);
    if (lines.length > 0 && line.slice(0, 3) !== lines[0]!.slice(0, 3))
      throw x.refused("changed reply codes within one reply");
    lines.push(line);
    if (line[3] !== "-")
      return { code: Number(line.slice(0, 3)), lines, text: `"${clip(lines.join(" | "))}"` };
  }
}

/** Untagged lines up to the command's tagged status line (RFC 3501 §2.2.2). */
async function imapTagged(x: Exchange, tag: string): Promise<{ untagged: string[]; status: string }> {
  const untagged: string[] = [];
  for (;;) {
    const line = await x.line();
    if (line.startsWith(`${tag} `)) return { untagged, status: line.slice(tag.length + 1) };
    if (!line.startsWith("* ")) throw x.refused(`sent "${clip(line)}", not an IMAP response`);
    untagged.push(line);
  }
}

// --- LDAP: BER, just what the StartTLS extended operation needs ------------------------------------

const START_TLS_OID = "1.3.6.1.4.1.1466.20037";

/** The length octets of BER/DER: short form below 128, else long form (X.690 §8.1.3). */
function berLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest & 0xff);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), berLength(content.length), content]);
}

function berInteger(value: number): Buffer {
  const octets: number[] = [];
  let rest = value;
  do {
    octets.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if (octets[0]! & 0x80) octets.unshift(0);
  return tlv(0x02, Buffer.from(octets));
}

/**
 * LDAPMessage { messageID, extendedReq [APPLICATION 23] { requestName [0] "1.3.6.1.4.1.1466.20037" } }
 * (RFC 4511 §4.1.1, §4.12; LDAPOID is an OCTET STRING, so the name goes as text, context tag [0] primitive).
 */
export function ldapStartTlsRequest(messageId: number): Buffer {
  const extendedRequest = tlv(0x77, tlv(0x80, Buffer.from(START_TLS_OID, "ascii")));
  return tlv(0x30, Buffer.concat([berInteger(messageId), extendedRequest]));
}

interface Tlv {
  tag: number;
  content: Buffer;
  /** Offset just past this element. */
  end: number;
}

/** One element at `offset`; throws on anything malformed or running past the buffer. */
function readTlv(buffer: Buffer, offset: number): Tlv {
  if (offset + 2 > buffer.length) throw new Error("truncated element");
  const tag = buffer[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error("multi-byte tags are not used by LDAP");
  let length = buffer[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error("indefinite or oversized length");
    if (start + count > buffer.length) throw new Error("truncated length");
    length = buffer.readUIntBE(start, count);
    start += count;
  }
  if (start + length > buffer.length) throw new Error("element runs past the message");
  return { tag, content: buffer.subarray(start, start + length), end: start + length };
}

function berNumber(element: Tlv, tag: number, what: string): number {
  if (element.tag !== tag || element.content.length < 1 || element.content.length > 4)
    throw new Error(`expected ${what}`);
  return element.content.readIntBE(0, element.content.length);
}

/** messageID, resultCode and diagnosticMessage of an ExtendedResponse [APPLICATION 24] (RFC 4511 §4.12). */
export function parseLdapExtendedResponse(message: Buffer): {
  messageId: number;
  resultCode: number;
  diagnostic: string;
} {
  const envelope = readTlv(message, 0);
  if (envelope.tag !== 0x30) throw new Error("expected an LDAPMessage SEQUENCE");
  const id = readTlv(envelope.content, 0);
  const messageId = berNumber(id, 0x02, "a messageID INTEGER");
  const op = readTlv(envelope.content, id.end);
  if (op.tag !== 0x78) throw new Error(`expected an ExtendedResponse, got tag 0x${op.tag.toString(16)}`);
  const code = readTlv(op.content, 0);
  const resultCode = berNumber(code, 0x0a, "a resultCode ENUMERATED");
  const matched = readTlv(op.content, code.end);
  const diagnostic = readTlv(op.content, matched.end);
  return { messageId, resultCode, diagnostic: diagnostic.content.toString("utf8") };
}

/** One whole LDAPMessage off the wire: its header says how long it is, within the exchange's budget. */
async function berMessage(x: Exchange): Promise<Buffer> {
  const head = await x.bytes(2);
  if (head[0] !== 0x30) throw x.refused(`sent byte 0x${head[0]!.toString(16)}, not an LDAP message`);
  let lengthOctets: Buffer = Buffer.alloc(0);
  let length = head[1]!;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4)
      throw x.refused("sent an LDAP message with an indefinite or oversized length");
    lengthOctets = await x.bytes(count);
    length = lengthOctets.readUIntBE(0, count);
  }
  const body = await x.bytes(length);
  try {
    const message = Buffer.concat([head, lengthOctets, body]);
    parseLdapExtendedResponse(message);
    return message;
  } catch (error) {
    throw x.refused(`sent a malformed LDAP response (${(error as Error).message})`);
  }
}

// --- the byte stream ---------------------------------------------------------------------------------

class Exchange {
  private buffer: Buffer = Buffer.alloc(0);
  private received = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
    private readonly protocol: StarttlsProtocol,
  ) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onError);
  }

  refused(detail: string): StarttlsRefused {
    return new StarttlsRefused(`${PROTOCOL_NAMES[this.protocol]} server ${detail}`);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** A line without its CRLF (or bare LF). */
  async line(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf(0x0a);
      if (end >= 0) {
        const line = this.buffer.subarray(0, end).toString("latin1").replace(/\r$/, "");
        this.buffer = this.buffer.subarray(end + 1);
        return line;
      }
      if (this.buffer.length > MAX_LINE) throw this.refused(`sent a line longer than ${MAX_LINE} bytes`);
      await this.more();
    }
  }

  async bytes(count: number): Promise<Buffer> {
    if (count > this.maxBytes)
      throw this.refused(`announced ${count} bytes, more than the ${this.maxBytes} allowed`);
    while (this.buffer.length < count) await this.more();
    const taken = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return taken;
  }

  /** Bytes after the server agreed would be read as TLS, or were injected in plain text (CVE-2011-0411's kind). */
  expectNothingMore(): void {
    if (this.buffer.length > 0)
      throw this.refused(`sent ${this.buffer.length} more bytes in plain text after agreeing to start TLS`);
  }

  detach(): void {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("error", this.onError);
    this.socket.pause();
  }

  private more(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.wake = () => {
        this.wake = undefined;
        if (this.failure) reject(this.failure);
        else resolve();
      };
    });
  }

  private readonly onData = (chunk: Buffer) => {
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      this.failure = this.refused(`sent more than ${this.maxBytes} bytes without completing the exchange`);
      this.socket.destroy();
    } else {
      this.buffer = Buffer.concat([this.buffer, chunk]);
    }
    this.wake?.();
  };

  private readonly onEnd = () => {
    this.failure ??= this.refused("closed the connection during the STARTTLS exchange");
    this.wake?.();
  };

  private readonly onError = (error: NodeJS.ErrnoException) => {
    this.failure ??= this.refused(
      `connection failed during the STARTTLS exchange: ${error.code ?? error.message}`,
    );
    this.wake?.();
  };
}

export const PROTOCOL_NAMES: Record<StarttlsProtocol, string> = {
  smtp: "SMTP",
  imap: "IMAP",
  pop3: "POP3",
  ldap: "LDAP",
  postgres: "PostgreSQL",
  mysql: "MySQL",
};

function clip(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: what a server sends is shown, never obeyed
  const visible = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return visible.length > 120 ? `${visible.slice(0, 117)}...` : visible;
}
