/**
 * A live service for `npm start`: a node:tls server on 127.0.0.1 that presents a certificate, and
 * whose certificate is swapped in place with setSecureContext — what a reload does. Its private
 * keys exist only in this process's memory.
 */
import { webcrypto } from "node:crypto";
import { createServer, type Server } from "node:tls";
import type { DemoCertificate } from "./pki";

export interface LiveEndpoint {
  /** "127.0.0.1:PORT". */
  endpoint: string;
  /** Serve another certificate from the next handshake on: the service is reloaded. */
  reload(leaf: DemoCertificate, ...chain: DemoCertificate[]): Promise<void>;
  stop(): Promise<void>;
}

async function context(leaf: DemoCertificate, chain: DemoCertificate[]) {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", leaf.signer.keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\n")}\n-----END PRIVATE KEY-----\n`;
  return { key, cert: [leaf, ...chain].map((c) => c.pem.trim()).join("\n") };
}

export async function startLiveEndpoint(
  leaf: DemoCertificate,
  ...chain: DemoCertificate[]
): Promise<LiveEndpoint> {
  const server: Server = createServer(await context(leaf, chain), (socket) => socket.end());
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `127.0.0.1:${port}`,
    async reload(next, ...nextChain) {
      server.setSecureContext(await context(next, nextChain));
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
