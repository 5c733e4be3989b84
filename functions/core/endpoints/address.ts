/**
 * Endpoint addresses as written everywhere (findings, sources, fingerprints, the CLI): `host:port`,
 * and an IPv6 literal in brackets, `[::1]:443` (RFC 3986 §3.2.2), so the port is never mistaken for
 * the last group of the address.
 */
import { isIP } from "node:net";

export interface EndpointAddress {
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
}

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/;

export const ADDRESS_HELP = 'expected "host:port", e.g. "node1.example.com:2379" (IPv6 as "[::1]:443")';

/** The address in `host:port` / `[v6]:port` form, or undefined when it is not one. */
export function parseEndpointAddress(text: string): EndpointAddress | undefined {
  const match = ADDRESS.exec(text);
  if (!match) return undefined;
  const host = match[1]!.replace(/^\[|\]$/g, "");
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return undefined;
  if (match[1]!.startsWith("[") && isIP(host) !== 6) return undefined;
  return { host, port };
}

export function formatEndpointAddress({ host, port }: EndpointAddress): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** The same address written the one way: lower-case host, IPv6 in brackets. */
export function canonicalEndpoint(text: string): string | undefined {
  const address = parseEndpointAddress(text);
  return address ? formatEndpointAddress({ ...address, host: address.host.toLowerCase() }) : undefined;
}
