/**
 * cfn-lint on every template of the deployment simulation, each against the regions of its own
 * partition (scripts/matrix-manifest.ts): a property or resource type one partition's schema lacks
 * fails here, not in the user's first deploy. Errors fail; warnings are printed. Skips, saying so,
 * when cfn-lint is not on the machine (it is on the CI image; `pip install cfn-lint` elsewhere).
 *
 *   npx tsx scripts/lint-templates.ts [MATRIX_DIR] [CDK_OUT]
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { templatesToCheck } from "./matrix-manifest";

const version = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
if (version.error || version.status !== 0) {
  console.log("lint-templates: cfn-lint is not installed; skipped (pip install cfn-lint to run it)");
  process.exit(0);
}

let failures = 0;
for (const { name, template, regions } of templatesToCheck(
  process.argv[2] ?? join(".ci", "out", "matrix"),
  process.argv[3] ?? "cdk.out",
)) {
  const started = Date.now();
  const lint = spawnSync(
    "cfn-lint",
    ["--non-zero-exit-code", "error", "--format", "parseable", "--regions", ...regions, "--", template],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const lines = `${lint.stdout}${lint.stderr}`.split("\n").filter(Boolean);
  // Parseable lines are file:line:col:endline:endcol:RULE:message; warnings (W...) and
  // informational findings (I...) are counted, everything else is shown.
  const rule = (line: string) => line.slice(template.length).split(":")[5] ?? "";
  const notes = lines.filter((line) => /^[WI]\d/.test(rule(line)));
  const shown = lines.filter((line) => !notes.includes(line));
  const ok = lint.status === 0;
  if (!ok) failures += 1;
  console.log(
    `lint-templates ${name} (${regions.join(" ")}): ${ok ? "ok" : `FAILED (exit ${lint.status})`}, ${notes.length} warning(s) [${((Date.now() - started) / 1000).toFixed(1)} s]`,
  );
  if (shown.length > 0) console.log(shown.join("\n").replace(/^/gm, "  "));
}
process.exit(failures > 0 ? 1 : 0);
