/**
 * Thin, defensive helpers over asn1js: the reader walks ASN.1 trees of untrusted files, so every
 * accessor checks the shape it expects and answers `undefined` instead of throwing.
 */
import * as asn1js from "asn1js";

export type Node = asn1js.AsnType;

const UNIVERSAL = 1;
const CONTEXT = 3;

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

export interface Parsed {
  node: Node;
  /** Bytes consumed by the first element; callers decide what trailing bytes mean. */
  length: number;
}

/** Parses the first BER/DER element of `bytes`; `{ error }` when it is not well-formed. */
export function parseBer(bytes: Uint8Array): Parsed | { error: string } {
  try {
    const { offset, result } = asn1js.fromBER(bytes);
    if (offset === -1) return { error: result.error || "malformed ASN.1" };
    return { node: result, length: offset };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

export function isUniversal(node: Node | undefined, tag: number): node is Node {
  return node?.idBlock.tagClass === UNIVERSAL && node.idBlock.tagNumber === tag;
}

export function isContext(node: Node | undefined, tag: number): node is Node {
  return node?.idBlock.tagClass === CONTEXT && node.idBlock.tagNumber === tag;
}

/** Children of a constructed element; empty for primitives. */
export function children(node: Node | undefined): Node[] {
  if (!node?.idBlock.isConstructed) return [];
  const value = (node.valueBlock as { value?: unknown }).value;
  return Array.isArray(value) ? (value as Node[]) : [];
}

/** The complete encoding (tag, length and content) of an element as it appeared in the input. */
export function raw(node: Node): Uint8Array {
  return node.valueBeforeDecodeView;
}

/**
 * Content octets of an OCTET STRING (or an implicitly tagged one), joining the pieces of a BER
 * constructed encoding as Windows and Java tools write it.
 */
export function octets(node: Node | undefined, depth = 0): Uint8Array | undefined {
  if (!node || depth > 8) return undefined;
  if (!node.idBlock.isConstructed) {
    return (node.valueBlock as { valueHexView?: Uint8Array }).valueHexView;
  }
  const parts: Uint8Array[] = [];
  for (const child of children(node)) {
    if (!isUniversal(child, TAG.octetString)) return undefined;
    const part = octets(child, depth + 1);
    if (!part) return undefined;
    parts.push(part);
  }
  return Buffer.concat(parts);
}

export function oid(node: Node | undefined): string | undefined {
  if (!isUniversal(node, TAG.oid) || node.idBlock.isConstructed) return undefined;
  try {
    return (node as asn1js.ObjectIdentifier).valueBlock.toString();
  } catch {
    return undefined;
  }
}

/** A non-negative INTEGER that fits a JavaScript number exactly; `undefined` otherwise. */
export function smallInt(node: Node | undefined): number | undefined {
  if (!isUniversal(node, TAG.integer) || node.idBlock.isConstructed) return undefined;
  const bytes = (node.valueBlock as { valueHexView?: Uint8Array }).valueHexView;
  if (!bytes || bytes.length === 0 || bytes.length > 7 || (bytes[0] ?? 0) & 0x80) return undefined;
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

/** An AlgorithmIdentifier: SEQUENCE { OID, parameters ANY OPTIONAL }. */
export function algorithm(node: Node | undefined): { oid: string; params: Node | undefined } | undefined {
  if (!isUniversal(node, TAG.sequence)) return undefined;
  const [id, params] = children(node);
  const value = oid(id);
  return value ? { oid: value, params } : undefined;
}
