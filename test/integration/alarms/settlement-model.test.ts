/**
 * The settlement protocol under interleavings of scans, batches, S3 events, crashes, retries and
 * skewed clocks (test/support/settlement-model.ts says what is interleaved and what must hold):
 * the scenarios written out, then random interleavings from a fixed seed. `npm run soak`
 * runs the same property long, with random seeds, and replays one with SOAK_SEED.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  coverage,
  type Emulators,
  runInterleaving,
  settlementProperty,
  startEmulators,
} from "../../support/settlement-model";

/** Fixed, so CI runs the same interleavings every time; a failure names it for `SOAK_SEED=… npm run soak`. */
const SEED = 13_2026;
const RUNS = 40;
const COMMANDS = 35;

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.stop();
});

/** Three objects (one expired): the scan hands them out in two batches. */
const STORE = ["expired", "good", "good", undefined] as const;
const anyBatch = { kind: "batch", pick: 0, twice: false, offset: 0 } as const;
const scheduled = { kind: "schedule", offset: 0 } as const;
const firstEvent = { kind: "event", pick: 0, twice: false, offset: 0 } as const;

describe("alarm settlement, model-based", () => {
  it("keeps the invariants when the run listed before an upload settles after the upload's re-check", async () => {
    await runInterleaving(emulators, STORE, [
      scheduled,
      anyBatch,
      anyBatch,
      scheduled,
      anyBatch,
      { kind: "put", key: "m/k0.pem", content: "good" },
      firstEvent,
      anyBatch,
    ]);
  });

  it("keeps the invariants when a run listed half an hour ago settles while an S3 event's re-check runs", async () => {
    await runInterleaving(emulators, STORE, [
      scheduled,
      anyBatch,
      { kind: "advance", minutes: 30 },
      { kind: "put", key: "m/k3.pem", content: "good" },
      { kind: "together", meet: "publish", first: anyBatch, second: firstEvent },
    ]);
  });

  it("keeps the invariants when the settling worker dies while settling, between publishing and recording, and on redelivery", async () => {
    await runInterleaving(emulators, STORE, [
      scheduled,
      anyBatch,
      { ...anyBatch, crashAt: "decide" },
      { kind: "advance", minutes: 30 },
      { ...anyBatch, offset: -300, crashAt: "forget" },
      { kind: "advance", minutes: 30 },
      { ...anyBatch, offset: 300, crashAt: "settled" },
      { kind: "advance", minutes: 30 },
      { ...anyBatch, offset: 300 },
    ]);
  });

  it("keeps the invariants when an object is deleted between the listing and its batch", async () => {
    await runInterleaving(emulators, STORE, [
      scheduled,
      anyBatch,
      anyBatch,
      scheduled,
      { kind: "delete", key: "m/k0.pem" },
      anyBatch,
      anyBatch,
      firstEvent,
    ]);
  });

  it("keeps the invariants when two re-checks of one upload decide at the same moment", async () => {
    await runInterleaving(
      emulators,
      ["expired", undefined, undefined, undefined],
      [
        scheduled,
        { kind: "put", key: "m/k0.pem", content: "good" },
        {
          kind: "together",
          meet: "decide",
          first: { ...firstEvent, twice: true },
          second: { ...firstEvent, offset: 1 },
        },
      ],
    );
  });

  it("keeps each fault raised once, every event sent at least once and twice only across a crash, and raises and clears on current evidence only, in random interleavings", async () => {
    // Act + Assess: fast-check reports the seed and the failing command list when an invariant breaks
    await fc.assert(settlementProperty(emulators, COMMANDS), {
      seed: SEED,
      numRuns: RUNS,
      endOnFailure: true,
    });
    if (process.env.MODEL_COVERAGE) console.log(JSON.stringify(coverage));
  });
});
