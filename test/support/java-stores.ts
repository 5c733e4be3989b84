/**
 * Java keystores and legacy PKCS#12 files as the real tools write them, generated at test time with
 * keytool and openssl (both on the machine; nothing of the kind is committed). Keys pass through a
 * temporary directory that is removed before the function returns.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Issued, privateKeyPem } from "./pki";
import { CHILD_TIMEOUT_MS } from "./timeouts";

const run = promisify(execFile);

/** keytool starts a JVM (about a second here): tests create their stores once, in beforeAll. */
export async function keytool(args: string[], cwd: string): Promise<void> {
  await run("keytool", [...args, "-noprompt"], { cwd, timeout: CHILD_TIMEOUT_MS });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run("openssl", args, { cwd, timeout: CHILD_TIMEOUT_MS });
}

async function inTemporaryDirectory<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "watchpost-java-"));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface KeystoreSpec {
  type: "JKS" | "JCEKS";
  password: string;
  /** A private-key entry: the key of `chain[0]`, with the chain as given (leaf first). */
  privateKey?: { alias: string; chain: Issued[] };
  /** Trusted-certificate entries (a truststore, or CA certificates beside a key). */
  trusted?: { alias: string; certificate: Issued }[];
  /** JCEKS only: an AES secret-key entry of this alias, written first (as Hadoop credential stores hold). */
  secretKey?: string;
}

/** A JKS or JCEKS file as keytool writes it. */
export async function javaKeystore(spec: KeystoreSpec): Promise<Uint8Array> {
  return inTemporaryDirectory(async (dir) => {
    const store = ["-keystore", "out.ks", "-storetype", spec.type, "-storepass", spec.password];
    if (spec.secretKey) {
      const secret = words("-genseckey -keyalg AES -keysize 128");
      await keytool([...secret, "-alias", spec.secretKey, "-keypass", spec.password, ...store], dir);
    }
    if (spec.privateKey) {
      const [leaf] = spec.privateKey.chain;
      if (!leaf) throw new Error("a private-key entry needs its certificate");
      await writeFile(join(dir, "key.pem"), await privateKeyPem(leaf.keys));
      await writeFile(join(dir, "chain.pem"), pemChain(spec.privateKey.chain));
      // OpenSSL and Java encode non-ASCII PKCS#12 passwords differently: the hand-over uses ASCII.
      const handOver = words(
        "pkcs12 -export -inkey key.pem -in chain.pem -passout pass:hand-over -out key.p12",
      );
      await openssl([...handOver, "-name", spec.privateKey.alias], dir);
      const from = words("-importkeystore -srckeystore key.p12 -srcstoretype PKCS12 -srcstorepass hand-over");
      const to = ["-destkeystore", "out.ks", "-deststoretype", spec.type];
      await keytool([...from, ...to, "-deststorepass", spec.password, "-destkeypass", spec.password], dir);
    }
    for (const [i, { alias, certificate }] of (spec.trusted ?? []).entries()) {
      await writeFile(join(dir, `trusted-${i}.pem`), certificate.pem);
      await keytool(["-importcert", "-alias", alias, "-file", `trusted-${i}.pem`, ...store], dir);
    }
    return new Uint8Array(await readFile(join(dir, "out.ks")));
  });
}

const words = (text: string) => text.split(" ");

function pemChain(chain: Issued[]): string {
  return `${chain.map((c) => c.pem.trim()).join("\n")}\n`;
}

export interface LegacyPkcs12Options {
  /**
   * How the certificate safe is encrypted: `rc2-40` is what `openssl pkcs12 -export -legacy`,
   * Java 8's keytool and Windows write; `rc2-128` and `3des` the other legacy choices.
   */
  certificateCipher?: "rc2-40" | "rc2-128" | "3des";
  /** A SHA-1 MAC (default), or none (-nomac): the password is then proved by decryption alone. */
  mac?: boolean;
}

const CERT_PBE = { "rc2-40": "PBE-SHA1-RC2-40", "rc2-128": "PBE-SHA1-RC2-128", "3des": "PBE-SHA1-3DES" };

/** A PKCS#12 file with the key of `chain[0]` and the chain, as `openssl pkcs12 -export -legacy` writes it. */
export async function legacyPkcs12(
  chain: Issued[],
  password: string,
  options: LegacyPkcs12Options = {},
): Promise<Uint8Array> {
  const [leaf] = chain;
  if (!leaf) throw new Error("a PKCS#12 file needs a certificate");
  return inTemporaryDirectory(async (dir) => {
    await writeFile(join(dir, "key.pem"), await privateKeyPem(leaf.keys));
    await writeFile(join(dir, "chain.pem"), pemChain(chain));
    const cipher = ["-certpbe", CERT_PBE[options.certificateCipher ?? "rc2-40"], "-keypbe", "PBE-SHA1-3DES"];
    const mac = options.mac === false ? ["-nomac"] : ["-macalg", "sha1"];
    const export_ = words("pkcs12 -export -legacy -inkey key.pem -in chain.pem -name server -out out.p12");
    await openssl([...export_, ...cipher, ...mac, "-passout", `pass:${password}`], dir);
    return new Uint8Array(await readFile(join(dir, "out.p12")));
  });
}
