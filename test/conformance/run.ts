/**
 * `npm run conformance`: every case of the x509-limbo half kept in this directory, judged by the
 * engine `watchpost scan` and the scan Lambda use (scan.ts `scanFile`: the reader, then every
 * check), with the case's trust anchors, intermediates, leaf, expected peer name, validation time,
 * maximum chain depth and purpose, and a clock-skew tolerance of 0.
 *
 * A case is rejected when the engine raises, about the peer certificate, a finding that says a
 * client refuses it now: `expired`, `not-yet-valid`, `hostname-mismatch`, `untrusted-chain` (its
 * advisories, such as a CA expiring before the leaf, excepted) or `unreadable`. Prints agreement per
 * family and every disagreement with the case's description; exits 1 below the threshold.
 * `-- --verbose` also prints the disagreements that are not counted; `-- --json FILE` writes the
 * per-case verdicts.
 */
import { writeFileSync } from "node:fs";
import type { ParsedCertificate } from "../../functions/core/certificates/certificate";
import { DEFAULT_POLICY, type EvaluationPolicy } from "../../functions/core/certificates/evaluate";
import { readCertificates } from "../../functions/core/certificates/reader";
import type { Finding } from "../../functions/core/contracts";
import { scanFile } from "../../functions/core/scan/read-files";
import {
  exclusionOf,
  familyOf,
  type LimboCase,
  loadCases,
  percent,
  THRESHOLD,
  tallyByFamily,
  validationTime,
} from "./cases";

const REJECTING = new Set(["expired", "not-yet-valid", "hostname-mismatch", "untrusted-chain", "unreadable"]);

interface Outcome {
  testCase: LimboCase;
  verdict: "SUCCESS" | "FAILURE";
  agrees: boolean;
  excluded?: string;
  /** The findings that decided a rejection, or every finding when the case was accepted. */
  findings: Finding[];
  ms: number;
}

async function anchorsOf(testCase: LimboCase): Promise<ParsedCertificate[]> {
  const read = await readCertificates(Buffer.from(testCase.trusted_certs.join("\n")), "trusted");
  return read.status === "ok" ? read.certificates : [];
}

/** Whether a finding says a client refuses the peer certificate now. */
export function rejects(finding: Finding, file: string): boolean {
  if (!REJECTING.has(finding.check)) return false;
  if (finding.source !== file && finding.source !== `${file}#0`) return false;
  return (
    finding.details?.advisory !== true && finding.details?.reason !== "issuer-expires-before-certificate"
  );
}

async function judge(testCase: LimboCase): Promise<Outcome> {
  const started = performance.now();
  const file = `limbo:${testCase.id}`;
  const names = testCase.expected_peer_name
    ? [testCase.expected_peer_name]
    : testCase.expected_peer_names.filter((name) => name.kind !== "RFC822");
  const hostNames = names.filter((name) => name.kind !== "RFC822").map((name) => name.value);
  // The peer presents its certificate first, then the intermediates, as a TLS server does.
  const presented = [testCase.peer_certificate, ...testCase.untrusted_intermediates].join("\n");
  const result = await scanFile(
    {
      file,
      explicit: true,
      load: async () => ({ ok: true, bytes: Buffer.from(presented) }),
      ...(hostNames.length > 0 ? { expectedHosts: hostNames } : {}),
    },
    {
      policy: {
        ...DEFAULT_POLICY,
        now: validationTime(testCase),
        skewSeconds: 0,
        trustAnchors: await anchorsOf(testCase),
        ...engineOptions(testCase),
      },
    },
  );
  const decisive = result.findings.filter((finding) => rejects(finding, file));
  const verdict = decisive.length > 0 ? "FAILURE" : "SUCCESS";
  const excluded = exclusionOf(testCase);
  return {
    testCase,
    verdict,
    agrees: verdict === testCase.expected_result,
    findings: decisive.length > 0 ? decisive : result.findings,
    ms: performance.now() - started,
    ...(excluded ? { excluded } : {}),
  };
}

/**
 * Case parameters the engine's policy takes beyond time, names and anchors. A SERVER case leaves
 * the purpose to the engine, as a scan does: `server` when a peer name is expected, `any` when not.
 */
function engineOptions(testCase: LimboCase): Partial<EvaluationPolicy> {
  return {
    ...(testCase.validation_kind === "CLIENT" ? { purpose: "client" as const } : {}),
    presentedChain: true,
    ...(testCase.max_chain_depth !== null ? { maxIntermediates: testCase.max_chain_depth } : {}),
  };
}

function print(outcomes: readonly Outcome[], verbose: boolean): boolean {
  const { families, counted } = tallyByFamily(outcomes);
  console.log("watchpost on the x509-limbo cases in test/conformance (clock skew 0)");
  for (const [family, tally] of [...families].sort()) {
    console.log(
      `  ${family.padEnd(14)} ${String(tally.agree).padStart(3)} / ${String(tally.total).padEnd(3)} ${percent(tally).padStart(8)}` +
        (tally.excluded ? `   (${tally.excluded} not counted)` : ""),
    );
  }
  const share = counted.total === 0 ? 0 : counted.agree / counted.total;
  console.log(
    `  ${"counted".padEnd(14)} ${counted.agree} / ${counted.total} ${percent(counted)} (threshold ${THRESHOLD * 100} %)`,
  );
  for (const outcome of outcomes) {
    if (outcome.agrees || (!verbose && outcome.excluded)) continue;
    const { testCase } = outcome;
    const note = outcome.excluded ? ` [not counted: ${outcome.excluded}]` : "";
    console.log(
      `\n✗ ${testCase.id} (${familyOf(testCase)}): expected ${testCase.expected_result}, watchpost ${outcome.verdict}${note}`,
    );
    console.log(indent(testCase.description.trim()));
    for (const finding of outcome.findings.slice(0, 4))
      console.log(indent(`→ ${finding.check} [${finding.severity}] ${finding.message}`));
  }
  const client = outcomes.filter((o) => o.testCase.validation_kind === "CLIENT");
  if (client.length > 0)
    console.log(
      `  CLIENT cases (purpose client, not counted): ${client.filter((o) => o.agrees).length} / ${client.length}`,
    );
  const slowest = [...outcomes].sort((a, b) => b.ms - a.ms)[0];
  if (slowest) console.log(`\nslowest case: ${slowest.testCase.id}, ${slowest.ms.toFixed(0)} ms`);
  return share >= THRESHOLD;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

async function main(): Promise<void> {
  const verbose = process.argv.includes("--verbose");
  const jsonAt = process.argv.indexOf("--json");
  const outcomes: Outcome[] = [];
  for (const testCase of loadCases()) outcomes.push(await judge(testCase));
  if (jsonAt > 0 && process.argv[jsonAt + 1]) {
    const verdicts = outcomes.map((o) => ({ id: o.testCase.id, verdict: o.verdict, agrees: o.agrees }));
    writeFileSync(process.argv[jsonAt + 1]!, `${JSON.stringify(verdicts, null, 2)}\n`);
  }
  if (!print(outcomes, verbose)) process.exitCode = 1;
}

await main();
