/**
 * Judging the hosts that push, from their heartbeats: how long a host may stay silent, when its
 * clock is off, what the operator reads, and the clock measurement that feeds it.
 */
import { describe, expect, it } from "vitest";
import { alarmDefinition } from "../../../functions/core/alarms/catalog";
import { parseConfig } from "../../../functions/core/config";
import {
  type ClockSample,
  clockOffset,
  describeOffset,
  heartbeatLocation,
} from "../../../functions/core/hosts/heartbeat";
import { remediationSteps } from "../../../functions/core/notifications/remediation";
import {
  clockFinding,
  type HeartbeatRecord,
  heartbeatRun,
  hostPatternMatches,
  recordOf,
  retiredRun,
  silenceFinding,
  silenceRun,
  silentAfterMinutes,
} from "../../../functions/core/scan/host-checks";

const config = parseConfig({
  certificates: { sources: [{ prefix: "hosts/" }] },
  hosts: {
    silentAfterByHost: [
      { hostPattern: "kafka-*", silentAfterMinutes: 90 },
      { prefix: "hosts/lab/", silentAfterMinutes: 4320 },
    ],
  },
});
const defaults = parseConfig({ certificates: { sources: [{ prefix: "hosts/" }] } });
const SOURCE = "s3://b/hosts/web01/.watchpost-heartbeat.json";

const record = (over: Partial<HeartbeatRecord> = {}): HeartbeatRecord => ({
  key: "hosts/web01/.watchpost-heartbeat.json",
  host: "web01",
  prefix: "hosts/",
  etag: '"e1"',
  lastPushAt: "2026-11-29T00:00:00.000Z",
  ...over,
});

describe("how long a host may stay silent", () => {
  it.each([
    ["a rule for its name", { host: "kafka-3" }, defaults, 1500, config, 90],
    ["a rule for its prefix", { prefix: "hosts/lab/" }, defaults, 1500, config, 4320],
    ["the interval it declares, plus an hour", { everySeconds: 300 }, defaults, 65, config, 65],
    ["a daily push", { everySeconds: 86_400 }, defaults, 1500, config, 1500],
    ["nothing declared: 25 hours", {}, defaults, 1500, config, 1500],
  ] as const)("%s", (_case, over, plain, plainMinutes, ruled, ruledMinutes) => {
    expect(silentAfterMinutes(plain, record(over))).toBe(plainMinutes);
    expect(silentAfterMinutes(ruled, record(over))).toBe(ruledMinutes);
  });

  it("a configured default wins over what the host declares; a matching rule wins over both", () => {
    const configured = parseConfig({
      certificates: { sources: [{ prefix: "hosts/" }] },
      hosts: {
        silentAfterMinutes: 180,
        silentAfterByHost: [{ hostPattern: "web??", silentAfterMinutes: 30 }],
      },
    });
    expect(silentAfterMinutes(configured, record({ host: "db01", everySeconds: 300 }))).toBe(180);
    expect(silentAfterMinutes(configured, record({ host: "web01", everySeconds: 300 }))).toBe(30);
  });

  it.each([
    ["kafka-*", "kafka-1", true],
    ["kafka-*", "KAFKA-1.prod", true],
    ["kafka-*", "zk-kafka-1", false],
    ["web??", "web01", true],
    ["web??", "web1", false],
    ["*.prod.example.com", "db.prod.example.com", true],
    ["*.prod.example.com", "db.prodxexample.com", false],
  ])("host pattern %s against %s: %s", (pattern, host, matches) => {
    expect(hostPatternMatches(pattern, host)).toBe(matches);
  });
});

describe("a silent host", () => {
  it.each([
    ["within its limit", "2026-11-29T00:30:00.000Z", undefined],
    ["exactly at its limit", "2026-11-29T01:05:00.000Z", undefined],
    ["past its limit", "2026-11-29T01:06:30.000Z", "1 h 6 min"],
    ["days past", "2026-12-01T03:00:00.000Z", "2 days 3 h"],
  ])("%s (%s)", (_case, now, silentFor) => {
    // Act
    const finding = silenceFinding(defaults, record({ everySeconds: 300 }), new Date(now), SOURCE);

    // Assess
    if (silentFor === undefined) {
      expect(finding).toBeUndefined();
      return;
    }
    expect(finding).toEqual({
      check: "host-silent",
      alarmId: "1020",
      severity: "major",
      source: SOURCE,
      message: `web01 has not pushed for ${silentFor} (its last push reached the bucket at 2026-11-29T00:00:00.000Z; it is silent after 1 h 5 min): its timer stopped, its pushes fail before reaching the bucket, or it was decommissioned without being retired. What it holds now is not watched.`,
      details: {
        host: "web01",
        prefix: "hosts/",
        lastPushAt: "2026-11-29T00:00:00.000Z",
        silentForMinutes: Math.floor((Date.parse(now) - Date.parse("2026-11-29T00:00:00.000Z")) / 60_000),
        silentAfterMinutes: 65,
        everySeconds: 300,
      },
    });
  });
});

