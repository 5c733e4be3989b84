/**
 * What judging needs besides the certificates themselves: the CA bundle chains are checked
 * against, and a source's PKCS#12 password. Either one unreadable is a finding about it, not a
 * failed scan: everything else is still judged.
 */
import type { CertificateSource } from "../../config";
import type { Finding, UnreadableReason } from "../../contracts";
import { describeCause } from "../../errors";
import type { ParsedCertificate } from "../certificate";
import { unreadableFinding } from "../evaluate";
import type { StoreScanContext } from "../ports";
import { readCertificates } from "../reader";

export interface TrustBundle {
  anchors?: ParsedCertificate[];
  findings: Finding[];
  examined: string[];
}

/** The CA bundle a source or group chains to; without one, no chain check. */
export async function loadTrustBundle(key: string | undefined, ctx: StoreScanContext): Promise<TrustBundle> {
  if (!key) return { findings: [], examined: [] };
  const file = ctx.store.uri(key);
  const failed = (reason: UnreadableReason, detail: string): TrustBundle => ({
    // Without anchors every chain would look untrusted: report the bundle, skip the chain check.
    findings: [unreadableFinding(file, reason, `trusted CA bundle: ${detail}`)],
    examined: [file],
  });
  const loaded = await ctx.store.load(key, { maxBytes: ctx.certificates.thresholds.maxObjectBytes });
  if (!loaded.ok) return failed(loaded.reason, loaded.detail);
  const read = await readCertificates(loaded.bytes, file);
  if (read.status === "unreadable") return failed(read.reason, read.detail);
  if (read.status === "not-certificate" || read.certificates.length === 0) {
    return failed("unsupported-format", "holds no certificate");
  }
  return { anchors: read.certificates, findings: [], examined: [file] };
}

export interface Pkcs12Password {
  value?: string;
  findings: Finding[];
  examined: string[];
}

/** A secret that cannot be read leaves PKCS#12 files reporting that no password was given. */
export async function pkcs12PasswordOf(
  source: CertificateSource,
  ctx: StoreScanContext,
): Promise<Pkcs12Password> {
  const name = source.pkcs12PasswordSecretName;
  if (!name) return { findings: [], examined: [] };
  const secret = `secretsmanager:${name}`;
  try {
    return { value: await ctx.pkcs12Password(source), findings: [], examined: [secret] };
  } catch (cause) {
    const detail = `the PKCS#12 password secret ${name} cannot be read (${describeCause(cause)}); PKCS#12 files under ${ctx.store.uri(source.prefix)} cannot be opened until it can`;
    return { findings: [unreadableFinding(secret, "bad-password", detail)], examined: [secret] };
  }
}
