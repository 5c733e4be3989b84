/**
 * GeneralName and the name constraints built on it, as @peculiar/asn1-x509 declares them except
 * that an iPAddress stays raw bytes: asn1-x509 turns it into text, which loses what a name
 * constraint needs (its address and mask, which may not be a prefix).
 */
import { AsnArray, AsnPropTypes, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import { EDIPartyName, Name, OtherName } from "@peculiar/asn1-x509";
import { declareFields } from "../formats/ber";

/** RFC 5280 §4.2.1.6 GeneralName. */
export class RawGeneralName {
  otherName?: OtherName;
  rfc822Name?: string;
  dNSName?: string;
  x400Address?: ArrayBuffer;
  directoryName?: Name;
  ediPartyName?: EDIPartyName;
  uniformResourceIdentifier?: string;
  iPAddress?: ArrayBuffer;
  registeredID?: string;
}
declareFields(RawGeneralName, {
  otherName: { type: OtherName, context: 0, implicit: true },
  rfc822Name: { type: AsnPropTypes.IA5String, context: 1, implicit: true },
  dNSName: { type: AsnPropTypes.IA5String, context: 2, implicit: true },
  x400Address: { type: AsnPropTypes.Any, context: 3, implicit: true },
  directoryName: { type: Name, context: 4, implicit: false },
  ediPartyName: { type: EDIPartyName, context: 5 },
  uniformResourceIdentifier: { type: AsnPropTypes.IA5String, context: 6, implicit: true },
  iPAddress: { type: AsnPropTypes.OctetString, context: 7, implicit: true },
  registeredID: { type: AsnPropTypes.ObjectIdentifier, context: 8, implicit: true },
});
AsnType({ type: AsnTypeTypes.Choice })(RawGeneralName);

/** GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL } */
export class RawGeneralSubtree {
  base = new RawGeneralName();
  minimum = 0;
  maximum?: number;
}
declareFields(RawGeneralSubtree, {
  base: { type: RawGeneralName },
  minimum: { type: AsnPropTypes.Integer, context: 0, implicit: true, defaultValue: 0 },
  maximum: { type: AsnPropTypes.Integer, context: 1, implicit: true, optional: true },
});

export class RawGeneralSubtrees extends AsnArray<RawGeneralSubtree> {
  constructor(items?: RawGeneralSubtree[]) {
    super(items);
    Object.setPrototypeOf(this, RawGeneralSubtrees.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: RawGeneralSubtree })(RawGeneralSubtrees);

/** NameConstraints ::= SEQUENCE { permittedSubtrees [0] OPTIONAL, excludedSubtrees [1] OPTIONAL } */
export class RawNameConstraints {
  permittedSubtrees?: RawGeneralSubtrees;
  excludedSubtrees?: RawGeneralSubtrees;
}
declareFields(RawNameConstraints, {
  permittedSubtrees: { type: RawGeneralSubtrees, context: 0, implicit: true, optional: true },
  excludedSubtrees: { type: RawGeneralSubtrees, context: 1, implicit: true, optional: true },
});
