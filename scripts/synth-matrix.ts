/**
 * The synth matrix of the deployment simulation (`.ci/run`): the CDK app (bin/app.ts, cdk-nag's AWS
 * Solutions checks on, cdk.json's feature flags) synthesized for
 *   - a minimal configuration,
 *   - one with every feature and every list at its schema limit (test/support/deployment-configs.ts),
 *   - what a user's account already has: an existing bucket; an SSE-KMS existing bucket under another
 *     account's key, a write probe into an SSE-KMS bucket, an own security group,
 *   - one for each other partition: aws-cn (cn-north-1) and aws-us-gov (us-gov-west-1), no chat,
 * each into OUTDIR/<name>/, plus the configurations the synth must refuse (chat channels in aws-cn,
 * an existing bucket in another region than the stack), each with a message naming the field.
 * OUTDIR/manifest.json lists every template with the regions of its partition, which cfn-lint
 * checks it against (scripts/lint-templates.ts); cfn-guard checks them all (scripts/guard-templates.ts).
 * The shipped example is `cdk synth`'s own step in .ci/run. Exits 1 when any case does not go as expected.
 * The largest configuration (its configuration once overflowed the esbuild command line) and the
 * aws-certificates one are bundled by the local esbuild as `cdk synth` does; the others skip bundling, which changes no template
 * line but the asset hashes, to keep CI short (the shipped example's bundles are built by `cdk synth`).
 *
 *   npx tsx scripts/synth-matrix.ts [OUTDIR]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { App } from "aws-cdk-lib";
import { buildApp } from "../bin/app";
import type { WatchpostConfigInput } from "../functions/core/config";
import { projectContext } from "../test/infra/support";
import {
  ACCOUNT,
  deployments,
  existingBucketConfig,
  largestConfig,
  otherPartitionConfig,
} from "../test/support/deployment-configs";
import { type MatrixManifest, regionsOfPartition } from "./matrix-manifest";

interface Case {
  name: string;
  config: WatchpostConfigInput;
  region: string;
  /** Set when the synth must fail, with this text in the error. */
  refusal?: string;
  bundle?: boolean;
}

const BUNDLED = new Set(["largest", "aws-certificates"]);

const CASES: Case[] = [
  // Bundled as `cdk synth` does: the largest configuration, and the AWS certificate kinds' (the
  // Node 24 runs read their bundles: node24-webhooks, node24-endpoints, node24-aws-certificates).
  ...deployments().map((d) => ({ ...d, ...(BUNDLED.has(d.name) ? { bundle: true } : {}) })),
  {
    name: "aws-cn-with-chat",
    config: { ...otherPartitionConfig(), notifications: largestConfig().notifications },
    region: "cn-north-1",
    refusal: "not available in the aws-cn partition",
  },
  {
    name: "existing-bucket-in-another-region",
    config: existingBucketConfig(),
    region: "us-east-1",
    refusal: "bucket acme-cluster-certificates is in eu-west-1, the stack in us-east-1",
  },
];

const outdir = resolve(process.argv[2] ?? join(".ci", "out", "matrix"));
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const manifest: MatrixManifest = { templates: [] };
let failures = 0;
for (const { name, config, region, refusal, bundle } of CASES) {
  const started = Date.now();
  const directory = join(outdir, name);
  mkdirSync(directory, { recursive: true });
  const configPath = join(directory, "watchpost.config.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  process.env.CDK_DEFAULT_ACCOUNT = ACCOUNT;
  process.env.CDK_DEFAULT_REGION = region;
  let outcome: string;
  try {
    // cdk.json's context (the feature flags) and the asset paths in the template's metadata, as
    // `cdk synth` passes them, which a bare App does not (the Node 24 run finds bundles by them).
    const context = {
      ...projectContext(),
      "aws:cdk:enable-asset-metadata": true,
      config: configPath,
      ...(bundle ? {} : { "aws:cdk:bundling-stacks": [] }),
    };
    const cdkOut = join(directory, "cdk.out");
    buildApp(new App({ outdir: cdkOut, context })).synth();
    outcome = refusal ? `FAILED: synthesized, but should have been refused (${refusal})` : "ok";
    for (const file of readdirSync(cdkOut).filter((f) => f.endsWith(".template.json"))) {
      manifest.templates.push({
        name,
        template: relative(outdir, join(cdkOut, file)),
        regions: regionsOfPartition(region),
      });
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    outcome =
      refusal && message.includes(refusal)
        ? `ok, refused: ${message.split("\n").slice(-1)[0]?.trim()}`
        : `FAILED: ${message}`;
  }
  if (outcome.startsWith("FAILED")) failures += 1;
  console.log(
    `synth-matrix ${name} (${region}): ${outcome} [${((Date.now() - started) / 1000).toFixed(1)} s]`,
  );
}
writeFileSync(join(outdir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
process.exit(failures > 0 ? 1 : 0);
