/** DynamoDB tables on a local stand-in, keyed the way the stack creates them. */
import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface TableKeys {
  partitionKey: { name: string; type: "S" | "N" | "B" };
  sortKey: { name: string; type: "S" | "N" | "B" };
}

/** `keys`: ALARM_TABLE_KEYS or SCAN_STATE_TABLE_KEYS. */
export async function createTable(client: DynamoDBClient, name: string, keys: TableKeys): Promise<string> {
  const { partitionKey, sortKey } = keys;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
        { AttributeName: sortKey.name, AttributeType: sortKey.type },
      ],
      KeySchema: [
        { AttributeName: partitionKey.name, KeyType: "HASH" },
        { AttributeName: sortKey.name, KeyType: "RANGE" },
      ],
    }),
  );
  return name;
}
