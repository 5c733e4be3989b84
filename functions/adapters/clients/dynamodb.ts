/**
 * The DynamoDB client every table adapter uses (alarm state, object inventory, scan runs). A run
 * stuck on a silent connection would hold the claims on its pending alarm events.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { boundedClientFactory } from "./bounded";

/** Single-item reads and writes and one-page queries answer in milliseconds. */
export const dynamoDbClient = boundedClientFactory(DynamoDBClient, {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
});

/** A document client as the adapters expect it: optional fields are left out, never written as null. */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

let sharedRaw: DynamoDBClient | undefined;
let shared: DynamoDBDocumentClient | undefined;

/** One client per execution environment, for every table. */
export function sharedDynamoDbClient(): DynamoDBClient {
  sharedRaw ??= dynamoDbClient();
  return sharedRaw;
}

/** The same client, with the document translation the adapters expect. */
export function sharedDocumentClient(): DynamoDBDocumentClient {
  shared ??= documentClient(sharedDynamoDbClient());
  return shared;
}
