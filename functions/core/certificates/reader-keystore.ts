/**
 * Java keystores (JKS, JCEKS): every certificate of every entry, trusted-certificate entries and the
 * chains of private-key entries (formats/java-keystore.ts), with whether the password verified the
 * store's integrity.
 */
import { readJavaKeystore } from "./formats/java-keystore";
import { Described, joinProblems, ok, type ReadOptions, type ReadResult, unreadable } from "./reader-result";

export function readKeystore(
  bytes: Uint8Array,
  file: string,
  format: "jks" | "jceks",
  options: ReadOptions,
): ReadResult {
  const content = readJavaKeystore(bytes, options.pkcs12Password);
  const read = new Described(file, "bad-keystore");
  for (const { der, origin, entry } of content.certificates) read.bytes(origin, der, entry);
  const problems = [...content.problems, ...read.failed];
  if (read.certificates.length > 0) {
    const result = ok(format, read.certificates, problems);
    return result.status === "ok" ? { ...result, integrity: content.integrity } : result;
  }
  if (problems.length > 0) {
    return unreadable(problems[0]?.reason ?? "bad-keystore", joinProblems(problems), format);
  }
  const { privateKey, secretKey } = content.entries;
  const held = secretKey > 0 ? `${secretKey} secret key(s)` : privateKey > 0 ? "keys" : "no entry";
  return {
    status: "not-certificate",
    detail: `a ${content.type} keystore holding ${held} and no certificate`,
  };
}
