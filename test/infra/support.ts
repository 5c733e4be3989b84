import { App, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { parseConfig, type WatchpostConfigInput } from "../../functions/core/config";
import { WatchpostStack } from "../../lib/watchpost-stack";

export const ROLE_ARN = "arn:aws:iam::123456789012:role/cluster-agency";

/** A configuration that switches on every optional part of the stack. */
export function fullConfig(): WatchpostConfigInput {
  return {
    certificates: {
      sources: [
        { prefix: "prod/", caBundleKey: "trust/ca.pem", pkcs12PasswordSecretName: "watchpost/p12" },
        { prefix: "staging/" },
      ],
      peerGroups: [
        {
          name: "etcd",
          caBundleKey: "trust/etcd-ca.pem",
          peers: [{ fqdn: "e1.example.com", certificateKey: "peers/e1.pem" }],
        },
      ],
    },
    credentials: {
      targets: [
        { name: "agency", roleArn: ROLE_ARN, bucket: "cluster-data", region: "eu-west-1" },
        { name: "ambient", bucket: "ambient-data", prefix: "meta/", region: "eu-west-1", writeProbe: true },
      ],
    },
    notifications: {
      email: [
        { address: "oncall@example.com", minimumSeverity: "major" },
        { address: "team@example.com", minimumSeverity: "warning" },
      ],
      slack: [{ name: "ops", workspaceId: "T0123ABCD", channelId: "C0123ABCD", minimumSeverity: "major" }],
      teams: [
        {
          name: "platform",
          teamId: "11111111-2222-3333-4444-555555555555",
          tenantId: "66666666-7777-8888-9999-000000000000",
          channelId: "19:abc@thread.tacv2",
          minimumSeverity: "minor",
        },
      ],
      webhooks: [
        {
          name: "pager",
          url: "https://hooks.example.com/watchpost",
          minimumSeverity: "critical",
          auth: {
            type: "api-key",
            headerName: "x-api-key",
            secretName: "watchpost/pager",
            secretField: "key",
          },
        },
      ],
    },
  };
}

export function minimalConfig(): WatchpostConfigInput {
  return { certificates: { sources: [{ prefix: "certs/" }] } };
}

export interface StackEnvironment {
  account?: string;
  region?: string;
}

/**
 * The stack for a configuration, with cdk-nag's AWS Solutions checks on, as bin/app.ts has them:
 * a configuration that passes these tests but fails nag would stop `cdk synth`, so it must fail
 * here too. Bundling is skipped (context `aws:cdk:bundling-stacks: []`): these tests are about
 * wiring, and esbuild runs in `cdk synth` in CI.
 */
export function buildStack(
  input: WatchpostConfigInput,
  env: StackEnvironment = { account: "123456789012", region: "eu-west-1" },
): { app: App; stack: WatchpostStack } {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new WatchpostStack(app, "Watchpost", { config: parseConfig(input), env });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/**
 * The synthesized template. Synthesis throws when cdk-nag reports an error no construct
 * acknowledged (the message names the rule and the resource).
 */
export function synth(input: WatchpostConfigInput, env?: StackEnvironment): Template {
  const { app, stack } = buildStack(input, env);
  const assembly = app.synth();
  return Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
}

/** Logical ID of the one resource of a type whose properties match, for Ref/GetAtt assertions. */
export function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}
