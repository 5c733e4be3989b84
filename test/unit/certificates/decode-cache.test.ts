/**
 * The caches of repeated encodings (decode-cache.ts) are keyed by the encoding's exact bytes: two
 * encodings share an entry only when they are equal, whichever way keyOf builds the key.
 */
import { describe, expect, it } from "vitest";
import { DecodeCache, keyOf } from "../../../functions/core/certificates/decode-cache";

/** Bytes of the given length running through every octet value, starting at `from`. */
const octets = (length: number, from = 0) => Uint8Array.from({ length }, (_, i) => (from + i * 37) % 256);

describe("keys of the decode caches", () => {
  it.each([0, 1, 2, 63, 64, 65, 300, 1_000])("keeps one character per octet for %i octets", (length) => {
    // Prepare: a view into a larger buffer, as the reader hands them over
    const whole = octets(length + 8, 5);
    const bytes = whole.subarray(4, 4 + length);

    // Act
    const key = keyOf(bytes);

    // Assess
    expect([...key].map((char) => char.charCodeAt(0))).toEqual([...bytes]);
  });

  it("decodes once per distinct encoding, and again for bytes that differ in one octet", () => {
    // Prepare
    const cache = new DecodeCache<string>(8);
    const decoded: string[] = [];
    const decode = (name: string) => () => {
      decoded.push(name);
      return name;
    };
    const small = octets(20);
    const changed = small.slice();
    changed[19] = (changed[19]! + 1) % 256;
    const large = octets(500);

    // Act
    const results = [
      cache.get(small, decode("small")),
      cache.get(small.slice(), decode("small again")),
      cache.get(changed, decode("changed")),
      cache.get(large, decode("large")),
      cache.get(large.slice(), decode("large again")),
    ];

    // Assess
    expect(results).toEqual(["small", "small", "changed", "large", "large"]);
    expect(decoded).toEqual(["small", "changed", "large"]);
  });
});
