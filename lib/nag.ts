import { Stack, Token } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * The partition as cdk-nag writes it in a finding's ID: `<AWS::Partition>` while it is the
 * pseudo-parameter, the literal once the `@aws-cdk/core:enablePartitionLiterals` flag (cdk.json) and a
 * known region make the stack write "aws", "aws-cn" or "aws-us-gov" into ARNs.
 */
export function nagPartition(scope: IConstruct): string {
  const partition = Stack.of(scope).partition;
  return Token.isUnresolved(partition) ? "<AWS::Partition>" : partition;
}

/** How cdk-nag prints a resource in a finding ID: tokens as <AWS::Partition>, <AWS::Region>, … */
export function nagResource(stack: Stack, arn: string): string {
  const resolved = stack.resolve(arn) as string | { "Fn::Join": [string, unknown[]] };
  if (typeof resolved === "string") return resolved;
  return resolved["Fn::Join"][1]
    .map((part) => (typeof part === "string" ? part : `<${(part as { Ref: string }).Ref}>`))
    .join("");
}
