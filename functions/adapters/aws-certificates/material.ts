/**
 * What the Secrets Manager and Parameter Store adapters share: a value's certificate material
 * (core/aws-certificates/secret-material.ts) as the pipeline's load result, and the PKCS#12
 * password of a selection, read once at the start of the listing and handed on in memory only.
 */
import { certificateMaterial } from "../../core/aws-certificates/secret-material";
import { secretFingerprint } from "../../core/scan/inventory";
import type { FilePassword, LoadResult } from "../../core/scan/read-files";
import { ListingFailed } from "./errors";

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
