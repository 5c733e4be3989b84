/**
 * Alarm decisions an operator sees the result of: a file fixed and re-checked on its own clears its
 * own alarm; the evidence an alarm rests on names the object version it judged, so a late run on
 * the same version cannot overturn it; every decision moves the revision forward; bundles of ten or
 * more certificates are still tied to their file. Each case states the whole outcome.
 */
import { describe, expect, it } from "vitest";
import { alarmIdFor, DEFAULT_SEVERITY } from "../../../functions/core/alarm-ids";
import { objectOfSource, versionSeen } from "../../../functions/core/alarms/evidence";
import {
  type AlarmState,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
  decideAlarm,
  decideTransitions,
  fingerprintOf,
  type LifecyclePolicy,
} from "../../../functions/core/alarms/lifecycle";
import type { CheckName, Finding } from "../../../functions/core/contracts";

const HOUR = 3_600_000;
const T0 = Date.parse("2030-01-01T01:00:00.000Z");
const at = (hours: number) => new Date(T0 + hours * HOUR);
const SCOPE = "s3://certs/cluster-a/";
const FILE = "s3://certs/cluster-a/broken.pem";
const ETAG_1 = '"9b2cf535f27731c974343645a3985328"';
const ETAG_2 = '"7d1a6b0c1e5f4a7c8f1e2d3c4b5a6978"';

function finding(check: CheckName, source: string, message = `${check} on ${source}`): Finding {
  return { check, alarmId: alarmIdFor(check), severity: DEFAULT_SEVERITY[check], source, message };
}

function run(now: Date, findings: Finding[], options: Partial<CheckRun> = {}): CheckRun {
  return { scope: SCOPE, complete: true, examinedSources: [], findings, now, ...options };
}

/** Runs in order against one store, as the orchestrator would; returns each run's decision. */
function history(policy: LifecyclePolicy = DEFAULT_LIFECYCLE_POLICY) {
  let states: AlarmState[] = [];
  return {
    apply(checkRun: CheckRun) {
      const decided = decideTransitions(checkRun, states, policy, sequentialIds());
      const changed = new Map(decided.next.map((s) => [s.fingerprint, s]));
      states = [...states.filter((s) => !changed.has(s.fingerprint)), ...changed.values()];
      return decided;
    },
    get states() {
      return states;
    },
  };
}

function sequentialIds() {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
}

describe("a single file re-checked on its own (a partial run)", () => {
  it("clears the file's own unreadable alarm once the file reads again", () => {
    // Prepare
    const alarms = history();
    alarms.apply(run(at(0), [finding("unreadable", FILE, "broken.pem is not a certificate file")]));

    // Act: the object event re-checks only that file, which now holds a healthy certificate.
    const recheck = alarms.apply(
      run(at(1), [], {
        complete: false,
        examinedSources: [FILE],
        observations: new Map([[FILE, { text: "1 certificate, CN=api valid until 2031-01-01T00:00:00Z" }]]),
      }),
    );

    // Assess
    expect(recheck.partial).toBe(true);
    expect(recheck.transitions.map((t) => [t.kind, t.check, t.source, t.clearedAt, t.resolution])).toEqual([
      [
        "cleared",
        "unreadable",
        FILE,
        at(1).toISOString(),
        { text: "1 certificate, CN=api valid until 2031-01-01T00:00:00Z" },
      ],
    ]);
    expect(alarms.states.map((s) => [s.source, s.status, s.version])).toEqual([[FILE, "cleared", 2]]);
  });

  it("clears the alarms of the certificates inside the file, and nothing of a file it did not read", () => {
    // Prepare
    const alarms = history();
    const other = "s3://certs/cluster-a/other.pem";
    alarms.apply(run(at(0), [finding("expired", `${FILE}#11`), finding("unreadable", other)]));

    // Act
    const recheck = alarms.apply(run(at(1), [], { complete: false, examinedSources: [FILE] }));

    // Assess
    expect(recheck.transitions.map((t) => [t.kind, t.source])).toEqual([["cleared", `${FILE}#11`]]);
    expect(alarms.states.map((s) => [s.source, s.status])).toEqual([
      [other, "active"],
      [`${FILE}#11`, "cleared"],
    ]);
  });
});

