import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alarmIdFor, DEFAULT_SEVERITY } from "../../../functions/core/alarm-ids";
import { ABSENT, freshness, versionSeen } from "../../../functions/core/alarms/evidence";
import {
  type AlarmState,
  type AlarmTransition,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
  decideAlarm,
  decideTransitions,
  fingerprintOf,
  type LifecyclePolicy,
  type SourceObservation,
} from "../../../functions/core/alarms/lifecycle";
import type { CheckName, Finding, Severity } from "../../../functions/core/contracts";

const HOUR = 3_600_000;
const T0 = new Date("2030-01-01T01:00:00.000Z");
const SCOPE = "s3://certs/cluster-a/";

function finding(check: CheckName, source: string, severity: Severity = DEFAULT_SEVERITY[check]): Finding {
  return { check, alarmId: alarmIdFor(check), severity, source, message: `${check} on ${source}` };
}

/** Keeps the scope's state between runs the way the store would, and returns each run's transitions. */
function scope(policy: LifecyclePolicy = DEFAULT_LIFECYCLE_POLICY) {
  const states = new Map<string, AlarmState>();
  return {
    states,
    run(findings: Finding[], now: Date, partial?: { examined: string[] }): AlarmTransition[] {
      const run: CheckRun = {
        scope: SCOPE,
        complete: !partial,
        examinedSources: partial?.examined ?? [],
        findings,
        parameters: { ServiceName: "ha-proxy" },
        now,
      };
      const decided = decideTransitions(run, [...states.values()], policy);
      for (const state of decided.next) states.set(state.fingerprint, state);
      return decided.transitions;
    },
    single(): AlarmState {
      expect(states.size).toBe(1);
      return [...states.values()][0]!;
    },
  };
}

const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

