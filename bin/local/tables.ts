/** DynamoDB tables on a local stand-in, keyed the way the stack creates them. */
import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface TableKeys {
  partitionKey: { name: string; type: "S" | "N" | "B" };
  sortKey: { name: string; type: "S" | "N" | "B" };
  pageIndex?: { indexName: string; partitionKey: { name: string; type: "S" }; projected: readonly string[] };
}

/** `keys`: ALARM_TABLE_KEYS or SCAN_STATE_TABLE_KEYS. */
export async function createTable(client: DynamoDBClient, name: string, keys: TableKeys): Promise<string> {
  const { partitionKey, sortKey, pageIndex } = keys;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
        { AttributeName: sortKey.name, AttributeType: sortKey.type },
        ...(pageIndex
          ? [{ AttributeName: pageIndex.partitionKey.name, AttributeType: pageIndex.partitionKey.type }]
          : []),
      ],
      KeySchema: [
        { AttributeName: partitionKey.name, KeyType: "HASH" },
        { AttributeName: sortKey.name, KeyType: "RANGE" },
      ],
      ...(pageIndex
        ? {
            GlobalSecondaryIndexes: [
              {
                IndexName: pageIndex.indexName,
                KeySchema: [{ AttributeName: pageIndex.partitionKey.name, KeyType: "HASH" }],
                Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: [...pageIndex.projected] },
              },
            ],
          }
        : {}),
    }),
  );
  return name;
}
