/**
 * The reader's single entry into ASN.1: asn1js decodes BER/DER (once per file, or per PEM block),
 * @peculiar/asn1-schema maps the decoded elements onto schema classes (the @peculiar/asn1-*
 * packages, or the few declared in `pbe-schemas.ts`). Nothing here reads tags or lengths itself.
 */
import {
  AsnArray,
  AsnConstructedOctetStringConverter,
  AsnParser,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  type IAsnConvertible,
  OctetString,
} from "@peculiar/asn1-schema";
import { MAX_CERTIFICATE_ELEMENTS, shapeOf } from "./der-shape";

/**
 * A decoded element as asn1-schema's own asn1js copy builds it (the @peculiar packages pin asn1js 3,
 * which is a different module from the project's asn1js 4): only its elements map onto schemas.
 */
export type Element = Parameters<typeof AsnParser.fromASN>[0];
type Schema<T> = new () => T;
type PropOptions = Parameters<typeof AsnProp>[0];

/** asn1js's default node and element-size caps. */
const DEFAULT_MAX_NODES = 10_000;
const DEFAULT_MAX_CONTENT_LENGTH = 16 * 1024 * 1024;

/**
 * asn1js refuses inputs of more than 10,000 elements by default, and a 1 MiB PKCS#7 bundle holds
 * over 200,000 (measured: one element per 4.6 bytes for a bundle of small EC certificates, the
 * densest real material). The cap grows with the input instead, at one element per 4 bytes: real
 * files stay under it, while crafted input (a SEQUENCE of 2-byte NULLs) cannot build a tree much
 * larger than the densest real bundle does (~200 MB of asn1js objects at the 1 MiB file cap).
 */
function berOptions(byteLength: number) {
  return {
    maxNodes: Math.max(DEFAULT_MAX_NODES, Math.ceil(byteLength / 4)),
    // asn1js refuses any element over 16 MiB; a bundle within a raised size cap may be larger.
    maxContentLength: Math.max(DEFAULT_MAX_CONTENT_LENGTH, byteLength),
    // Certificates and safes are decoded where they are used, not speculatively inside every
    // OCTET STRING and BIT STRING.
    parseEmbedded: false,
  };
}

/**
 * Options for asn1-schema and @peculiar/x509 when they decode parts of an input of `byteLength`
 * bytes themselves (a certificate's extensions): the same caps as `decodeBer`, so a SAN list of
 * 10,000 names is read instead of tripping asn1js's default node cap.
 */
export function parseOptionsFor(byteLength: number) {
  return { berOptions: berOptions(byteLength) };
}

/** asn1-schema's extension point for taking the decoded element itself instead of a mapped object. */
export class DecodedElement implements IAsnConvertible<Element> {
  element: Element | undefined;
  fromASN(asn: Element): this {
    this.element = asn;
    return this;
  }
  toASN(): Element {
    if (!this.element) throw new Error("nothing decoded");
    return this.element;
  }
  toSchema(): Element {
    return this.toASN();
  }
}

export interface Decoded {
  element: Element;
  /** Bytes taken by the first element; callers decide what trailing bytes mean. */
  length: number;
  /** Shaped like a certificate (der-shape.ts): worth reading as one before classifying. */
  certificateLike: boolean;
}

/**
 * The first BER element of `bytes`, or why there is none, in words for an operator (the decoder's
 * own messages are translated: "End of input reached..." becomes "it ends early (truncated?)").
 */
export function decodeBer(bytes: Uint8Array): Decoded | { error: string } {
  // A certificate with tens of thousands of name attributes would cost the decoder a gigabyte.
  const shape = shapeOf(bytes, MAX_CERTIFICATE_ELEMENTS);
  if (shape.certificateLike && shape.elements > MAX_CERTIFICATE_ELEMENTS) {
    return {
      error: `it is shaped like a certificate but holds more than ${MAX_CERTIFICATE_ELEMENTS.toLocaleString("en-US")} ASN.1 elements outside its extension values (real certificates hold a few hundred; a name of thousands of attributes is the usual cause), so it is not decoded`,
    };
  }
  let element: Element | undefined;
  try {
    ({ element } = AsnParser.parse(bytes, DecodedElement, { berOptions: berOptions(bytes.length) }));
  } catch (error) {
    return { error: explainDecoderError(error instanceof Error ? error.message : String(error)) };
  }
  if (!element) return { error: "the data is not BER" };
  return {
    element,
    length: element.valueBeforeDecodeView.byteLength,
    certificateLike: shape.certificateLike,
  };
}

/** asn1js's messages, by what they mean for the file. */
const DECODER_ERRORS: [RegExp, string][] = [
  [
    /^(End of input reached|Zero buffer length)/,
    "it ends before the lengths it declares are complete (truncated?)",
  ],
  [/nesting depth exceeded/, "its ASN.1 elements are nested more than 100 levels deep"],
  [
    /content length exceeded|^Too big (length|integer)|^Length block 0xFF/,
    "a length field declares an impossible size",
  ],
  [/node count exceeded/, "it holds far more ASN.1 elements than any certificate file of its size"],
  [
    /^Wrong input string for conversion/,
    "a date (UTCTime or GeneralizedTime) is not written as a valid time",
  ],
  [/^Indefinite length form used for primitive/, "a primitive element has an indefinite length"],
  [
    /outside the bounds of the DataView/,
    "a BMPString or UniversalString is not a whole number of characters long",
  ],
];