describe("alarm lifecycle", () => {
  it("raises a new fault once and stays quiet while it persists", () => {
    // Prepare
    const alarms = scope();
    const expired = finding("expired", "s3://certs/cluster-a/ha.pem#0");

    // Act
    const first = alarms.run([expired], at(0));
    const second = alarms.run([expired], at(1));

    // Assess
    expect(first.map((t) => t.kind)).toEqual(["raised"]);
    expect(first[0]).toMatchObject({
      alarmId: "1001",
      severity: "critical",
      silenced: false,
      check: "expired",
    });
    expect(first[0]!.parameters).toEqual({
      Source: "s3://certs/cluster-a/ha.pem#0",
      ServiceName: "ha-proxy",
    });
    expect(second).toEqual([]);
    const state = alarms.single();
    expect(state).toMatchObject({ status: "active", consecutiveFailures: 2, firstSeen: at(0).toISOString() });
    expect(state.lastSeen).toBe(at(1).toISOString());
    expect(Object.values(state.pending).map((p) => p.transition.kind)).toEqual(["raised"]);
  });

  it("reports severity going up and going down, with the previous severity", () => {
    // Prepare
    const alarms = scope();
    const source = "s3://certs/cluster-a/api.pem#0";
    alarms.run([finding("expiring", source, "minor")], at(0));

    // Act
    const worse = alarms.run([finding("expiring", source, "major")], at(1));
    const better = alarms.run([finding("expiring", source, "minor")], at(2));

    // Assess
    expect(worse).toMatchObject([{ kind: "severity-changed", severity: "major", previousSeverity: "minor" }]);
    expect(better).toMatchObject([
      { kind: "severity-changed", severity: "minor", previousSeverity: "major" },
    ]);
    expect(new Set([worse[0]!.occurrenceId, better[0]!.occurrenceId]).size).toBe(1);
  });

  it("reminds every reminderHours while the alarm is active, counted from the last notification", () => {
    // Prepare
    const alarms = scope({ ...DEFAULT_LIFECYCLE_POLICY, reminderHours: 24 });
    const f = finding("expired", "s3://certs/cluster-a/ha.pem#0");
    alarms.run([f], at(0));

    // Act
    const kinds = [at(23.9), at(24), at(25), at(47.9), at(48)].map((now) =>
      alarms.run([f], now).map((t) => t.kind),
    );

    // Assess
    expect(kinds).toEqual([[], ["reminder"], [], [], ["reminder"]]);
  });

  it("clears when a complete run no longer finds the fault, keeping the occurrence as history with a TTL", () => {
    // Prepare
    const alarms = scope({ ...DEFAULT_LIFECYCLE_POLICY, historyDays: 90 });
    const f = finding("not-yet-valid", "s3://certs/cluster-a/k8s-api.pem#0");
    const [raised] = alarms.run([f], at(0));

    // Act
    const cleared = alarms.run([], at(2));
    const afterwards = alarms.run([], at(3));

    // Assess
    expect(cleared).toMatchObject([
      {
        kind: "cleared",
        severity: "critical",
        occurrenceId: raised!.occurrenceId,
        clearedAt: at(2).toISOString(),
      },
    ]);
    expect(afterwards).toEqual([]);
    const state = alarms.single();
    expect(state.status).toBe("cleared");
    expect(state.expiresAt).toBe(at(2).getTime() / 1000 + 90 * 86_400);
  });

  it("clears with what the run saw at the source: the renewed certificate, or the file it belongs to", () => {
    // Prepare
    const alarms = scope();
    const expired = finding("expired", "s3://certs/cluster-a/ha.pem#0");
    const unreadable = finding("unreadable", "s3://certs/cluster-a/broken.pem");
    alarms.run([expired, unreadable], at(0));
    const renewed = {
      text: "CN=ha, valid 2030-01-01T00:00:00Z to 2031-01-01T00:00:00Z (364 days left)",
      notAfter: "2031-01-01T00:00:00Z",
    };
    const run: CheckRun = {
      scope: SCOPE,
      complete: true,
      examinedSources: [],
      findings: [],
      now: at(2),
      observations: new Map<string, SourceObservation>([
        ["s3://certs/cluster-a/ha.pem#0", renewed],
        ["s3://certs/cluster-a/broken.pem", { text: "the file was deleted from the store" }],
      ]),
    };

    // Act
    const { transitions } = decideTransitions(run, [...alarms.states.values()], DEFAULT_LIFECYCLE_POLICY);

    // Assess
    const bySource = new Map(transitions.map((t) => [t.source, t]));
    expect(bySource.get(expired.source)).toMatchObject({ kind: "cleared", resolution: renewed });
    expect(bySource.get(unreadable.source)?.resolution).toEqual({
      text: "the file was deleted from the store",
    });
  });

  it("clears without a resolution when the run did not say what it saw", () => {
    // Prepare
    const alarms = scope();
    alarms.run([finding("expired", "s3://certs/cluster-a/ha.pem#0")], at(0));

    // Act
    const [cleared] = alarms.run([], at(1));

    // Assess
    expect(cleared).toMatchObject({ kind: "cleared" });
    expect(cleared).not.toHaveProperty("resolution");
  });

  it("keeps the finding's facts apart from its message, and the object key from its source", () => {
    // Prepare
    const expiring: Finding = {
      ...finding("expiring", "s3://certs/cluster-a/nested/api.pem#2", "major"),
      details: { subject: "CN=api", notAfter: "2030-01-05T00:00:00Z", daysLeft: 3.9, thresholdDays: 7 },
    };
    const run: CheckRun = {
      scope: SCOPE,
      complete: true,
      examinedSources: [],
      findings: [expiring],
      parameters: { Bucket: "certs", Key: "some/other/object.pem" },
      now: at(0),
    };

    // Act
    const [raised] = decideTransitions(run, [], DEFAULT_LIFECYCLE_POLICY).transitions;

    // Assess
    expect(raised!.facts).toEqual({ subject: "CN=api", notAfter: "2030-01-05T00:00:00Z" });
    expect(raised!.parameters).toMatchObject({ Bucket: "certs", Key: "cluster-a/nested/api.pem" });
  });

  it("raises a fault that returns after clearing as a new occurrence", () => {
    // Prepare
    const alarms = scope();
    const f = finding("hostname-mismatch", "s3://certs/cluster-a/node2.pem#0");
    const [first] = alarms.run([f], at(0));
    alarms.run([], at(1));

    // Act
    const again = alarms.run([f], at(2));

    // Assess
    expect(again).toMatchObject([{ kind: "raised", firstSeen: at(2).toISOString() }]);
    expect(again[0]!.occurrenceId).not.toBe(first!.occurrenceId);
    expect(again[0]!.fingerprint).toBe(first!.fingerprint);
    const state = alarms.single();
    expect(state.status).toBe("active");
    expect(state).not.toHaveProperty("expiresAt");
    expect(state).not.toHaveProperty("clearedAt");
  });

  it("in a partial run clears only what it examined, including the certificates inside an examined file", () => {
    // Prepare
    const alarms = scope();
    const renewed = finding("expired", "s3://certs/cluster-a/renewed.pem#1");
    const untouched = finding("expired", "s3://certs/cluster-a/other.pem#0");
    alarms.run([renewed, untouched], at(0));

    // Act
    const transitions = alarms.run([], at(1), { examined: ["s3://certs/cluster-a/renewed.pem"] });
    const decided = decideTransitions(
      { scope: SCOPE, complete: false, examinedSources: [], findings: [], now: at(2) },
      [...alarms.states.values()],
      DEFAULT_LIFECYCLE_POLICY,
    );

    // Assess
    expect(transitions.map((t) => [t.kind, t.source])).toEqual([["cleared", renewed.source]]);
    const bySource = new Map([...alarms.states.values()].map((s) => [s.source, s.status]));
    expect(bySource.get(untouched.source)).toBe("active");
    expect(decided).toMatchObject({ partial: true, transitions: [], next: [] });
  });

  it("clears only the checks a run performed, even when the run is complete", () => {
    // Prepare: the bucket refused access; the next run stops earlier, at AssumeRole.
    const policy: LifecyclePolicy = {
      ...DEFAULT_LIFECYCLE_POLICY,
      damping: { "storage-access-denied": 1, "credentials-unobtainable": 1 },
    };
    const source = "credentials:prod-metadata";
    const credentialRun = (findings: Finding[], now: Date, examinedChecks?: CheckName[]): CheckRun => ({
      scope: source,
      complete: true,
      examinedSources: [source],
      examinedChecks,
      findings,
      now,
    });
    const denied = decideTransitions(
      credentialRun([finding("storage-access-denied", source)], at(0)),
      [],
      policy,
    );

    // Act
    const stoppedEarly = decideTransitions(
      credentialRun([finding("credentials-unobtainable", source)], at(1), ["credentials-unobtainable"]),
      denied.next,
      policy,
    );

    // Assess: the new fault is raised, the bucket alarm nobody re-checked stays active.
    expect(denied.transitions.map((t) => t.kind)).toEqual(["raised"]);
    expect(stoppedEarly.transitions.map((t) => [t.kind, t.check])).toEqual([
      ["raised", "credentials-unobtainable"],
    ]);
  });

  it("does not treat a file name as a prefix of another file", () => {
    // Prepare
    const alarms = scope();
    alarms.run([finding("expired", "s3://certs/cluster-a/a.pem.bak#0")], at(0));

    // Act
    const transitions = alarms.run([], at(1), { examined: ["s3://certs/cluster-a/a.pem"] });

    // Assess
    expect(transitions).toEqual([]);
  });

  it("damps credential checks: raised only on the second consecutive failing run; a blip resets silently", () => {
    // Prepare
    const alarms = scope();
    const unreachable = finding("storage-unreachable", "credentials:backup");

    // Act
    const kinds = [
      alarms.run([unreachable], at(0)),
      alarms.run([], at(0.1)),
      alarms.run([unreachable], at(0.2)),
      alarms.run([unreachable], at(0.3)),
    ].map((ts) => ts.map((t) => t.kind));

    // Assess
    expect(kinds).toEqual([[], [], [], ["raised"]]);
    expect(alarms.single()).toMatchObject({ status: "active", firstSeen: at(0.2).toISOString() });
  });

  it("tracks a damped finding in state without sending anything, and honours a per-check damping override", () => {
    // Prepare
    const alarms = scope({ ...DEFAULT_LIFECYCLE_POLICY, damping: { expired: 3 } });
    const f = finding("expired", "s3://certs/cluster-a/ha.pem#0");

    // Act
    const kinds = [at(0), at(1), at(2)].map((now) => alarms.run([f], now).map((t) => t.kind));

    // Assess
    expect(kinds).toEqual([[], [], ["raised"]]);
    expect(alarms.single()).toMatchObject({ status: "active", consecutiveFailures: 3 });
  });

  it("clears a damped credential alarm on the first healthy run", () => {
    // Prepare
    const alarms = scope();
    const denied = finding("storage-access-denied", "credentials:backup");
    alarms.run([denied], at(0));
    alarms.run([denied], at(0.1));

    // Act
    const transitions = alarms.run([], at(0.2));

    // Assess
    expect(transitions.map((t) => t.kind)).toEqual(["cleared"]);
  });

  it("marks transitions matched by a silence as silenced while keeping the full lifecycle", () => {
    // Prepare
    const alarms = scope({
      ...DEFAULT_LIFECYCLE_POLICY,
      silences: [
        {
          alarmId: "1002",
          sourcePrefix: "s3://certs/cluster-a/legacy/",
          startsAt: at(0).toISOString(),
          endsAt: at(10).toISOString(),
          reason: "legacy host decommissioned next week",
        },
      ],
    });
    const legacy = finding("expiring", "s3://certs/cluster-a/legacy/old.pem#0");
    const current = finding("expiring", "s3://certs/cluster-a/web.pem#0");

    // Act
    const during = alarms.run([legacy, current], at(1));
    const clearedAfter = alarms.run([current], at(11));

    // Assess
    expect(during.map((t) => [t.source, t.silenced])).toEqual([
      [legacy.source, true],
      [current.source, false],
    ]);
    expect(clearedAfter).toMatchObject([{ kind: "cleared", source: legacy.source, silenced: false }]);
  });

  it("silences by severity: a 'minor' silence covers minor and warning, not major", () => {
    // Prepare
    const silence = {
      severity: "minor" as const,
      startsAt: at(0).toISOString(),
      endsAt: at(5).toISOString(),
      reason: "maintenance",
    };
    const alarms = scope({ ...DEFAULT_LIFECYCLE_POLICY, silences: [silence] });

    // Act
    const transitions = alarms.run(
      [
        finding("weak-crypto", "a.pem#0", "warning"),
        finding("expiring", "b.pem#0", "minor"),
        finding("untrusted-chain", "c.pem#0", "major"),
      ],
      at(1),
    );

    // Assess
    expect(transitions.map((t) => [t.severity, t.silenced])).toEqual([
      ["warning", true],
      ["minor", true],
      ["major", false],
    ]);
  });

  it("merges several findings of one check on one source into one alarm at the worst severity", () => {
    // Prepare
    const alarms = scope();
    const source = "s3://certs/cluster-a/legacy.pem#0";

    // Act
    const transitions = alarms.run(
      [
        { ...finding("weak-crypto", source, "minor"), message: "RSA key of 1024 bits" },
        { ...finding("weak-crypto", source, "major"), message: "SHA-1 signature" },
      ],
      at(0),
    );

    // Assess
    expect(transitions).toMatchObject([
      { kind: "raised", severity: "major", message: "SHA-1 signature; RSA key of 1024 bits" },
    ]);
  });

  it("carries known detail fields as parameters and drops anything named like a secret", () => {
    // Prepare
    const f: Finding = {
      ...finding("credentials-rejected", "credentials:backup"),
      details: {
        bucket: "backups",
        roleArn: "arn:aws:iam::123456789012:role/agency",
        code: "InvalidAccessKeyId",
      },
    };

    // Act
    const run: CheckRun = {
      scope: "credentials:backup",
      complete: true,
      examinedSources: [],
      findings: [f],
      parameters: {
        RoleName: "agency",
        SessionToken: "FwoGZXIvYXdzEXAMPLE",
        SecretAccessKey: "wJalrEXAMPLE",
      },
      now: at(0),
    };
    const state = decideTransitions(run, [], {
      ...DEFAULT_LIFECYCLE_POLICY,
      damping: { "credentials-rejected": 1 },
    });

    // Assess
    expect(state.transitions[0]!.parameters).toEqual({
      Source: "credentials:backup",
      RoleName: "agency",
      Bucket: "backups",
      RoleArn: "arn:aws:iam::123456789012:role/agency",
    });
    expect(JSON.stringify(state)).not.toMatch(/EXAMPLE/);
  });

  it("fingerprints are stable across runs and differ by alarm, source, scope and object", () => {
    // Prepare
    const base = finding("expired", "s3://certs/a.pem#0");

    // Act
    const same = fingerprintOf({ ...base, message: "another message", severity: "major" }, SCOPE);
    const variants = [
      fingerprintOf(finding("expiring", base.source), SCOPE),
      fingerprintOf(finding("expired", "s3://certs/a.pem#1"), SCOPE),
      fingerprintOf(base, "s3://certs/other/"),
      fingerprintOf({ ...base, details: { object: "node1:443" } }, SCOPE),
    ];

    // Assess
    expect(same).toBe(fingerprintOf(base, SCOPE));
    expect(new Set([fingerprintOf(base, SCOPE), ...variants]).size).toBe(5);
  });

  it("for any sequence of runs, an alarm alternates raised → … → cleared and never raises twice per occurrence", () => {
    // Prepare
    const sources = ["a.pem#0", "b.pem#0", "c.pem#0"];
    const runs = fc.array(
      fc.record({
        seen: fc.subarray(sources),
        severity: fc.constantFrom<Severity>("minor", "major"),
        hours: fc.integer({ min: 1, max: 30 }),
        partial: fc.option(fc.subarray(sources), { nil: undefined }),
      }),
      { maxLength: 25 },
    );

    // Act + Assess
    fc.assert(
      fc.property(runs, (sequence) => {
        const alarms = scope();
        const log: AlarmTransition[] = [];
        let hours = 0;
        for (const step of sequence) {
          hours += step.hours;
          const findings = step.seen.map((s) => finding("expiring", s, step.severity));
          log.push(...alarms.run(findings, at(hours), step.partial ? { examined: step.partial } : undefined));
        }
        const byOccurrence = new Map<string, AlarmTransition[]>();
        for (const t of log)
          byOccurrence.set(t.occurrenceId, [...(byOccurrence.get(t.occurrenceId) ?? []), t]);
        for (const transitions of byOccurrence.values()) {
          expect(transitions[0]!.kind).toBe("raised");
          expect(transitions.filter((t) => t.kind === "raised")).toHaveLength(1);
          const clearedAt = transitions.findIndex((t) => t.kind === "cleared");
          if (clearedAt >= 0) expect(clearedAt).toBe(transitions.length - 1);
        }
        for (const state of alarms.states.values()) {
          expect(Object.keys(state.pending)).toHaveLength(
            log.filter((t) => t.fingerprint === state.fingerprint).length,
          );
        }
      }),
    );
  });
});

