/**
 * The same x509-limbo cases through `openssl verify`, for comparison with watchpost's figure:
 *
 *   openssl verify -x509_strict -purpose sslserver|sslclient -trusted ROOTS -untrusted CHAIN
 *     [-attime EPOCH] [-verify_hostname NAME | -verify_ip IP | -verify_email ADDR]
 *     [-verify_depth N] LEAF
 *
 * `-trusted` implies -no-CAfile -no-CApath -no-CAstore, so the machine's own roots play no part.
 * Run with `npm run -s conformance:openssl` (`-- --verbose` prints every disagreement).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHILD_TIMEOUT_MS } from "../support/timeouts";
import { exclusionOf, familyOf, type LimboCase, loadCases, percent, tallyByFamily } from "./cases";

interface OpensslOutcome {
  testCase: LimboCase;
  verdict: "SUCCESS" | "FAILURE";
  agrees: boolean;
  excluded?: string;
  said: string;
}

export function opensslArguments(testCase: LimboCase, dir: string): string[] {
  const file = (name: string, pems: readonly string[]) => {
    const path = join(dir, name);
    writeFileSync(path, pems.join("\n"));
    return path;
  };
  const args = [
    "verify",
    "-x509_strict",
    "-purpose",
    testCase.validation_kind === "SERVER" ? "sslserver" : "sslclient",
    "-trusted",
    file("trusted.pem", testCase.trusted_certs),
  ];
  if (testCase.untrusted_intermediates.length > 0)
    args.push("-untrusted", file("untrusted.pem", testCase.untrusted_intermediates));
  if (testCase.validation_time)
    args.push("-attime", String(Math.floor(Date.parse(testCase.validation_time) / 1000)));
  const name = testCase.expected_peer_name;
  if (name?.kind === "DNS") args.push("-verify_hostname", name.value);
  if (name?.kind === "IP") args.push("-verify_ip", name.value);
  if (name?.kind === "RFC822") args.push("-verify_email", name.value);
  if (testCase.max_chain_depth !== null) args.push("-verify_depth", String(testCase.max_chain_depth));
  args.push(file("leaf.pem", [testCase.peer_certificate]));
  return args;
}

function verify(testCase: LimboCase): OpensslOutcome {
  const dir = mkdtempSync(join(tmpdir(), "limbo-openssl-"));
  try {
    const run = spawnSync("openssl", opensslArguments(testCase, dir), {
      encoding: "utf8",
      timeout: CHILD_TIMEOUT_MS,
    });
    const verdict = run.status === 0 ? "SUCCESS" : "FAILURE";
    const said = `${run.stdout}${run.stderr}`
      .split("\n")
      .filter((line) => /error|OK/.test(line))
      .map((line) => line.replace(dir, ""))
      .join(" | ");
    const excluded = exclusionOf(testCase);
    return {
      testCase,
      verdict,
      agrees: verdict === testCase.expected_result,
      said: run.error ? String(run.error) : said,
      ...(excluded ? { excluded } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const verbose = process.argv.includes("--verbose");
  const version = spawnSync("openssl", ["version"], { encoding: "utf8" }).stdout.trim();
  const outcomes = loadCases().map(verify);
  const { families, counted } = tallyByFamily(outcomes);
  console.log(`openssl verify -x509_strict (${version}) on the x509-limbo cases in test/conformance`);
  for (const [family, tally] of [...families].sort()) {
    console.log(
      `  ${family.padEnd(14)} ${String(tally.agree).padStart(3)} / ${String(tally.total).padEnd(3)} ${percent(tally).padStart(8)}` +
        (tally.excluded ? `   (${tally.excluded} not counted)` : ""),
    );
  }
  console.log(`  ${"counted".padEnd(14)} ${counted.agree} / ${counted.total} ${percent(counted)}`);
  for (const outcome of outcomes) {
    if (outcome.agrees || (!verbose && outcome.excluded)) continue;
    const note = outcome.excluded ? ` [not counted: ${outcome.excluded}]` : "";
    console.log(
      `  ✗ ${outcome.testCase.id} (${familyOf(outcome.testCase)}): expected ${outcome.testCase.expected_result}, openssl ${outcome.verdict}${note}: ${outcome.said}`,
    );
  }
}

main();
