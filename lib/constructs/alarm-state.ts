import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { ALARM_TABLE_KEYS } from "../../functions/adapters/alarm-store";

/**
 * Alarm state: one table, keys and TTL attribute as the store adapter defines them, so the two
 * cannot drift. Point-in-time recovery on; encrypted with the AWS-managed DynamoDB key.
 */
export class AlarmState extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, sortKey, timeToLiveAttribute } = ALARM_TABLE_KEYS;
    this.table = new dynamodb.TableV2(this, "Table", {
      partitionKey: { name: partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey.name, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      // State rebuilds itself on the next runs; history is a convenience, not a record of truth.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
