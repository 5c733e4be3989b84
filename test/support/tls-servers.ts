/**
 * Endpoints on loopback for the endpoint scan and the probe: a TLS endpoint whose behaviour can be
 * switched between runs (serve a certificate, answer in plain text, say nothing), and small
 * STARTTLS servers that speak each protocol's upgrade exchange as its RFC describes, then hand the
 * socket to node:tls with a generated certificate.
 */
import { createServer, type Server, type Socket } from "node:net";
import {
  createSecureContext,
  createServer as createTlsServer,
  type SecureContext,
  TLSSocket,
} from "node:tls";
import * as asn1js from "asn1js";
import type { StarttlsProtocol } from "../../functions/core/config/endpoints";
import { type Issued, privateKeyPem } from "./pki";

export type EndpointMode = "tls" | "plain" | "silent";

export interface LoopbackEndpoint {
  /** "127.0.0.1:PORT" or "[::1]:PORT". */
  endpoint: string;
  port: number;
  mode: EndpointMode;
  /** Serve this certificate (and chain) from the next handshake on. */
  serve(leaf: Issued, chain?: Issued[]): Promise<void>;
  close(): Promise<void>;
}

export async function secureContextFor(leaf: Issued, chain: Issued[] = []): Promise<SecureContext> {
  return createSecureContext({
    key: await privateKeyPem(leaf.keys),
    cert: [leaf.pem, ...chain.map((c) => c.pem)].join("\n"),
  });
}

function track(server: Server) {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as { port: number }).port;
}

function serverTls(socket: Socket, context: SecureContext): TLSSocket {
  const tls = new TLSSocket(socket, { isServer: true, secureContext: context });
  tls.on("error", () => {});
  return tls;
}

