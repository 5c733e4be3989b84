/**
 * Fanned-out scan runs (core/scan/settlement.ts) in the scan-state table, next
 * to the object inventory:
 *
 * | item         | pk            | sk                  | notes                                         |
 * |--------------|---------------|---------------------|-----------------------------------------------|
 * | run          | `run:<runId>` | `run`               | batches sent, set of batches reported, claim |
 * | batch report | `run:<runId>` | `batch#<index>#<n>` | gzipped report, split in parts under 350 KB   |
 *
 * Counting is idempotent: a report adds its batch number to a set (`ADD reported :i`), so a
 * redelivered batch, or one whose first attempt died between storing and counting, counts once.
 * Every item expires (TTL) a week after the run started.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, paginateQuery, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { BatchReport } from "../core/scan/fan-out-messages";
import type { RunProgress, ScanRunRecord, ScanRunsPort } from "../core/scan/ports";
import { sharedDocumentClient } from "./clients/dynamodb";

const RUN_SK = "run";
const REPORT_PREFIX = "batch#";
const LISTER_INDEX = 999_999_999;
const PART_BYTES = 300_000;
const RETENTION_SECONDS = 7 * 86_400;

export interface ScanRunsOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
}

export function createScanRuns(options: ScanRunsOptions): ScanRunsPort {
  const client = options.client ?? sharedDocumentClient();
  const TableName = options.tableName;
  const pk = (runId: string) => `run:${runId}`;

  async function start(run: ScanRunRecord): Promise<void> {
    await client.send(
      new PutCommand({
        TableName,
        Item: {
          pk: pk(run.runId),
          sk: RUN_SK,
          ...run,
          expiresAt: Math.floor(Date.parse(run.now) / 1000) + RETENTION_SECONDS,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  /** Parts first, the head (which says how many parts there are) last: a torn write is never read. */
  async function storeReport(runId: string, index: number, report: BatchReport, expiresAt: number) {
    const body = gzipSync(JSON.stringify(report));
    const parts: Buffer[] = [];
    for (let at = 0; at < body.byteLength || parts.length === 0; at += PART_BYTES) {
      parts.push(body.subarray(at, at + PART_BYTES));
    }
    for (let n = parts.length - 1; n >= 0; n--) {
      await client.send(
        new PutCommand({
          TableName,
          Item: {
            pk: pk(runId),
            sk: `${REPORT_PREFIX}${String(index).padStart(9, "0")}#${n}`,
            body: parts[n],
            ...(n === 0 ? { parts: parts.length } : {}),
            expiresAt,
          },
        }),
      );
    }
  }

  function progressOf(item: Record<string, unknown> | undefined): RunProgress {
    if (!item) throw new Error("scan run record missing");
    const reported = item.reported instanceof Set ? item.reported.size : 0;
    const batches = typeof item.batches === "number" ? item.batches : undefined;
    return {
      run: {
        runId: String(item.runId),
        scope: String(item.scope),
        bucket: String(item.bucket),
        prefix: String(item.prefix),
        now: String(item.now),
        ...(item.trigger === "schedule" || item.trigger === "object-change" ? { trigger: item.trigger } : {}),
      },
      allReported: batches !== undefined && reported >= batches,
      settled: item.settledAt !== undefined,
    };
  }

  async function report(runId: string, index: number, batch: BatchReport): Promise<RunProgress> {
    const expiresAt = Math.floor(Date.now() / 1000) + RETENTION_SECONDS;
    await storeReport(runId, index, batch, expiresAt);
    const response = await client.send(
      new UpdateCommand({
        TableName,
        Key: { pk: pk(runId), sk: RUN_SK },
        UpdateExpression: "ADD reported :index",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":index": new Set([index]) },
        ReturnValues: "ALL_NEW",
      }),
    );
    return progressOf(response.Attributes);
  }

  async function seal(runId: string, batches: number, lister: BatchReport): Promise<RunProgress> {
    await storeReport(runId, LISTER_INDEX, lister, Math.floor(Date.now() / 1000) + RETENTION_SECONDS);
    const response = await client.send(
      new UpdateCommand({
        TableName,
        Key: { pk: pk(runId), sk: RUN_SK },
        UpdateExpression: "SET batches = :batches",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":batches": batches },
        ReturnValues: "ALL_NEW",
      }),
    );
    return progressOf(response.Attributes);
  }

  async function claimSettlement(runId: string, now: Date, leaseSeconds: number): Promise<boolean> {
    try {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: { pk: pk(runId), sk: RUN_SK },
          UpdateExpression: "SET settlingUntil = :until",
          ConditionExpression:
            "attribute_exists(pk) AND attribute_not_exists(settledAt) AND (attribute_not_exists(settlingUntil) OR settlingUntil < :now)",
          ExpressionAttributeValues: { ":until": now.getTime() + leaseSeconds * 1000, ":now": now.getTime() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function releaseSettlement(runId: string, until: number): Promise<void> {
    try {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: { pk: pk(runId), sk: RUN_SK },
          UpdateExpression: "REMOVE settlingUntil",
          ConditionExpression: "settlingUntil = :until AND attribute_not_exists(settledAt)",
          ExpressionAttributeValues: { ":until": until },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async function reports(runId: string): Promise<BatchReport[]> {
    const heads = new Map<string, { parts: number; chunks: Map<number, Uint8Array> }>();
    const pages = paginateQuery(
      { client },
      {
        TableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": pk(runId), ":prefix": REPORT_PREFIX },
        // The last report was written a moment ago, maybe by another invocation: an eventually
        // consistent query could miss it, and the run would settle without that batch's findings.
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const [, index = "", part = "0"] = String(item.sk).split("#");
        const entry = heads.get(index) ?? { parts: 0, chunks: new Map() };
        if (typeof item.parts === "number") entry.parts = item.parts;
        entry.chunks.set(Number(part), item.body as Uint8Array);
        heads.set(index, entry);
      }
    }
    const result: BatchReport[] = [];
    for (const [index, entry] of heads) {
      const chunks = Array.from({ length: entry.parts }, (_, n) => entry.chunks.get(n));
      if (entry.parts === 0 || chunks.some((c) => c === undefined)) {
        throw new Error(`scan run ${runId}: the report of batch ${Number(index)} is incomplete`);
      }
      const body = Buffer.concat(chunks as Uint8Array[]);
      result.push(BatchReport.parse(JSON.parse(gunzipSync(body).toString("utf8"))));
    }
    return result;
  }

  async function settled(runId: string, now: Date): Promise<void> {
    await client.send(
      new UpdateCommand({
        TableName,
        Key: { pk: pk(runId), sk: RUN_SK },
        UpdateExpression: "SET settledAt = :now",
        ExpressionAttributeValues: { ":now": now.toISOString() },
      }),
    );
  }

  return { start, report, seal, claimSettlement, releaseSettlement, reports, settled };
}
