/**
 * The engine's outputs on the fixed corpus against the recorded baseline: `--record` writes the
 * baseline (done on main before a change to the engine), without it every input is compared and
 * the differences printed; exit status 1 when any differs. The same comparison runs in the suite
 * (test/unit/certificates/engine-baseline.test.ts).
 *
 * `npx tsx test/engine-baseline/compare.ts [--record]`
 */
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { BASELINE_FILE, loadCorpus } from "./entries";
import { engineOutputs } from "./outputs";

export interface Baseline {
  recordedAt: string;
  commit: string;
  outputs: { name: string; output: string }[];
}

export function loadBaseline(): Baseline {
  return JSON.parse(gunzipSync(readFileSync(BASELINE_FILE)).toString("utf8")) as Baseline;
}

/** Each input whose output differs from the baseline's, with both outputs. */
export async function differences(): Promise<{ name: string; before: string; after: string }[]> {
  const baseline = loadBaseline();
  const outputs = await engineOutputs(loadCorpus());
  if (outputs.length !== baseline.outputs.length)
    throw new Error(`${outputs.length} outputs against ${baseline.outputs.length} recorded`);
  return outputs.flatMap((now, i) => {
    const before = baseline.outputs[i]!;
    return before.name === now.name && before.output === now.output
      ? []
      : [{ name: now.name, before: before.output, after: now.output }];
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes("--record")) {
    const { execFileSync } = await import("node:child_process");
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const outputs = await engineOutputs(loadCorpus());
    const baseline: Baseline = { recordedAt: new Date().toISOString(), commit, outputs };
    writeFileSync(BASELINE_FILE, gzipSync(JSON.stringify(baseline), { level: 9 }));
    console.log(`${outputs.length} outputs recorded at ${commit}`);
  } else {
    const found = await differences();
    for (const { name, before, after } of found.slice(0, 20)) {
      console.log(`${name}\n  before: ${before.slice(0, 2000)}\n  after:  ${after.slice(0, 2000)}`);
    }
    console.log(`${found.length} of the corpus's outputs differ from the baseline`);
    process.exitCode = found.length > 0 ? 1 : 0;
  }
}
