/**
 * Writes the engine's fixed corpus (test/engine-baseline/corpus.json.gz): a few thousand inputs the
 * reader and the checks are run on before and after a change to the engine, whose outputs must stay
 * identical (compare.ts). Run once; the corpus is committed so that every later run reads the same
 * bytes (generated certificates carry random ECDSA signatures, the system's roots change with its
 * packages). Certificates only, no private key: the generating keys live in memory.
 *
 * Inputs: the system's roots (/etc/ssl/certs, as PEM and as DER), the x509-limbo cases in
 * test/conformance (peer and intermediates as presented, judged with the case's anchors, time and
 * name), the examples/ files, generated stores as the bench makes them (RSA-2048 and P-256 leaves
 * with their intermediates in PEM, PEM chains, DER and PKCS#7), crafted certificates from
 * test/support/hostile-corpus.ts, and damaged variants of all of them (truncated, a byte flipped,
 * outer length off, PEM with its base64 cut), chosen by index so the corpus is the same each run.
 *
 * `npx tsx test/engine-baseline/make-corpus.ts`
 */
import "reflect-metadata";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { generateObjects, HOST, makePki } from "../bench/corpus";
import { loadCases, validationTime } from "../conformance/cases";
import {
  cn,
  craftCertificate,
  generalizedTime,
  utcTime,
  withOuterLengthOff,
} from "../support/hostile-corpus";
import { pemOf } from "../support/pki";
import type { Corpus, CorpusEntry } from "./entries";

const OUT = new URL("./corpus.json.gz", import.meta.url);
const GENERATED_OBJECTS = 1_500;

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64");

function pemBlocksOf(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

function derOf(pem: string): Uint8Array {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
}

/** Damaged variants of one input, picked by `seed` so the same input is damaged the same way. */
function damaged(name: string, bytes: Uint8Array, seed: number): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  const at = (k: number) => (seed * 7919 + k * 104_729) % Math.max(1, bytes.length);
  out.push({ name: `${name}~truncated`, bytes: b64(bytes.subarray(0, at(1))) });
  const flipped = new Uint8Array(bytes);
  const position = at(2);
  flipped[position] = (flipped[position] ?? 0) ^ (1 << (seed % 8));
  out.push({ name: `${name}~flip${position}`, bytes: b64(flipped) });
  if (bytes[0] === 0x30 && bytes[1] === 0x82) {
    out.push({ name: `${name}~length+1`, bytes: b64(withOuterLengthOff(bytes, 1)) });
    out.push({ name: `${name}~length-3`, bytes: b64(withOuterLengthOff(bytes, -3)) });
  }
  return out;
}

async function main() {
  const now = new Date();
  const entries: CorpusEntry[] = [];

  // System roots, each as a PEM file and (every third) as DER, with damaged variants of some.
  const roots: string[] = [];
  const rootDir = "/etc/ssl/certs";
  for (const file of readdirSync(rootDir).sort()) {
    if (!file.endsWith(".pem")) continue;
    const text = readFileSync(join(rootDir, file), "utf8");
    for (const block of pemBlocksOf(text)) if (!roots.includes(block)) roots.push(block);
  }
  roots.forEach((pem, i) => {
    entries.push({ name: `root-${i}.pem`, bytes: b64(pem), anchors: "roots" });
    if (i % 3 === 0) entries.push({ name: `root-${i}.der`, bytes: b64(derOf(pem)), anchors: "roots" });
    if (i % 4 === 0) entries.push(...damaged(`root-${i}.der`, derOf(pem), i));
  });

  // The conformance cases, as `npm run conformance` presents them.
  const anchorSets: Record<string, string> = { roots: b64(roots.join("")) };
  for (const [i, testCase] of loadCases().entries()) {
    const presented = [testCase.peer_certificate, ...testCase.untrusted_intermediates].join("\n");
    const anchors = `limbo-${i}`;
    anchorSets[anchors] = b64(testCase.trusted_certs.join("\n"));
    const names = testCase.expected_peer_name ? [testCase.expected_peer_name] : testCase.expected_peer_names;
    const hosts = names.filter((n) => n.kind !== "RFC822").map((n) => n.value);
    const base = {
      anchors,
      now: validationTime(testCase).toISOString(),
      ...(hosts.length > 0 ? { hosts } : {}),
    };
    entries.push({ name: `limbo-${testCase.id}.pem`, bytes: b64(presented), ...base });
    entries.push({ name: `limbo-${testCase.id}.der`, bytes: b64(derOf(testCase.peer_certificate)), ...base });
    entries.push(...damaged(`limbo-${testCase.id}.der`, derOf(testCase.peer_certificate), i));
  }

  // The examples.
  const examples = "examples";
  for (const file of readdirSync(examples).sort()) {
    const path = join(examples, file);
    if (!statSync(path).isFile()) continue;
    const bytes = readFileSync(path);
    entries.push({
      name: `examples/${file}`,
      bytes: b64(bytes),
      anchors: "examples",
      hosts: ["node1.cluster.example"],
    });
  }
  anchorSets.examples = b64(readFileSync("examples/trust/cluster-root-ca.pem"));

  // Stores as the bench makes them: a root, an issuing CA, RSA-2048 and P-256 leaves.
  const pki = await makePki();
  anchorSets.bench = b64(pki.trustBundle);
  let i = 0;
  for (const object of generateObjects(pki, "gen/", GENERATED_OBJECTS)) {
    entries.push({ name: object.key, bytes: b64(object.bytes), anchors: "bench", hosts: [HOST] });
    if (i % 10 === 0) entries.push(...damaged(object.key, object.bytes, i));
    if (i % 25 === 0 && object.kind === "pem") {
      const text = Buffer.from(object.bytes).toString("latin1");
      entries.push({
        name: `${object.key}~cut-base64`,
        bytes: b64(text.replace(/\n[A-Za-z0-9+/]{64}\n/, "\n")),
      });
      entries.push({
        name: `${object.key}~with-garbage-block`,
        bytes: b64(`${text}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`),
      });
    }
    i += 1;
  }

  // Crafted certificates: odd but real encodings.
  const crafted: [string, Uint8Array][] = [
    ["negative-serial", craftCertificate({ serial: Uint8Array.of(0xff, 0x01) })],
    ["zero-serial", craftCertificate({ serial: Uint8Array.of(0x00) })],
    ["generalized-2049", craftCertificate({ notAfter: generalizedTime("20490101000000Z") })],
    ["utc-1950", craftCertificate({ notBefore: utcTime("500101000000Z") })],
    ["no-extensions", craftCertificate({ extensions: [] })],
    ["empty-subject", craftCertificate({ subject: [], issuer: [cn("issuer")] })],
    ["long-name", craftCertificate({ subject: Array.from({ length: 40 }, (_, k) => cn(`n${k}.example`)) })],
  ];
  for (const [name, der] of crafted) {
    entries.push({ name: `crafted/${name}.der`, bytes: b64(der) });
    entries.push({ name: `crafted/${name}.pem`, bytes: b64(pemOf("CERTIFICATE", der)) });
  }

  const corpus: Corpus = { createdAt: now.toISOString(), anchorSets, entries };
  writeFileSync(OUT, gzipSync(JSON.stringify(corpus), { level: 9 }));
  console.log(`${entries.length} inputs written to ${OUT.pathname}`);
}

await main();
