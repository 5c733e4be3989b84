/**
 * Every AWS call the code under test sends is recorded for the IAM simulation
 * (test/simulation/iam-calls.test.ts) when WATCHPOST_AWS_CALLS_DIR names a directory (`.ci/run` sets
 * it); otherwise the recorder is not even loaded.
 */
import { afterAll } from "vitest";

if (process.env.WATCHPOST_AWS_CALLS_DIR) {
  const { installAwsCallRecorder } = await import("./aws-call-recorder");
  afterAll(installAwsCallRecorder());
}
