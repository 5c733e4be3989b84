/**
 * What the scan may read in the stack's own account for the `awsCertificates` selections that read
 * it directly (no `accounts`, or the stack's own account among them): exactly the calls the source
 * adapters make (functions/adapters/aws-certificates/), on the resources each selection names.
 * Member accounts are read through their reader role instead (lib/member-account-reader-stack.ts,
 * where each action is cited from the Service Authorization Reference).
 *
 * Called by WatchpostFunction.bindAwsCertificateReads, which pairs these grants with the two
 * environment variables the scan needs beside the compiled configuration (account and partition).
 */
import { Stack, Token, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { WatchpostConfig } from "../../functions/core/config";
import { nagResource } from "../nag";

type Selections = WatchpostConfig["awsCertificates"];
type Selection = { accounts?: readonly string[] | undefined };

/** List actions with no resource type (Service Authorization Reference): they take "*". */
const LIST_ACTIONS = {
  acm: "acm:ListCertificates",
  iam: "iam:ListServerCertificates",
  secretsManager: "secretsmanager:ListSecrets",
  ssm: "ssm:DescribeParameters",
} as const;

/** The tag conditions of a selection's `tags` (aws:ResourceTag/<key>, which GetSecretValue and GetParameter list). */
function tagConditions(tags: Record<string, string> | undefined) {
  if (!tags) return undefined;
  return {
    StringEquals: Object.fromEntries(
      Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]),
    ),
  };
}

export function grantAwsCertificateReads(role: iam.IRole & iam.IGrantable, selections: Selections): void {
  const stack = Stack.of(role);
  const partition = stack.partition;
  const account = stack.account;
  const readsOwn = (s: Selection) =>
    s.accounts === undefined || (!Token.isUnresolved(account) && s.accounts.includes(account));
  const statements: iam.PolicyStatement[] = [];
  const wildcards = new Map<string, string>();
  const add = (
    actions: string[],
    resources: string[],
    reason: string,
    conditions?: Record<string, unknown>,
  ) => {
    statements.push(new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }));
    for (const resource of resources) if (resource.includes("*")) wildcards.set(resource, reason);
  };
  const lists = new Set<string>();
  const kmsVia = new Set<string>();
  const passwordSecret = (name: string, regions: readonly string[]) =>
    regions.map((region) => `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-??????`);
  const passwordParameter = (name: string, regions: readonly string[]) =>
    regions.map((region) => `arn:${partition}:ssm:${region}:${account}:parameter${name}`);
  const passwords = (
    s: { password?: { secretName: string } | { parameterName: string } | undefined },
    regions: readonly string[],
  ) => {
    if (!s.password) return;
    if ("secretName" in s.password) {
      add(
        ["secretsmanager:GetSecretValue"],
        passwordSecret(s.password.secretName, regions),
        "A secret's ARN ends in six random characters Secrets Manager adds; the wildcard stands for exactly those.",
      );
      for (const region of regions) kmsVia.add(`secretsmanager.${region}`);
    } else {
      add(["ssm:GetParameter"], passwordParameter(s.password.parameterName, regions), "");
      for (const region of regions) kmsVia.add(`ssm.${region}`);
    }
  };

  for (const s of selections.acm.filter(readsOwn)) {
    lists.add(LIST_ACTIONS.acm);
    add(
      ["acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate"],
      s.regions.map((region) => `arn:${partition}:acm:${region}:${account}:certificate/*`),
      "Every ACM certificate of the configured Regions: the selection is all certificates or a tag filter ACM applies after listing; the actions read public certificates and metadata, never a key (ExportCertificate is not granted).",
    );
  }
  for (const s of selections.iamServerCertificates.filter(readsOwn)) {
    lists.add(LIST_ACTIONS.iam);
    add(
      ["iam:GetServerCertificate"],
      [`arn:${partition}:iam::${account}:server-certificate${s.pathPrefix}*`],
      "The server certificates under the selection's path prefix; GetServerCertificate returns no key.",
    );
  }
  for (const s of selections.secretsManager.filter(readsOwn)) {
    lists.add(LIST_ACTIONS.secretsManager);
    add(
      // DescribeSecret: the one secret an event names, looked up (functions/adapters/aws-certificates/secrets-manager.ts listOne).
      ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
      s.regions.map(
        (region) => `arn:${partition}:secretsmanager:${region}:${account}:secret:${s.namePrefix ?? ""}*`,
      ),
      "The secrets whose names start with the selection's prefix (and carry its tags): which exist is not known at synth.",
      tagConditions(s.tags),
    );
    for (const region of s.regions) kmsVia.add(`secretsmanager.${region}`);
    passwords(s, s.regions);
  }
  for (const s of selections.ssmParameters.filter(readsOwn)) {
    lists.add(LIST_ACTIONS.ssm);
    const path = s.path.endsWith("/") ? s.path : `${s.path}/`;
    add(
      ["ssm:GetParameter"],
      s.regions.map((region) => `arn:${partition}:ssm:${region}:${account}:parameter${path}*`),
      "The parameters under the selection's path (and with its tags): which exist is not known at synth.",
      tagConditions(s.tags),
    );
    for (const region of s.regions) kmsVia.add(`ssm.${region}`);
    passwords(s, s.regions);
  }
  if (statements.length === 0) return;

  add(
    [...lists].sort(),
    ["*"],
    "ListCertificates, ListServerCertificates, ListSecrets and DescribeParameters have no resource type (Service Authorization Reference); they list names and metadata only.",
  );
  const keys = `arn:${partition}:kms:*:${account}:key/*`;
  add(
    ["kms:Decrypt"],
    [keys],
    "Decrypt only when Secrets Manager or Parameter Store decrypts a selected secret or SecureString parameter for the scan (kms:ViaService); which key each uses is not in the configuration.",
    { StringEquals: { "kms:ViaService": [...kmsVia].sort().map((via) => `${via}.${stack.urlSuffix}`) } },
  );
  for (const statement of statements) role.addToPrincipalPolicy(statement);
  for (const [resource, reason] of wildcards) {
    if (reason === "") continue;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(stack, resource)}]`,
      reason,
    });
  }
}
