/**
 * What judging needs besides the certificates themselves: the CA bundle chains are checked
 * against, and a source's PKCS#12 password. Either one unreadable is a finding about it, not a
 * failed scan: everything else is still judged.
 */
import type { CertificateSource } from "../../config";
import type { Finding, UnreadableReason } from "../../contracts";
import { describeCause } from "../../errors";
import { type DependentTally, judgeTrustBundle } from "../ca-lifecycle";
import type { ParsedCertificate } from "../certificate";
import { unreadableFinding } from "../evaluate";
import { factsOf } from "../facts";
import { secretFingerprint } from "../inventory";
import type { StoreScanContext } from "../ports";
import { readCertificates } from "../reader";
import { sourceScope } from "./scopes";

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

/**
 * The trust bundle's certificates judged for expiry wherever the bundle lives, by the run that
 * read it (a fan-out batch leaves the bundle to the lister), counting what depends on them.
 */
export function trustBundleFindings(
  trust: TrustBundle,
  dependents: DependentTally,
  ctx: StoreScanContext,
): Finding[] {
  if (!trust.anchors || trust.examined.length === 0) return [];
  const { warnDays, majorDays, skewSeconds } = ctx.certificates.thresholds;
  return judgeTrustBundle(trust.anchors.map(factsOf), dependents, {
    now: ctx.now,
    warnDays,
    majorDays,
    skewSeconds,
  });
}

export interface Pkcs12Password {
  value?: string;
  /** Where the password comes from, for the message of a PKCS#12 file opened without one. */
  hint: string;
  /** What identifies the password in inventory records (inventory.ts secretFingerprint). */
  fingerprint?: string;
  findings: Finding[];
  examined: string[];
}

/**
 * A secret that cannot be read leaves PKCS#12 files reporting that no password was given, without
 * a fingerprint, so that verdict is not kept.
 */
export async function pkcs12PasswordOf(
  source: CertificateSource,
  ctx: StoreScanContext,
): Promise<Pkcs12Password> {
  const name = source.pkcs12PasswordSecretName;
  const scope = sourceScope(ctx.store, source);
  const hint = ctx.pkcs12PasswordHint?.(source) ?? deployedPasswordHint(source);
  if (!name)
    return { hint, fingerprint: await secretFingerprint(undefined, scope), findings: [], examined: [] };
  const secret = `secretsmanager:${name}`;
  try {
    const value = await ctx.pkcs12Password(source);
    const fingerprint = await secretFingerprint(value, scope);
    return { value, hint, fingerprint, findings: [], examined: [secret] };
  } catch (cause) {
    const detail = `the PKCS#12 password secret ${name} cannot be read (${describeCause(cause)}); PKCS#12 files under ${ctx.store.uri(source.prefix)} cannot be opened until it can`;
    return { hint, findings: [unreadableFinding(secret, "bad-password", detail)], examined: [secret] };
  }
}

/** In the deployed stack a PKCS#12 password comes from the source's secret: name it, or say it is missing. */
export function deployedPasswordHint(source: CertificateSource): string {
  return source.pkcs12PasswordSecretName
    ? `the secret ${source.pkcs12PasswordSecretName}, this source's pkcs12PasswordSecretName, holds no password; put it there`
    : `source "${source.prefix}" has no pkcs12PasswordSecretName; create a Secrets Manager secret with the password and name it there`;
}
