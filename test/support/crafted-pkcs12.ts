/**
 * A crafted PKCS#12 file: an empty authenticated safe and a SHA-512 MAC asking for `iterations`
 * key-derivation iterations (its digest is zeros, so no password matches). 122 bytes for 250,000:
 * what an uploader can drop into a store to make every scan pay for the derivation.
 */
import { ContentInfo, id_data } from "@peculiar/asn1-cms";
import { AuthenticatedSafe, MacData, PFX } from "@peculiar/asn1-pfx";
import { DigestInfo } from "@peculiar/asn1-rsa";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";

const SHA512 = "2.16.840.1.101.3.4.2.3";

export function macOnlyPfx(iterations: number): Uint8Array {
  const authSafe = new ContentInfo({
    contentType: id_data,
    content: AsnConvert.serialize(new OctetString(AsnConvert.serialize(new AuthenticatedSafe([])))),
  });
  const macData = new MacData({
    mac: new DigestInfo({
      digestAlgorithm: new AlgorithmIdentifier({ algorithm: SHA512 }),
      digest: new OctetString(new Uint8Array(64)),
    }),
    macSalt: new OctetString(new Uint8Array(8)),
    iterations,
  });
  return new Uint8Array(AsnConvert.serialize(new PFX({ version: 3, authSafe, macData })));
}