describe("a host clock that is off", () => {
  const clock = (offsetSeconds: number, uncertaintySeconds = 0.6) => ({
    offsetSeconds,
    uncertaintySeconds,
    against: "s3-date-header" as const,
  });

  it.each([
    ["ten minutes ahead", 612.4, 0.6, "10 min 12 s ahead", "ahead"],
    ["an hour behind", -3600, 0.6, "1 h 0 min behind", "behind"],
    ["just past the tolerance", 300.9, 0.6, "5 min 1 s ahead", "ahead"],
  ] as const)("%s is raised with the offset", (_case, offset, uncertainty, said, direction) => {
    const finding = clockFinding(defaults, record({ clock: clock(offset, uncertainty) }), SOURCE);
    const consequence =
      direction === "ahead"
        ? "certificates issued or regenerated on it start in the future and are not yet valid anywhere else; fix its time synchronisation before re-issuing them"
        : "it refuses valid certificates as not yet valid and accepts expired ones, and AWS refuses its requests beyond 15 minutes; fix its time synchronisation";
    expect(finding).toEqual({
      check: "host-clock-skew",
      alarmId: "1021",
      severity: "major",
      source: SOURCE,
      message: `The clock of web01 was ${said} of S3's (±${uncertainty} s) when it pushed at 2026-11-29T00:00:00.000Z, more than the 300 s tolerated: ${consequence}.`,
      details: {
        host: "web01",
        offsetSeconds: offset,
        uncertaintySeconds: uncertainty,
        toleranceSeconds: 300,
        measuredAt: "2026-11-29T00:00:00.000Z",
      },
    });
  });

  it.each([
    ["within the tolerance", clock(200)],
    ["beyond it only by less than the measurement's uncertainty", clock(300.5, 0.6)],
    ["not measured", undefined],
  ])("is not raised %s", (_case, reading) => {
    expect(clockFinding(defaults, record(reading ? { clock: reading } : {}), SOURCE)).toBeUndefined();
  });

  it("follows hosts.clockSkewSeconds when it is configured", () => {
    const strict = parseConfig({
      certificates: { sources: [{ prefix: "hosts/" }] },
      hosts: { clockSkewSeconds: 30 },
    });
    expect(clockFinding(strict, record({ clock: clock(45) }), SOURCE)?.details?.toleranceSeconds).toBe(30);
  });
});

describe("the runs each trigger settles", () => {
  const ctx = {
    config: defaults,
    uri: (key: string) => `s3://b/${key}`,
    bucket: "b",
    now: new Date("2026-11-30T00:00:00Z"),
  };
  const scope = "host:s3://b/hosts/web01/";
  const parameters = {
    HostName: "web01",
    Bucket: "b",
    Key: "hosts/web01/.watchpost-heartbeat.json",
    Prefix: "hosts/",
  };

  it("a heartbeat's event examines both checks, on the version it read; without a clock reading only silence", () => {
    const withClock = heartbeatRun(
      record({ clock: { offsetSeconds: 1, uncertaintySeconds: 0.5, against: "s3-date-header" } }),
      ctx,
    );
    expect(withClock).toEqual({
      scope,
      complete: true,
      examinedSources: [SOURCE],
      examinedChecks: ["host-silent", "host-clock-skew"],
      findings: [],
      parameters,
      now: ctx.now,
      versions: { seen: new Map([[SOURCE, '"e1"']]) },
    });
    expect(heartbeatRun(record(), ctx).examinedChecks).toEqual(["host-silent"]);
  });

  it("the schedule examines silence only; a deleted heartbeat clears both, as absent", () => {
    expect(silenceRun(record({ everySeconds: 300 }), ctx)).toMatchObject({
      scope,
      examinedChecks: ["host-silent"],
      complete: true,
    });
    expect(silenceRun(record({ everySeconds: 300 }), ctx).findings.map((f) => f.check)).toEqual([
      "host-silent",
    ]);
    expect(retiredRun("hosts/web01/.watchpost-heartbeat.json", ctx)).toEqual({
      scope,
      complete: true,
      examinedSources: [SOURCE],
      examinedChecks: ["host-silent", "host-clock-skew"],
      findings: [],
      parameters,
      now: ctx.now,
      versions: { seen: new Map([[SOURCE, "absent"]]) },
    });
  });
});

