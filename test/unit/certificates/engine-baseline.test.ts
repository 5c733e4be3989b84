/**
 * The engine's outputs on the fixed corpus of test/engine-baseline (2,922 inputs: system roots,
 * the conformance cases, the examples, generated stores, crafted and damaged certificates) are the
 * ones recorded before the reader was rebuilt on node:crypto (issue 28): what a user sees (read
 * results, every described fact and profile, every finding) does not depend on how it is read.
 */
import { describe, expect, it } from "vitest";
import { differences, loadBaseline } from "../../engine-baseline/compare";

describe("the engine on its fixed corpus", () => {
  it("reads and judges every input exactly as the recorded baseline says", async () => {
    // Prepare: the baseline was recorded on main before the change.
    expect(loadBaseline().outputs.length).toBe(2_922);

    // Act
    const changed = await differences();

    // Assess
    expect(changed.map(({ name, before, after }) => ({ name, before, after }))).toEqual([]);
  });
});
