/** Loads the `--ca` bundles both `scan` and `probe` accept; an unreadable bundle is a usage error. */

import { loadFile } from "../../functions/adapters/local-files";
import type { ParsedCertificate } from "../../functions/core/certificates/certificate";
import { DEFAULT_MAX_BYTES, readCertificates } from "../../functions/core/certificates/reader";
import { UsageError } from "./io";
import { keystorePasswordForCli } from "./options";

export async function loadTrustAnchors(
  files: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ParsedCertificate[]> {
  const anchors: ParsedCertificate[] = [];
  for (const file of files) {
    const loaded = await loadFile(file, DEFAULT_MAX_BYTES);
    if (!loaded.ok) throw new UsageError(`--ca ${file}: ${loaded.detail}`);
    const read = await readCertificates(loaded.bytes, file, {
      pkcs12Password: await keystorePasswordForCli(env),
    });
    if (read.status !== "ok" || read.certificates.length === 0) {
      const why = read.status === "unreadable" ? `${read.reason}: ${read.detail}` : "it holds no certificate";
      throw new UsageError(`--ca ${file} cannot be used as a trust bundle (${why})`);
    }
    anchors.push(...read.certificates);
  }
  return anchors;
}
