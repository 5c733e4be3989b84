/**
 * What was decoded from an encoding, kept for the next time the same bytes come by. A store of
 * certificates repeats itself: every chain file carries the same intermediate, every leaf of a CA
 * the same issuer name, authority key identifier and key usage. Decoding is a pure function of
 * the bytes, so its result (or its failure) is kept, keyed by them, and shared: callers treat
 * what they get as read-only. Bounded, least recently used first out, so memory stays flat
 * whatever the store holds.
 */
export class DecodeCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly limit: number,
    /** Encodings longer than this are decoded every time rather than kept. */
    readonly maxKeyBytes = 16 * 1024,
  ) {}

  /** The value for `bytes`, decoded by `decode` only when it is not already kept. */
  get(bytes: Uint8Array, decode: () => V, prefix = ""): V {
    if (bytes.byteLength > this.maxKeyBytes) return decode();
    return this.getByKey(prefix + keyOf(bytes), decode);
  }

  getByKey(key: string, decode: () => V): V {
    const found = this.entries.get(key);
    if (found !== undefined) {
      // Most recently used last, so the first entry is the one to drop.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    const value = decode();
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** One character per byte: a Map key as exact as the bytes, built without hashing. */
export function keyOf(bytes: Uint8Array): string {
  // Most keys are small (identifiers, flags, algorithm identifiers, names): for them, building
  // the string in JavaScript costs half of a Buffer's trip through C++; the string is the same.
  if (bytes.byteLength <= SMALL_KEY_BYTES)
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Up to this many bytes, a key is built in JavaScript (see keyOf); also well under apply's argument limit. */
const SMALL_KEY_BYTES = 64;
