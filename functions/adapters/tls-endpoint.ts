/**
 * Fetches the certificate chain a TLS endpoint presents, without trusting it: verification is the
 * engine's job, so that an expired, untrusted or misnamed certificate is still read and explained
 * instead of ending in a handshake error like common probes do. Connects, speaks the STARTTLS
 * exchange when asked (starttls.ts), then shakes hands, all within one deadline; and tells a port
 * that cannot be reached from one that answers but not with TLS.
 *
 * The chain is the one the server sent, in its order, read off the wire (tls-transcript.ts): never
 * the one node:tls rebuilds, which takes issuers from Node's own trust store. The probe closes like
 * a client: on TLS 1.3 it waits for the server's session ticket (or a short grace), then sends
 * close_notify and waits for the server to close, so servers log an ordinary disconnection rather
 * than a failed handshake. A server that refuses TLS 1.2 and 1.3 is asked once more with TLS 1.0
 * and 1.1 allowed, so its certificate is still judged and the obsolete protocol is named.
 */

import { isIP, Socket } from "node:net";
import { Duplex } from "node:stream";
import {
  type ConnectionOptions,
  connect,
  rootCertificates,
  type TLSSocket,
  type TLSSocketOptions,
} from "node:tls";
import type { ParsedCertificate } from "../core/certificates/certificate";
import { readCertificates } from "../core/certificates/reader";
import type { StarttlsProtocol } from "../core/config/endpoints";
import type { EndpointFailure as FailureReason } from "../core/contracts";
import { formatEndpointAddress, parseEndpointAddress } from "../core/endpoints/address";
import type { EndpointChain, EndpointFetchOptions, TlsDetails } from "../core/endpoints/probe";
import { DEFAULT_STARTTLS_MAX_BYTES, PROTOCOL_NAMES, StarttlsRefused, upgradeToTls } from "./starttls";
import { readServerHandshake, type ServerHandshake } from "./tls-transcript";

export interface PresentedChain {
  ok: true;
  /** DER of each certificate, leaf first, exactly as the server sent them. */
  certificates: Uint8Array[];
  tls: TlsDetails;
  /** The OCSP response the server stapled (RFC 6066 §8), as sent. */
  ocspResponse?: Uint8Array;
}

export interface EndpointFailure {
  ok: false;
  reason: FailureReason;
  detail: string;
}

export interface EndpointOptions extends EndpointFetchOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** Bytes the server may send during the STARTTLS exchange. */
  maxExchangeBytes?: number;
}

/** Bytes of the server's handshake recorded to read its messages; OpenSSL's clients stop at 100 KiB of certificates. */
const MAX_HANDSHAKE_BYTES = 256 * 1024;
/** How long a TLS 1.3 probe waits for the server's session ticket before closing, when none comes. */
const TICKET_GRACE_MS = 300;
/** How long the probe waits for the server to close after close_notify. */
const CLOSE_GRACE_MS = 1_000;

/**
 * node:tls codes that mean the server and the probe share no protocol version: the server only
 * speaks an older one (alert protocol_version, RFC 8446 §6.2) or chose one the probe refused.
 */
const VERSION_REFUSALS = new Set([
  "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
  "ERR_SSL_UNSUPPORTED_PROTOCOL",
  "ERR_SSL_NO_PROTOCOLS_AVAILABLE",
]);

/**
 * The second attempt after a version refusal: TLS 1.0 and 1.1 allowed, at OpenSSL security level 0
 * (OpenSSL 3 allows those versions at no other level, and their servers' SHA-1 signatures with them).
 */
