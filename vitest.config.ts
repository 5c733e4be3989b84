import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Read by the Powertools logger and metrics and by the AWS SDK when their modules load, so they
    // are set here rather than in a test. A test that asserts on log lines raises the level itself.
    env: {
      // https://docs.aws.amazon.com/powertools/typescript/latest/features/logger/ (log levels: SILENT)
      POWERTOOLS_LOG_LEVEL: "SILENT",
      // https://docs.aws.amazon.com/powertools/typescript/latest/features/metrics/ (POWERTOOLS_METRICS_DISABLED:
      // no EMF output on stdout)
      POWERTOOLS_METRICS_DISABLED: "true",
      // The SDK warns once per process that releases after January 2027 need Node 22; the switch is the one
      // aws/aws-sdk-js-v3#7983 documents. Lambda runs Node 24.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    // Records the AWS calls the code sends, for the IAM simulation, when WATCHPOST_AWS_CALLS_DIR is set.
    setupFiles: ["test/support/setup.ts"],
    // Emulators (s3rver, dynalite) and loopback TLS servers start per file; 2 cores here, shared.
    // Only a guard against a hang: a loaded machine (npm run test:under-load) may take minutes for
    // a synth or a keytool, and a wall-clock limit must never fail a test that would pass.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    benchmark: { include: ["test/bench/**/*.bench.ts"] },
    projects: [
      {
        extends: true,
        // Pure logic and in-memory ports: the files share one module graph instead of loading the
        // SDK and the certificate stack again for each (a test that mocks a client class restores it).
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], isolate: false },
      },
      {
        extends: true,
        // Emulators, child processes, environment variables and the synthesized stack: one file at a
        // time. The deployment simulation proper (test/simulation/) needs the calls this run records
        // and the synthesized assemblies: vitest.simulation.config.ts.
        test: {
          name: "integration",
          // Synthesizing a whole stack with cdk-nag is CPU-bound: 2 s warm, but 20 s and more for the
          // first synth of a file on this shared, loaded 2-core machine, and minutes beside four busy
          // processes (npm run test:under-load): the 10-minute guards above apply here too.
          include: [
            "test/integration/**/*.test.ts",
            "test/infra/**/*.test.ts",
            "test/deployment/**/*.test.ts",
          ],
          exclude: ["test/simulation/**", "**/node_modules/**"],
        },
      },
    ],
  },
});
