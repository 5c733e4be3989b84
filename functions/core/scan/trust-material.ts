/**
 * The CA bundle a source's chains are checked against. An unreadable bundle is a finding about
 * it, not a failed scan: everything else is still judged (keystore-passwords.ts does the same for
 * password secrets).
 */
import { ABSENT } from "../alarms/evidence";
import { type DependentTally, judgeTrustBundle } from "../certificates/ca-lifecycle";
import type { ParsedCertificate } from "../certificates/certificate";
import { unreadableFinding } from "../certificates/evaluate";
import { factsOf } from "../certificates/facts";
import { type ReadOptions, readCertificates } from "../certificates/reader";
import type { Finding, UnreadableReason } from "../contracts";
import type { StoreScanContext } from "./ports";

export interface TrustBundle {
  anchors?: ParsedCertificate[];
  findings: Finding[];
  /**
   * Parts of a readable bundle that could not be read (a broken PEM block, a keystore whose
   * password does not verify it), as `unreadable` findings; callers decide whether to report them.
   */
  problems?: Finding[];
  examined: string[];
  /** The bundle's object and the version read of it (ABSENT when missing), when the store said. */
  version?: [string, string];
}

/**
 * The CA bundle a source or group chains to; without one, no chain check. `options` pass a
 * keystore's or PKCS#12 file's password and where it comes from (a peer's trust store).
 */
export async function loadTrustBundle(
  key: string | undefined,
  ctx: StoreScanContext,
  options: Pick<ReadOptions, "pkcs12Password" | "pkcs12PasswordHint"> = {},
): Promise<TrustBundle> {
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
  const certificates = await readCertificates(loaded.bytes, file, options);
  if (certificates.status === "unreadable") return failed(certificates.reason, certificates.detail);
  // ("deferred" needs a key-derivation budget, which a bundle is read without.)
  if (certificates.status !== "ok" || certificates.certificates.length === 0) {
    return failed("unsupported-format", "holds no certificate");
  }
  const problems = (certificates.problems ?? []).map((problem) =>
    unreadableFinding(file, problem.reason, `trusted CA bundle: ${problem.detail}`),
  );
  return { anchors: certificates.certificates, findings: [], problems, examined: [file], ...version };
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
