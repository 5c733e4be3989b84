/**
 * Hosts that push, end to end on local stand-ins: `watchpost push` (in-process, as cron runs it)
 * writes its heartbeat into s3rver; the certificate-scan function receives the heartbeat's S3
 * event as EventBridge delivers it and the host check's schedule, keeps heartbeats in dynalite's
 * scan-state table and settles alarms in its alarm table. What an operator relies on: a host whose
 * clock runs ahead is named with its offset within seconds of its push; a host that stops pushing
 * is raised once its limit has passed, and cleared by its next push; a retired host's alarms
 * clear; heartbeats are never judged as certificate files.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import type { CertificateScanDeps } from "../../../functions/handlers/certificate-scan/deps";
import { runCli } from "../../support/cli";
import {
  type LocalDynamo,
  type LocalS3,
  S3RVER_CREDENTIALS,
  startDynalite,
  startS3rver,
} from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { chain } from "../../support/pki";
import { SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";

const BUCKET = "cluster-certs";
const HOUR = 3_600_000;
const ENV = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_REGION: "us-east-1",
};
const HOST_CHECK = {
  source: "aws.events",
  "detail-type": "Scheduled Event",
  detail: { check: "host-heartbeats" },
};

let s3: LocalS3;
let dynamo: LocalDynamo;
let work: string;
const bus = recordingEventBus();

const config = parseConfig({ certificates: { sources: [{ prefix: "hosts/" }] } });

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  work = await mkdtemp(join(tmpdir(), "watchpost-heartbeats-"));
});

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
  await rm(work, { recursive: true, force: true });
});

beforeEach(() => bus.clear());

/**
 * The scan function as deployed, on tables of its own; `at(offsetMs)` invokes it with its clock
 * that far from now (the schedule running later).
 */
async function scanFunction() {
  const { deps } = await scanHarness({ config, bucket: BUCKET, s3: s3.client, dynamo, bus, inventory: true });
  const at =
    (offsetMs: number) =>
    (event: unknown): ReturnType<typeof runCertificateScan> =>
      runCertificateScan(event, {
        ...deps,
        now: () => new Date(Date.now() + offsetMs),
      } satisfies CertificateScanDeps);
  return { now: at(0), at };
}

/** `watchpost push` on a host laid out under `work/<host>`, its clock `aheadMs` off. */
async function pushFrom(host: string, options: { aheadMs?: number; every?: string } = {}) {
  const dir = join(work, host, "etc", "ssl");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "server.pem"), (await chain(`${host}.example.com`)).leaf.pem);
  const args = ["push", dir, "--to", `s3://${BUCKET}/hosts/`, "--host", host, "--endpoint-url", s3.endpoint];
  const clock = options.aheadMs ? () => Date.now() + options.aheadMs! : undefined;
  const result = await runCli([...args, ...(options.every ? ["--every", options.every] : [])], ENV, clock);
  expect(result.code).toBe(0);
  return result;
}

const heartbeatEvent = (change: "Object Created" | "Object Deleted", host: string) => ({
  source: "aws.s3",
  "detail-type": change,
  detail: { bucket: { name: BUCKET }, object: { key: `hosts/${host}/.watchpost-heartbeat.json` } },
});

function alarms() {
  return bus.sent.map((e) => {
    const detail = JSON.parse(e.Detail ?? "{}");
    return {
      event: e.DetailType,
      alarmId: detail.alarmId,
      check: detail.check,
      severity: detail.severity,
      source: detail.source,
      message: detail.message,
      parameters: detail.parameters,
    };
  });
}

const source = (host: string) => `s3://${BUCKET}/hosts/${host}/.watchpost-heartbeat.json`;
const parameters = (host: string) => ({
  Source: source(host),
  HostName: host,
  Bucket: BUCKET,
  Key: `hosts/${host}/.watchpost-heartbeat.json`,
  Prefix: "hosts/",
});

