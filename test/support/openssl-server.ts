/**
 * `openssl s_server` on a loopback port chosen by the kernel, with the PKI of test/support/pki.ts
 * written to a temporary directory, and OCSP responses made by `openssl ocsp` acting as the CA's
 * responder over an index file: the OpenSSL tools are the outside truth the probe is held to.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChildOutput, watchOutput } from "./child-output";
import { type Issued, privateKeyPem } from "./pki";

/** Why OpenSSL tests cannot run here, or undefined when `openssl` is on the PATH. */
export function opensslMissing(): string | undefined {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "openssl is not installed (Debian package openssl)";
  }
}

/** A directory of PEM files for OpenSSL's command line tools, removed by `remove()`. */
export class PemFiles {
  readonly dir = mkdtempSync(join(tmpdir(), "watchpost-openssl-"));

  async write(name: string, issued: Issued, withKey = false): Promise<{ cert: string; key: string }> {
    const cert = join(this.dir, `${name}.pem`);
    const key = join(this.dir, `${name}.key`);
    writeFileSync(cert, issued.pem);
    if (withKey) writeFileSync(key, await privateKeyPem(issued.keys), { mode: 0o600 });
    return { cert, key };
  }

  bundle(name: string, certificates: readonly Issued[]): string {
    const path = join(this.dir, `${name}.pem`);
    writeFileSync(path, certificates.map((c) => c.pem).join("\n"));
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface OcspResponseOptions {
  leaf: Issued;
  issuer: Issued;
  /** Who signs the response: the issuer itself, or a delegated responder (default the issuer). */
  signer?: Issued;
  /** `unknown`: the responder's index does not hold the certificate. */
  status: "good" | "revoked" | "unknown";
  /** Minutes until nextUpdate (default a day); null for a response without nextUpdate. */
  validMinutes?: number | null;
}

/** A DER OCSP response for `leaf`, as `openssl ocsp` answers from an index file (RFC 6960). */
export async function opensslOcspResponse(files: PemFiles, options: OcspResponseOptions): Promise<Buffer> {
  const tag = `${options.leaf.cert.serialNumber}-${options.status}-${Math.random().toString(36).slice(2)}`;
  const leaf = await files.write(`ocsp-leaf-${tag}`, options.leaf);
  const issuer = await files.write(`ocsp-issuer-${tag}`, options.issuer);
  const signer = await files.write(`ocsp-signer-${tag}`, options.signer ?? options.issuer, true);
  const index = join(files.dir, `index-${tag}.txt`);
  const request = join(files.dir, `request-${tag}.der`);
  const response = join(files.dir, `response-${tag}.der`);
  // index.txt: status, expiry, revocation time[,reason], serial (hex), file, subject (ca(1) "INDEX").
  const revoked = options.status === "revoked" ? "240101000000Z,keyCompromise" : "";
  const serial = options.status === "unknown" ? "0BADC0DE" : options.leaf.cert.serialNumber.toUpperCase();
  writeFileSync(
    index,
    `${options.status === "revoked" ? "R" : "V"}\t491231000000Z\t${revoked}\t${serial}\tunknown\t/CN=leaf\n`,
  );
  execFileSync("openssl", [
    "ocsp",
    "-issuer",
    issuer.cert,
    "-cert",
    leaf.cert,
    "-no_nonce",
    "-reqout",
    request,
  ]);
  execFileSync("openssl", [
    "ocsp",
    "-index",
    index,
    "-CA",
    issuer.cert,
    "-rsigner",
    signer.cert,
    "-rkey",
    signer.key,
    "-reqin",
    request,
    "-respout",
    response,
    ...(options.validMinutes === null ? [] : ["-nmin", String(options.validMinutes ?? 24 * 60)]),
  ]);
  return readFileSync(response);
}

export interface OpensslServer extends ChildOutput {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `openssl s_server -accept 127.0.0.1:0 ARGS` (certificate and key first): it serves until closed.
 * Its stdin stays open, as s_server stops at end of input.
 */
export async function startOpensslServer(args: readonly string[]): Promise<OpensslServer> {
  const child = spawn("openssl", ["s_server", "-accept", "127.0.0.1:0", ...args]);
  const watched = watchOutput(child);
  const accepted = await watched.waitFor(/ACCEPT [^\n]*:(\d+)/);
  const port = Number(/ACCEPT [^\n]*:(\d+)/.exec(accepted)![1]);
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    ...watched,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) resolve();
        else {
          child.once("exit", () => resolve());
          child.kill();
        }
      }),
  };
}
