import { defineConfig } from "vitest/config";

/**
 * The deployment simulation that needs what the rest of CI produced first: the AWS calls the test
 * suite recorded (WATCHPOST_AWS_CALLS_DIR) and the synthesized cloud assemblies. `.ci/run` runs it
 * after `npm test` and `cdk synth` (npm run test:simulation).
 */
export default defineConfig({
  test: {
    include: ["test/simulation/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
