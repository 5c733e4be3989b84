/**
 * S3 sources as the pipeline sees them (source-adapter.ts): a configured prefix of the certificate
 * bucket, listed with ListObjectsV2's ETags, each object read at the version listed (If-Match),
 * with the names, password and location parameters the configuration gives its key.
 */
import { expectedHostsOf } from "../certificates/checks/expected-hosts";
import { locationParameters } from "../certificates/location";
import type { CertificateSource } from "../config";
import { isHeartbeatKey } from "../hosts/heartbeat";
import type { SourcePasswords } from "./keystore-passwords";
import type { CertificateStorePort, StoredObjectInfo } from "./ports";
import { sourceScope } from "./scopes";
import type { ListedItem, SourceAdapter } from "./source-adapter";

/** An object as listed: its ETag is its version. */
export interface S3Item extends ListedItem {
  size?: number;
  etag?: string;
}

/** A listed object as the pipeline takes it. */
export function s3Item(object: StoredObjectInfo): S3Item {
  return object.etag === undefined
    ? { key: object.key, size: object.size }
    : { key: object.key, size: object.size, etag: object.etag, version: object.etag };
}

export function s3ObjectSource(
  store: CertificateStorePort,
  source: CertificateSource,
  /** Without them (a listing only) items have no password. */
  passwords?: Pick<SourcePasswords, "forKey">,
): SourceAdapter<S3Item> {
  const bucketUri = store.uri("");
  return {
    kind: "s3",
    scope: sourceScope(store, source),
    parameters: { Bucket: store.bucket, Prefix: source.prefix },
    /** Hosts' heartbeats (`watchpost push`) are not certificate files: they are left to the host check. */
    async *list() {
      for await (const object of store.list([source.prefix])) {
        if (!isHeartbeatKey(object.key)) yield s3Item(object);
      }
    },
    uri: (item) => store.uri(item.key),
    fetch: (item, { maxBytes }) =>
      store.load(item.key, {
        maxBytes,
        ...(item.size !== undefined ? { knownSize: item.size } : {}),
        ...(item.etag !== undefined ? { etag: item.etag } : {}),
      }),
    expectedHosts: (item) => expectedHostsOf(source, item.key),
    ...(passwords ? { password: (item: S3Item) => passwords.forKey(item.key) } : {}),
    parametersOf: (item, fetched) => locationParameters(source, item.key, fetched),
    currentVersion: async (uri) =>
      uri.startsWith(bucketUri) ? store.currentVersion(uri.slice(bucketUri.length)) : undefined,
  };
}