/** An asn1js error message in an operator's words. */
export function explainDecoderError(message: string): string {
  for (const [pattern, meaning] of DECODER_ERRORS) {
    if (pattern.test(message)) return meaning;
  }
  return `it is not well-formed BER (${message})`;
}

/** What asn1js keeps of a decoded element that the structural checks read. */
interface Block {
  idBlock: { tagClass: number; tagNumber: number; isConstructed: boolean; blockLength: number };
  lenBlock: { isIndefiniteForm: boolean; length: number; blockLength: number };
  valueBlock: { blockLength: number; value?: unknown };
  valueBeforeDecodeView: Uint8Array;
}

const blockOf = (element: Element) => element as unknown as Block;

/** The elements inside a constructed element; `undefined` for a primitive one. */
export function childrenOf(element: Element): Element[] | undefined {
  const block = blockOf(element);
  return block.idBlock.isConstructed && Array.isArray(block.valueBlock.value)
    ? (block.valueBlock.value as Element[])
    : undefined;
}

/** Tag class (1 universal, 2 application, 3 context-specific, 4 private) and number. */
export function tagOf(element: Element): { tagClass: number; tagNumber: number; constructed: boolean } {
  const { idBlock } = blockOf(element);
  return { tagClass: idBlock.tagClass, tagNumber: idBlock.tagNumber, constructed: idBlock.isConstructed };
}

/** The content octets of a primitive element, exactly as encoded. */
export function contentOf(element: Element): Uint8Array {
  const { idBlock, lenBlock, valueBeforeDecodeView } = blockOf(element);
  return valueBeforeDecodeView.subarray(idBlock.blockLength + lenBlock.blockLength);
}

/**
 * asn1js lets the elements inside a constructed element run past the length it declares (or stop
 * short of it) and carries on; the result is an element whose bytes no strict decoder accepts.
 * This names where the lengths disagree. It is applied per certificate, not to a whole bundle, so
 * one certificate with a lying length in a PKCS#7 bundle does not cost the others.
 */
export function lengthInconsistency(root: Element): string | undefined {
  const start = blockOf(root).valueBeforeDecodeView.byteOffset;
  const pending: Element[] = [root];
  for (let element = pending.pop(); element; element = pending.pop()) {
    const children = childrenOf(element);
    if (!children) continue;
    const block = blockOf(element);
    if (!block.lenBlock.isIndefiniteForm && block.valueBlock.blockLength !== block.lenBlock.length) {
      const at = block.valueBeforeDecodeView.byteOffset - start;
      return (
        `a length field is wrong: the element at byte ${at} declares ${block.lenBlock.length} content bytes ` +
        `but the elements inside it take ${block.valueBlock.blockLength}`
      );
    }
    for (const child of children) pending.push(child);
  }
  return undefined;
}

/** The exact bytes an element was decoded from. */
export function encodingOf(element: Element): Uint8Array {
  return element.valueBeforeDecodeView;
}

/** `element` mapped onto a schema class; `undefined` when it does not have that shape. */
export function asSchema<T>(element: Element, schema: Schema<T>): T | undefined {
  try {
    return AsnParser.fromASN<T>(element, schema);
  } catch {
    return undefined;
  }
}

/** Encoded bytes mapped onto a schema class; `undefined` when they are not BER of that shape. */
export function parseAs<T>(
  bytes: ArrayBuffer | Uint8Array | undefined | null,
  schema: Schema<T>,
): T | undefined {
  if (!bytes) return undefined;
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const decoded = decodeBer(view);
  if ("error" in decoded || decoded.length !== view.length) return undefined;
  return asSchema(decoded.element, schema);
}

/**
 * The value of an encoded OCTET STRING, joining the pieces of a BER constructed encoding as
 * Windows and Java tools write it.
 */
export function octetStringValue(bytes: ArrayBuffer | Uint8Array | undefined | null): Uint8Array | undefined {
  if (!bytes) return undefined;
  const decoded = decodeBer(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  if ("error" in decoded || !asSchema(decoded.element, OctetString)) return undefined;
  try {
    return new Uint8Array(AsnConstructedOctetStringConverter.fromASN(decoded.element as never).buffer);
  } catch {
    return undefined;
  }
}

/** Number of elements directly inside a SEQUENCE, for messages; `undefined` for other elements. */
export function sequenceLength(element: Element): number | undefined {
  return asSchema(element, ElementList)?.length;
}

/**
 * Declares a schema class's fields. This is what `@AsnProp` decorators do; it is written as a call
 * because the project compiles without `experimentalDecorators`.
 */
export function declareFields<T>(
  schema: Schema<T>,
  fields: Partial<Record<keyof T & string, PropOptions>>,
): void {
  for (const [name, options] of Object.entries(fields)) {
    if (options) AsnProp(options as PropOptions)(schema.prototype as object, name);
  }
}

/** SEQUENCE OF ANY: how many elements a SEQUENCE holds, whatever they are. */
class ElementList extends AsnArray<ArrayBuffer> {}
AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Any })(ElementList);
