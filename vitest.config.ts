import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Needs the suite's recorded AWS calls and synthesized assemblies: vitest.simulation.config.ts.
    exclude: ["test/simulation/**", "**/node_modules/**"],
    setupFiles: ["test/support/setup.ts"],
    // Emulators (s3rver, dynalite) and loopback TLS servers start per file; 2 cores here.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    benchmark: { include: ["test/bench/**/*.bench.ts"] },
  },
});
