/**
 * A lazy BER/DER element reader for telling containers apart. Only the elements the reader walks
 * are decoded: a 1 MiB PKCS#7 bundle is a few thousand headers, not the ~150,000 nodes (and
 * ~120 MB) a full asn1js tree costs. Certificates themselves are then parsed in full by
 * `parseCertificate`. Every accessor checks the shape it expects and answers `undefined` or an
 * empty list instead of throwing.
 */

export interface Node {
  tagClass: "universal" | "application" | "context" | "private";
  tag: number;
  constructed: boolean;
  /** The complete encoding (tag, length, content) as it appeared in the input. */
  bytes: Uint8Array;
  /** Content octets; for an indefinite length, everything up to the end-of-contents marker. */
  content: Uint8Array;
  /** Children, decoded on first use. */
  cached?: Node[];
}

export const TAG = {
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  sequence: 16,
  set: 17,
  utcTime: 23,
  generalizedTime: 24,
} as const;

const MAX_DEPTH = 64;
const CLASSES = ["universal", "application", "context", "private"] as const;

export interface Parsed {
  node: Node;
  /** Bytes taken by the first element; callers decide what trailing bytes mean. */
  length: number;
}

/** Reads the first element of `bytes`; `{ error }` when its header or length is not well-formed. */
export function parseBer(bytes: Uint8Array): Parsed | { error: string } {
  const read = readElement(bytes, 0, 0);
  return typeof read === "string" ? { error: read } : { node: read, length: read.bytes.length };
}

function readElement(input: Uint8Array, start: number, depth: number): Node | string {
  if (depth > MAX_DEPTH) return "ASN.1 nesting is too deep";
  let at = start;
  const first = input[at++];
  if (first === undefined) return "the data ends before an element starts (truncated)";
  const tagClass = CLASSES[first >> 6] ?? "universal";
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i += 1) {
      const byte = input[at++];
      if (byte === undefined || i === 4) return "an ASN.1 tag is truncated or too long";
      tag = tag * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
  }
  const lengthByte = input[at++];
  if (lengthByte === undefined) return "an ASN.1 length is truncated";

  if (lengthByte === 0x80) {
    if (!constructed) return "a primitive ASN.1 element has an indefinite length";
    const children: Node[] = [];
    for (;;) {
      if (input[at] === 0 && input[at + 1] === 0) {
        const node: Node = {
          tagClass,
          tag,
          constructed,
          bytes: input.subarray(start, at + 2),
          content: input.subarray(start + 2, at),
          cached: children,
        };
        return node;
      }
      const child = readElement(input, at, depth + 1);
      if (typeof child === "string") return child;
      children.push(child);
      at += child.bytes.length;
    }
  }

  let length = lengthByte;
  if (lengthByte > 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 4) return "an ASN.1 length is too large";
    length = 0;
    for (let i = 0; i < count; i += 1) {
      const byte = input[at++];
      if (byte === undefined) return "an ASN.1 length is truncated";
      length = length * 256 + byte;
    }
  }
  if (at + length > input.length) {
    return `an ASN.1 element needs ${length} bytes but only ${input.length - at} remain (truncated)`;
  }
  return {
    tagClass,
    tag,
    constructed,
    bytes: input.subarray(start, at + length),
    content: input.subarray(at, at + length),
  };
}

/** Children of a constructed element; empty for primitives and for malformed content. */
export function children(node: Node | undefined): Node[] {
  if (!node?.constructed) return [];
  if (node.cached) return node.cached;
  const list: Node[] = [];
  let at = 0;
  while (at < node.content.length) {
    const child = readElement(node.content, at, 0);
    if (typeof child === "string") {
      node.cached = [];
      return node.cached;
    }
    list.push(child);
    at += child.bytes.length;
  }
  node.cached = list;
  return list;
}

export function isUniversal(node: Node | undefined, tag: number): node is Node {
  return node?.tagClass === "universal" && node.tag === tag;
}

export function isContext(node: Node | undefined, tag: number): node is Node {
  return node?.tagClass === "context" && node.tag === tag;
}

export function isSequence(node: Node | undefined): node is Node {
  return isUniversal(node, TAG.sequence) && node.constructed;
}

/**
 * Content octets of an OCTET STRING (or an implicitly tagged one), joining the pieces of a BER
 * constructed encoding as Windows and Java tools write it.
 */
export function octets(node: Node | undefined, depth = 0): Uint8Array | undefined {
  if (!node || depth > 8) return undefined;
  if (!node.constructed) return node.content;
  const parts: Uint8Array[] = [];
  for (const child of children(node)) {
    const part = isUniversal(child, TAG.octetString) ? octets(child, depth + 1) : undefined;
    if (!part) return undefined;
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/** Dotted form of an OBJECT IDENTIFIER. */
export function oid(node: Node | undefined): string | undefined {
  if (!isUniversal(node, TAG.oid) || node.constructed || node.content.length === 0) return undefined;
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of node.content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  if ((node.content[node.content.length - 1] ?? 0) & 0x80) return undefined;
  const [head = 0n, ...rest] = arcs;
  const first = head < 40n ? 0n : head < 80n ? 1n : 2n;
  return [first, head - first * 40n, ...rest].join(".");
}

/** A non-negative INTEGER that fits a JavaScript number exactly; `undefined` otherwise. */
export function smallInt(node: Node | undefined): number | undefined {
  if (!isUniversal(node, TAG.integer) || node.constructed) return undefined;
  const bytes = node.content;
  if (bytes.length === 0 || bytes.length > 7 || (bytes[0] ?? 0) & 0x80) return undefined;
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

/** An AlgorithmIdentifier: SEQUENCE { OID, parameters ANY OPTIONAL }. */
export function algorithm(node: Node | undefined): { oid: string; params: Node | undefined } | undefined {
  if (!isSequence(node)) return undefined;
  const [id, params] = children(node);
  const value = oid(id);
  return value ? { oid: value, params } : undefined;
}
