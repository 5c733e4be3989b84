/**
 * Fetches the certificate chain a TLS endpoint presents, without trusting it: verification is the
 * engine's job, so that an expired, untrusted or misnamed certificate is still read and explained
 * instead of ending in a handshake error like common probes do. Connects, speaks the STARTTLS
 * exchange when asked (starttls.ts), then shakes hands, all within one deadline; and tells a port
 * that cannot be reached from one that answers but not with TLS.
 */

import { isIP, Socket } from "node:net";
import {
  connect,
  type DetailedPeerCertificate,
  rootCertificates,
  type TLSSocket,
  type TLSSocketOptions,
} from "node:tls";
import type { ParsedCertificate } from "../core/certificates/certificate";
import { readCertificates } from "../core/certificates/reader";
import type { StarttlsProtocol } from "../core/config/endpoints";
import type { EndpointFailure as FailureReason } from "../core/contracts";
import { formatEndpointAddress, parseEndpointAddress } from "../core/endpoints/address";
import type { EndpointChain, TlsDetails } from "../core/endpoints/probe";
import { DEFAULT_STARTTLS_MAX_BYTES, PROTOCOL_NAMES, StarttlsRefused, upgradeToTls } from "./starttls";

export interface PresentedChain {
  ok: true;
  /** DER of each certificate, leaf first, as the server sent them. */
  certificates: Uint8Array[];
  tls: TlsDetails;
  /** What Node's own verification against its public roots said (for information only). */
  authorizationError?: string;
}

export interface EndpointFailure {
  ok: false;
  reason: FailureReason;
  detail: string;
}

export interface EndpointOptions {
  host: string;
  port: number;
  /** SNI name; defaults to the host unless the host is an IP address (SNI cannot carry one). */
  servername?: string;
  timeoutMs: number;
  starttls?: StarttlsProtocol;
  /** Bytes the server may send during the STARTTLS exchange. */
  maxExchangeBytes?: number;
}

type Phase = "connecting" | "starttls" | "handshake";

export function fetchPresentedChain(options: EndpointOptions): Promise<PresentedChain | EndpointFailure> {
  const name = formatEndpointAddress(options);
  const servername = options.servername ?? (isIP(options.host) ? undefined : options.host);
  return new Promise((resolve) => {
    let settled = false;
    let phase: Phase = "connecting";
    let tls: TLSSocket | undefined;
    let ocspStapled = false;
    const finish = (result: PresentedChain | EndpointFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tls?.destroy();
      socket.destroy();
      resolve(result);
    };
    // One deadline for connecting, the upgrade and the handshake: a silent or slow peer never holds the probe.
    const timer = setTimeout(() => {
      finish({
        ok: false,
        reason: "timeout",
        detail: `${TIMEOUT_TEXT[phase](options)} within ${options.timeoutMs} ms`,
      });
    }, options.timeoutMs);

    const socket = new Socket();
    socket.once("error", (error: NodeJS.ErrnoException) => {
      if (phase === "connecting")
        finish({
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
        finish({
          ok: false,
          reason: "not-tls",
          detail: error instanceof StarttlsRefused ? error.message : `STARTTLS failed: ${String(error)}`,
        });
        return;
      }
      if (settled) return;
      phase = "handshake";
      // Ask for a stapled OCSP response, to report whether the server staples (RFC 6066 §8).
      // tls.connect hands requestOCSP to the TLSSocket; @types/node lists it on TLSSocket only.
      const requestOcsp: Pick<TLSSocketOptions, "requestOCSP"> = { requestOCSP: true };
      tls = connect({ socket, servername, rejectUnauthorized: false, ...requestOcsp });
      tls.on("OCSPResponse", (response: Buffer) => {
        if (response && response.length > 0) ocspStapled = true;
      });
      tls.once("secureConnect", () => {
        const socketNow = tls!;
        const certificates = chainOf(socketNow.getPeerCertificate(true));
        const cipher = socketNow.getCipher();
        finish({
          ok: true,
          certificates,
          tls: {
            protocol: socketNow.getProtocol(),
            cipher: cipher?.standardName ?? cipher?.name ?? null,
            ocspStapled,
            chainLength: certificates.length,
            ...(options.starttls ? { starttls: options.starttls } : {}),
          },
          ...(socketNow.authorizationError
            ? { authorizationError: String(socketNow.authorizationError) }
            : {}),
        });
      });
      tls.once("error", (error: NodeJS.ErrnoException) =>
        finish(handshakeFailure(name, error, options.starttls)),
      );
    });
  });
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
): EndpointFailure {
  const code = error.code ?? error.message;
  if (/ALERT/.test(code))
    return { ok: false, reason: "handshake-failed", detail: `${name} ended the TLS handshake with ${code}` };
  const after = starttls ? ` after the ${PROTOCOL_NAMES[starttls]} STARTTLS exchange` : "";
  return {
    ok: false,
    reason: "not-tls",
    detail: `${name} accepted the connection but did not answer the TLS handshake${after} (${code})`,
  };
}

/** Walks the issuer links Node builds from the presented chain; a root links to itself. */
function chainOf(leaf: DetailedPeerCertificate): Uint8Array[] {
  const chain: Uint8Array[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = leaf;
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new Uint8Array(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/** Live endpoints ("host:port", "[v6]:port") as the scans fetch them. */
export function endpointFetcher(
  timeoutMs: number,
): (
  endpoint: string,
  options?: { servername?: string; starttls?: StarttlsProtocol },
) => Promise<EndpointChain> {
  return async (endpoint, extra = {}) => {
    const address = parseEndpointAddress(endpoint);
    if (!address) return { ok: false, reason: "unreachable", detail: `"${endpoint}" is not host:port` };
    const result = await fetchPresentedChain({ ...address, ...extra, timeoutMs });
    return result.ok ? { ok: true, certificates: result.certificates, tls: result.tls } : result;
  };
}

let publicRoots: Promise<ParsedCertificate[]> | undefined;

/** The public roots Node.js ships (what its own verification trusts), read once per process. */
export function publicRootCertificates(): Promise<ParsedCertificate[]> {
  publicRoots ??= readCertificates(
    Buffer.from(rootCertificates.join("\n")),
    "node:tls.rootCertificates",
  ).then((read) => (read.status === "ok" ? read.certificates : []));
  return publicRoots;
}
