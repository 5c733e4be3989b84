/**
 * What the certificate page reads, and nothing more: the scan-state table's `inventory-page` index
 * (one query per shard, all shards at once; adapters/object-inventory.ts writes it) and the active
 * alarms of the alarm table. Read-only: the widget's role may Query that index and Scan the alarm
 * table, nothing else (lib/constructs/certificate-page.ts).
 *
 * Reads are eventually consistent (half the read units of strongly consistent ones): a page a few
 * seconds behind the last scan is what a dashboard shows anyway.
 */
import {
  type DynamoDBClient,
  type DynamoDBPaginationConfiguration,
  paginateQuery,
} from "@aws-sdk/client-dynamodb";
import { paginateScan } from "@aws-sdk/lib-dynamodb";
import { mapBounded } from "../core/concurrency";
import {
  decodePageEntry,
  PAGE_CERTIFICATES_PER_OBJECT,
  PAGE_SHARDS,
  type PageEntry,
} from "../core/report/page-entry";
import { StoredAlarm } from "../core/report/page-model";
import { documentClient, sharedDynamoDbClient } from "./clients/dynamodb";
import { ALARM_TABLE_KEYS, LIVE_ALARM_PREFIX, SCAN_STATE_TABLE_KEYS } from "./table-keys";

/** Certificates read before the page says it stopped (a budget on a table anyone can fill). */
export const MAX_PAGE_CERTIFICATES = 400_000;
/** Active alarms read before the page says it stopped. */
export const MAX_PAGE_ALARMS = 20_000;

export interface CertificatePageSourceOptions {
  scanStateTable: string;
  alarmTable: string;
  /** The plain client: the index is read as DynamoDB returns it, with no document translation. */
  client?: DynamoDBClient;
  maxCertificates?: number;
  maxAlarms?: number;
}

export interface PageData {
  entries: PageEntry[];
  alarms: StoredAlarm[];
  /** What the page must say about its completeness. */
  notes: string[];
  /** What the read cost: DynamoDB's own count of read capacity units, and the calls made. */
  cost: { readUnits: number; calls: number; items: number };
}

export interface CertificatePageSource {
  read(now: Date): Promise<PageData>;
}

export function createCertificatePageSource(options: CertificatePageSourceOptions): CertificatePageSource {
  const client = options.client ?? sharedDynamoDbClient();
  const documents = documentClient(client);
  const maxCertificates = options.maxCertificates ?? MAX_PAGE_CERTIFICATES;
  const maxAlarms = options.maxAlarms ?? MAX_PAGE_ALARMS;
  const index = SCAN_STATE_TABLE_KEYS.pageIndex;

  return {
    async read(now) {
      const cost = { readUnits: 0, calls: 0, items: 0 };
      const notes: string[] = [];
      const entries: PageEntry[] = [];
      let certificates = 0;
      let damaged = 0;
      let cutShort = false;
      const nowSeconds = now.getTime() / 1000;

      await mapBounded(
        Array.from({ length: PAGE_SHARDS }, (_, shard) => String(shard)),
        PAGE_SHARDS,
        async (shard) => {
          const pages = paginateQuery(
            { client, withCommand: summarizedInLogs },
            {
              TableName: options.scanStateTable,
              IndexName: index.indexName,
              KeyConditionExpression: "#shard = :shard",
              ProjectionExpression: "#page, #expires",
              ExpressionAttributeNames: {
                "#shard": index.partitionKey.name,
                "#page": "page",
                "#expires": SCAN_STATE_TABLE_KEYS.timeToLiveAttribute,
              },
              ExpressionAttributeValues: { ":shard": { S: shard } },
              ReturnConsumedCapacity: "TOTAL",
            },
          );
          for await (const page of pages) {
            cost.calls++;
            cost.readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
            for (const item of page.Items ?? []) {
              cost.items++;
              // DynamoDB deletes lapsed entries within days, not at once; a lapsed one is not current.
              const expires = item.expiresAt?.N === undefined ? Number.NaN : Number(item.expiresAt.N);
              if (expires < nowSeconds) continue;
              const entry = decodePageEntry(item.page?.S);
              if (!entry) {
                damaged++;
                continue;
              }
              entries.push(entry);
              certificates += entry.certificates.length;
            }
            if (certificates >= maxCertificates) {
              cutShort = true;
              break;
            }
          }
        },
      );
      if (cutShort) {
        notes.push(
          `The inventory holds more than ${maxCertificates} certificates; this page shows the first ${certificates} read. Narrow it down with the filters.`,
        );
      }
      if (damaged > 0) notes.push(`${damaged} inventory entries could not be read and are not shown.`);
      const omitted = entries.reduce((sum, e) => sum + (e.omitted ?? 0), 0);
      if (omitted > 0) {
        notes.push(
          `${omitted} certificates of large bundles are not listed: each object lists at most its ${PAGE_CERTIFICATES_PER_OBJECT} soonest-expiring ones.`,
        );
      }

      const alarms: StoredAlarm[] = [];
      let unreadableAlarms = 0;
      const { sortKey } = ALARM_TABLE_KEYS;
      const scan = paginateScan(
        { client: documents },
        {
          TableName: options.alarmTable,
          FilterExpression: "#status = :active AND begins_with(#sk, :live)",
          ProjectionExpression:
            "alarmId, #check, #scope, #source, severity, #status, firstSeen, message, #parameters",
          ExpressionAttributeNames: {
            "#status": "status",
            "#sk": sortKey.name,
            "#check": "check",
            "#scope": "scope",
            "#source": "source",
            "#parameters": "parameters",
          },
          ExpressionAttributeValues: { ":active": "active", ":live": LIVE_ALARM_PREFIX },
          ReturnConsumedCapacity: "TOTAL",
        },
      );
      for await (const page of scan) {
        cost.calls++;
        cost.readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
        for (const item of page.Items ?? []) {
          const parsed = StoredAlarm.safeParse(item);
          if (parsed.success) alarms.push(parsed.data);
          else unreadableAlarms++;
        }
        if (alarms.length >= maxAlarms) {
          notes.push(
            `More than ${maxAlarms} alarms are active; this page shows the first ${alarms.length} read.`,
          );
          break;
        }
      }
      if (unreadableAlarms > 0)
        notes.push(`${unreadableAlarms} alarm items could not be read and are not shown.`);
      return { entries, alarms, notes, cost };
    },
  };
}

/**
 * The SDK's logger middleware copies every response through the operation's log filter before it
 * calls the logger, even when the logger does nothing (NoOpLogger): for the index that is a copy of
 * tens of megabytes of items per refresh, about a fifth of the widget's CPU at 100,000
 * certificates. A log line of a page query says how many items it returned, not what they hold
 * (untrusted text that no log needs).
 */
const summarizedInLogs: NonNullable<DynamoDBPaginationConfiguration["withCommand"]> = (command) => {
  command.middlewareStack.add(
    (next, context) => (args) => {
      context.outputFilterSensitiveLog = (output: { Count?: number }) => ({ Count: output.Count });
      return next(args);
    },
    { step: "initialize", name: "watchpostPageLogSummary" },
  );
  return command;
};
