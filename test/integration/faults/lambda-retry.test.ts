/**
 * Lambda runs an asynchronous invocation again when it fails or dies (EventBridge and Scheduler
 * deliver at least once, too): the certificate scan must be safe to run twice on the same event.
 * On local stand-ins — s3rver, dynalite, the recording bus — a retry notifies nobody a second time,
 * and what an attempt that died between writing alarm state and publishing left behind is
 * delivered exactly once, by the first run allowed to take over its claim.
 */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AlarmPublisherPort } from "../../../functions/core/alarms/ports";
import { parseConfig } from "../../../functions/core/config";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { withClaimOwner } from "../../../functions/handlers/shared/alarm-runs";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { chain, DAY, issue } from "../../support/pki";
import { type ScanHarness, scanHarness } from "../../support/scan-harness";

const BUCKET = "retried-scan-certs";
const HOST = "api.prod.example.com";
const SCOPE = `s3://${BUCKET}/prod/`;
/** What the 01:00 schedule sends; a retry carries the very same event. */
const SCHEDULED = {
  version: "0",
  id: "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2031-01-04T01:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/watchpost-certificate-scan"],
  detail: {},
};
/** Lambda's first asynchronous retry comes about a minute after the failed attempt. */
const LAMBDA_RETRY_DELAY_MS = 60_000;
/** Lambda keeps an invocation's request ID on its own retries. */
const REQUEST_ID = "8f5b6e43-7d0e-4a4b-9d7e-2f1f0d8c1a11";

const config = parseConfig({ certificates: { sources: [{ prefix: "prod/", expectedHostnames: [HOST] }] } });

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const pki = await chain(HOST);
  const expired = await issue({
    dnsNames: [HOST],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 90 * DAY),
    notAfter: new Date(Date.now() - 2 * DAY),
  });
  const misnamed = await issue({ dnsNames: ["old.example.com"], issuer: pki.intermediate });
  for (const [Key, leaf] of [
    ["prod/api.pem", expired],
    ["prod/legacy.pem", misnamed],
    ["prod/web.pem", pki.leaf],
  ] as const) {
    await s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key, Body: `${leaf.pem}\n${pki.intermediate.pem}` }),
    );
  }
});

beforeEach(() => bus.clear());

afterAll(async () => {
  bus.restore();
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

function freshDeps(): Promise<ScanHarness> {
  return scanHarness({ config, bucket: BUCKET, s3: s3.client, dynamo, bus });
}

/** Events on the bus as "<detail-type> <check>", and how often each event id was put. */
function busEvents() {
  const details = bus.sent.map((e) => ({
    type: e.DetailType ?? "",
    ...(JSON.parse(e.Detail ?? "{}") as { eventId: string; check: string }),
  }));
  const timesSent = new Map<string, number>();
  for (const d of details) timesSent.set(d.eventId, (timesSent.get(d.eventId) ?? 0) + 1);
  return {
    events: details.map((d) => `${d.type} ${d.check}`).sort(),
    timesSent: [...timesSent.values()],
  };
}

/**
 * A publisher standing in for an attempt that dies the moment it starts publishing (the Lambda
 * timed out or its environment was lost): the alarm state is written, nothing went out.
 */
function dyingPublisher() {
  let died: () => void = () => {};
  const death = new Promise<void>((resolve) => {
    died = resolve;
  });
  const publisher: AlarmPublisherPort = {
    publish: () => {
      died();
      return new Promise(() => {});
    },
  };
  return { publisher, death };
}

describe("certificate scan run again on the same event", () => {
  it("notifies nobody twice when Lambda retries a scan that had succeeded", async () => {
    // Prepare
    const { deps } = await freshDeps();

    // Act
    const first = await runCertificateScan(SCHEDULED, deps);
    const afterFirst = busEvents();
    bus.clear();
    const retry = await runCertificateScan(SCHEDULED, {
      ...deps,
      now: () => new Date(Date.now() + LAMBDA_RETRY_DELAY_MS),
    });

    // Assess
    expect(first).toMatchObject({ mode: "full", complete: true });
    expect(afterFirst).toEqual({
      events: ["Alarm Raised expired", "Alarm Raised hostname-mismatch"],
      timesSent: [1, 1],
    });
    expect(retry).toMatchObject({ mode: "full", complete: true });
    expect(bus.sent).toEqual([]);
  });

  it("delivers on Lambda's retry a minute later, exactly once, what an attempt left when it died before publishing", async () => {
    // Prepare: the first attempt writes the raised alarms, then dies before anything is published
    const { deps, alarms } = await freshDeps();
    const dying = dyingPublisher();
    const attempt = withClaimOwner(deps, REQUEST_ID);
    void runCertificateScan(SCHEDULED, {
      ...attempt,
      alarms: { ...attempt.alarms, publisher: dying.publisher },
    });
    await dying.death;
    const leftBehind = await alarms.load(SCOPE);

    // Act: Lambda's retry of the same invocation, well within the dead attempt's claim
    const retry = await runCertificateScan(SCHEDULED, {
      ...withClaimOwner(deps, REQUEST_ID),
      now: () => new Date(Date.now() + LAMBDA_RETRY_DELAY_MS),
    });

    // Assess
    expect(leftBehind.map((a) => Object.values(a.pending).map((p) => p.transition.kind))).toEqual([
      ["raised"],
      ["raised"],
    ]);
    expect(bus.sent).toHaveLength(2);
    expect(busEvents()).toEqual({
      events: ["Alarm Raised expired", "Alarm Raised hostname-mismatch"],
      timesSent: [1, 1],
    });
    expect(retry).toMatchObject({ complete: true });
    expect((await alarms.load(SCOPE)).map((a) => a.pending)).toEqual([{}, {}]);
  });

  it("leaves a live run's claim alone: another invocation within the claim does not send its events", async () => {
    // Prepare: an attempt that is still publishing (its publisher has not answered yet)
    const { deps } = await freshDeps();
    const dying = dyingPublisher();
    void runCertificateScan(SCHEDULED, {
      ...withClaimOwner(deps, REQUEST_ID),
      alarms: { ...withClaimOwner(deps, REQUEST_ID).alarms, publisher: dying.publisher },
    });
    await dying.death;

    // Act: a different invocation (the next schedule, or an operator's manual run) a minute later
    await runCertificateScan(SCHEDULED, {
      ...withClaimOwner(deps, "another-invocation"),
      now: () => new Date(Date.now() + LAMBDA_RETRY_DELAY_MS),
    }).catch(() => undefined);

    // Assess: nothing is sent twice behind the claimant's back
    expect(bus.sent).toEqual([]);
  });
});