describe("the evidence a decision rests on", () => {
  const source = `${FILE}#0`;
  const versions = (etag: string) => ({ seen: new Map([[FILE, etag]]) });

  it("records the instant and the ETag of the object it judged", () => {
    // Prepare
    const alarms = history();

    // Act
    alarms.apply(run(at(2), [finding("expired", source)], { versions: versions(ETAG_1) }));

    // Assess
    expect(alarms.states.map((s) => s.evidence)).toEqual([{ at: at(2).toISOString(), version: ETAG_1 }]);
  });

  it("sets aside a late run that judged the same version before the alarm last changed", () => {
    // Prepare: raised on version 1 by a run of 03:00; a run that started at 02:00 on the same
    // version finishes after it and found nothing (a slow worker, a redelivered batch).
    const alarms = history();
    alarms.apply(run(at(2), [finding("expired", source)], { versions: versions(ETAG_1) }));
    const before = alarms.states;

    // Act
    const late = alarms.apply(run(at(1), [], { versions: versions(ETAG_1) }));

    // Assess
    expect(late).toEqual({ next: [], transitions: [], partial: false });
    expect(alarms.states).toEqual(before);
  });

  it("lets a later run on the same version clear, and records that version again", () => {
    // Prepare
    const alarms = history();
    alarms.apply(run(at(1), [finding("expired", source)], { versions: versions(ETAG_1) }));

    // Act
    const later = alarms.apply(run(at(2), [], { versions: versions(ETAG_1) }));

    // Assess
    expect(later.transitions.map((t) => t.kind)).toEqual(["cleared"]);
    expect(alarms.states.map((s) => [s.status, s.evidence])).toEqual([
      ["cleared", { at: at(2).toISOString(), version: ETAG_1 }],
    ]);
  });

  it("records a file found missing by a complete listing as absent, and no version where none is known", () => {
    // Prepare
    const alarms = history();
    const credentials = "credentials:backup";
    alarms.apply(
      run(at(1), [finding("expired", source), finding("credentials-rejected", credentials)], {
        versions: versions(ETAG_1),
      }),
    );

    // Act
    alarms.apply(
      run(at(2), [finding("credentials-rejected", credentials)], {
        versions: { seen: new Map(), listed: SCOPE },
      }),
    );

    // Assess: strictly, as stored (an evidence without a version has no version key at all).
    expect(alarms.states.map((s) => [s.source, s.status, s.evidence])).toStrictEqual([
      [source, "cleared", { at: at(2).toISOString(), version: "absent" }],
      [credentials, "active", { at: at(2).toISOString() }],
    ]);
  });
});

describe("the revision of a decision", () => {
  it("moves forward by one on every change: raise, reminder, severity change, clear, and a forgotten streak", () => {
    // Prepare
    const source = `${FILE}#0`;
    const alarms = history({ ...DEFAULT_LIFECYCLE_POLICY, reminderHours: 1, damping: { expired: 2 } });
    const expired = finding("expired", source);

    // Act
    const revisions = [
      run(at(0), [expired]),
      run(at(1), [], {}),
      run(at(2), [expired]),
      run(at(3), [expired]),
      run(at(4), [expired]),
      run(at(5), [{ ...expired, severity: "major" }]),
      run(at(6), []),
    ].map((r) => {
      alarms.apply(r);
      return alarms.states.map((s) => [s.status, s.consecutiveFailures, s.version]);
    });

    // Assess: tracked, streak forgotten, tracked anew, raised, reminded, severity changed, cleared.
    expect(revisions).toEqual([
      [["tracking", 1, 1]],
      [["tracking", 0, 2]],
      [["tracking", 1, 3]],
      [["active", 2, 4]],
      [["active", 3, 5]],
      [["active", 4, 6]],
      [["cleared", 0, 7]],
    ]);
  });

  it("is what decideAlarm hands back for a clear: one past the revision it read", () => {
    // Prepare
    const raised = decideAlarm(
      run(at(0), [finding("expired", FILE)]),
      [finding("expired", FILE)],
      undefined,
      DEFAULT_LIFECYCLE_POLICY,
    ).state!;
    const read = { ...raised, version: 41 };

    // Act
    const cleared = decideAlarm(run(at(1), []), [], read, DEFAULT_LIFECYCLE_POLICY);

    // Assess
    expect(cleared.state).toMatchObject({ status: "cleared", version: 42 });
    expect(cleared.transitions.map((t) => t.kind)).toEqual(["cleared"]);
  });
});

describe("which object a source is about", () => {
  it.each([
    ["s3://certs/cluster-a/bundle.pem#0", "s3://certs/cluster-a/bundle.pem"],
    ["s3://certs/cluster-a/bundle.pem#9", "s3://certs/cluster-a/bundle.pem"],
    ["s3://certs/cluster-a/bundle.pem#10", "s3://certs/cluster-a/bundle.pem"],
    ["s3://certs/cluster-a/bundle.pem#137", "s3://certs/cluster-a/bundle.pem"],
    ["s3://certs/cluster-a/bundle.pem", "s3://certs/cluster-a/bundle.pem"],
    ["s3://certs/cluster-a/odd#name.pem", "s3://certs/cluster-a/odd#name.pem"],
    ["s3://certs/cluster-a/odd#1.pem#3", "s3://certs/cluster-a/odd#1.pem"],
  ])("%s is in %s", (source, object) => {
    expect(objectOfSource(source)).toBe(object);
  });

  it("finds the ETag of the twelfth certificate of a bundle, so its alarm is ordered by that version", () => {
    // Prepare
    const bundle = "s3://certs/cluster-a/bundle.pem";
    const checkRun = run(at(0), [], { versions: { seen: new Map([[bundle, ETAG_2]]) } });

    // Act
    const seen = ["#0", "#9", "#11"].map((index) => versionSeen(checkRun, `${bundle}${index}`));

    // Assess
    expect(seen).toEqual([ETAG_2, ETAG_2, ETAG_2]);
  });
});