/** A node:tls server that staples `response` to every handshake whose client asks (status_request). */
export async function startStaplingEndpoint(leaf: Issued, chain: Issued[], response: Buffer) {
  const server = createTlsServer({
    key: await privateKeyPem(leaf.keys),
    cert: [leaf, ...chain].map((c) => c.pem).join("\n"),
  });
  server.on(
    "OCSPRequest",
    (_certificate: Buffer, _issuer: Buffer, done: (error: null, response: Buffer) => void) =>
      done(null, response),
  );
  server.on("secureConnection", (socket) => socket.end());
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A direct-TLS endpoint whose certificate and behaviour tests change between runs. */
export async function startLoopbackEndpoint(
  leaf: Issued,
  chain: Issued[] = [],
  host = "127.0.0.1",
): Promise<LoopbackEndpoint> {
  let context = await secureContextFor(leaf, chain);
  const server = createServer((socket) => {
    if (endpoint.mode === "silent") return;
    if (endpoint.mode === "plain") {
      socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    serverTls(socket, context);
  });
  const close = track(server);
  const port = await listen(server, host);
  const endpoint: LoopbackEndpoint = {
    endpoint: host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`,
    port,
    mode: "tls",
    async serve(nextLeaf, nextChain = []) {
      context = await secureContextFor(nextLeaf, nextChain);
    },
    close,
  };
  return endpoint;
}

export type StarttlsBehaviour = "upgrade" | "refuse" | "stall" | "flood";

export interface StarttlsServer {
  endpoint: string;
  close(): Promise<void>;
  /** What the client sent before the handshake, as the server read it. */
  received: Buffer[];
}

/**
 * A server of `protocol` that greets, answers the client's upgrade request as the protocol's RFC
 * says (or refuses it, stalls, or floods), and on success continues as a TLS server.
 */
export async function startStarttlsServer(
  protocol: StarttlsProtocol,
  leaf: Issued,
  chain: Issued[],
  behaviour: StarttlsBehaviour = "upgrade",
): Promise<StarttlsServer> {
  const context = await secureContextFor(leaf, chain);
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    if (behaviour === "stall") return;
    if (behaviour === "flood") {
      const junk = Buffer.alloc(16 * 1024, protocol === "ldap" || protocol === "postgres" ? 0x30 : 0x41);
      const pump = () => {
        while (!socket.destroyed && socket.write(junk));
        if (!socket.destroyed) socket.once("drain", pump);
      };
      pump();
      return;
    }
    const upgrade = () => {
      socket.removeAllListeners("data");
      serverTls(socket, context);
    };
    SERVERS[protocol](socket, behaviour === "upgrade", upgrade, (chunk) => received.push(chunk));
  });
  const close = track(server);
  const port = await listen(server, "127.0.0.1");
  return { endpoint: `127.0.0.1:${port}`, close, received };
}

type ServerSide = (
  socket: Socket,
  accept: boolean,
  upgrade: () => void,
  record: (chunk: Buffer) => void,
) => void;

/** Reads CRLF lines and answers each one. */
function lineServer(socket: Socket, record: (chunk: Buffer) => void, answer: (line: string) => void) {
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    record(chunk);
    pending += chunk.toString("latin1");
    for (let end = pending.indexOf("\r\n"); end >= 0; end = pending.indexOf("\r\n")) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 2);
      answer(line);
    }
  });
}

const SERVERS: Record<StarttlsProtocol, ServerSide> = {
  // RFC 3207 §4 and RFC 5321 §4.1.1.1: 220 greeting, EHLO → 250 with STARTTLS, STARTTLS → 220.
  smtp: (socket, accept, upgrade, record) => {
    socket.write("220 mail.cluster.test ESMTP ready\r\n");
    lineServer(socket, record, (line) => {
      if (/^EHLO /i.test(line))
        socket.write(
          `250-mail.cluster.test greets you\r\n250-PIPELINING\r\n${accept ? "250-STARTTLS\r\n" : ""}250 8BITMIME\r\n`,
        );
      else if (/^STARTTLS$/i.test(line)) {
        socket.write("220 2.0.0 Ready to start TLS\r\n");
        upgrade();
      } else socket.write("502 5.5.2 command not recognized\r\n");
    });
  },
  // RFC 3501 §6.1.1, §6.2.1: tagged CAPABILITY listing STARTTLS, tagged STARTTLS → OK.
  imap: (socket, accept, upgrade, record) => {
    socket.write("* OK IMAP4rev1 server ready\r\n");
    lineServer(socket, record, (line) => {
      const [tag, command] = line.split(" ");
      if (/^CAPABILITY$/i.test(command ?? "")) {
        socket.write(
          `* CAPABILITY IMAP4rev1 ${accept ? "STARTTLS " : ""}LOGINDISABLED\r\n${tag} OK CAPABILITY completed\r\n`,
        );
      } else if (/^STARTTLS$/i.test(command ?? "")) {
        socket.write(`${tag} OK Begin TLS negotiation now\r\n`);
        upgrade();
      } else socket.write(`${tag} BAD unknown command\r\n`);
    });
  },
  // RFC 2595 §4: STLS → +OK, or -ERR when TLS is not available.
  pop3: (socket, accept, upgrade, record) => {
    socket.write("+OK POP3 server ready\r\n");
    lineServer(socket, record, (line) => {
      if (/^STLS$/i.test(line)) {
        if (!accept) return void socket.write("-ERR TLS not available\r\n");
        socket.write("+OK Begin TLS negotiation\r\n");
        upgrade();
      } else socket.write("-ERR unknown command\r\n");
    });
  },
  // RFC 4511 §4.12, RFC 4513 §3.1: ExtendedRequest 1.3.6.1.4.1.1466.20037 → ExtendedResponse.
  // Decoded and encoded with asn1js, independently of the probe's own BER code.
  ldap: (socket, accept, upgrade, record) => {
    socket.once("data", (chunk: Buffer) => {
      record(chunk);
      const decoded = asn1js.fromBER(new Uint8Array(chunk).buffer);
      const message = decoded.result as asn1js.Sequence;
      const id = (message.valueBlock.value[0] as asn1js.Integer).valueBlock.valueDec;
      const op = message.valueBlock.value[1] as asn1js.Constructed;
      const name = (op.valueBlock.value[0] as asn1js.Primitive).valueBlock.valueHexView;
      const isStartTls =
        op.idBlock.tagClass === 2 &&
        op.idBlock.tagNumber === 23 &&
        Buffer.from(name).toString() === "1.3.6.1.4.1.1466.20037";
      const resultCode = accept && isStartTls ? 0 : 2; // protocolError: "unsupported extended operation"
      const response = new asn1js.Sequence({
        value: [
          new asn1js.Integer({ value: id }),
          new asn1js.Constructed({
            idBlock: { tagClass: 2, tagNumber: 24 },
            value: [
              new asn1js.Enumerated({ value: resultCode }),
              new asn1js.OctetString(),
              new asn1js.OctetString({
                valueHex: new TextEncoder().encode(resultCode ? "unsupported extended operation" : ""),
              }),
            ],
          }),
        ],
      });
      socket.write(Buffer.from(response.toBER()));
      if (resultCode === 0) upgrade();
    });
  },
  // PostgreSQL protocol §55.2.10: SSLRequest (length 8, code 80877103) → 'S' or 'N'.
  postgres: (socket, accept, upgrade, record) => {
    socket.once("data", (chunk: Buffer) => {
      record(chunk);
      const isSslRequest =
        chunk.length === 8 && chunk.readInt32BE(0) === 8 && chunk.readInt32BE(4) === 80877103;
      socket.write(accept && isSslRequest ? "S" : "N");
      if (accept && isSslRequest) upgrade();
    });
  },
  // MySQL Client/Server Protocol: Initial Handshake v10 (CLIENT_SSL when TLS is on) → SSLRequest packet.
  mysql: (socket, accept, upgrade, record) => {
    const version = Buffer.from("8.4.0-watchpost-test\0", "latin1");
    // Lower capability flags: CLIENT_SSL (0x0800) only when TLS is on.
    const capabilities = 0xffff & ~(accept ? 0 : 0x0800);
    const payload = Buffer.concat([
      Buffer.from([10]),
      version,
      Buffer.from([1, 0, 0, 0]), // connection id
      Buffer.from("abcdefgh"), // auth-plugin-data-part-1
      Buffer.from([0]), // filler
      Buffer.from([capabilities & 0xff, capabilities >> 8]),
      Buffer.from([45]), // character set
      Buffer.from([2, 0]), // status flags
      Buffer.from([0xff, 0x81]), // capability flags, upper
      Buffer.from([21]), // auth-plugin-data length
      Buffer.alloc(10), // reserved
      Buffer.from("ijklmnopqrst\0"), // auth-plugin-data-part-2
      Buffer.from("caching_sha2_password\0"),
    ]);
    const header = Buffer.alloc(4);
    header.writeUIntLE(payload.length, 0, 3);
    socket.write(Buffer.concat([header, payload]));
    socket.once("data", (chunk: Buffer) => {
      record(chunk);
      // The client starts the TLS handshake right after its SSLRequest, without waiting for an
      // answer: the ClientHello may arrive in the same chunk, and goes back to the stream for TLS.
      const ssl =
        chunk.length >= 36 &&
        chunk.readUIntLE(0, 3) === 32 &&
        chunk[3] === 1 &&
        (chunk.readUInt32LE(4) & 0x0800) !== 0;
      if (!ssl) return void socket.destroy();
      socket.removeAllListeners("data");
      socket.pause();
      if (chunk.length > 36) socket.unshift(chunk.subarray(36));
      upgrade();
    });
  },
};
