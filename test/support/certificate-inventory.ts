/**
 * A generated certificate inventory as the scans leave it in DynamoDB: inventory entries written by
 * the real object-inventory adapter (so the page's attribute and index shard are what a scan
 * writes) and live alarm items written by the real alarm store. Several sources, hosts and
 * services, certificates spread from 30 days expired to a year ahead, alarms on the expired and
 * soonest-expiring ones, and one certificate whose subject is HTML with script in it.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createAlarmStore } from "../../functions/adapters/alarm-store";
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import { createObjectInventory } from "../../functions/adapters/object-inventory";
import { alarmIdFor } from "../../functions/core/alarm-ids";
import type { AlarmState } from "../../functions/core/alarms/lifecycle";
import type { CheckName, Severity } from "../../functions/core/contracts";
import { type InventoryRecordInput, RECORD_FORMAT } from "../../functions/core/scan/inventory";
import type { LocalDynamo } from "./emulators";

const DAY = 86_400_000;

/** Text a certificate's subject may carry: markup and script that must reach the page as text. */
export const HOSTILE_SUBJECT = `CN=<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">evil.example`;

export const SOURCES = [
  "s3://certs-prod/clusters/prod/",
  "s3://certs-prod/clusters/staging/",
  "s3://certs-edge/edge/",
];

/** The hostile subject's certificate: expired three days ago, so it is on the first page, with an alarm. */
const hostile = (object: number, index: number) => object === 7 && index === 0;

export interface GeneratedInventory {
  records: InventoryRecordInput[];
  alarms: AlarmState[];
  /** Certificates in all records. */
  certificates: number;
  expired: number;
}

/** `objects` inventory entries of one certificate each (every tenth a bundle of three), judged at `now`. */
export function generateInventory(now: Date, objects: number): GeneratedInventory {
  const records: InventoryRecordInput[] = [];
  const alarms: AlarmState[] = [];
  let certificates = 0;
  let expired = 0;
  for (let i = 0; i < objects; i++) {
    const scope = SOURCES[i % SOURCES.length]!;
    const bucket = /^s3:\/\/([^/]+)\//.exec(scope)![1]!;
    const host = `node${String(i % 12).padStart(2, "0")}.cluster.example`;
    const service = ["kafka", "zookeeper", "flink", "etcd"][i % 4]!;
    const key = `${scope.slice(`s3://${bucket}/`.length)}${host}/${service}/server-${i}.pem`;
    const file = `s3://${bucket}/${key}`;
    const inBundle = i % 10 === 0 ? 3 : 1;
    const facts = Array.from({ length: inBundle }, (_, index) => {
      // From 30 days expired to a year ahead, spread over the objects.
      const daysLeft = hostile(i, index) ? -3.5 : ((i * 37 + index * 11) % 395) - 30 + 0.5;
      const notAfter = new Date(now.getTime() + daysLeft * DAY);
      if (daysLeft < 0) expired++;
      return {
        source: `${file}#${index}`,
        file,
        index,
        subject: hostile(i, index) ? HOSTILE_SUBJECT : `CN=${service}-${i}.${host}`,
        issuer: index === 0 ? "CN=Cluster Intermediate CA,O=Example" : "CN=Cluster Root CA,O=Example",
        serialNumber: (1000 + i).toString(16),
        notBefore: new Date(notAfter.getTime() - 398 * DAY).toISOString(),
        notAfter: notAfter.toISOString(),
        sha256: `${i.toString(16).padStart(8, "0")}${index}`.padEnd(64, "0"),
        commonNames: [`${service}-${i}.${host}`],
        dnsNames: [host],
        ipAddresses: [],
        isCA: index > 0,
        selfIssued: false,
        selfSigned: false,
        publicKey: { type: "ec", curve: "P-256" },
        signatureAlgorithm: { oid: "1.2.840.10045.4.3.2", name: "ecdsa-with-SHA256", hash: "SHA-256" },
      };
    });
    certificates += facts.length;
    records.push({
      format: RECORD_FORMAT,
      scope,
      key,
      etag: `"${i}"`,
      size: 1200,
      judgedAt: now.toISOString(),
      trust: "",
      parameters: { HostName: host, ServiceName: service, HostPath: `/opt/${service}/ssl/server.pem` },
      certificates: facts,
      bytesFindings: [],
    });
    const first = facts[0]!;
    const daysLeft = (Date.parse(first.notAfter) - now.getTime()) / DAY;
    const alarm: [CheckName, Severity, string] | undefined =
      daysLeft < 0
        ? ["expired", "critical", `Certificate expired ${Math.ceil(-daysLeft)} days ago.`]
        : daysLeft <= 7
          ? ["expiring", "major", `Certificate expires in ${Math.floor(daysLeft)} days.`]
          : daysLeft <= 30
            ? ["expiring", "minor", `Certificate expires in ${Math.floor(daysLeft)} days.`]
            : undefined;
    if (alarm) {
      const [check, severity, message] = alarm;
      const firstSeen = new Date(now.getTime() - ((i % 5) + 1) * DAY).toISOString();
      alarms.push({
        fingerprint: `${check}:${first.source}`,
        alarmId: alarmIdFor(check),
        check,
        scope,
        source: first.source,
        object: key,
        occurrenceId: randomUUID(),
        status: "active",
        severity,
        peakSeverity: severity,
        consecutiveFailures: 1,
        firstSeen,
        lastSeen: now.toISOString(),
        lastNotified: firstSeen,
        message,
        parameters: {
          Bucket: bucket,
          Key: key,
          HostName: first.commonNames[0]!.split(".").slice(1).join("."),
          ServiceName: service,
        },
        version: 1,
        pending: {},
      });
    }
  }
  return { records, alarms, certificates, expired };
}

export interface InventoryTables {
  scanStateTable: string;
  alarmTable: string;
  client: DynamoDBDocumentClient;
}

/** Creates the two tables on dynalite and writes the inventory and alarms with the real adapters. */
export async function storeInventory(
  dynamo: LocalDynamo,
  generated: GeneratedInventory,
  names = { scanStateTable: "scan-state", alarmTable: "alarms" },
): Promise<InventoryTables> {
  await dynamo.createScanStateTable(names.scanStateTable);
  await dynamo.createAlarmTable(names.alarmTable);
  const client = documentClient(dynamo.client);
  await createObjectInventory({ tableName: names.scanStateTable, client }).put(generated.records);
  const store = createAlarmStore({ tableName: names.alarmTable, client });
  for (const alarm of generated.alarms) await store.decide(alarm, undefined, []);
  return { ...names, client };
}
