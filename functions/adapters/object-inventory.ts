/**
 * The object inventory (core/scan/inventory.ts) in DynamoDB: one item per (source, object),
 * spread over partitions by its key so a store of a million objects has no hot partition.
 *
 * | item            | pk                                    | sk          | notes                          |
 * |-----------------|---------------------------------------|-------------|--------------------------------|
 * | inventory entry | `object:` + JSON [scope, object key]  | `inventory` | gzipped record, TTL expiresAt |
 *
 * Each entry also carries what the certificate page shows of it (`page`, plain JSON, a few hundred
 * bytes a certificate; core/report/page-entry.ts) and the index partition it falls in
 * (`pageShard`). The sparse index `inventory-page` projects only those, so the page reads every
 * certificate without reading or decompressing a single record; run records, which have no
 * `pageShard`, are not in it.
 *
 * Entries are written when an object is read, never merely confirmed, so an unchanged store costs
 * reads only. The TTL makes each entry lapse after `retentionDays`: the object is then downloaded
 * once more, which both re-validates the bytes and sweeps away entries of deleted objects.
 * A record too large for one item (a bundle of thousands of certificates) is not kept; that object
 * is simply read on every scan.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mapBounded } from "../core/concurrency";
import { encodePageEntry, pageEntryOf, pageShardOf } from "../core/report/page-entry";
import { InventoryRecord, type InventoryRecordInput } from "../core/scan/inventory";
import type { ObjectInventoryPort } from "../core/scan/ports";
import { sharedDocumentClient } from "./clients/dynamodb";

export { SCAN_STATE_TABLE_KEYS } from "./table-keys";

const INVENTORY_SK = "inventory";
const MAX_BATCH_GET = 100;
const MAX_BATCH_WRITE = 25;
/** DynamoDB's item limit is 400 KB; leave room for the keys and attributes around the record. */
const MAX_RECORD_BYTES = 350_000;
const MAX_UNPROCESSED_ROUNDS = 8;
/** Batch calls of one look-up or write in flight at once. */
const PARALLEL_CALLS = 4;

export interface ObjectInventoryOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  /** Days an entry is trusted before its object is read again (default 30). */
  retentionDays?: number;
  /** Pause before re-sending what DynamoDB left unprocessed (throttling); injected in tests. */
  sleep?: (ms: number) => Promise<void>;
}

export function createObjectInventory(options: ObjectInventoryOptions): ObjectInventoryPort {
  const client = options.client ?? sharedDocumentClient();
  const TableName = options.tableName;
  const retentionSeconds = (options.retentionDays ?? 30) * 86_400;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /** One BatchGetItem of at most 100 keys, re-sending what DynamoDB left unprocessed. */
  async function getBatch(scope: string, keys: readonly string[], found: Map<string, InventoryRecord>) {
    let pending: Record<string, unknown>[] | undefined = [...new Set(keys)].map((key) => ({
      pk: partitionKeyOf(scope, key),
      sk: INVENTORY_SK,
    }));
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round >= MAX_UNPROCESSED_ROUNDS)
        throw new Error(`inventory: ${pending.length} keys left unread after ${round} rounds`);
      if (round > 0) await sleep(backoffMs(round));
      const response = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [TableName]: {
              Keys: pending,
              ProjectionExpression: "#r",
              ExpressionAttributeNames: { "#r": "record" },
            },
          },
        }),
      );
      for (const item of response.Responses?.[TableName] ?? []) {
        const record = decode(item.record);
        // A record that no longer parses (older layout, damage) is as good as none: read the object.
        if (record && record.scope === scope) found.set(record.key, record);
      }
      pending = response.UnprocessedKeys?.[TableName]?.Keys as Record<string, unknown>[] | undefined;
    }
  }

  async function get(scope: string, keys: readonly string[]): Promise<Map<string, InventoryRecord>> {
    const found = new Map<string, InventoryRecord>();
    // The calls go out together: a chunk's look-up costs one round trip, not one per 100 keys.
    await mapBounded(slices(keys, MAX_BATCH_GET), PARALLEL_CALLS, (slice) => getBatch(scope, slice, found));
    return found;
  }

  /** One BatchWriteItem of at most 25 items, re-sending what DynamoDB left unprocessed. */
  async function putBatch(items: readonly Record<string, unknown>[]) {
    let pending: Record<string, unknown>[] | undefined = items.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round >= MAX_UNPROCESSED_ROUNDS)
        throw new Error(`inventory: ${pending.length} entries left unwritten after ${round} rounds`);
      if (round > 0) await sleep(backoffMs(round));
      const response = await client.send(new BatchWriteCommand({ RequestItems: { [TableName]: pending } }));
      pending = response.UnprocessedItems?.[TableName] as Record<string, unknown>[] | undefined;
    }
  }

  async function put(records: readonly InventoryRecordInput[]): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + retentionSeconds;
    const items = records
      .map((record) => ({ record, body: gzipSync(JSON.stringify(record)) }))
      .filter(({ body }) => body.byteLength <= MAX_RECORD_BYTES)
      .map(({ record, body }) => {
        const pk = partitionKeyOf(record.scope, record.key);
        return {
          pk,
          sk: INVENTORY_SK,
          etag: record.etag,
          record: body,
          page: encodePageEntry(pageEntryOf(record)),
          pageShard: pageShardOf(pk),
          expiresAt,
        };
      });
    await mapBounded(slices(items, MAX_BATCH_WRITE), PARALLEL_CALLS, putBatch);
  }

  return { get, put };
}

function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Unambiguous whatever the prefix or key contains: both are JSON strings. */
function partitionKeyOf(scope: string, key: string): string {
  return `object:${JSON.stringify([scope, key])}`;
}

function decode(body: unknown): InventoryRecord | undefined {
  if (!(body instanceof Uint8Array)) return undefined;
  try {
    const parsed = InventoryRecord.safeParse(JSON.parse(gunzipSync(body).toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function backoffMs(round: number): number {
  return Math.min(2_000, 50 * 2 ** round) * (0.5 + Math.random() / 2);
}
