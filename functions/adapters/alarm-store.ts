/**
 * Alarm state in DynamoDB: one table, one partition per check scope.
 *
 * | item                 | pk      | sk                                         | notes                          |
 * |----------------------|---------|--------------------------------------------|--------------------------------|
 * | live alarm           | scope   | `alarm#<fingerprint>`                      | decisions conditional on `version` |
 * | archived occurrence  | scope   | `history#<fingerprint>#<occurrenceId>`     | written once, TTL `expiresAt`  |
 *
 * The live item holds the latest occurrence of a fingerprint; when a cleared occurrence is
 * replaced by a new one, the old one is first copied to a history item so it stays queryable until
 * its TTL. A decision expects the revision it read (`version`), which is what makes two concurrent
 * runs raise a fault once. Pending transitions are a map keyed by transition id inside the item:
 * a decision adds entries (`SET pending.#id`), leasing and forgetting them touch only those
 * entries and never the revision, so delivery bookkeeping does not conflict with decisions.
 * The CDK stack creates the table from `ALARM_TABLE_KEYS`.
 */
import { isDeepStrictEqual } from "node:util";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { AlarmState, type PendingTransition } from "../core/alarms/lifecycle";
import type { AlarmKey, AlarmStorePort } from "../core/alarms/ports";
import { SEVERITIES, type Severity } from "../core/contracts";
import { sharedDocumentClient } from "./clients/dynamodb";
import { ALARM_TABLE_KEYS, LIVE_ALARM_PREFIX } from "./table-keys";

export { ALARM_TABLE_KEYS } from "./table-keys";

