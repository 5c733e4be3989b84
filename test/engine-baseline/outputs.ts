/**
 * What the engine makes of each corpus input (entries.ts): the reader's whole result (status,
 * format, reason, detail, problems, and every certificate's described facts and path-validation
 * profile) and every finding the checks raise with the entry's trust anchors, time and names. One
 * JSON line per input, so a change in any of them shows as a changed line.
 */
import type { ParsedCertificate } from "../../functions/core/certificates/certificate";
import { DEFAULT_POLICY, judgeCertificates } from "../../functions/core/certificates/evaluate";
import { readCertificates } from "../../functions/core/certificates/reader";
import type { Corpus } from "./entries";

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `hex:${Buffer.from(value).toString("hex")}`;
  if (value instanceof ArrayBuffer) return `hex:${Buffer.from(value).toString("hex")}`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && typeof v !== "function")
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, plain(v)]),
    );
  }
  return value;
}

/** The certificate's facts; node:crypto's objects are left out (their content is in the rest). */
function described(cert: ParsedCertificate): unknown {
  const { node: _node, key: _key, ...rest } = cert;
  return plain(rest);
}

export async function engineOutputs(corpus: Corpus): Promise<{ name: string; output: string }[]> {
  const anchors = new Map<string, ParsedCertificate[]>();
  for (const [name, bytes] of Object.entries(corpus.anchorSets)) {
    const read = await readCertificates(Buffer.from(bytes, "base64"), `anchors:${name}`);
    anchors.set(name, read.status === "ok" ? read.certificates : []);
  }
  const results: { name: string; output: string }[] = [];
  for (const entry of corpus.entries) {
    const read = await readCertificates(Buffer.from(entry.bytes, "base64"), entry.name);
    const output: Record<string, unknown> = {
      read: read.status === "ok" ? { ...read, certificates: read.certificates.map(described) } : plain(read),
    };
    if (read.status === "ok") {
      const judged = judgeCertificates(read.certificates, {
        ...DEFAULT_POLICY,
        now: new Date(entry.now ?? corpus.createdAt),
        ...(entry.anchors ? { trustAnchors: anchors.get(entry.anchors) ?? [] } : {}),
        ...(entry.hosts ? { expectedHosts: entry.hosts } : {}),
      });
      output.findings = plain(judged.findings);
    }
    results.push({ name: entry.name, output: JSON.stringify(plain(output)) });
  }
  return results;
}
