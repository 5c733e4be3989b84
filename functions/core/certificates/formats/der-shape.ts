/**
 * A look at BER before it is decoded: how many elements the first one holds, and whether it has
 * the shape of a certificate. It reads tags and lengths only, allocating nothing per element,
 * because what it guards is the decoder's cost: asn1js builds about a kilobyte of objects per
 * element, so a 1 MB certificate whose names hold 60,000 attributes took 0.9 GB to read (two at
 * once 2 GB, past the scan function's 1 GB). Real certificates hold a few hundred elements outside
 * their extension values (which are decoded separately, each with its own bound), so a
 * certificate-shaped element beyond MAX_CERTIFICATE_ELEMENTS is refused before it is decoded.
 */

/** Elements a certificate may hold outside its extension values (real ones: 100 to 500). */
export const MAX_CERTIFICATE_ELEMENTS = 5_000;

interface Header {
  tag: number;
  constructed: boolean;
  /** Offset of the content. */
  start: number;
  /** Offset just past the content; undefined for an indefinite length. */
  end: number | undefined;
}

function headerAt(bytes: Uint8Array, offset: number, limit: number): Header | undefined {
  if (offset + 2 > limit) return undefined;
  const first = bytes[offset]!;
  let at = offset + 1;
  if ((first & 0x1f) === 0x1f) {
    // High tag number form: base-128 digits, the last without its top bit.
    while (at < limit && bytes[at]! & 0x80) at += 1;
    at += 1;
  }
  if (at >= limit) return undefined;
  const lengthByte = bytes[at]!;
  at += 1;
  const constructed = (first & 0x20) !== 0;
  if (lengthByte === 0x80)
    return constructed ? { tag: first, constructed, start: at, end: undefined } : undefined;
  let length = lengthByte;
  if (lengthByte > 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 4 || at + count > limit) return undefined;
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + bytes[at + i]!;
    at += count;
  }
  if (at + length > limit) return undefined;
  return { tag: first, constructed, start: at, end: at + length };
}

export interface Shape {
  /** Elements of the first element, itself included, counted up to `limit` + 1. */
  elements: number;
  /** SEQUENCE { SEQUENCE { [0] version | serial, SEQUENCE, SEQUENCE, SEQUENCE, ... } ... }. */
  certificateLike: boolean;
}

/**
 * Counts the elements of the first element of `bytes` (stopping past `limit`) and tells whether it
 * is shaped like a certificate. Malformed input yields what was counted; the decoder reports it.
 */
export function shapeOf(bytes: Uint8Array, limit: number): Shape {
  const root = headerAt(bytes, 0, bytes.length);
  if (!root) return { elements: 0, certificateLike: false };
  let elements = 0;
  // Each open constructed element: where its content ends (undefined: until end-of-contents).
  const open: { end: number | undefined }[] = [];
  let offset = 0;
  let tbsTags: number[] | undefined;
  let tbsDepth = -1;
  while (offset < bytes.length && elements <= limit) {
    while (
      open.length > 0 &&
      open[open.length - 1]!.end !== undefined &&
      offset >= open[open.length - 1]!.end!
    )
      open.pop();
    if (open.length === 0 && elements > 0) break;
    if (
      bytes[offset] === 0 &&
      bytes[offset + 1] === 0 &&
      open.length > 0 &&
      open[open.length - 1]!.end === undefined
    ) {
      open.pop(); // end-of-contents of an indefinite length
      offset += 2;
      continue;
    }
    const header = headerAt(bytes, offset, open[open.length - 1]?.end ?? bytes.length);
    if (!header) break;
    elements += 1;
    if (open.length === 1 && elements === 2 && header.tag === 0x30) {
      tbsTags = [];
      tbsDepth = 2;
    } else if (tbsTags && open.length === tbsDepth && tbsTags.length < 6) {
      tbsTags.push(header.tag);
    }
    if (header.constructed) {
      open.push({ end: header.end });
      offset = header.start;
    } else {
      offset = header.end ?? bytes.length;
    }
  }
  return { elements, certificateLike: root.tag === 0x30 && isTbsCertificate(tbsTags ?? []) };
}

/** [0] version first (v2, v3), or a v1 certificate's serial, algorithm, issuer, validity, subject. */
function isTbsCertificate(tags: readonly number[]): boolean {
  if (tags[0] === 0xa0) return true;
  return tags.length >= 5 && tags[0] === 0x02 && tags.slice(1, 5).every((tag) => tag === 0x30);
}
