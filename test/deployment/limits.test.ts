/**
 * What a configuration the schema accepts must still be able to deploy, checked against the limits
 * AWS documents for what the stack writes:
 * - EventBridge: an event pattern of at most 2,048 characters by default ("Amazon EventBridge
 *   quotas", Event pattern size);
 * - IAM: a role's inline policies at most 10,240 characters together, a managed policy at most
 *   6,144, at most 10 managed policies per role ("IAM and AWS STS quotas"; whitespace not counted);
 * - Chatbot: configuration names of 1-128 letters, digits, '-' and '_', unique per account
 *   (AWS::Chatbot::SlackChannelConfiguration ConfigurationName), and no Chatbot at all outside the
 *   `aws` partition ("Regions and quotas for Amazon Q Developer in chat applications");
 * - partition-agnostic ARNs and service domains, so aws-cn and aws-us-gov deployments work.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, LIMITS, parseConfig } from "../../functions/core/config";
import { buildStack, fullConfig, synth } from "../infra/support";
import { largestConfig, otherPartitionConfig } from "../support/deployment-configs";
import { eventPatternSize, matchesEventPattern } from "../support/event-pattern";
import { identityPoliciesOf, simulate } from "../support/iam-simulation";
import { ResolvedTemplate } from "../support/template";

/**
 * A customer key's policy as KMS creates it by default: the account's IAM policies decide (KMS
 * Developer Guide, "Default key policy": allows access to the AWS account and enables IAM policies).
 */
const DEFAULT_KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Enable IAM User Permissions",
      Effect: "Allow" as const,
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};

/** The longest bucket name S3 allows, standing in for the name CloudFormation will generate. */
const LONGEST_BUCKET = "b".repeat(63);

let largest: ResolvedTemplate;

beforeAll(() => {
  largest = new ResolvedTemplate(synth(largestConfig()).toJSON() as never);
});

const s3Rules = (stack: ResolvedTemplate) =>
  stack
    .ofType("AWS::Events::Rule")
    .map((id) => stack.properties(id).EventPattern as Record<string, unknown> | undefined)
    .filter((pattern): pattern is Record<string, unknown> =>
      JSON.stringify(pattern ?? {}).includes('"aws.s3"'),
    );

describe("S3 object rules", () => {
  it("stay within EventBridge's pattern size with the longest prefixes and keys the schema allows", () => {
    // Prepare: a stack that creates its bucket (a name only known at deploy time: assume the longest)
    const { sources, peerGroups } = largestConfig().certificates;
    const stack = new ResolvedTemplate(synth({ certificates: { sources, peerGroups } }).toJSON() as never);
    const bucket = stack.ref(stack.ofType("AWS::S3::Bucket")[0]!);
    const patterns = s3Rules(stack).map((p) =>
      JSON.parse(JSON.stringify(p).replaceAll(bucket, LONGEST_BUCKET)),
    );

    // Act / Assess
    expect(patterns.length).toBeGreaterThan(1);
    for (const pattern of patterns) expect(eventPatternSize(pattern)).toBeLessThanOrEqual(2048);
  });

  it("together still match every configured prefix and key, and nothing else", () => {
    // Prepare
    const { sources, peerGroups } = largestConfig().certificates;
    const patterns = s3Rules(largest);
    const event = (key: string) => ({
      source: "aws.s3",
      "detail-type": "Object Created",
      detail: { bucket: { name: "acme-cluster-certificates" }, object: { key } },
    });
    const expectedKeys = [
      ...sources.map((s) => `${s.prefix}renewed.pem`),
      ...peerGroups!.flatMap((g) => [
        g.caBundleKey!,
        ...g.peers.flatMap((p) => [p.certificateKey!, p.trustStore!.key!]),
      ]),
    ];

    // Act
    const matched = (key: string) =>
      patterns.filter((p) => matchesEventPattern(p as never, event(key))).length;

    // Assess
    expect(expectedKeys.filter((key) => matched(key) !== 1)).toEqual([]);
    expect(matched("elsewhere/other.pem")).toBe(0);
  });
});