const LEGACY: ConnectionOptions = { minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" };

export async function fetchPresentedChain(
  options: EndpointOptions,
): Promise<PresentedChain | EndpointFailure> {
  const deadline = Date.now() + options.timeoutMs;
  const first = await attempt(options, options.timeoutMs, {});
  if (first.ok || !first.versionRefused) return strip(first);
  const second = await attempt(options, Math.max(1, deadline - Date.now()), LEGACY);
  if (!second.ok) return strip(first);
  return { ...second, tls: { ...second.tls, legacyOnly: true } };
}

type Attempt = PresentedChain | (EndpointFailure & { versionRefused?: boolean });

function strip(result: Attempt): PresentedChain | EndpointFailure {
  if (result.ok) return result;
  return { ok: false, reason: result.reason, detail: result.detail };
}

type Phase = "connecting" | "starttls" | "handshake";

function attempt(options: EndpointOptions, timeoutMs: number, extra: ConnectionOptions): Promise<Attempt> {
  const name = formatEndpointAddress(options);
  const servername = options.servername ?? (isIP(options.host) ? undefined : options.host);
  const started = Date.now();
  const deadline = () => started + timeoutMs;
  return new Promise((resolve) => {
    let settled = false;
    let phase: Phase = "connecting";
    let tls: TLSSocket | undefined;
    let ocspResponse: Buffer | undefined;
    const keylog: string[] = [];
    const socket = new Socket();
    const wire = new RecordingStream(socket, MAX_HANDSHAKE_BYTES);
    const finish = (result: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const abort = (result: Attempt) => {
      tls?.destroy();
      socket.destroy();
      finish(result);
    };
    // One deadline for connecting, the upgrade and the handshake: a silent or slow peer never holds the probe.
    const timer = setTimeout(() => {
      abort({
        ok: false,
        reason: "timeout",
        detail: `${TIMEOUT_TEXT[phase](options)} within ${options.timeoutMs} ms`,
      });
    }, timeoutMs);

    socket.once("error", (error: NodeJS.ErrnoException) => {
      if (phase === "connecting")
        abort({
          ok: false,
          reason: "unreachable",
          detail: `cannot connect to ${name}: ${error.code ?? error.message}`,
        });
    });
    socket.connect({ host: options.host, port: options.port }, async () => {
      try {
        if (options.starttls) {
          phase = "starttls";
          await upgradeToTls(
            socket,
            options.starttls,
            options.maxExchangeBytes ?? DEFAULT_STARTTLS_MAX_BYTES,
          );
        }
      } catch (error) {
        abort({
          ok: false,
          reason: "not-tls",
          detail: error instanceof StarttlsRefused ? error.message : `STARTTLS failed: ${String(error)}`,
        });
        return;
      }
      if (settled) return;
      phase = "handshake";
      wire.start();
      // Ask for a stapled OCSP response (status_request, RFC 6066 §8), to judge it.
      // tls.connect hands requestOCSP to the TLSSocket; @types/node lists it on TLSSocket only.
      const requestOcsp: Pick<TLSSocketOptions, "requestOCSP"> = { requestOCSP: true };
      tls = connect({ socket: wire, servername, rejectUnauthorized: false, ...requestOcsp, ...extra });
      const secure = tls;
      secure.on("keylog", (line: Buffer) => keylog.push(line.toString("latin1")));
      secure.on("OCSPResponse", (response: Buffer) => {
        if (response && response.length > 0) ocspResponse = response;
      });
      let connected = false;
      secure.once("secureConnect", async () => {
        connected = true;
        clearTimeout(timer);
        // Read now: once the server ends the connection node:tls forgets the session.
        const cipher = secure.getCipher();
        const session: Session = {
          protocol: secure.getProtocol(),
          cipher: cipher?.standardName ?? cipher?.name ?? null,
          leaf: leafOf(secure),
        };
        const handshake = readServerHandshake(wire.recorded(), keylog);
        const verdict = await settleHandshake(
          secure,
          session,
          handshake.ok && handshake.handshake,
          deadline(),
        );
        const result = presented(session, handshake, verdict, ocspResponse, options.starttls);
        closePolitely(secure, socket).then(() => finish(result));
      });
      secure.once("error", (error: NodeJS.ErrnoException) => {
        // After the handshake an error is the server's verdict or its way of closing: settleHandshake's.
        if (settled || connected) return;
        // TLS ≤ 1.2 sends the certificate in clear before the server decides the client needs
        // one: a server that requires a client certificate has still presented its own.
        const handshake = readServerHandshake(wire.recorded(), keylog);
        if (handshake.ok && handshake.handshake.certificateRequested) {
          const code = error.code ?? error.message;
          abort(fromTranscript(handshake.handshake, code, ocspResponse, options.starttls));
          return;
        }
        abort(handshakeFailure(name, error, options.starttls));
      });
    });
  });
}

/**
 * After the handshake: what the server does next. TLS 1.3 servers send session tickets once they
 * have the client's Finished; one that asked for a client certificate instead ends the connection
 * with an alert when it requires one (RFC 8446 §4.4.2.4), and that verdict is waited for until the
 * probe's deadline. Otherwise a short grace is all the ticket is waited for: it is politeness.
 */
function settleHandshake(
  socket: TLSSocket,
  session: Session,
  handshake: ServerHandshake | false,
  deadline: number,
): Promise<{ alert?: string }> {
  if (session.protocol !== "TLSv1.3") return Promise.resolve({});
  const awaitVerdict = handshake !== false && handshake.certificateRequested;
  const waitMs = awaitVerdict ? Math.max(0, deadline - Date.now()) : TICKET_GRACE_MS;
  return new Promise((resolve) => {
    const done = (verdict: { alert?: string }) => {
      clearTimeout(timer);
      socket.off("session", onSession);
      socket.off("error", onError);
      socket.off("end", onEnd);
      resolve(verdict);
    };
    const onSession = () => done({});
    const onError = (error: NodeJS.ErrnoException) => done({ alert: error.code ?? error.message });
    const onEnd = () => done({});
    const timer = setTimeout(() => done({}), waitMs);
    socket.on("session", onSession);
    socket.on("error", onError);
    socket.on("end", onEnd);
    // Read (and drop) what the server sends, so its tickets and alerts are processed.
    socket.resume();
  });
}

/** close_notify, then the server's close (or a grace), so the server logs an orderly end. */
function closePolitely(tls: TLSSocket, socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      tls.destroy();
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, CLOSE_GRACE_MS);
    if (socket.destroyed) {
      done();
      return;
    }
    socket.once("close", done);
    tls.on("error", () => {});
    tls.resume();
    tls.end();
  });
}

