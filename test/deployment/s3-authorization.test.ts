/**
 * How S3 authorizes the requests whose outcome the checks interpret, judged by iam-simulate on the
 * synthesized roles:
 * - HeadBucket is authorized as s3:ListBucket on the bucket, with no s3:prefix in the request
 *   (Amazon S3 API Reference, HeadBucket, "Permissions"). A credential target without a role is
 *   probed with the function's own role, which must therefore list without a prefix, or every run
 *   reports `storage-access-denied` for a bucket that is fine.
 * - GetObject / HeadObject of a missing key: "If you have the s3:ListBucket permission on the
 *   bucket, Amazon S3 returns an HTTP status code 404 Not Found ... If you don't have the
 *   s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied" (API
 *   Reference, GetObject and HeadObject, "Permissions"). The scan tells a deleted certificate from
 *   a permissions fault by that status, so its role must hold s3:ListBucket without a prefix.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { fullConfig, synth } from "../infra/support";
import { identityPoliciesOf, roleOfFunction, simulate } from "../support/iam-simulation";
import { ResolvedTemplate } from "../support/template";

let stack: ResolvedTemplate;

beforeAll(() => {
  stack = new ResolvedTemplate(synth(fullConfig()).toJSON() as never);
});

function role(description: RegExp): { arn: string; policies: ReturnType<typeof identityPoliciesOf> } {
  const fn = stack
    .ofType("AWS::Lambda::Function")
    .find((id) => description.test(String(stack.properties(id).Description ?? "")))!;
  const roleId = roleOfFunction(stack, fn);
  return { arn: stack.getAtt(roleId, "Arn"), policies: identityPoliciesOf(stack, roleId) };
}

describe("S3 requests whose answer a check interprets", () => {
  it("lets the credential check HeadBucket a target probed with its own role (s3:ListBucket, no s3:prefix)", async () => {
    // Prepare: fullConfig's "ambient" target has no roleArn and a prefix
    const check = role(/^Obtains temporary credentials/);

    // Act
    const verdict = await simulate(
      {
        principal: check.arn,
        action: "s3:ListBucket",
        resource: "arn:aws:s3:::ambient-data",
        identityPolicies: check.policies,
      },
      stack.env.account,
    );

    // Assess
    expect(verdict.result).toBe("Allowed");
  });

  it("lets the scan be told 404, not 403, for a missing certificate (s3:ListBucket on its bucket, no s3:prefix)", async () => {
    // Prepare
    const scan = role(/^Scans stored/);
    const bucket = stack.getAtt(stack.ofType("AWS::S3::Bucket")[0]!, "Arn");

    // Act
    const verdict = await simulate(
      { principal: scan.arn, action: "s3:ListBucket", resource: bucket, identityPolicies: scan.policies },
      stack.env.account,
    );

    // Assess
    expect(verdict.result).toBe("Allowed");
  });
});
