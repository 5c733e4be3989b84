/**
 * The passwords of a source's PKCS#12 files and Java keystores: the source's secret
 * (`keystorePasswordSecretName`, formerly `pkcs12PasswordSecretName`), or the secret of the first
 * `keystorePasswordsByKey` pattern that matches an object's key. Each secret is read once per source
 * and run; one that cannot be read is a finding about it, and the files that need it report that
 * no password was given, without a fingerprint, so their verdicts are not kept.
 */

import { keyPatternToRegExp } from "../certificates/checks/expected-hosts";
import { unreadableFinding } from "../certificates/evaluate";
import type { CertificateSource } from "../config";
import type { Finding } from "../contracts";
import { describeCause } from "../errors";
import { secretFingerprint } from "./inventory";
import type { StoreScanContext } from "./ports";
import type { FilePassword } from "./read-files";
import { sourceScope } from "./scopes";

export interface SourcePasswords {
  /** The password (with its fingerprint and where it comes from) of the object at `key`. */
  forKey(key: string): FilePassword;
  /** Secrets that could not be read. */
  findings: Finding[];
  /** The secrets read, as sources (`secretsmanager:<name>`), so their alarms can clear. */
  examined: string[];
}

export async function keystorePasswordsOf(
  source: CertificateSource,
  ctx: StoreScanContext,
): Promise<SourcePasswords> {
  const scope = sourceScope(ctx.store, source);
  const findings: Finding[] = [];
  const examined: string[] = [];
  const bySecret = new Map<string, FilePassword>();
  const names = [
    ...(source.keystorePasswordSecretName ? [source.keystorePasswordSecretName] : []),
    ...source.keystorePasswordsByKey.map((entry) => entry.secretName),
  ];
  for (const name of new Set(names)) {
    const hint = ctx.keystorePasswordHint?.(source, name) ?? deployedPasswordHint(source, name);
    const secret = `secretsmanager:${name}`;
    examined.push(secret);
    try {
      const value = await ctx.keystorePassword(name);
      bySecret.set(name, { value, hint, fingerprint: await secretFingerprint(value, scope) });
    } catch (cause) {
      const detail = `the keystore password secret ${name} cannot be read (${describeCause(cause)}); PKCS#12 files and keystores under ${ctx.store.uri(source.prefix)} that use it cannot be verified until it can`;
      findings.push(unreadableFinding(secret, "bad-password", detail));
      bySecret.set(name, { hint });
    }
  }
  const none: FilePassword = {
    hint: ctx.keystorePasswordHint?.(source, undefined) ?? deployedPasswordHint(source, undefined),
    fingerprint: await secretFingerprint(undefined, scope),
  };
  const patterns = source.keystorePasswordsByKey.map((entry) => ({
    matches: keyPatternToRegExp(entry.keyPattern),
    secretName: entry.secretName,
  }));
  return {
    forKey(key) {
      const name = patterns.find((p) => p.matches.test(key))?.secretName ?? source.keystorePasswordSecretName;
      return (name && bySecret.get(name)) || none;
    },
    findings,
    examined,
  };
}

/** In the deployed stack a password comes from a secret: name it, or say the source has none. */
export function deployedPasswordHint(source: CertificateSource, secretName: string | undefined): string {
  return secretName
    ? `the secret ${secretName}, named for it in this source's configuration, holds no password it could read; put it there`
    : `source "${source.prefix}" has no keystorePasswordSecretName; create a Secrets Manager secret with the password and name it there`;
}
