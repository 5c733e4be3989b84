/**
 * The last heartbeat of every host the stack has heard from (core/scan/host-checks.ts), in the
 * scan-state table: the schedule's silence check reads them all with one paginated Query instead
 * of listing every source for the heartbeat objects among millions of certificates.
 *
 * | item      | pk           | sk                      | notes                                   |
 * |-----------|--------------|-------------------------|-----------------------------------------|
 * | heartbeat | `heartbeats` | the heartbeat's S3 key  | `record` (JSON), `lastPushAt` (ISO, S3) |
 *
 * One partition: a deployment watches hundreds or a few thousand hosts, read once per check.
 * A record is replaced only by a heartbeat S3 wrote later (events may arrive out of order), and
 * never expires: a host is forgotten only when its heartbeat is deleted (retired, docs/push.md).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, paginateQuery } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { ClockReading } from "../core/hosts/heartbeat";
import type { HeartbeatRecord, HostHeartbeatsPort } from "../core/scan/host-checks";
import { sharedDocumentClient } from "./clients/dynamodb";

const PARTITION = "heartbeats";

const StoredRecord = z.object({
  key: z.string(),
  host: z.string(),
  prefix: z.string(),
  etag: z.string(),
  lastPushAt: z.iso.datetime(),
  everySeconds: z.number().int().positive().optional(),
  clock: ClockReading.optional(),
});

export function createHostHeartbeats(options: {
  tableName: string;
  client?: DynamoDBDocumentClient;
}): HostHeartbeatsPort {
  const client = options.client ?? sharedDocumentClient();
  const TableName = options.tableName;
  return {
    async record(record) {
      try {
        await client.send(
          new PutCommand({
            TableName,
            Item: {
              pk: PARTITION,
              sk: record.key,
              lastPushAt: record.lastPushAt,
              record: JSON.stringify(record),
            },
            ConditionExpression: "attribute_not_exists(pk) OR lastPushAt <= :at",
            ExpressionAttributeValues: { ":at": record.lastPushAt },
          }),
        );
      } catch (error) {
        // A later heartbeat is kept already: this event arrived out of order.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
    async forget(key) {
      await client.send(new DeleteCommand({ TableName, Key: { pk: PARTITION, sk: key } }));
    },
    async list() {
      const records: HeartbeatRecord[] = [];
      const pages = paginateQuery(
        { client },
        {
          TableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": PARTITION },
          ProjectionExpression: "#r",
          ExpressionAttributeNames: { "#r": "record" },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const parsed = StoredRecord.safeParse(safeJson(item.record));
          if (parsed.success) records.push(stripUndefined(parsed.data));
        }
      }
      return records;
    },
  };
}

function safeJson(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stripUndefined(record: z.infer<typeof StoredRecord>): HeartbeatRecord {
  const { everySeconds, clock, ...rest } = record;
  return { ...rest, ...(everySeconds !== undefined ? { everySeconds } : {}), ...(clock ? { clock } : {}) };
}