describe("a heartbeat object", () => {
  it.each([
    ["hosts/web01/.watchpost-heartbeat.json", { prefix: "hosts/", host: "web01" }],
    [
      "clusters/prod/kafka-1.example.com/.watchpost-heartbeat.json",
      { prefix: "clusters/prod/", host: "kafka-1.example.com" },
    ],
    ["web01/.watchpost-heartbeat.json", { prefix: "", host: "web01" }],
    ["hosts/web01/etc/.watchpost-heartbeat.json.bak", undefined],
    ["hosts/.watchpost-heartbeat.json", { prefix: "", host: "hosts" }],
    [".watchpost-heartbeat.json", undefined],
    ["hosts/we b/.watchpost-heartbeat.json", undefined],
  ])("%s names %j", (key, location) => {
    expect(heartbeatLocation(key)).toEqual(location);
  });

  it("says who and where by its key and when by S3, whatever its content claims", () => {
    const claims = JSON.stringify({
      format: 1,
      host: "someone-else",
      pushedAt: "2020-01-01T00:00:00.000Z",
      everySeconds: 300,
      clock: { offsetSeconds: 4, uncertaintySeconds: 0.5, against: "s3-date-header" },
    });
    const lastModified = new Date("2026-11-29T00:00:00.000Z");
    expect(
      recordOf(
        "hosts/web01/.watchpost-heartbeat.json",
        { bytes: Buffer.from(claims), etag: '"e1"', lastModified },
        new Date(),
      ),
    ).toEqual(
      record({
        everySeconds: 300,
        clock: { offsetSeconds: 4, uncertaintySeconds: 0.5, against: "s3-date-header" },
      }),
    );
    expect(
      recordOf(
        "hosts/web01/.watchpost-heartbeat.json",
        { bytes: Buffer.from("not json"), etag: '"e1"', lastModified },
        new Date(),
      ),
    ).toEqual(record());
  });
});

describe("the host clock against S3's Date header", () => {
  it.each([
    [
      "the tightest round trip wins",
      [
        { sentAt: 1_000_000, receivedAt: 1_000_900, serverDate: 400_000 },
        { sentAt: 2_000_000, receivedAt: 2_000_040, serverDate: 1_400_000 },
      ],
      { offsetSeconds: 599.52, uncertaintySeconds: 0.52 },
    ],
    [
      "a clock behind",
      [{ sentAt: 1_000_000, receivedAt: 1_000_100, serverDate: 1_600_000 }],
      { offsetSeconds: -600.45, uncertaintySeconds: 0.55 },
    ],
  ] as [string, ClockSample[], { offsetSeconds: number; uncertaintySeconds: number }][])(
    "%s",
    (_case, samples, reading) => {
      expect(clockOffset(samples)).toEqual({ ...reading, against: "s3-date-header" });
    },
  );

  it("says nothing without a Date header", () => {
    expect(clockOffset([{ sentAt: 1, receivedAt: 2, serverDate: Number.NaN }])).toBeUndefined();
    expect(clockOffset([])).toBeUndefined();
  });

  it.each([
    [612.4, "10 min 12 s ahead"],
    [-3.25, "3.3 s behind"],
    [-7260, "2 h 1 min behind"],
    [45, "45 s ahead"],
  ])("%s s reads %s", (offset, words) => {
    expect(describeOffset(offset)).toBe(words);
  });
});

describe("what a notification of a host alarm tells the operator to do", () => {
  it("fills the host, the bucket, the heartbeat key and the push prefix into the runbook's commands", () => {
    // Prepare
    const parameters = {
      Source: "s3://cluster-certs/hosts/web01/.watchpost-heartbeat.json",
      HostName: "web01",
      Bucket: "cluster-certs",
      Key: "hosts/web01/.watchpost-heartbeat.json",
      Prefix: "hosts/",
    };

    // Act
    const silent = remediationSteps(alarmDefinition("host-silent"), parameters);
    const clock = remediationSteps(alarmDefinition("host-clock-skew"), parameters);

    // Assess
    expect(silent[0]).toBe(
      "When did it last push? `aws s3api head-object --bucket cluster-certs --key hosts/web01/.watchpost-heartbeat.json --query LastModified`.",
    );
    expect(clock.at(-1)).toBe(
      "Confirm: push again on web01 (`watchpost push DIR --to s3://cluster-certs/hosts/`, as its timer does); the alarm then clears within seconds.",
    );
  });
});
