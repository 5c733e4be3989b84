import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type { Construct } from "constructs";

/** Keys and TTL attribute as an adapter defines them, so the table and its code cannot drift. */
export interface StateTableKeys {
  partitionKey: { name: string };
  sortKey: { name: string };
  timeToLiveAttribute: string;
  /** A sparse index projecting a few attributes (the scan-state table's certificate page index). */
  pageIndex?: { indexName: string; partitionKey: { name: string }; projected: readonly string[] };
}

/**
 * A watchpost state table: on demand, point-in-time recovery, encrypted with the AWS-managed key,
 * and destroyed with the stack — its contents rebuild themselves on the next runs.
 */
export function stateTable(scope: Construct, id: string, keys: StateTableKeys): dynamodb.TableV2 {
  return new dynamodb.TableV2(scope, id, {
    partitionKey: { name: keys.partitionKey.name, type: dynamodb.AttributeType.STRING },
    sortKey: { name: keys.sortKey.name, type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: keys.timeToLiveAttribute,
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
    removalPolicy: RemovalPolicy.DESTROY,
    ...(keys.pageIndex
      ? {
          globalSecondaryIndexes: [
            {
              indexName: keys.pageIndex.indexName,
              partitionKey: { name: keys.pageIndex.partitionKey.name, type: dynamodb.AttributeType.STRING },
              projectionType: dynamodb.ProjectionType.INCLUDE,
              nonKeyAttributes: [...keys.pageIndex.projected],
            },
          ],
        }
      : {}),
  });
}