/** What node:tls says about a completed handshake, read as it completes. */
interface Session {
  protocol: string | null;
  cipher: string | null;
  leaf: Uint8Array[];
}

function presented(
  session: Session,
  handshake: ReturnType<typeof readServerHandshake>,
  verdict: { alert?: string },
  ocspResponse: Buffer | undefined,
  starttls: StarttlsProtocol | undefined,
): PresentedChain {
  const wireChain = handshake.ok ? handshake.handshake : undefined;
  // The transcript could not be read (it never failed on a server that completed a handshake
  // with node:tls; this is a guard): the leaf node:tls saw is all that is known to be sent.
  const certificates = wireChain?.certificates ?? session.leaf;
  const clientCertificate = wireChain?.certificateRequested
    ? verdict.alert && /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE/.test(verdict.alert)
      ? ({ clientCertificate: "required", handshakeEndedWith: verdict.alert } as const)
      : ({ clientCertificate: "requested" } as const)
    : {};
  return {
    ok: true,
    certificates,
    tls: {
      protocol: session.protocol,
      cipher: session.cipher,
      ocspStapled: ocspResponse !== undefined,
      chainLength: wireChain?.certificatesSent ?? certificates.length,
      ...(starttls ? { starttls } : {}),
      ...clientCertificate,
      ...(handshake.ok ? {} : { sentChainUnread: handshake.error }),
    },
    ...(ocspResponse ? { ocspResponse: new Uint8Array(ocspResponse) } : {}),
  };
}

/** A handshake the server ended after presenting its certificate and asking for the client's. */
function fromTranscript(
  handshake: ServerHandshake,
  alert: string,
  ocspResponse: Buffer | undefined,
  starttls: StarttlsProtocol | undefined,
): PresentedChain {
  return {
    ok: true,
    certificates: handshake.certificates,
    tls: {
      protocol: handshake.version,
      cipher: cipherSuiteName(handshake.cipherSuite),
      ocspStapled: ocspResponse !== undefined,
      chainLength: handshake.certificatesSent,
      ...(starttls ? { starttls } : {}),
      clientCertificate: "required",
      handshakeEndedWith: alert,
    },
    ...(ocspResponse ? { ocspResponse: new Uint8Array(ocspResponse) } : {}),
  };
}

function leafOf(socket: TLSSocket): Uint8Array[] {
  const leaf = socket.getPeerX509Certificate();
  return leaf ? [new Uint8Array(leaf.raw)] : [];
}

