/**
 * Local stand-ins for AWS, started in-process on 127.0.0.1 the way the tests need them: s3rver for
 * S3 and dynalite for DynamoDB. Each returns a configured SDK client and a stop function.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { ALARM_TABLE_KEYS } from "../../functions/adapters/alarm-store";

const require = createRequire(import.meta.url);

// Neither package ships type declarations; only the members used here are described.
/** The S3 event notification s3rver emits for each object created or removed. */
export interface S3rverEvent {
  Records: { eventName: string; s3: { object: { key: string } } }[];
}
export interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  /** The request handler, for fronting the same store with a test server of one's own. */
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
  on(event: "event", listener: (event: S3rverEvent) => void): void;
}
const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverInstance;
export interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}
/** The one account every s3rver instance in the process accepts; tests register extra keys on it. */
export const S3RVER_ACCOUNT = (require("s3rver/lib/models/account") as { DUMMY_ACCOUNT: S3rverAccount })
  .DUMMY_ACCOUNT;
const dynalite = require("dynalite") as (options: { createTableMs: number }) => Server;

const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface LocalS3 {
  client: S3Client;
  endpoint: string;
  /** The running s3rver itself, for tests that listen to its events or reuse its handler. */
  server: S3rverInstance;
  stop(): Promise<void>;
}

export async function startS3rver(): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "watchpost-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, resetOnClose: true });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    // Without these, stream uploads are stored with their chunk framing (design brief).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    client,
    endpoint,
    server,
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface LocalDynamo {
  client: DynamoDBClient;
  /** Creates a table shaped the way the stack creates the alarm table. */
  createAlarmTable(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "eu-west-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  return {
    client,
    async createAlarmTable(name) {
      const { partitionKey, sortKey } = ALARM_TABLE_KEYS;
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
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
