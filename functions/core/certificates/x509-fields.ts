/**
 * Distinguished names as text, read straight from @peculiar/asn1-x509's structures, and the
 * tbsCertificate fields by position (the extensions the checks read are decoded in
 * path/profile.ts). A name is written exactly as @peculiar/x509
 * writes it (short attribute names, RFC 4514-style escapes, `#hex` for values it cannot read as
 * text), so subjects and issuers in reports and alarms keep their form; that library, with the
 * dependency-injection container and metadata polyfill it brings, is not bundled.
 */
import type { Name } from "@peculiar/asn1-x509";
import { childrenOf, type Element, tagOf } from "./formats/ber";

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};

export const COMMON_NAME = "2.5.4.3";

/** `CN=api.example.com, O=Example` — attributes of one RDN joined with `+`, RDNs with `, `. */
export function nameText(name: Name): string {
  return name
    .map((rdn) =>
      rdn
        .map((attribute) => {
          const type = SHORT_NAMES[attribute.type] ?? attribute.type;
          const value = attribute.value.anyValue
            ? `#${Buffer.from(attribute.value.anyValue).toString("hex")}`
            : escapeValue(attribute.value.toString());
          return `${type}=${value}`;
        })
        .join("+"),
    )
    .join(", ");
}

/** Every value of one attribute type, in order (a name may hold several common names, or none). */
export function nameField(name: Name, oid: string): string[] {
  return name.flatMap((rdn) => rdn.filter((a) => a.type === oid).map((a) => a.value.toString()));
}

// As @peculiar/x509 escapes, including that only the first CR, LF or TAB becomes `\XX`.
function escapeValue(text: string): string {
  return text
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/([\r\n\t])/, (char) => `\\${Buffer.from(char, "utf8").toString("hex").toUpperCase()}`);
}

/** tbsCertificate fields by position, after the optional [0] version. */
const TBS_FIELDS = ["serialNumber", "signature", "issuer", "validity", "subject", "subjectPublicKeyInfo"];

export function tbsFields(certificate: Element): Map<string, Element> {
  const fields = new Map<string, Element>();
  const tbs = childrenOf(certificate)?.[0];
  const children = tbs ? (childrenOf(tbs) ?? []) : [];
  const first = children[0];
  const hasVersion = first !== undefined && tagOf(first).tagClass === 3 && tagOf(first).tagNumber === 0;
  TBS_FIELDS.forEach((name, i) => {
    const element = children[i + (hasVersion ? 1 : 0)];
    if (element) fields.set(name, element);
  });
  return fields;
}
