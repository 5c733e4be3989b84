/** What a probe of a live endpoint returns (functions/adapters/tls-endpoint.ts), as the core sees it. */
import type { StarttlsProtocol } from "../config/endpoints";
import type { EndpointFailure } from "../contracts";

/** The handshake facts blackbox_exporter users look at. */
export interface TlsDetails {
  /** "TLSv1.3", "TLSv1.2", … */
  protocol: string | null;
  /** The IANA (RFC) cipher suite name, e.g. "TLS_AES_256_GCM_SHA384". */
  cipher: string | null;
  /** Whether the server stapled an OCSP response when asked (status_request, RFC 6066 §8). */
  ocspStapled: boolean;
  /** Certificates presented, leaf included. */
  chainLength: number;
  starttls?: StarttlsProtocol;
}

export type EndpointChain =
  | { ok: true; certificates: Uint8Array[]; tls?: TlsDetails }
  | { ok: false; reason: EndpointFailure; detail: string };

export type EndpointFetch = (
  endpoint: string,
  options?: { servername?: string; starttls?: StarttlsProtocol },
) => Promise<EndpointChain>;
