import { readFileSync } from "node:fs";
import { join } from "node:path";
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
        {
          prefix: "prod/",
          caBundleKey: "trust/ca.pem",
          pkcs12PasswordSecretName: "watchpost/p12",
          keystorePasswordsByKey: [
            { keyPattern: "prod/*/opt/flink/ha/**", secretName: "watchpost/flink-ha" },
          ],
          parameters: { Cluster: "prod" },
          parametersByKey: [
            { keyPattern: "prod/{HostName}/opt/flink/**", parameters: { ServiceName: "Flink" } },
          ],
        },
        { prefix: "staging/" },
      ],
      peerGroups: [
        {
          name: "etcd",
          caBundleKey: "trust/etcd-ca.pem",
          peers: [{ fqdn: "e1.example.com", certificateKey: "peers/e1.pem" }],
        },
        {
          // Each broker's own truststore: one in the bucket with a password, one pushed from its host.
          name: "kafka",
          roles: ["server", "client"],
          peers: [
            {
              fqdn: "k1.example.com",
              certificateKey: "peers/k1.pem",
              trustStore: {
                key: "trust/k1.truststore.p12",
                passwordSecretName: "watchpost/kafka-truststore",
              },
            },
            {
              fqdn: "k2.example.com",
              certificateKey: "peers/k2.pem",
              trustStore: { pushed: { prefix: "hosts/", path: "/etc/kafka/ssl/kafka.truststore.jks" } },
            },
          ],
        },
      ],
    },
    credentials: {
      targets: [
        { name: "agency", roleArn: ROLE_ARN, bucket: "cluster-data", region: "eu-west-1" },
        { name: "ambient", bucket: "ambient-data", prefix: "meta/", region: "eu-west-1", writeProbe: true },
      ],
    },
    endpoints: {
      targets: [
        {
          endpoint: "api.cluster.internal:6443",
          caBundleKey: "trust/cluster-ca.pem",
          storedCertificateKey: "prod/api.pem",
          serviceName: "Kubernetes API",
        },
        { endpoint: "mail.cluster.internal:25", starttls: "smtp", caBundleKey: "trust/cluster-ca.pem" },
        { endpoint: "[fd00::10]:5432", servername: "db.cluster.internal", starttls: "postgres" },
      ],
      vpc: { vpcId: "vpc-0abc1234", subnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] },
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
        {
          name: "ops-slack",
          format: "slack",
          urlSecretName: "watchpost/slack-hook",
          minimumSeverity: "major",
        },
        {
          name: "ops-teams",
          format: "teams",
          urlSecretName: "watchpost/teams-hook",
          urlSecretField: "url",
          minimumSeverity: "warning",
        },
      ],
    },
  };
}

export function minimalConfig(): WatchpostConfigInput {
  return { certificates: { sources: [{ prefix: "certs/" }] } };
}

/** The context `cdk synth` runs with (cdk.json): the feature flags, so tests see the deployed template. */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "cdk.json"), "utf8"));
  return cdkJson.context as Record<string, unknown>;
}

export interface StackEnvironment {
  account?: string;
  region?: string;
}

/**
 * The stack for a configuration, with the project's feature flags and cdk-nag's AWS Solutions
 * checks on, as bin/app.ts has them: a configuration that passes these tests but fails nag would
 * stop `cdk synth`, so it must fail here too. Bundling is skipped (context
 * `aws:cdk:bundling-stacks: []`): these tests are about wiring, and esbuild runs in `cdk synth` in CI.
 */
export function buildStack(
  input: WatchpostConfigInput,
  env: StackEnvironment = { account: "123456789012", region: "eu-west-1" },
): { app: App; stack: WatchpostStack } {
  const app = new App({ context: { ...projectContext(), "aws:cdk:bundling-stacks": [] } });
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

/**
 * What the IAM policies attached to the roles whose logical ID matches `role` allow, one
 * [action, resource] pair per combination: the same list however the minimizePolicies feature flag
 * merges and orders statements. Resources are JSON text so tokens compare by value.
 */
export function grantsOf(template: Template, role: RegExp): [string, string][] {
  const pairs: [string, string][] = [];
  for (const policy of Object.values(template.findResources("AWS::IAM::Policy"))) {
    if (!policy.Properties.Roles.some((r: { Ref?: string }) => r.Ref !== undefined && role.test(r.Ref)))
      continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      if (statement.Effect !== "Allow") continue;
      const actions: string[] = [statement.Action].flat();
      const resources: unknown[] = [statement.Resource].flat();
      for (const action of actions)
        for (const resource of resources) pairs.push([action, JSON.stringify(resource)]);
    }
  }
  return pairs;
}