/** IANA names of the TLS 1.2 suites servers commonly choose; others are given as their code point. */
const CIPHER_SUITES: Record<number, string> = {
  47: "TLS_RSA_WITH_AES_128_CBC_SHA",
  53: "TLS_RSA_WITH_AES_256_CBC_SHA",
  156: "TLS_RSA_WITH_AES_128_GCM_SHA256",
  157: "TLS_RSA_WITH_AES_256_GCM_SHA384",
  158: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
  159: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
  49161: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
  49162: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
  49171: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
  49172: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
  49195: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  49196: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  49199: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  49200: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  52392: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  52393: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  4865: "TLS_AES_128_GCM_SHA256",
  4866: "TLS_AES_256_GCM_SHA384",
  4867: "TLS_CHACHA20_POLY1305_SHA256",
};

function cipherSuiteName(code: number): string {
  return CIPHER_SUITES[code] ?? `0x${code.toString(16).padStart(4, "0")}`;
}

/**
 * The transport under node:tls once the handshake starts: passes bytes both ways and keeps a copy
 * of the first `limit` bytes the server sent, for the transcript. (A net.Socket handed to
 * tls.connect directly is read in C++, out of JavaScript's sight.)
 */
class RecordingStream extends Duplex {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly socket: Socket,
    private readonly limit: number,
  ) {
    super();
  }

  /** Starts relaying: called once the STARTTLS exchange, if any, is over. */
  start(): void {
    this.socket.on("data", (chunk: Buffer) => {
      if (this.size < this.limit) {
        const kept = chunk.subarray(0, this.limit - this.size);
        this.chunks.push(kept);
        this.size += kept.length;
      }
      if (!this.push(chunk)) this.socket.pause();
    });
    this.socket.on("end", () => this.push(null));
    this.socket.on("error", (error) => this.destroy(error));
    this.socket.on("close", () => {
      if (!this.destroyed) this.destroy();
    });
    this.socket.resume();
  }

  recorded(): Buffer {
    return Buffer.concat(this.chunks);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) callback();
    else this.socket.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

const TIMEOUT_TEXT: Record<Phase, (o: EndpointOptions) => string> = {
  connecting: (o) => `no connection to ${formatEndpointAddress(o)}`,
  starttls: (o) =>
    `no completed ${PROTOCOL_NAMES[o.starttls!]} STARTTLS exchange with ${formatEndpointAddress(o)}`,
  handshake: (o) => `no TLS handshake with ${formatEndpointAddress(o)}`,
};

/**
 * The port accepted the connection, so it is not "unreachable": an alert means it speaks TLS and
 * refused this handshake; anything else (a record that is not TLS, a reset, a close) means it
 * answers with something other than TLS.
 */
function handshakeFailure(
  name: string,
  error: NodeJS.ErrnoException,
  starttls: StarttlsProtocol | undefined,
): EndpointFailure & { versionRefused: boolean } {
  const code = error.code ?? error.message;
  const versionRefused = VERSION_REFUSALS.has(code);
  if (/ALERT/.test(code) || versionRefused)
    return {
      ok: false,
      reason: "handshake-failed",
      detail: `${name} ended the TLS handshake with ${code}`,
      versionRefused,
    };
  const after = starttls ? ` after the ${PROTOCOL_NAMES[starttls]} STARTTLS exchange` : "";
  return {
    ok: false,
    reason: "not-tls",
    detail: `${name} accepted the connection but did not answer the TLS handshake${after} (${code})`,
    versionRefused,
  };
}

/** Live endpoints ("host:port", "[v6]:port") as the scans fetch them. */
export function endpointFetcher(
  timeoutMs: number,
): (endpoint: string, options?: EndpointFetchOptions) => Promise<EndpointChain> {
  return async (endpoint, extra = {}) => {
    const address = parseEndpointAddress(endpoint);
    if (!address) return { ok: false, reason: "unreachable", detail: `"${endpoint}" is not host:port` };
    return fetchPresentedChain({ ...address, ...extra, timeoutMs });
  };
}

let publicRoots: Promise<ParsedCertificate[]> | undefined;

/** The public roots Node.js ships, read once per process: trust anchors, never sent certificates. */
export function publicRootCertificates(): Promise<ParsedCertificate[]> {
  publicRoots ??= readCertificates(
    Buffer.from(rootCertificates.join("\n")),
    "node:tls.rootCertificates",
  ).then((read) => (read.status === "ok" ? read.certificates : []));
  return publicRoots;
}