describe("IAM policies", () => {
  it("fit IAM's size quotas for the largest configuration", () => {
    // Prepare
    const compact = (document: unknown) => JSON.stringify(document).replace(/\s/g, "").length;
    const roles = largest.ofType("AWS::IAM::Role");

    // Act
    const problems = roles.flatMap((role) => {
      const name = largest.ref(role);
      const inline = largest
        .ofType("AWS::IAM::Policy")
        .map((id) => largest.properties(id))
        .filter((p) => (p.Roles as string[]).includes(name))
        .reduce((sum, p) => sum + compact(p.PolicyDocument), 0);
      const managed = largest
        .ofType("AWS::IAM::ManagedPolicy")
        .map((id) => largest.properties(id))
        .filter((p) => ((p.Roles ?? []) as string[]).includes(name));
      const attached =
        managed.length + ((largest.properties(role).ManagedPolicyArns ?? []) as unknown[]).length;
      return [
        ...(inline > 10_240 ? [`${role}: inline policies of ${inline} characters`] : []),
        ...managed
          .filter((p) => compact(p.PolicyDocument) > 6_144)
          .map((p) => `${role}: a managed policy of ${compact(p.PolicyDocument)} characters`),
        ...(attached > 10 ? [`${role}: ${attached} managed policies`] : []),
      ];
    });

    // Assess
    expect(problems).toEqual([]);
  });

  it("let the scan decrypt a PKCS#12 password secret encrypted with a customer key, through Secrets Manager only", async () => {
    // Prepare: Secrets Manager decrypts with the caller's permission, naming the secret in the
    // encryption context (Secrets Manager User Guide, "Secret encryption and decryption").
    const stack = new ResolvedTemplate(synth(fullConfig()).toJSON() as never);
    const scan = stack
      .ofType("AWS::Lambda::Function")
      .find((id) => /^Scans stored/.test(String(stack.properties(id).Description)))!;
    const roleId = (stack.resources[scan]!.Properties!.Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
    const key = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100";
    const secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:watchpost/p12-AbCdEf";
    const request = (viaService: string) =>
      simulate(
        {
          principal: stack.getAtt(roleId, "Arn"),
          action: "kms:Decrypt",
          resource: key,
          context: { "kms:ViaService": viaService, "kms:EncryptionContext:SecretARN": secretArn },
          identityPolicies: identityPoliciesOf(stack, roleId),
          resourcePolicy: DEFAULT_KEY_POLICY,
        },
        stack.env.account,
      );

    // Act
    const throughSecretsManager = await request("secretsmanager.eu-west-1.amazonaws.com");
    const directly = await request("ec2.eu-west-1.amazonaws.com");

    // Assess
    expect([throughSecretsManager.result, directly.result]).toEqual(["Allowed", "ImplicitlyDenied"]);
  });
});

describe("AWS Chatbot", () => {
  const chatNames = (stack: ResolvedTemplate) =>
    [
      ...stack.ofType("AWS::Chatbot::SlackChannelConfiguration"),
      ...stack.ofType("AWS::Chatbot::MicrosoftTeamsChannelConfiguration"),
    ].map((id) => String(stack.properties(id).ConfigurationName));

  it("names configurations uniquely per account: the same stack in two regions does not collide", () => {
    // Act
    const inIreland = chatNames(
      new ResolvedTemplate(
        synth(fullConfig(), { account: "123456789012", region: "eu-west-1" }).toJSON() as never,
        { account: "123456789012", region: "eu-west-1", partition: "aws", urlSuffix: "amazonaws.com" },
      ),
    );
    const inVirginia = chatNames(
      new ResolvedTemplate(
        synth(fullConfig(), { account: "123456789012", region: "us-east-1" }).toJSON() as never,
        { account: "123456789012", region: "us-east-1", partition: "aws", urlSuffix: "amazonaws.com" },
      ),
    );

    // Assess
    expect(inIreland).toHaveLength(2);
    expect(inIreland.filter((name) => inVirginia.includes(name))).toEqual([]);
  });

  it("keeps names within 128 letters, digits, '-' and '_' for the longest stack and channel names, and distinct", () => {
    // Prepare
    const config = largestConfig();

    // Act
    const names = chatNames(
      new ResolvedTemplate(synth({ ...config, stackName: `W${"x".repeat(127)}` }).toJSON() as never),
    );

    // Assess
    expect(names).toHaveLength(LIMITS.chatChannels * 2);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(new Set(names).size).toBe(names.length);
  });

  it("is refused at synth in a partition that has no Chatbot, naming what to change", () => {
    // Act / Assess
    expect(() => buildStack(fullConfig(), { account: "123456789012", region: "cn-north-1" })).toThrow(
      ConfigError,
    );
    expect(() => buildStack(fullConfig(), { account: "123456789012", region: "us-gov-west-1" })).toThrow(
      /not available in the aws-us-gov partition.*remove the chat channels/,
    );
  });
});

describe("another partition (aws-cn)", () => {
  it("synthesizes without a single ARN or service domain of the aws partition written out", () => {
    // Act
    const template = JSON.stringify(
      synth(otherPartitionConfig(), { account: "123456789012", region: "cn-north-1" }).toJSON(),
    );

    // Assess
    expect(template.match(/arn:aws:[^"]*/g) ?? []).toEqual([]);
    expect(
      template.match(/[a-z0-9.-]*\.amazonaws\.com"[^}]*ViaService|ViaService[^}]*amazonaws\.com"/g) ?? [],
    ).toEqual([]);
  });
});

describe("bundling", () => {
  it("passes the largest configuration to esbuild in a file, not on its command line", async () => {
    // Prepare: NodejsFunction runs esbuild through a shell; one argument may hold at most 128 KiB
    // on Linux (MAX_ARG_STRLEN), and the largest configuration is hundreds of kilobytes.
    const { functionBundling } = await import("../../lib/bundling");
    const { readFileSync } = await import("node:fs");
    const config = parseConfig(largestConfig());

    // Act
    const bundling = functionBundling(config, "functions/handlers/certificate-scan.ts");
    const argumentsOnTheCommandLine = [
      ...Object.entries(bundling.define ?? {}).map(([k, v]) => `--define:${k}=${v}`),
      ...Object.entries(bundling.esbuildArgs ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(bundling.inject ?? []).map((path) => `--inject:${path}`),
      `--banner:js=${bundling.banner ?? ""}`,
      // The hook's commands go to the same shell, each whole as one argument of `bash -c`.
      ...(bundling.commandHooks?.afterBundling("/asset-input", "/asset-output") ?? []),
    ];

    // Assess
    expect(Math.max(...argumentsOnTheCommandLine.map((a) => Buffer.byteLength(a)))).toBeLessThan(4096);
    const injected = readFileSync(bundling.inject![0]!, "utf8");
    expect(injected.length).toBeGreaterThan(128 * 1024);
    expect(injected).toContain("__WATCHPOST_CONFIG__");
  });
});

describe("bundling the certificate scan in chunks", () => {
  it("leaves the code only some configurations or files need out of what a cold start loads, and ships it beside", async () => {
    // Prepare: the scan function as the stack builds it, with the shipped example's configuration
    // (which reads S3 only, with a PKCS#12 password secret and a peer endpoint).
    const { build } = await import("esbuild");
    const { esbuildOptions } = await import("../../lib/bundling");
    const { bundleParts, defaultConfig, staticClosure } = await import("../bench/bundles");
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const out = mkdtempSync(join(tmpdir(), "watchpost-split-"));
    const entry = "functions/handlers/certificate-scan.ts";

    // Act
    const { metafile } = await build({
      ...esbuildOptions(entry, join(out, "index.mjs"), defaultConfig()),
      metafile: true,
      logLevel: "error",
    });
    const parts = bundleParts(metafile, process.cwd());
    const inputsOf = (outputs: string[]) =>
      new Set(outputs.flatMap((o) => Object.keys(metafile.outputs[o]?.inputs ?? {})));
    const code = new Map(Object.entries(metafile.outputs).filter(([o]) => o.endsWith(".mjs")));
    const coldInputs = inputsOf([...staticClosure(code, parts.entry)]);
    const allInputs = inputsOf([...code.keys()]);
    const where = (module: string) => {
      const has = (inputs: Set<string>) => [...inputs].some((i) => i.includes(module));
      return has(coldInputs) ? "cold start" : has(allInputs) ? "on first use" : "absent";
    };

    // Assess: each part a configuration or a file may not need is shipped and loaded on first use;
    // what every scan runs is loaded at the cold start.
    expect(
      Object.fromEntries(
        [
          "node_modules/@aws-sdk/client-ssm/",
          "node_modules/@aws-sdk/client-iam/",
          "node_modules/@aws-sdk/client-acm/",
          "node_modules/@aws-sdk/client-sts/",
          "node_modules/@aws-sdk/client-secrets-manager/",
          "node_modules/@aws-sdk/client-sqs/",
          "node_modules/node-forge/",
          "node_modules/jks-js/",
          "node_modules/java-deserialization/",
          "functions/adapters/tls-endpoint.ts",
          "functions/adapters/starttls.ts",
          "node_modules/@aws-sdk/client-s3/",
          "node_modules/@aws-sdk/client-dynamodb/",
          "node_modules/@aws-sdk/client-eventbridge/",
          "functions/core/certificates/reader.ts",
        ].map((module) => [module, where(module)]),
      ),
    ).toEqual({
      "node_modules/@aws-sdk/client-ssm/": "on first use",
      "node_modules/@aws-sdk/client-iam/": "on first use",
      "node_modules/@aws-sdk/client-acm/": "on first use",
      "node_modules/@aws-sdk/client-sts/": "on first use",
      "node_modules/@aws-sdk/client-secrets-manager/": "on first use",
      "node_modules/@aws-sdk/client-sqs/": "on first use",
      "node_modules/node-forge/": "on first use",
      "node_modules/jks-js/": "on first use",
      "node_modules/java-deserialization/": "on first use",
      "functions/adapters/tls-endpoint.ts": "on first use",
      "functions/adapters/starttls.ts": "on first use",
      "node_modules/@aws-sdk/client-s3/": "cold start",
      "node_modules/@aws-sdk/client-dynamodb/": "cold start",
      "node_modules/@aws-sdk/client-eventbridge/": "cold start",
      "functions/core/certificates/reader.ts": "cold start",
    });
    expect(parts.entry.endsWith("/index.mjs")).toBe(true);
  });
});

describe("bundling @lapo/asn1js", () => {
  it("leaves out its table of identifier names, and the bundled reader lays out a certificate as the sources do", async () => {
    // Prepare: the layout module alone, built with the functions' options and without the plugin.
    const { build } = await import("esbuild");
    const { esbuildOptions, withoutOidNames } = await import("../../lib/bundling");
    const { certificateLayout } = await import(
      "../../functions/core/certificates/formats/certificate-layout"
    );
    const { issue } = await import("../support/pki");
    const { mkdtempSync, readFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const out = mkdtempSync(join(tmpdir(), "watchpost-lapo-"));
    const entry = "functions/core/certificates/formats/certificate-layout.ts";
    const config = parseConfig({ certificates: { sources: [{ prefix: "" }] } });
    const options = esbuildOptions(entry, join(out, "with", "index.mjs"), config);
    const { der } = await issue({ dnsNames: ["node1.cluster.example"] });

    // Act
    await build({ ...options, logLevel: "error" });
    await build({
      ...esbuildOptions(entry, join(out, "without", "index.mjs"), config),
      plugins: [],
      logLevel: "error",
    });
    const bundled = (await import(
      join(out, "with", "index.mjs")
    )) as typeof import("../../functions/core/certificates/formats/certificate-layout");

    // Assess: the table names sha256WithRSAEncryption (1.2.840.113549.1.1.11); the reader never does.
    expect(options.plugins).toEqual([withoutOidNames]);
    expect(readFileSync(join(out, "with", "index.mjs"), "utf8")).not.toContain("sha256WithRSAEncryption");
    expect(readFileSync(join(out, "without", "index.mjs"), "utf8")).toContain("sha256WithRSAEncryption");
    expect(bundled.certificateLayout(der)).toEqual(certificateLayout(der));
  });
});

/** A configuration with one json webhook at `url`, its key in `auth`. */
function withKeyedWebhook(url: string) {
  return parseConfig({
    certificates: { sources: [{ prefix: "" }] },
    notifications: {
      webhooks: [{ name: "hook", url, auth: { type: "api-key", headerName: "x-api-key", secretName: "s" } }],
    },
  });
}

describe("webhook URLs", () => {
  it.each([
    ["user information", "https://user:secret@hooks.example.com/watchpost"],
    ["a token in the query", "https://hooks.example.com/watchpost?token=abc123"],
    ["a signature in the query", "https://hooks.example.com/services/x?sig=abc&api_key=k"],
  ])("are refused with %s, pointing to `auth`", (_what, url) => {
    // Act / Assess
    expect(() => withKeyedWebhook(url)).toThrow(/notifications\.webhooks\[0\]\.url: .*credentials.*`auth`/);
  });

  it.each([
    [
      "an Azure Functions key",
      "https://alerts.azurewebsites.net/api/watchpost?code=Zm9vYmFy",
      'its query parameter "code" is a credential',
    ],
    [
      "a Slack incoming webhook",
      "https://hooks.slack.com/services/T0ABC/B0DEF/x1y2z3",
      "it is a Slack incoming-webhook URL, whose path is the credential",
    ],
    [
      "a Teams incoming webhook",
      "https://acme.webhook.office.com/webhookb2/1234@5678/IncomingWebhook/abcd/efgh",
      "it is a Microsoft Teams incoming-webhook URL, whose path is the credential",
    ],
    [
      "a PagerDuty key in the path",
      "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue",
      "it is a PagerDuty integration-key URL, whose path is the credential",
    ],
  ])("of format json are refused when they carry %s, pointing to `urlSecretName`", (_what, url, why) => {
    // Act / Assess: before, these were compiled into the template and the bundle in clear
    expect(() => withKeyedWebhook(url)).toThrow(
      `notifications.webhooks[0].url: expected a URL without credentials: ${why}; it would be written into the CloudFormation template and the function's bundle in clear text: keep the URL in Secrets Manager and name the secret in \`urlSecretName\` (or keep the key in \`auth\`)`,
    );
  });

  it("of format json are accepted from a secret, with or without a key of their own", () => {
    // Act
    const config = parseConfig({
      certificates: { sources: [{ prefix: "" }] },
      notifications: { webhooks: [{ name: "hook", urlSecretName: "watchpost/azure-function-url" }] },
    });

    // Assess
    expect(config.notifications.webhooks).toEqual([
      {
        name: "hook",
        format: "json",
        urlSecretName: "watchpost/azure-function-url",
        minimumSeverity: "minor",
        rateLimitPerSecond: 10,
      },
    ]);
  });

  it.each(["slack", "teams"])(
    "of %s incoming webhooks are refused in the configuration, pointing to `urlSecretName`",
    (format) => {
      // Act / Assess: the URL is the credential, so even one that looks clean is refused
      expect(() =>
        parseConfig({
          certificates: { sources: [{ prefix: "" }] },
          notifications: {
            webhooks: [
              {
                name: "chat",
                format,
                url: "https://hooks.slack.com/services/T0/B0/abc",
                urlSecretName: "watchpost/chat",
              },
            ],
          },
        }),
      ).toThrow(/notifications\.webhooks\[0\]\.url: .*clear text.*`urlSecretName`/);
    },
  );

  it("are accepted without credentials, query parameters that are not secrets included", () => {
    expect(() =>
      parseConfig({
        certificates: { sources: [{ prefix: "" }] },
        notifications: {
          webhooks: [
            {
              name: "hook",
              url: "https://hooks.example.com/watchpost?channel=ops&format=json",
              auth: { type: "api-key", headerName: "x-api-key", secretName: "s" },
            },
          ],
        },
      }),
    ).not.toThrow();
  });
});
