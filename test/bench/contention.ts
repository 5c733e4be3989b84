/**
 * Contention on the alarm table, measured: R check runs settle the same N alarms at once against
 * dynalite, first seeing every fault (raise), then none (clear), T trials each. A run is rejected
 * when processCheckRun throws or leaves events pending (the invocation would fail); a duplicate is a
 * transition (eventId) that reached the bus more than once; a lost one was decided and never sent
 * (or is still waiting in the table when the trial ends).
 *
 *   npm run -s contention                       # 16 runs over 1, 3 and 10 alarms, 20 trials each
 *   RUNS=8 ALARMS=3 TRIALS=5 npm run -s contention
 *
 * Two shapes of overlap: runs observed at the same instant (a burst: Lambda retries, several S3
 * events), and runs observed a minute apart that settle together (a fanned-out run settling long
 * after its listing, next to fresher runs). Prints a Markdown table, then one JSON line.
 */

import { startDynalite } from "../../bin/local/emulators";
import { createAlarmStore } from "../../functions/adapters/alarm-store";
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import {
  type AlarmTransition,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
} from "../../functions/core/alarms/lifecycle";
import type { AlarmPublisherPort } from "../../functions/core/alarms/ports";
import { processCheckRun } from "../../functions/core/alarms/process-run";
import type { Finding } from "../../functions/core/contracts";

const SCOPE = "s3://certs/contended/";
const T0 = Date.parse("2031-05-01T01:00:00.000Z");
const MINUTE = 60_000;

const numbers = (text: string | undefined, fallback: number[]) =>
  text ? text.split(",").map((n) => Number.parseInt(n, 10)) : fallback;
const RUNS = numbers(process.env.RUNS, [16]);
const ALARMS = numbers(process.env.ALARMS, [1, 3, 10]);
const TRIALS = Number.parseInt(process.env.TRIALS ?? "20", 10);
const SHAPES = ["same instant", "a minute apart"] as const;
type Shape = (typeof SHAPES)[number];

function expired(alarm: number): Finding {
  return {
    check: "expired",
    alarmId: "1001",
    severity: "critical",
    source: `${SCOPE}host-${alarm}.pem#0`,
    message: "certificate expired",
  };
}

/** A bus that answers after a PutEvents-like delay and keeps every event it accepted. */
function bus() {
  const sent: AlarmTransition[] = [];
  const publisher: AlarmPublisherPort = {
    async publish(transitions) {
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
      sent.push(...transitions);
      return transitions.map((t) => ({ id: t.id, delivered: true }));
    },
  };
  return { sent, publisher };
}

/** Counts decision writes (conditional on the alarm's revision) and the ones that lost to another run. */
function countingWrites<T extends object>(store: T, tally: Tally): T {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      // `save` before the redesign, `decide` after: both are the conditional decision write.
      if ((name !== "save" && name !== "decide") || typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const landed = await value.apply(target, args);
        tally.writes++;
        if (landed === false) tally.conflicts++;
        return landed;
      };
    },
  });
}

interface Tally {
  writes: number;
  conflicts: number;
  settled: number;
  rejected: number;
  duplicates: number;
  lost: number;
  transitions: number;
  /** Distinct events on the bus, against the 2 × N a trial must send (N raised, N cleared). */
  unique: number;
  expected: number;
  ms: number;
}

async function main() {
  const dynamo = await startDynalite();
  const client = documentClient(dynamo.client);
  let tables = 0;
  const rows: ({ runs: number; alarms: number; shape: Shape } & Tally)[] = [];
  try {
    for (const runs of RUNS) {
      for (const alarms of ALARMS) {
        for (const shape of SHAPES) {
          const tally: Tally = {
            writes: 0,
            conflicts: 0,
            settled: 0,
            rejected: 0,
            duplicates: 0,
            lost: 0,
            transitions: 0,
            unique: 0,
            expected: 0,
            ms: 0,
          };
          for (let trial = 0; trial < TRIALS; trial++) {
            const tableName = await dynamo.createAlarmTable(`contention-${++tables}`);
            const store = countingWrites(createAlarmStore({ tableName, client }), tally);
            const { sent, publisher } = bus();
            const decided: AlarmTransition[] = [];
            const started = performance.now();
            const rounds: [number, Finding[]][] = [
              [0, Array.from({ length: alarms }, (_, i) => expired(i))],
              [1, []],
            ];
            for (const [round, findings] of rounds) {
              const outcomes = await Promise.allSettled(
                Array.from({ length: runs }, (_, i) => {
                  const now = new Date(
                    T0 + round * 60 * MINUTE + (shape === "same instant" ? 0 : i * MINUTE),
                  );
                  const run: CheckRun = { scope: SCOPE, complete: true, examinedSources: [], findings, now };
                  return processCheckRun(run, { store, publisher, policy: DEFAULT_LIFECYCLE_POLICY });
                }),
              );
              for (const outcome of outcomes) {
                tally.settled++;
                if (outcome.status === "rejected") tally.rejected++;
                else {
                  decided.push(...outcome.value.transitions);
                  if (outcome.value.pending.length > 0 || outcome.value.errors.length > 0) tally.rejected++;
                }
              }
            }
            tally.ms += performance.now() - started;
            const times = new Map<string, number>();
            for (const t of sent) times.set(t.id, (times.get(t.id) ?? 0) + 1);
            tally.duplicates += [...times.values()].reduce((n, k) => n + (k - 1), 0);
            // Decided and never sent, or still waiting in the table (a rejected run's transitions).
            const waiting = (await store.load(SCOPE)).reduce((n, s) => n + Object.keys(s.pending).length, 0);
            tally.lost += decided.filter((t) => !times.has(t.id)).length + waiting;
            tally.transitions += decided.length;
            tally.unique += times.size;
            tally.expected += 2 * alarms;
          }
          rows.push({ runs, alarms, shape, ...tally });
        }
      }
    }
  } finally {
    await dynamo.stop();
  }

  console.log(
    `| runs × alarms | overlap | trials | runs rejected | duplicate events | lost events | distinct events sent / expected | writes (lost to a conflict) per trial | ms per trial |`,
  );
  console.log(`|---|---|---|---|---|---|---|---|---|`);
  for (const r of rows) {
    console.log(
      `| ${r.runs} × ${r.alarms} | ${r.shape} | ${TRIALS} | ${r.rejected} of ${r.settled} | ${r.duplicates} | ${r.lost} | ${r.unique} / ${r.expected} | ${Math.round(r.writes / TRIALS)} (${Math.round(r.conflicts / TRIALS)}) | ${Math.round(r.ms / TRIALS)} |`,
    );
  }
  console.log(JSON.stringify({ contention: rows }));
}

await main();
