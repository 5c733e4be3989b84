/**
 * Local stand-ins for AWS, started in-process on 127.0.0.1 the way the tests need them: s3rver for
 * S3 and dynalite for DynamoDB. Each returns a configured SDK client and a stop function.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { ALARM_TABLE_KEYS } from "../../functions/adapters/alarm-store";

const require = createRequire(import.meta.url);

// Neither package ships type declarations; only the members used here are described.
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverInstance;
const dynalite = require("dynalite") as (options: { createTableMs: number }) => Server;

const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface LocalS3 {
  client: S3Client;
  endpoint: string;
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
