/**
 * Why OpenSSL (and so node:crypto and every TLS client) refuses a certificate that the lenient
 * ASN.1 schema accepted: the strict-DER rules, named with the field they break.
 */
import { childrenOf, contentOf, type Element, tagOf } from "./formats/ber";
import { quoted } from "./formats/read-error";
import { tbsFields } from "./x509-fields";

/**
 * Why OpenSSL refuses a certificate the schema accepted: the strict-DER rules lenient decoders
 * let through, named with the field they are in.
 */
export function explainRefusal(certificate: Element): string {
  const fields = tbsFields(certificate);
  const where = (element: Element) => {
    const at = viewOf(element);
    for (const name of ["issuer", "subject", "serialNumber"]) {
      const field = fields.get(name);
      if (field && contains(viewOf(field), at)) return name === "serialNumber" ? "serial number" : name;
    }
    return "certificate";
  };
  const pending: Element[] = [certificate];
  for (let element = pending.pop(); element; element = pending.pop()) {
    const children = childrenOf(element);
    if (children) {
      for (let i = children.length - 1; i >= 0; i -= 1) pending.push(children[i]!);
      continue;
    }
    const { tagClass, tagNumber } = tagOf(element);
    if (tagClass !== 1) continue;
    const content = contentOf(element);
    if (tagNumber === 2 && !minimalInteger(content)) {
      return `an INTEGER in the ${where(element)} is not minimally encoded (leading 00 or FF bytes, which DER forbids); OpenSSL and TLS clients refuse the certificate`;
    }
    if (tagNumber === 12 && !isUtf8(content)) {
      const asLatin1 = quoted(Buffer.from(content).toString("latin1"));
      return `a UTF8String in the ${where(element)} holds bytes that are not UTF-8 ("${asLatin1}" read as Latin-1); OpenSSL and TLS clients refuse the certificate`;
    }
  }
  return "OpenSSL refuses its encoding (it is not the strict DER a certificate must be)";
}

const viewOf = (element: Element) =>
  (element as unknown as { valueBeforeDecodeView: Uint8Array }).valueBeforeDecodeView;

function contains(outer: Uint8Array, inner: Uint8Array): boolean {
  return (
    outer.buffer === inner.buffer &&
    inner.byteOffset >= outer.byteOffset &&
    inner.byteOffset + inner.byteLength <= outer.byteOffset + outer.byteLength
  );
}

function minimalInteger(content: Uint8Array): boolean {
  if (content.length === 0) return false;
  if (content.length === 1) return true;
  const [first, second] = [content[0]!, content[1]!];
  return !((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80));
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isUtf8(content: Uint8Array): boolean {
  try {
    utf8.decode(content);
    return true;
  } catch {
    return false;
  }
}
