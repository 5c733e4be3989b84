import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { ALARM_TABLE_KEYS } from "../../functions/adapters/alarm-store";
import { stateTable } from "./state-table";

/**
 * Alarm state: one table, keys and TTL attribute as the store adapter defines them, so the two
 * cannot drift. Point-in-time recovery on; encrypted with the AWS-managed DynamoDB key.
 */
export class AlarmState extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // State rebuilds itself on the next runs; history is a convenience, not a record of truth.
    this.table = stateTable(this, "Table", ALARM_TABLE_KEYS);
  }
}
