/**
 * One object under the size cap must not need more than a small multiple of its size in memory.
 * Before: a 1 MB DER certificate with 60,000 name attributes peaked at 1.18 GB, two at 1.95 GB,
 * past the scan function's 1,024 MB. Measured in a child process whose heap is capped, so that a
 * blow-up is a crash there, not a figure to compare (the speed figures live in the benchmarks).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CHILD_TIMEOUT_MS } from "../../support/timeouts";

const CHILD = fileURLToPath(new URL("../../support/scan-in-child.ts", import.meta.url));

describe("memory for crafted input", () => {
  it("reads two 1 MB certificates of 60,000 name attributes within a 160 MB heap, refusing both", () => {
    // Act
    const run = spawnSync(
      process.execPath,
      ["--max-old-space-size=160", "--import", "tsx", CHILD, "30000", "2"],
      { encoding: "utf8", timeout: CHILD_TIMEOUT_MS },
    );

    // Assess
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
    expect(out.bytes).toBeGreaterThan(900_000);
    expect(out.findings).toHaveLength(2);
    for (const [check, reason, message] of out.findings) {
      expect([check, reason]).toEqual(["unreadable", "bad-der"]);
      expect(message).toContain("holds more than 5,000 ASN.1 elements");
    }
    expect(out.peakRssMb).toBeLessThan(400);
  });
});
