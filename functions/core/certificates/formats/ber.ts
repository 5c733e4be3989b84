/**
 * The reader's single entry into ASN.1: asn1js decodes BER/DER, @peculiar/asn1-schema maps the
 * decoded elements onto schema classes (the @peculiar/asn1-* packages, or the few declared in
 * `pbe-schemas.ts`). Nothing here reads tags or lengths itself.
 */
import "reflect-metadata";
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

/**
 * A decoded element as asn1-schema's own asn1js copy builds it (the @peculiar packages pin asn1js 3,
 * which is a different module from the project's asn1js 4): only its elements map onto schemas.
 */
export type Element = Parameters<typeof AsnParser.fromASN>[0];
type Schema<T> = new () => T;
type PropOptions = Parameters<typeof AsnProp>[0];

/** asn1js's default node cap. */
const DEFAULT_MAX_NODES = 10_000;

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
    // Certificates and safes are decoded where they are used, not speculatively inside every
    // OCTET STRING and BIT STRING.
    parseEmbedded: false,
  };
}

/** asn1-schema's extension point for taking the decoded element itself instead of a mapped object. */
class DecodedElement implements IAsnConvertible<Element> {
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
}

/** The first BER element of `bytes`, or why there is none. */
export function decodeBer(bytes: Uint8Array): Decoded | { error: string } {
  try {
    const { element } = AsnParser.parse(bytes, DecodedElement, { berOptions: berOptions(bytes.length) });
    if (!element) return { error: "the data is not BER" };
    return { element, length: element.valueBeforeDecodeView.byteLength };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
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
