/**
 * Which Java keystore a file is, from its magic number alone: the reader tells the containers apart
 * with it, and loads the keystore parser (java-keystore.ts and its libraries) only for a keystore.
 */

export const JKS_MAGIC = 0xfeedfeed;
export const JCEKS_MAGIC = 0xcececece;

export type KeystoreType = "JKS" | "JCEKS";

export function keystoreTypeOf(bytes: Uint8Array): KeystoreType | undefined {
  if (bytes.length < 4) return undefined;
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return magic === JKS_MAGIC ? "JKS" : magic === JCEKS_MAGIC ? "JCEKS" : undefined;
}