describe("a host whose clock runs ahead", () => {
  it("is raised with its offset on its push's heartbeat event, and cleared by a push with its clock right", async () => {
    // Prepare: zk01's clock is ten minutes ahead of S3's
    const scan = await scanFunction();
    await pushFrom("zk01", { aheadMs: 10 * 60_000 });

    // Act
    await scan.now(heartbeatEvent("Object Created", "zk01"));
    const raised = alarms();
    bus.clear();
    await pushFrom("zk01");
    await scan.now(heartbeatEvent("Object Created", "zk01"));

    // Assess
    expect(raised).toEqual([
      {
        event: "Alarm Raised",
        alarmId: "1021",
        check: "host-clock-skew",
        severity: "major",
        source: source("zk01"),
        message: expect.stringMatching(
          /^The clock of zk01 was 10 min [01] s ahead of S3's \(±\d+(\.\d+)? s\) when it pushed at \S+Z, more than the 300 s tolerated: certificates issued or regenerated on it start in the future and are not yet valid anywhere else; fix its time synchronisation before re-issuing them\.$/,
        ),
        parameters: parameters("zk01"),
      },
    ]);
    expect(alarms().map((a) => [a.event, a.check, a.source])).toEqual([
      ["Alarm Cleared", "host-clock-skew", source("zk01")],
    ]);
  });
});

describe("a host that stops pushing", () => {
  it("is raised once its limit has passed, cleared by its next push, and forgotten when retired", async () => {
    // Prepare: flink01 pushes every 5 minutes (silent after 65), kafka01 declares nothing (25 h)
    const scan = await scanFunction();
    await pushFrom("flink01", { every: "5m" });
    await pushFrom("kafka01");
    await scan.now(heartbeatEvent("Object Created", "flink01"));
    await scan.now(heartbeatEvent("Object Created", "kafka01"));
    bus.clear();

    // Act 1: the host check, two hours later
    await scan.at(2 * HOUR)(HOST_CHECK);
    const twoHoursLater = alarms();
    bus.clear();
    // Act 2: flink01's timer runs again
    await pushFrom("flink01", { every: "5m" });
    await scan.now(heartbeatEvent("Object Created", "flink01"));
    const pushedAgain = alarms();
    bus.clear();
    // Act 3: 26 hours on, both are silent; then kafka01 is decommissioned and retired
    await scan.at(26 * HOUR)(HOST_CHECK);
    const dayLater = alarms().map((a) => [a.event, a.check, a.source]);
    bus.clear();
    await s3.client.send(
      new DeleteObjectCommand({ Bucket: BUCKET, Key: "hosts/kafka01/.watchpost-heartbeat.json" }),
    );
    await scan.at(26 * HOUR)(heartbeatEvent("Object Deleted", "kafka01"));
    const retired = alarms().map((a) => [a.event, a.check, a.source]);
    bus.clear();
    await scan.at(27 * HOUR)(HOST_CHECK);

    // Assess
    expect(twoHoursLater).toEqual([
      {
        event: "Alarm Raised",
        alarmId: "1020",
        check: "host-silent",
        severity: "major",
        source: source("flink01"),
        message: expect.stringMatching(
          /^flink01 has not pushed for (1 h 5\d min|2 h) \(its last push reached the bucket at \S+Z; it is silent after 1 h 5 min\): its timer stopped, its pushes fail before reaching the bucket, or it was decommissioned without being retired\. What it holds now is not watched\.$/,
        ),
        parameters: parameters("flink01"),
      },
    ]);
    expect(pushedAgain.map((a) => [a.event, a.check, a.source])).toEqual([
      ["Alarm Cleared", "host-silent", source("flink01")],
    ]);
    expect(dayLater.sort()).toEqual([
      ["Alarm Raised", "host-silent", source("flink01")],
      ["Alarm Raised", "host-silent", source("kafka01")],
    ]);
    expect(retired).toEqual([["Alarm Cleared", "host-silent", source("kafka01")]]);
    // Retired: the next check knows kafka01 no more, and reminds of nothing.
    expect(alarms()).toEqual([]);
  });
});

describe("heartbeats in a certificate source", () => {
  it("are never judged as certificate files by the scheduled scan", async () => {
    // Prepare: a pushed host, and a heartbeat object that is not even JSON
    const scan = await scanFunction();
    await pushFrom("web01");
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "hosts/odd01/.watchpost-heartbeat.json",
        Body: "not json",
      }),
    );

    // Act
    const outcome = await scan.now(SCHEDULED_EVENT);

    // Assess: the certificates are judged; nothing is raised about the heartbeats
    expect(outcome).toMatchObject({ mode: "full", complete: true });
    expect(alarms().filter((a) => String(a.source).includes(".watchpost-heartbeat.json"))).toEqual([]);
    expect(alarms().filter((a) => a.check === "unreadable")).toEqual([]);
  });
});
