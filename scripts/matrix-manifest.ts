/**
 * The templates the deployment simulation checks, and the regions each is checked in: a template
 * deploys into one partition, whose regions lack some resource types and properties the others
 * have (GovCloud's AWS::Events::EventBus has no Description, China's event source mappings take no
 * tags), so cfn-lint checks it against several regions of its own partition. The shipped example
 * is synthesized without a region (`cdk synth` with no profile), so it must deploy in all of them.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RegionInfo } from "aws-cdk-lib/region-info";

const TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), "..", "templates");
const MEMBER_TEMPLATE = join(TEMPLATES, "member-account-reader.template.json");
const MEMBER_EVENTS_TEMPLATE = join(TEMPLATES, "member-account-events.template.json");

/** Regions per partition that cfn-lint checks a template against: commercial ones on four continents. */
export const LINT_REGIONS: Record<string, string[]> = {
  aws: ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"],
  "aws-cn": ["cn-north-1", "cn-northwest-1"],
  "aws-us-gov": ["us-gov-west-1", "us-gov-east-1"],
};

export interface MatrixTemplate {
  /** The matrix case (scripts/synth-matrix.ts) or "shipped example". */
  name: string;
  /** Path of the template, relative to the manifest's directory (or absolute). */
  template: string;
  regions: string[];
}

export interface MatrixManifest {
  templates: MatrixTemplate[];
}

/** The lint regions of the partition a stack region belongs to. */
export function regionsOfPartition(region: string): string[] {
  const partition = RegionInfo.get(region).partition ?? "aws";
  const regions = LINT_REGIONS[partition];
  if (!regions) throw new Error(`no lint regions for partition ${partition} (region ${region})`);
  return regions;
}

/**
 * Every template to check: the matrix's (OUTDIR/manifest.json, written by synth-matrix.ts) and the
 * shipped example's (the stacks in cdk.out/manifest.json), the latter in its own partition's regions,
 * or in every partition's when it was synthesized without a region (`cdk synth` with no profile:
 * environment aws://unknown-account/unknown-region). Paths are absolute.
 */
export function templatesToCheck(matrixDir: string, cdkOut = "cdk.out"): MatrixTemplate[] {
  const manifestPath = join(resolve(matrixDir), "manifest.json");
  if (!existsSync(manifestPath))
    throw new Error(`${manifestPath} is missing: run scripts/synth-matrix.ts first`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as MatrixManifest;
  const templates = manifest.templates.map((t) => ({
    ...t,
    template: resolve(dirname(manifestPath), t.template),
  }));
  // The member-account reader role's StackSet template (docs/member-accounts.md) deploys into
  // member accounts of any partition, as committed.
  templates.push({
    name: "member-account reader (StackSets)",
    template: MEMBER_TEMPLATE,
    regions: Object.values(LINT_REGIONS).flat(),
  });
  templates.push({
    name: "member-account event forwarder (StackSets)",
    template: MEMBER_EVENTS_TEMPLATE,
    regions: Object.values(LINT_REGIONS).flat(),
  });
  const assembly = join(resolve(cdkOut), "manifest.json");
  if (!existsSync(assembly)) return templates;
  const artifacts = (
    JSON.parse(readFileSync(assembly, "utf8")) as {
      artifacts: Record<
        string,
        { type: string; environment?: string; properties?: { templateFile?: string } }
      >;
    }
  ).artifacts;
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type !== "aws:cloudformation:stack" || !artifact.properties?.templateFile) continue;
    const region = artifact.environment?.split("/").at(-1);
    templates.push({
      name: `shipped example (${id})`,
      template: join(resolve(cdkOut), artifact.properties.templateFile),
      regions:
        !region || region === "unknown-region"
          ? Object.values(LINT_REGIONS).flat()
          : regionsOfPartition(region),
    });
  }
  return templates;
}
