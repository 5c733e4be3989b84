/**
 * The x509-limbo cases kept in this directory (limbo-given.json, Apache-2.0, see NOTICE.md): read
 * once, validated with the suite's own field names, and sorted into what the conformance figure
 * counts. Shared by the watchpost harness (run.ts) and the OpenSSL comparison (openssl.ts), so both
 * count the same cases.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { deviationOf } from "./deviations";

const PeerName = z.object({ kind: z.enum(["DNS", "IP", "RFC822"]), value: z.string() });

export const LimboCase = z.object({
  id: z.string(),
  conflicts_with: z.array(z.string()).default([]),
  features: z.array(z.string()).default([]),
  description: z.string(),
  validation_kind: z.enum(["SERVER", "CLIENT"]),
  trusted_certs: z.array(z.string()),
  untrusted_intermediates: z.array(z.string()),
  peer_certificate: z.string(),
  validation_time: z.string().nullable(),
  extended_key_usage: z.array(z.string()).default([]),
  expected_result: z.enum(["SUCCESS", "FAILURE"]),
  expected_peer_name: PeerName.nullable(),
  expected_peer_names: z.array(PeerName).default([]),
  max_chain_depth: z.number().int().nonnegative().nullable(),
  crls: z.array(z.string()).default([]),
});
export type LimboCase = z.infer<typeof LimboCase>;

const Suite = z.object({ version: z.number(), testcases: z.array(LimboCase) });

export const SUITE_FILE = fileURLToPath(new URL("./limbo-given.json", import.meta.url));

export function loadCases(file = SUITE_FILE): LimboCase[] {
  return Suite.parse(JSON.parse(readFileSync(file, "utf8"))).testcases;
}

/** `rfc5280::nc::permitted-dns-mismatch` belongs to family `rfc5280`. */
export function familyOf(testCase: Pick<LimboCase, "id">): string {
  return testCase.id.split("::")[0] ?? testCase.id;
}

/**
 * Optional behaviour the suite tags with a feature (limbo/models.py: "consumers that don't
 * understand a given feature should skip tests that are marked with it") that watchpost implements,
 * so those cases count. Cases with any other feature are run and printed but not counted: CRLs
 * (watchpost reads none), certificate policies and policy constraints (not processed), ML-DSA (not
 * verified), the `pedantic-*` readings, and RFC 5280 readings WebPKI clients do not follow.
 */
export const SUPPORTED_FEATURES: ReadonlySet<string> = new Set([
  "max-chain-depth",
  "denial-of-service",
  "name-constraint-dn",
  "no-cert-policies",
]);

/**
 * Why a case is run and printed but left out of the agreement figure, or undefined when it counts.
 * Categories first (what watchpost does not model at all), then the documented deviations by id.
 */
export function exclusionOf(testCase: LimboCase): string | undefined {
  if (testCase.validation_kind !== "SERVER") return "CLIENT case (the threshold is on SERVER cases)";
  if (testCase.crls.length > 0 && !testCase.features.includes("has-crl"))
    return "carries CRLs: watchpost reads no CRLs";
  const unsupported = testCase.features.find((feature) => !SUPPORTED_FEATURES.has(feature));
  if (unsupported) return `feature ${unsupported}: ${FEATURE_REASONS[unsupported] ?? "not implemented"}`;
  const deviation = deviationOf(testCase.id);
  if (deviation) return `deviation: ${deviation.reason}`;
  return undefined;
}

const FEATURE_REASONS: Record<string, string> = {
  "has-crl": "watchpost reads no CRLs (revocation is out of its scope)",
  "has-policy-constraints": "certificate policies are not processed",
  "has-cert-policies": "certificate policies are not processed",
  "has-mldsa": "ML-DSA signatures are not verified",
  "rfc5280-incompatible-with-webpki":
    "an RFC 5280 reading WebPKI clients do not follow; watchpost judges as TLS clients do",
  "pedantic-rfc5280": "a pedantic reading the suite marks optional",
  "pedantic-public-suffix-wildcard": "needs the Public Suffix List, which watchpost does not carry",
  "pedantic-webpki-eku": "a pedantic reading the suite marks optional",
  "pedantic-webpki-subscriber-key": "a pedantic reading the suite marks optional",
  "pedantic-serial-number": "a pedantic reading the suite marks optional",
};

/** Agreement below this share of the counted SERVER cases fails `npm run conformance`. */
export const THRESHOLD = 0.95;

/** Validation instant of a case: its own, or now when the suite leaves it open. */
export function validationTime(testCase: LimboCase): Date {
  return testCase.validation_time ? new Date(testCase.validation_time) : new Date();
}

export interface Tally {
  agree: number;
  total: number;
}

/** Per-family and overall tallies of counted cases, printed the same way by both harnesses. */
export function tallyByFamily(
  outcomes: readonly { testCase: LimboCase; agrees: boolean; excluded?: string }[],
): { families: Map<string, Tally & { excluded: number }>; counted: Tally } {
  const families = new Map<string, Tally & { excluded: number }>();
  const counted: Tally = { agree: 0, total: 0 };
  for (const { testCase, agrees, excluded } of outcomes) {
    const family = familyOf(testCase);
    const tally = families.get(family) ?? { agree: 0, total: 0, excluded: 0 };
    families.set(family, tally);
    if (excluded) {
      tally.excluded += 1;
      continue;
    }
    tally.total += 1;
    counted.total += 1;
    if (agrees) {
      tally.agree += 1;
      counted.agree += 1;
    }
  }
  return { families, counted };
}

export function percent({ agree, total }: Tally): string {
  return total === 0 ? "-" : `${((agree / total) * 100).toFixed(1)} %`;
}
