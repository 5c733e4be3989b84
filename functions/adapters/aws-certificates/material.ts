/**
 * What the Secrets Manager and Parameter Store adapters share: the adapter around a selection's
 * listing and reads (`materialSource`), a value's certificate material
 * (core/aws-certificates/secret-material.ts) as the pipeline's load result, and the PKCS#12
 * password of a selection, read once at the start of the listing and handed on in memory only.
 */

import type { AwsChange } from "../../core/aws-certificates/change-events";
import type { AwsPlace } from "../../core/aws-certificates/location";
import { certificateMaterial } from "../../core/aws-certificates/secret-material";
import { secretFingerprint } from "../../core/scan/inventory";
import { ListingRefused } from "../../core/scan/listing-refusal";
import type { FilePassword, LoadResult } from "../../core/scan/read-files";
import type { OneItem, SourceAdapter } from "../../core/scan/source-adapter";
import { ListingFailed, loadFailure } from "./errors";
import { type AwsListedItem, awsItemMethods, placeParameters } from "./source";

export interface PasswordReader {
  read: () => Promise<string>;
  /** "the password secret tls/p12-password": said when a value needs it. */
  hint: string;
  /**
   * Where the password is kept: a selection whose names or path take in its own password secret or
   * parameter does not judge it as a certificate (it holds none; it would be `unreadable`).
   */
  holder?: { secretName?: string; parameterName?: string };
}

/** A value as the store answered it, and the version it is. */
export interface StoredValue {
  text?: string | undefined;
  binary?: Uint8Array | undefined;
  version: string | undefined;
}

/** A Secrets Manager or Parameter Store selection in one place, as the pipeline sees it. */
export function materialSource(spec: {
  kind: "secretsmanager" | "ssm";
  where: AwsPlace;
  scope: string;
  selection: { expectedHostnames?: string[] | undefined; parameters?: Record<string, string> | undefined };
  password: PasswordReader | undefined;
  /** The selection's items; the password is read before the first is asked for. */
  list: () => AsyncIterable<AwsListedItem>;
  /** "GetSecretValue", as failures name the call. */
  readCall: string;
  read: (item: AwsListedItem) => Promise<StoredValue>;
  /** The one item an AWS event names, as the listing would show it now (core/scan/item-recheck.ts). */
  listOne?: (change: AwsChange) => Promise<OneItem<AwsListedItem>>;
}): SourceAdapter<AwsListedItem> {
  const { selection } = spec;
  const what = spec.kind === "secretsmanager" ? "secret" : "parameter";
  const secret = new SelectionPassword(spec.password?.read, spec.password?.hint ?? "", spec.scope);
  return {
    kind: spec.kind,
    scope: spec.scope,
    parameters: placeParameters(spec.where),
    ...awsItemMethods(selection.parameters),
    async *list() {
      await secret.load();
      yield* spec.list();
    },
    async fetch(item, limits) {
      try {
        const value = await spec.read(item);
        return materialLoad(value, what, limits.maxBytes, value.version);
      } catch (error) {
        return loadFailure(error, `${spec.readCall} ${item.item.name}`);
      }
    },
    ...(selection.expectedHostnames ? { expectedHosts: () => selection.expectedHostnames } : {}),
    ...(secret.configured ? { password: () => secret.get() } : {}),
    ...(spec.listOne ? { listOne: oneItemWithPassword(spec.listOne, secret) } : {}),
  };
}

/**
 * An item an event names is judged like a listed one, so the selection's password is read first;
 * a password that cannot be read leaves the item unexamined (its alarms stand).
 */
function oneItemWithPassword(
  listOne: (change: AwsChange) => Promise<OneItem<AwsListedItem>>,
  secret: SelectionPassword,
): (change: AwsChange) => Promise<OneItem<AwsListedItem>> {
  return async (change) => {
    const found = await listOne(change);
    if (found.state !== "listed") return found;
    try {
      await secret.load();
    } catch (error) {
      return {
        state: "failed",
        uri: found.item.key,
        detail: error instanceof Error ? error.message : "error",
      };
    }
    return found;
  };
}

export function materialLoad(
  value: { text?: string | undefined; binary?: Uint8Array | undefined },
  what: string,
  maxBytes: number,
  version: string | undefined,
): LoadResult {
  const size = value.binary?.byteLength ?? Buffer.byteLength(value.text ?? "", "utf8");
  if (size > maxBytes) {
    return {
      ok: false,
      reason: "too-large",
      detail: `the ${what} holds ${size} bytes, more than the ${maxBytes} allowed`,
    };
  }
  const material = certificateMaterial({
    ...(value.text !== undefined ? { text: value.text } : {}),
    ...(value.binary !== undefined ? { binary: value.binary } : {}),
  });
  return material.ok
    ? { ok: true, bytes: material.bytes, ...(version ? { etag: version } : {}) }
    : { ok: false, reason: material.reason, detail: `the ${what} ${material.detail}` };
}

/** A selection's password: read by `load()` before the listing starts; a failed read ends the listing. */
export class SelectionPassword {
  private password: FilePassword | undefined;
  constructor(
    private readonly read: (() => Promise<string>) | undefined,
    private readonly hint: string,
    private readonly scope: string,
  ) {}

  get configured(): boolean {
    return this.read !== undefined;
  }

  async load(): Promise<void> {
    if (!this.read || this.password) return;
    let value: string;
    try {
      value = await this.read();
    } catch (error) {
      // A password the scan may not read is a refusal like a denied listing: the scope's finding says so.
      if (error instanceof ListingRefused) throw error;
      // Without the password nothing PKCS#12 there can be judged, nor which items need it: the run
      // is partial, and no alarm of the scope clears.
      throw new ListingFailed(
        `${this.hint} could not be read (${error instanceof Error ? error.message : "error"})`,
      );
    }
    this.password = { value, fingerprint: await secretFingerprint(value, this.scope), hint: this.hint };
  }

  get(): FilePassword {
    return this.password ?? { hint: this.hint };
  }
}
