import { describe, expect, it } from "vitest";
import type { AlarmStore } from "../../../../functions/adapters/alarm-store";
import { alarmIdFor } from "../../../../functions/core/alarm-ids";
import { DEFAULT_LIFECYCLE_POLICY } from "../../../../functions/core/alarms/lifecycle";
import type { AlarmPublisherPort } from "../../../../functions/core/alarms/ports";
import {
  AlarmDeliveryError,
  type AlarmLifecycleDeps,
  applyAlarmLifecycle,
} from "../../../../functions/handlers/shared/alarm-runs";

const NOW = new Date("2030-01-01T01:00:00Z");

/** An empty table that accepts every write; `countActive` behaves as the test says. */
function store(countActive: AlarmStore["countActive"]): AlarmLifecycleDeps["store"] {
  return {
    load: async () => [],
    get: async () => undefined,
    decide: async () => true,
    takeOver: async () => true,
    forget: async () => {},
    release: async () => {},
    countActive,
  };
}

const delivering: AlarmPublisherPort = {
  publish: async (transitions) => transitions.map((t) => ({ id: t.id, delivered: true })),
};

const run = {
  scope: "s3://certs/prod/",
  complete: true,
  examinedSources: [],
  findings: [
    {
      check: "expired" as const,
      alarmId: alarmIdFor("expired"),
      severity: "critical" as const,
      source: "s3://certs/prod/a.pem#0",
      message: "expired",
    },
  ],
  now: NOW,
};

describe("settling check runs", () => {
  it("publishes the runs' transitions and reports what it did", async () => {
    // Act
    const summary = await applyAlarmLifecycle([run], {
      store: store(async () => ({ critical: 1, major: 0, minor: 0, warning: 0 })),
      publisher: delivering,
      policy: DEFAULT_LIFECYCLE_POLICY,
    });

    // Assess
    expect(summary).toEqual({ transitions: 1, published: 1, pending: 0 });
  });

  it("still settles every run when the active-alarm count fails, then reports that failure", async () => {
    // Prepare
    const published: string[] = [];
    const publisher: AlarmPublisherPort = {
      publish: async (transitions) => {
        published.push(...transitions.map((t) => t.kind));
        return delivering.publish(transitions);
      },
    };

    // Act
    const settling = applyAlarmLifecycle([run], {
      store: store(async () => {
        throw new Error("connect ECONNREFUSED");
      }),
      publisher,
      policy: DEFAULT_LIFECYCLE_POLICY,
    });

    // Assess
    await expect(settling).rejects.toThrow(AlarmDeliveryError);
    await expect(settling).rejects.toThrow(/counting active alarms: connect ECONNREFUSED/);
    expect(published).toEqual(["raised"]);
  });

  it("fails when events stay pending, so the invocation is retried", async () => {
    // Act
    const settling = applyAlarmLifecycle([run], {
      store: store(async () => ({ critical: 0, major: 0, minor: 0, warning: 0 })),
      publisher: {
        publish: async (transitions) =>
          transitions.map((t) => ({
            id: t.id,
            delivered: false,
            error: { code: "ThrottlingException", message: "slow down", retryable: true },
          })),
      },
      policy: DEFAULT_LIFECYCLE_POLICY,
    });

    // Assess
    await expect(settling).rejects.toThrow(/1 alarm event\(s\) pending.*ThrottlingException: slow down/);
  });
});