describe("what is written, and what is not", () => {
  const expired = finding("expired", `${FILE}#0`);

  it("writes nothing for a clean run over a forgotten streak or over a cleared alarm", () => {
    // Prepare
    const damped = { ...DEFAULT_LIFECYCLE_POLICY, damping: { expired: 2 } };
    const tracked = decideAlarm(run(at(0), [expired]), [expired], undefined, damped).state!;
    const forgotten = decideAlarm(run(at(1), []), [], tracked, damped).state!;
    const raised = decideAlarm(run(at(0), [expired]), [expired], undefined, DEFAULT_LIFECYCLE_POLICY).state!;
    const cleared = decideAlarm(run(at(1), []), [], raised, DEFAULT_LIFECYCLE_POLICY).state!;

    // Act
    const decisions = [
      decideAlarm(run(at(2), []), [], forgotten, damped),
      decideAlarm(run(at(2), []), [], cleared, DEFAULT_LIFECYCLE_POLICY),
    ];

    // Assess
    expect([forgotten.consecutiveFailures, cleared.status]).toEqual([0, "cleared"]);
    expect(decisions).toEqual([{ transitions: [] }, { transitions: [] }]);
  });

  it("writes nothing when the stored state comes back with its attributes in another order", () => {
    // Prepare: the store returns attributes in its own order.
    const stored = decideAlarm(run(at(0), [expired]), [expired], undefined, DEFAULT_LIFECYCLE_POLICY).state!;
    const reordered = Object.fromEntries(Object.entries(stored).reverse()) as AlarmState;

    // Act
    const again = decideAlarm(run(at(0), [expired]), [expired], reordered, DEFAULT_LIFECYCLE_POLICY);

    // Assess
    expect(again).toEqual({ transitions: [] });
  });

  it("keeps the object a finding is about beyond its source, and has none for a file's alarm", () => {
    // Prepare
    const denied: Finding = {
      ...finding("storage-access-denied", "credentials:backup"),
      details: { object: "s3://backups/nightly/" },
    };
    const policy = { ...DEFAULT_LIFECYCLE_POLICY, damping: { "storage-access-denied": 1 } };

    // Act
    const withObject = decideTransitions(run(at(0), [denied], { scope: "credentials:backup" }), [], policy);
    const withoutObject = decideTransitions(run(at(0), [expired]), [], policy);

    // Assess
    expect(withObject.next.map((s) => s.object)).toEqual(["s3://backups/nightly/"]);
    expect(withObject.transitions.map((t) => t.object)).toEqual(["s3://backups/nightly/"]);
    expect(withoutObject.next[0]).not.toHaveProperty("object");
    expect(withoutObject.transitions[0]).not.toHaveProperty("object");
  });

  it("leaves new transitions pending, leased to nobody, for the publisher to send", () => {
    // Act
    const decided = decideTransitions(run(at(0), [expired]), [], DEFAULT_LIFECYCLE_POLICY, sequentialIds());

    // Assess
    const [raised] = decided.transitions;
    expect(decided.next.map((s) => s.pending)).toEqual([
      { [raised!.id]: { transition: raised, owner: "", until: 0 } },
    ]);
  });
});

describe("fingerprints", () => {
  it("are the same from one release to the next, so stored alarms keep their key", () => {
    // Prepare: values worked out once (SHA-256 of alarm ID, scope, source and object, NUL-separated,
    // first 32 hex digits) and pinned: a change in how they are made would orphan every stored alarm.
    const file = finding("expired", "s3://certs/cluster-a/ha.pem#0");
    const endpoint: Finding = {
      ...finding("hostname-mismatch", "endpoint:node1.cluster.local:443"),
      details: { object: "node1.cluster.local:443" },
    };

    // Act
    const fingerprints = [fingerprintOf(file, SCOPE), fingerprintOf(endpoint, "endpoints:cluster-a")];

    // Assess
    expect(fingerprints).toEqual(["1ad1db957246f454ecd7b4ef988b785d", "40b4d01b28d5a7577f40f3a441bb590c"]);
  });
});
