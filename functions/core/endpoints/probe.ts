/** What a probe of a live endpoint returns (functions/adapters/tls-endpoint.ts), as the core sees it. */
import type { StarttlsProtocol } from "../config/endpoints";
import type { EndpointFailure } from "../contracts";

/** The handshake facts blackbox_exporter users look at, and what the server did beyond them. */
export interface TlsDetails {
  /** "TLSv1.3", "TLSv1.2", … */
  protocol: string | null;
  /** The IANA (RFC) cipher suite name, e.g. "TLS_AES_256_GCM_SHA384". */
  cipher: string | null;
  /** Whether the server stapled an OCSP response when asked (status_request, RFC 6066 §8). */
  ocspStapled: boolean;
  /** Certificates the server sent, leaf included, whether or not they belong in its chain. */
  chainLength: number;
  starttls?: StarttlsProtocol;
  /**
   * The server refused a handshake offering TLS 1.2 and 1.3 and answered one that also offered
   * TLS 1.0 and 1.1: it speaks only obsolete versions.
   */
  legacyOnly?: true;
  /**
   * The server asked for a client certificate (the probe sends none): `requested` when it went on
   * without one, `required` when it then ended the handshake (`handshakeEndedWith` says how).
   */
  clientCertificate?: "requested" | "required";
  /** The alert (as node:tls names it) with which the server ended the handshake after presenting its certificate. */
  handshakeEndedWith?: string;
  /** Why the certificates as sent could not be read off the wire; only the leaf is then known. */
  sentChainUnread?: string;
}

export type EndpointChain =
  | {
      ok: true;
      /** DER of each certificate, in the order the server sent them, nothing added. */
      certificates: Uint8Array[];
      tls?: TlsDetails;
      /** The stapled OCSP response, as sent. */
      ocspResponse?: Uint8Array;
    }
  | { ok: false; reason: EndpointFailure; detail: string };

/** How an endpoint is reached: the SNI name to send, and the upgrade to speak first. */
export interface EndpointFetchOptions {
  /** SNI name; defaults to the host unless the host is an IP address (SNI cannot carry one). */
  servername?: string;
  starttls?: StarttlsProtocol;
}

export type EndpointFetch = (endpoint: string, options?: EndpointFetchOptions) => Promise<EndpointChain>;
