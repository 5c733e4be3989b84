import forge from "node-forge";
import { describe, expect, it } from "vitest";
import { decryptRc2Cbc } from "../../../functions/core/certificates/formats/rc2";

const KEY = Buffer.from("0123456789abcdef", "hex").subarray(0, 5); // a 40-bit key
const IV = Buffer.from("0001020304050607", "hex");

function encrypt(plain: Buffer, key: Buffer, bits: number): Buffer {
  const cipher = forge.rc2.createEncryptionCipher(key.toString("latin1"), bits);
  cipher.start(IV.toString("latin1"));
  cipher.update(forge.util.createBuffer(plain.toString("latin1")));
  cipher.finish();
  return Buffer.from(cipher.output.getBytes(), "latin1");
}

describe("decryptRc2Cbc", () => {
  it("decrypts RC2-40 and RC2-128 and removes the padding", () => {
    // Prepare
    const plain = Buffer.from("a certificate safe of twenty-nine bytes");
    const key128 = Buffer.alloc(16, 7);

    // Act
    const forty = decryptRc2Cbc(KEY, IV, 40, encrypt(plain, KEY, 40));
    const full = decryptRc2Cbc(key128, IV, 128, encrypt(plain, key128, 128));

    // Assess
    expect(Buffer.from(forty ?? [])).toEqual(plain);
    expect(Buffer.from(full ?? [])).toEqual(plain);
  });

  it("refuses what a wrong key leaves: padding that is not PKCS#5 padding", () => {
    // Prepare: with this key pair the last block's padding does not survive (checked byte by byte)
    const ciphertext = encrypt(Buffer.from("sixteen byte msg"), KEY, 40);

    // Act
    const results = [1, 2, 3, 4, 5].map((n) => decryptRc2Cbc(Buffer.alloc(5, n), IV, 40, ciphertext));

    // Assess
    expect(results).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it("refuses a ciphertext that is not a whole number of blocks", () => {
    expect(decryptRc2Cbc(KEY, IV, 40, Buffer.alloc(12))).toBeUndefined();
    expect(decryptRc2Cbc(KEY, IV, 40, Buffer.alloc(0))).toBeUndefined();
  });
});
