/**
 * The unit tests as `npm run mutation` (scripts/mutation.ts) runs them under StrykerJS: the shared
 * settings of vitest.config.ts, one project, and only the test files the script names in
 * WATCHPOST_MUTATION_TESTS (a JSON list). Naming them here rather than through Stryker's
 * `testFiles` keeps module-level mutants testable: with `testFiles`, Stryker 9.6 to 10.1 activates
 * such a mutant only after its module was imported, and reports it as surviving whatever the tests
 * say (stryker-mutator/stryker-js#6144, #6209).
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config";

const { projects: _projects, ...shared } = base.test ?? {};
const tests = JSON.parse(process.env.WATCHPOST_MUTATION_TESTS ?? "[]") as string[];

export default defineConfig({
  test: { ...shared, include: tests, isolate: true },
});
