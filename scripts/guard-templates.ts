/**
 * CloudFormation Guard with AWS Control Tower's proactive controls, through
 * @cdklabs/cdk-validator-cfnguard (which ships the cfn-guard binary and the rules, so this runs
 * offline on a clean clone), on every template of the deployment simulation. A violation passes
 * only when lib/guard-acknowledgements.ts waives that rule for that resource, with its reason; an
 * acknowledgement that no template needs any more fails too, so the list stays true.
 *
 *   npx tsx scripts/guard-templates.ts [MATRIX_DIR] [CDK_OUT]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CfnGuardValidator } from "@cdklabs/cdk-validator-cfnguard";
import { App, type IPolicyValidationContextBeta1 } from "aws-cdk-lib";
import { GUARD_ACKNOWLEDGEMENTS, type TemplateResource } from "../lib/guard-acknowledgements";
import { templatesToCheck } from "./matrix-manifest";

// The largest template's report runs to megabytes of JSON.
const guard = new CfnGuardValidator({ maxBuffer: 256 * 1024 * 1024 });
const used = new Set<string>();
let failures = 0;

for (const { name, template } of templatesToCheck(
  process.argv[2] ?? join(".ci", "out", "matrix"),
  process.argv[3] ?? "cdk.out",
)) {
  const started = Date.now();
  const resources = (
    JSON.parse(readFileSync(template, "utf8")) as { Resources: Record<string, TemplateResource> }
  ).Resources;
  const context = { templatePaths: [template], appConstruct: new App() } as IPolicyValidationContextBeta1;
  const report = guard.validate(context);
  const waived: string[] = [];
  const unwaived: string[] = [];
  for (const violation of report.violations) {
    for (const { resourceLogicalId: id } of violation.violatingResources) {
      const resource = resources[id];
      const acknowledgement = GUARD_ACKNOWLEDGEMENTS.find(
        (a) => a.rule === violation.ruleName && resource !== undefined && a.covers(id, resource, resources),
      );
      if (acknowledgement) {
        used.add(acknowledgement.rule);
        waived.push(`${acknowledgement.control} ${id}`);
      } else {
        unwaived.push(
          `${violation.ruleName} ${id ?? "(template)"}: ${violation.description.trim().split("\n")[0]}`,
        );
      }
    }
  }
  if (unwaived.length > 0) failures += 1;
  console.log(
    `guard-templates ${name}: ${unwaived.length === 0 ? "ok" : "FAILED"}, ${waived.length} violation(s) acknowledged in lib/guard-acknowledgements.ts [${((Date.now() - started) / 1000).toFixed(1)} s]`,
  );
  for (const line of unwaived) console.log(`  not acknowledged: ${line}`);
}

for (const stale of GUARD_ACKNOWLEDGEMENTS.filter((a) => !used.has(a.rule))) {
  failures += 1;
  console.log(
    `guard-templates: the acknowledgement of ${stale.control} (${stale.rule}) covers no violation in any template; remove it`,
  );
}
process.exit(failures > 0 ? 1 : 0);
