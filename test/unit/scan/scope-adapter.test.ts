/**
 * The pipeline's steps for kinds whose items are not certificate files (scope-adapter.ts): each item
 * listed, fetched, judged and recorded in turn, and one run settled for the scope. Endpoints and host
 * pushes go through it (test/integration/handlers/endpoint-scan.test.ts, host-heartbeats.test.ts);
 * here, what the settled run says for every mix of items.
 */
import { describe, expect, it } from "vitest";
import type { CheckName, Finding } from "../../../functions/core/contracts";
import {
  checkScopeAdapter,
  type ItemJudgement,
  type ScopeAdapter,
  settledRun,
} from "../../../functions/core/scan/scope-adapter";

const NOW = new Date("2026-12-01T00:00:00Z");
const SCOPE = { scope: "probe:a", parameters: { HostName: "a" } };

function finding(source: string): Finding {
  return { check: "expired", alarmId: "1001", severity: "major", source, message: `${source} expired` };
}

const seen = (source: string, findings: Finding[] = [], more: Partial<ItemJudgement> = {}) => ({
  source,
  judgement: { examined: true, findings, ...more },
});
const unseen = (source: string, findings: Finding[] = []) => ({
  source,
  judgement: { examined: false, findings },
});

describe("the run a scope's judged items settle", () => {
  it.each([
    [
      "every item examined: a complete run over all of them, findings in item order",
      [seen("x://1", [finding("x://1")]), seen("x://2", [finding("x://2")])],
      {
        complete: true,
        examinedSources: ["x://1", "x://2"],
        findings: [finding("x://1"), finding("x://2")],
      },
    ],
    [
      "an item not examined: partial, its findings raised, its source not examined",
      [seen("x://1"), unseen("x://2", [finding("x://2")])],
      { complete: false, examinedSources: ["x://1"], findings: [finding("x://2")] },
    ],
    [
      "checks made by fewer than all: only those every examined item made",
      [
        seen("x://1", [], { examinedChecks: ["expired", "expiring", "weak-crypto"] }),
        seen("x://2", [], { examinedChecks: ["expiring", "expired"] }),
        seen("x://3"),
        unseen("x://4"),
      ],
      {
        complete: false,
        examinedSources: ["x://1", "x://2", "x://3"],
        examinedChecks: ["expired", "expiring"] satisfies CheckName[],
        findings: [],
      },
    ],
    [
      "versions of examined items only",
      [seen("x://1", [], { version: '"e1"' }), seen("x://2", [], { version: "absent" }), seen("x://3")],
      {
        complete: true,
        examinedSources: ["x://1", "x://2", "x://3"],
        findings: [],
        versions: {
          seen: new Map([
            ["x://1", '"e1"'],
            ["x://2", "absent"],
          ]),
        },
      },
    ],
    [
      "no item: a complete run that examined nothing",
      [],
      { complete: true, examinedSources: [], findings: [] },
    ],
  ])("%s", (_case, items, expected) => {
    // Act
    const run = settledRun(SCOPE, items, NOW);

    // Assess
    expect(run).toEqual({ scope: "probe:a", parameters: { HostName: "a" }, now: NOW, ...expected });
  });
});

describe("a scope adapter through the pipeline", () => {
  it("fetches, judges and records each listed item in turn, and settles what it judged", async () => {
    // Prepare: a kind whose items are numbers, fetched as their squares
    const steps: string[] = [];
    const adapter: ScopeAdapter<number, number> = {
      ...SCOPE,
      list: () => [1, 2],
      uri: (n) => `x://${n}`,
      fetch: async (n) => {
        steps.push(`fetch ${n}`);
        return n * n;
      },
      judge: (n, square) => {
        steps.push(`judge ${n}`);
        return { examined: square < 4, findings: square < 4 ? [] : [finding(`x://${n}`)] };
      },
      record: async (n, judged) => {
        steps.push(`record ${n} ${judged.examined ? "examined" : "unexamined"}`);
      },
    };

    // Act
    const { run, items } = await checkScopeAdapter(adapter, NOW);

    // Assess
    expect(steps).toEqual([
      "fetch 1",
      "judge 1",
      "record 1 examined",
      "fetch 2",
      "judge 2",
      "record 2 unexamined",
    ]);
    expect(items.map(({ item, fetched, source }) => [item, fetched, source])).toEqual([
      [1, 1, "x://1"],
      [2, 4, "x://2"],
    ]);
    expect(run).toEqual({
      ...SCOPE,
      complete: false,
      examinedSources: ["x://1"],
      findings: [finding("x://2")],
      now: NOW,
    });
  });

  it("lets a failed fetch end the scope's check, so its alarms are left as they were", async () => {
    // Prepare
    const adapter: ScopeAdapter<string, never> = {
      ...SCOPE,
      list: () => ["a"],
      uri: (key) => `x://${key}`,
      fetch: async () => {
        throw new Error("the heartbeat x://a could not be read: AccessDenied");
      },
      judge: () => ({ examined: true, findings: [] }),
    };

    // Act / Assess
    await expect(checkScopeAdapter(adapter, NOW)).rejects.toThrow(
      new Error("the heartbeat x://a could not be read: AccessDenied"),
    );
  });
});
