/**
 * What each peer of a group trusts: its own trust store (`peers[].trustStore`: a CA bundle, a Java
 * truststore or a PKCS#12 file in the bucket, or the one `watchpost push` carries from the peer's
 * host), else the group's `caBundleKey`. Each trust store is read once per check, with its
 * password secret read as keystore passwords are (keystore-passwords.ts): a secret that cannot be
 * read is a finding about it, and the trust store is then read without it (a JKS truststore's
 * certificates are in clear; a PKCS#12 one stays unreadable, and its peer's verdicts unknown).
 */

import { unreadableFinding } from "../certificates/evaluate";
import type { PeerTrust } from "../certificates/peer-group";
import { type PeerGroup, peerTrustStoreKey } from "../config";
import type { Finding } from "../contracts";
import { describeCause } from "../errors";
import type { StoreScanContext } from "./ports";
import { loadTrustBundle, type TrustBundle, trustBundleFindings } from "./trust-material";

export interface GroupTrust {
  /** Every peer of the group with what it trusts. */
  entries: { fqdn: string; trust: PeerTrust }[];
  /** Trust stores and password secrets that could not be read, and trust store certificates that expire. */
  findings: Finding[];
}

export async function loadGroupTrust(group: PeerGroup, ctx: StoreScanContext): Promise<GroupTrust> {
  const findings: Finding[] = [];
  const passwords = new Map<string, string | undefined>();
  for (const name of new Set(group.peers.flatMap((p) => p.trustStore?.passwordSecretName ?? []))) {
    try {
      passwords.set(name, await ctx.keystorePassword(name));
    } catch (cause) {
      passwords.set(name, undefined);
      findings.push(
        unreadableFinding(
          `secretsmanager:${name}`,
          "bad-password",
          `the trust store password secret ${name} cannot be read (${describeCause(cause)}); the trust stores of peer group ${group.name} that use it are read without it until it can be`,
        ),
      );
    }
  }

  const loaded = new Map<string, Promise<TrustBundle>>();
  const load = (key: string, secret: string | undefined, owner: string | undefined) => {
    const known = loaded.get(key);
    if (known) return known;
    const password = secret ? passwords.get(secret) : undefined;
    const hint = secret
      ? `the secret ${secret}, named for this trust store in peer group ${group.name}, holds no password it could read; put it there`
      : `peer ${owner ?? "?"} of group ${group.name} names no passwordSecretName for its trust store; create a Secrets Manager secret with the password and name it there`;
    const bundle = loadTrustBundle(key, ctx, {
      ...(password !== undefined ? { pkcs12Password: password } : {}),
      pkcs12PasswordHint: hint,
    });
    loaded.set(key, bundle);
    return bundle;
  };

  const entries: GroupTrust["entries"] = [];
  for (const peer of group.peers) {
    const own = peerTrustStoreKey(peer);
    const key = own ?? group.caBundleKey;
    if (!key) continue;
    const bundle = await load(key, peer.trustStore?.passwordSecretName, own ? peer.fqdn : undefined);
    entries.push({
      fqdn: peer.fqdn,
      trust: {
        location: ctx.store.uri(key),
        own: own !== undefined,
        key,
        ...(bundle.anchors ? { anchors: bundle.anchors } : {}),
      },
    });
  }
  for (const bundle of await Promise.all(loaded.values())) {
    findings.push(
      ...bundle.findings,
      ...(bundle.problems ?? []),
      ...trustBundleFindings(bundle, new Map(), ctx),
    );
  }
  return { entries, findings };
}
