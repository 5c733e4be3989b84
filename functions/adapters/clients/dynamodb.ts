/**
 * The DynamoDB client every table adapter uses (alarm state, object inventory, scan runs). Calls
 * are bounded in time: the SDK's default waits up to five minutes on a silent connection, and a
 * run stuck there holds the claims on its pending alarm events.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type BoundedClientOptions, boundedClientConfig } from "./bounded";

export const DYNAMODB_CLIENT_DEFAULTS = {
  connectionTimeoutMs: 3_000,
  /** Single-item reads and writes and one-page queries answer in milliseconds. */
  requestTimeoutMs: 5_000,
} as const;

export function dynamoDbClient(options: BoundedClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(boundedClientConfig(options, DYNAMODB_CLIENT_DEFAULTS));
}

/** A document client as the adapters expect it: optional fields are left out, never written as null. */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

let shared: DynamoDBDocumentClient | undefined;

/** One client per execution environment, for every table. */
export function sharedDocumentClient(): DynamoDBDocumentClient {
  shared ??= documentClient(dynamoDbClient());
  return shared;
}
