/**
 * What judging needs besides the certificates themselves: the CA bundle chains are checked
 * against, and a source's PKCS#12 password. Either one unreadable is a finding about it, not a
 * failed scan: everything else is still judged.
 */
import { ABSENT } from "../../alarms/lifecycle";
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
  /** The bundle's object and the version read of it (ABSENT when missing), when the store said. */
  version?: [string, string];
}

/** The CA bundle a source or group chains to; without one, no chain check. */
export async function loadTrustBundle(key: string | undefined, ctx: StoreScanContext): Promise<TrustBundle> {
  if (!key) return { findings: [], examined: [] };
  const file = ctx.store.uri(key);
  const loaded = await ctx.store.load(key, { maxBytes: ctx.certificates.thresholds.maxObjectBytes });
  const read = loaded.ok ? loaded.etag : loaded.gone ? ABSENT : undefined;
  const version: Pick<TrustBundle, "version"> = read ? { version: [file, read] } : {};
  const failed = (reason: UnreadableReason, detail: string): TrustBundle => ({
    // Without anchors every chain would look untrusted: report the bundle, skip the chain check.
    findings: [unreadableFinding(file, reason, `trusted CA bundle: ${detail}`)],
    examined: [file],
    ...version,
  });
  if (!loaded.ok) return failed(loaded.reason, loaded.detail);
  const certificates = await readCertificates(loaded.bytes, file);
  if (certificates.status === "unreadable") return failed(certificates.reason, certificates.detail);
  if (certificates.status === "not-certificate" || certificates.certificates.length === 0) {
    return failed("unsupported-format", "holds no certificate");
  }
  return { anchors: certificates.certificates, findings: [], examined: [file], ...version };
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
