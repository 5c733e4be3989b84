/**
 * How a checked scope is named: a source is `s3://<bucket>/<prefix>`, a peer group
 * `peer-group:<name>`. Alarms are kept per scope, and a scope whose check failed is reported under
 * the same name, so the failure and the alarms it leaves standing point at the same place.
 */
import type { CertificateSource, PeerGroup } from "../config";
import type { CertificateStorePort } from "./ports";

export function sourceScope(
  store: Pick<CertificateStorePort, "uri">,
  source: Pick<CertificateSource, "prefix">,
) {
  return store.uri(source.prefix);
}

export function peerGroupScope(group: Pick<PeerGroup, "name">): string {
  return `peer-group:${group.name}`;
}
