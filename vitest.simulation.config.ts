import { defineConfig } from "vitest/config";

/**
 * The deployment simulation that needs what the rest of CI produced first: the AWS calls the test
 * suite recorded (WATCHPOST_AWS_CALLS_DIR), the assembly `cdk synth` wrote (cdk.out) and the synth
 * matrix's (.ci/out/matrix, scripts/synth-matrix.ts). `.ci/run` runs it after those steps
 * (npm run test:simulation).
 */
export default defineConfig({
  test: {
    include: ["test/simulation/**/*.test.ts"],
    // The SDK's Node 20 warning (this process only: the bundles run on Node 24), as in vitest.config.ts.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