describe("ordering decisions by their evidence", () => {
  const source = "s3://certs/cluster-a/ha.pem#0";
  const OLD = '"0ld"';
  const NEW = '"n3w"';
  const versioned = (now: Date, seen: Record<string, string>, listed?: string): CheckRun => ({
    scope: SCOPE,
    complete: true,
    examinedSources: [],
    findings: [],
    now,
    versions: { seen: new Map(Object.entries(seen)), ...(listed ? { listed } : {}) },
  });
  function storedWith(evidence: { at: Date; version?: string }): AlarmState {
    const run = { ...versioned(evidence.at, {}), findings: [finding("expired", source)] };
    const state = decideTransitions(run, [], DEFAULT_LIFECYCLE_POLICY).next[0]!;
    return {
      ...state,
      evidence: { at: evidence.at.toISOString(), ...(evidence.version ? { version: evidence.version } : {}) },
    };
  }

  it("takes evidence about the same version as the alarm's in the order of its instant", () => {
    // Prepare
    const stored = storedWith({ at: at(1), version: OLD });

    // Act
    const older = freshness(versioned(at(0), { "s3://certs/cluster-a/ha.pem": OLD }), stored, source);
    const same = freshness(versioned(at(1), { "s3://certs/cluster-a/ha.pem": OLD }), stored, source);
    const newer = freshness(versioned(at(2), { "s3://certs/cluster-a/ha.pem": OLD }), stored, source);

    // Assess
    expect([older, same, newer]).toEqual(["stale", "fresh", "fresh"]);
  });

  it("asks the store about evidence on another version, whatever its instant, and about a new alarm's", () => {
    // Prepare
    const stored = storedWith({ at: at(1), version: OLD });

    // Act
    const earlierClock = freshness(versioned(at(0), { "s3://certs/cluster-a/ha.pem": NEW }), stored, source);
    const fresh = freshness(versioned(at(0), { "s3://certs/cluster-a/ha.pem": NEW }), undefined, source);

    // Assess
    expect(earlierClock).toEqual({ confirm: "s3://certs/cluster-a/ha.pem", seen: NEW });
    expect(fresh).toEqual({ confirm: "s3://certs/cluster-a/ha.pem", seen: NEW });
  });

  it("takes an object a complete listing did not hold as absent, and knows nothing of one outside it", () => {
    // Prepare
    const run = versioned(at(2), {}, "s3://certs/cluster-a/");

    // Act + Assess
    expect(versionSeen(run, source)).toBe(ABSENT);
    expect(versionSeen({ ...run, complete: false }, source)).toBeUndefined();
    expect(versionSeen(run, "s3://certs/trust/ca.pem")).toBeUndefined();
  });

  it("orders evidence without versions (credentials, live peers) by instant", () => {
    // Prepare
    const stored = storedWith({ at: at(1) });
    const run = (now: Date): CheckRun => ({
      scope: SCOPE,
      complete: true,
      examinedSources: [],
      findings: [],
      now,
    });

    // Act + Assess
    expect([freshness(run(at(0)), stored, source), freshness(run(at(1)), stored, source)]).toEqual([
      "stale",
      "fresh",
    ]);
  });

  it("counts the same instant seen twice as one observation, never moves lastSeen back, and writes nothing new", () => {
    // Prepare
    const alarms = scope();
    const f = finding("expired", source);
    alarms.run([f], at(2));

    // Act
    const again = alarms.run([f], at(2));
    const before = alarms.single();

    // Assess
    expect(again).toEqual([]);
    expect(before).toMatchObject({ consecutiveFailures: 1, lastSeen: at(2).toISOString(), version: 1 });
    const run = (now: Date): CheckRun => ({
      scope: SCOPE,
      complete: true,
      examinedSources: [],
      findings: [f],
      parameters: { ServiceName: "ha-proxy" },
      now,
    });
    expect(decideAlarm(run(at(2)), [f], before, DEFAULT_LIFECYCLE_POLICY).state).toBeUndefined();
    // A run on an earlier clock whose version the store confirmed still moves nothing back.
    expect(decideAlarm(run(at(1)), [f], before, DEFAULT_LIFECYCLE_POLICY).state?.lastSeen).toBe(
      at(2).toISOString(),
    );
  });
});
