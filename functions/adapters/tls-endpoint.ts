/**
 * Fetches the certificate chain a TLS endpoint presents, without trusting it: verification is the
 * engine's job, so that an expired, untrusted or misnamed certificate is still read and explained
 * instead of ending in a handshake error like common probes do.
 */

import { isIP } from "node:net";
import { connect, type DetailedPeerCertificate } from "node:tls";
import type { EndpointChain } from "../core/certificates/ports";
import type { UnreadableReason } from "../core/contracts";

export interface PresentedChain {
  ok: true;
  /** DER of each certificate, leaf first, as the server sent them. */
  certificates: Uint8Array[];
  protocol: string | null;
  /** What Node's own verification against its roots said (for information only). */
  authorizationError?: string;
}

export interface EndpointFailure {
  ok: false;
  reason: Extract<UnreadableReason, "timeout" | "unreachable">;
  detail: string;
}

export interface EndpointOptions {
  host: string;
  port: number;
  /** SNI name; defaults to the host unless the host is an IP address (SNI cannot carry one). */
  servername?: string;
  timeoutMs: number;
}

export function fetchPresentedChain(options: EndpointOptions): Promise<PresentedChain | EndpointFailure> {
  const servername = options.servername ?? (isIP(options.host) ? undefined : options.host);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PresentedChain | EndpointFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const socket = connect({
      host: options.host,
      port: options.port,
      servername,
      rejectUnauthorized: false,
      // A hostile or broken peer must not keep the probe waiting for ever.
      timeout: options.timeoutMs,
    });
    const timer = setTimeout(() => {
      finish({
        ok: false,
        reason: "timeout",
        detail: `no TLS handshake with ${options.host}:${options.port} within ${options.timeoutMs} ms`,
      });
    }, options.timeoutMs);
    socket.once("secureConnect", () => {
      finish({
        ok: true,
        certificates: chainOf(socket.getPeerCertificate(true)),
        protocol: socket.getProtocol(),
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
      });
    });
    socket.once("timeout", () => {
      finish({
        ok: false,
        reason: "timeout",
        detail: `${options.host}:${options.port} stopped answering for ${options.timeoutMs} ms during the TLS handshake`,
      });
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      finish({
        ok: false,
        reason: "unreachable",
        detail: `cannot complete a TLS handshake with ${options.host}:${options.port}: ${error.code ?? error.message}`,
      });
    });
  });
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

/** A peer group's live endpoints ("host:port", "[v6]:port") as the scan fetches them. */
export function endpointFetcher(timeoutMs: number): (endpoint: string) => Promise<EndpointChain> {
  return async (endpoint) => {
    const at = endpoint.lastIndexOf(":");
    const result = await fetchPresentedChain({
      host: endpoint.slice(0, at).replace(/^\[|\]$/g, ""),
      port: Number(endpoint.slice(at + 1)),
      timeoutMs,
    });
    return result.ok ? { ok: true, certificates: result.certificates } : result;
  };
}
