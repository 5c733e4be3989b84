/**
 * The key shapes of watchpost's two DynamoDB tables, in a module that sends nothing: the stack
 * creates the tables from them (lib/constructs/), the local stand-ins too (bin/local/tables.ts),
 * and the adapters read and write by them. The certificate page imports only this, not the
 * adapters that write, so its bundle holds no code that could send a write (the IAM simulation
 * attributes calls to the modules a bundle contains).
 */

export const ALARM_TABLE_KEYS = {
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "S" },
  /** Epoch seconds; enable DynamoDB TTL on it so cleared history expires (default 90 days). */
  timeToLiveAttribute: "expiresAt",
  /** The decision's revision (number): every decision expects the one it read. */
  versionAttribute: "version",
} as const;

/** Sort-key prefix of live alarm items (the certificate page reads only those). */
export const LIVE_ALARM_PREFIX = "alarm#";

/** Same key shape as the alarm table; the stack creates the scan-state table from it. */
export const SCAN_STATE_TABLE_KEYS = {
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "S" },
  timeToLiveAttribute: "expiresAt",
  /** The certificate page's index: entries by shard, projecting their page attribute only. */
  pageIndex: {
    indexName: "inventory-page",
    partitionKey: { name: "pageShard", type: "S" },
    projected: ["page", "expiresAt"],
  },
} as const;
