import { Stack, Token } from "aws-cdk-lib";
import { RegionInfo } from "aws-cdk-lib/region-info";
import type { IConstruct } from "constructs";

/** The partitions watchpost deploys to; each lacks some properties and features the others have. */
export type Partition = "aws" | "aws-cn" | "aws-us-gov";

/**
 * The stack's partition, known at synth when the stack has a concrete region (bin/app.ts takes it
 * from CDK_DEFAULT_REGION, which the CDK CLI sets from the profile); undefined for an
 * environment-agnostic stack, whose template must then deploy in every partition.
 */
export function knownPartition(scope: IConstruct): Partition | undefined {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) return undefined;
  return (RegionInfo.get(region).partition ?? "aws") as Partition;
}