const LIVE_PREFIX = LIVE_ALARM_PREFIX;
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
      for (const item of page.Items ?? []) states.push(await current(item));
    }
    return states;
  }

  /**
   * An item as the lifecycle reads it. Items written before pending transitions became a map
   * (a list, with an item-wide `claim`) are converted once, in place, without a new revision; the
   * old claim's transitions are free to be sent at once, as its lease has long lapsed.
   */
  async function current(item: Record<string, unknown>): Promise<AlarmState> {
    if (!Array.isArray(item.pending)) return AlarmState.parse(item);
    const pending: Record<string, PendingTransition> = {};
    for (const transition of item.pending as { id: string }[])
      pending[transition.id] = {
        transition: transition as PendingTransition["transition"],
        owner: "",
        until: 0,
      };
    try {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: { [pk.name]: item[pk.name], [sk.name]: item[sk.name] },
          UpdateExpression: "SET #pending = :pending REMOVE #claim",
          ConditionExpression: "attribute_type(#pending, :list)",
          ExpressionAttributeNames: { "#pending": "pending", "#claim": "claim" },
          ExpressionAttributeValues: { ":pending": pending, ":list": "L" },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Converted meanwhile by another run: read what it wrote.
      const { Item } = await client.send(
        new GetCommand({
          TableName,
          Key: { [pk.name]: item[pk.name], [sk.name]: item[sk.name] },
          ConsistentRead: true,
        }),
      );
      return current(Item ?? {});
    }
    const { claim: _claim, ...rest } = item;
    return AlarmState.parse({ ...rest, pending });
  }

  const keyOf = (alarm: AlarmKey) => ({
    [pk.name]: alarm.scope,
    [sk.name]: `${LIVE_PREFIX}${alarm.fingerprint}`,
  });

  /** Runs a conditional update; false when its condition did not hold. */
  async function conditionally(command: UpdateCommand | PutCommand): Promise<boolean> {
    try {
      await (command instanceof PutCommand ? client.send(command) : client.send(command));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
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
        for (const item of page.Items ?? []) states.push(await current(item));
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
      return Item ? current(Item) : undefined;
    },

    async decide(next, previous, added) {
      if (previous && previous.status === "cleared" && previous.occurrenceId !== next.occurrenceId) {
        // Archive first: if the live write then loses a race, the archive is still true history.
        const { pending: _pending, ...occurrence } = previous;
        await client.send(
          new PutCommand({
            TableName,
            Item: {
              ...occurrence,
              pending: {},
              [pk.name]: previous.scope,
              [sk.name]: `${HISTORY_PREFIX}${previous.fingerprint}#${previous.occurrenceId}`,
            },
          }),
        );
      }
      const pending = Object.fromEntries(added.map((entry) => [entry.transition.id, entry]));
      const { pending: _pending, ...decided } = next;
      if (!previous) {
        return conditionally(
          new PutCommand({
            TableName,
            Item: { ...decided, pending, ...keyOf(next) },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": pk.name },
          }),
        );
      }
      // The attributes the decision changed are set, the ones it dropped removed; pending
      // transitions are only added to, so that concurrent delivery bookkeeping is neither undone
      // nor conflicting. An attribute equal to the one read is left out: the condition holds only
      // while the item is still at the revision read, which it then already holds (delivery
      // bookkeeping touches `pending` alone). A scan that sees an alarm again changes only its
      // lastSeen, evidence, count and revision: four attributes, not the message, parameters and
      // facts once more (docs/architecture.md, "Settling alarms").
      const names: Record<string, string> = {
        "#version": versionAttribute,
        ...(added.length > 0 ? { "#pending": "pending" } : {}),
      };
      const values: Record<string, unknown> = { ":expected": previous.version };
      const set: string[] = [];
      const remove: string[] = [];
      Object.entries(decided).forEach(([name, value], i) => {
        if (name === pk.name || name === sk.name || value === undefined) return;
        if (isDeepStrictEqual(value, (previous as Record<string, unknown>)[name])) return;
        names[`#a${i}`] = name;
        values[`:a${i}`] = value;
        set.push(`#a${i} = :a${i}`);
      });
      Object.keys(previous).forEach((name, i) => {
        if (name === "pending" || (decided as Record<string, unknown>)[name] !== undefined) return;
        names[`#r${i}`] = name;
        remove.push(`#r${i}`);
      });
      added.forEach((entry, i) => {
        names[`#t${i}`] = entry.transition.id;
        values[`:t${i}`] = entry;
        set.push(`#pending.#t${i} = :t${i}`);
      });
      return conditionally(
        new UpdateCommand({
          TableName,
          Key: keyOf(next),
          UpdateExpression: `SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""}`,
          ConditionExpression: "#version = :expected",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },

    takeOver(alarm, id, lease, now) {
      return conditionally(
        new UpdateCommand({
          TableName,
          Key: keyOf(alarm),
          UpdateExpression: "SET #pending.#id.#owner = :owner, #pending.#id.#until = :until",
          ConditionExpression:
            "attribute_exists(#pending.#id) AND (#pending.#id.#until < :now OR #pending.#id.#owner = :owner)",
          ExpressionAttributeNames: {
            "#pending": "pending",
            "#id": id,
            "#owner": "owner",
            "#until": "until",
          },
          ExpressionAttributeValues: { ":owner": lease.owner, ":until": lease.until, ":now": now.getTime() },
        }),
      );
    },

    async forget(alarm, ids) {
      // An UpdateExpression holds at most 4 KB; a transition id takes about 50 bytes of it.
      for (let start = 0; start < ids.length; start += 50) {
        const chunk = ids.slice(start, start + 50);
        const names: Record<string, string> = { "#pending": "pending", "#pk": pk.name };
        chunk.forEach((id, i) => {
          names[`#t${i}`] = id;
        });
        await conditionally(
          new UpdateCommand({
            TableName,
            Key: keyOf(alarm),
            UpdateExpression: `REMOVE ${chunk.map((_, i) => `#pending.#t${i}`).join(", ")}`,
            // Never brings a deleted item back as a bare key.
            ConditionExpression: "attribute_exists(#pk)",
            ExpressionAttributeNames: names,
          }),
        );
      }
    },

    async release(alarm, id, owner) {
      await conditionally(
        new UpdateCommand({
          TableName,
          Key: keyOf(alarm),
          UpdateExpression: "SET #pending.#id.#until = :zero",
          ConditionExpression: "#pending.#id.#owner = :owner",
          ExpressionAttributeNames: {
            "#pending": "pending",
            "#id": id,
            "#owner": "owner",
            "#until": "until",
          },
          ExpressionAttributeValues: { ":owner": owner, ":zero": 0 },
        }),
      );
    },
  };
}
