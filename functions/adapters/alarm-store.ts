/**
 * Alarm state in DynamoDB: one table, one partition per check scope.
 *
 * | item                 | pk      | sk                                         | notes                          |
 * |----------------------|---------|--------------------------------------------|--------------------------------|
 * | live alarm           | scope   | `alarm#<fingerprint>`                      | versioned, conditional writes  |
 * | archived occurrence  | scope   | `history#<fingerprint>#<occurrenceId>`     | written once, TTL `expiresAt`  |
 *
 * The live item holds the latest occurrence of a fingerprint; when a cleared occurrence is
 * replaced by a new one, the old one is first copied to a history item so it stays queryable until
 * its TTL. Every write of a live item expects the version it read (`version`), which is what makes
 * two concurrent runs raise a fault once. The CDK stack creates the table from `ALARM_TABLE_KEYS`.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
} from "@aws-sdk/lib-dynamodb";
import { AlarmState } from "../core/alarms/lifecycle";
import type { AlarmStorePort } from "../core/alarms/process-run";
import { SEVERITIES, type Severity } from "../core/contracts";
import { sharedDocumentClient } from "./clients/dynamodb";

export const ALARM_TABLE_KEYS = {
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "S" },
  /** Epoch seconds; enable DynamoDB TTL on it so cleared history expires (default 90 days). */
  timeToLiveAttribute: "expiresAt",
  /** Optimistic-locking attribute (number). */
  versionAttribute: "version",
} as const;

const LIVE_PREFIX = "alarm#";
const HISTORY_PREFIX = "history#";

export interface AlarmStoreOptions {
  tableName: string;
  /** Injected in tests (dynalite); otherwise the execution environment's shared client. */
  client?: DynamoDBDocumentClient;
}

export interface AlarmStore extends AlarmStorePort {
  /** Archived occurrences of a scope (replaced after clearing), oldest first by key order. */
  history(scope: string): Promise<AlarmState[]>;
  /**
   * Active alarms across every scope, by severity: what the dashboard shows. A scan, but of a
   * table that holds one item per alarm, read once per run.
   */
  countActive(): Promise<Record<Severity, number>>;
  /** The live item of every alarm in every scope, active or cleared (what `npm start` prints). */
  liveAlarms(): Promise<AlarmState[]>;
}

export function createAlarmStore(options: AlarmStoreOptions): AlarmStore {
  const client = options.client ?? sharedDocumentClient();
  const TableName = options.tableName;
  const { partitionKey: pk, sortKey: sk, versionAttribute } = ALARM_TABLE_KEYS;

  async function query(scope: string, prefix: string): Promise<AlarmState[]> {
    const states: AlarmState[] = [];
    const pages = paginateQuery(
      { client },
      {
        TableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": pk.name, "#sk": sk.name },
        ExpressionAttributeValues: { ":pk": scope, ":prefix": prefix },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) states.push(AlarmState.parse(item));
    }
    return states;
  }

  return {
    load: (scope) => query(scope, LIVE_PREFIX),
    history: (scope) => query(scope, HISTORY_PREFIX),

    async countActive() {
      const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
      const pages = paginateScan(
        { client },
        {
          TableName,
          FilterExpression: "#status = :active AND begins_with(#sk, :live)",
          ProjectionExpression: "#severity",
          ExpressionAttributeNames: { "#status": "status", "#sk": sk.name, "#severity": "severity" },
          ExpressionAttributeValues: { ":active": "active", ":live": LIVE_PREFIX },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const severity = item.severity as Severity;
          if (severity in counts) counts[severity] += 1;
        }
      }
      return counts;
    },

    async liveAlarms() {
      const states: AlarmState[] = [];
      const pages = paginateScan(
        { client },
        {
          TableName,
          FilterExpression: "begins_with(#sk, :live)",
          ExpressionAttributeNames: { "#sk": sk.name },
          ExpressionAttributeValues: { ":live": LIVE_PREFIX },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) states.push(AlarmState.parse(item));
      }
      return states;
    },

    async get(scope, fingerprint) {
      const { Item } = await client.send(
        new GetCommand({
          TableName,
          Key: { [pk.name]: scope, [sk.name]: `${LIVE_PREFIX}${fingerprint}` },
          ConsistentRead: true,
        }),
      );
      return Item ? AlarmState.parse(Item) : undefined;
    },

    async save(next, previous) {
      if (previous && previous.status === "cleared" && previous.occurrenceId !== next.occurrenceId) {
        // Archive first: if the live write then loses a race, the archive is still true history.
        const { pending: _pending, claim: _claim, ...occurrence } = previous;
        await client.send(
          new PutCommand({
            TableName,
            Item: {
              ...occurrence,
              pending: [],
              [pk.name]: previous.scope,
              [sk.name]: `${HISTORY_PREFIX}${previous.fingerprint}#${previous.occurrenceId}`,
            },
          }),
        );
      }
      try {
        await client.send(
          new PutCommand({
            TableName,
            Item: { ...next, [pk.name]: next.scope, [sk.name]: `${LIVE_PREFIX}${next.fingerprint}` },
            ...(previous
              ? {
                  ConditionExpression: "#version = :expected",
                  ExpressionAttributeNames: { "#version": versionAttribute },
                  ExpressionAttributeValues: { ":expected": previous.version },
                }
              : {
                  ConditionExpression: "attribute_not_exists(#pk)",
                  ExpressionAttributeNames: { "#pk": pk.name },
                }),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
