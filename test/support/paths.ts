import { join } from "node:path";

/** The repository's root, wherever a test file sits below test/. */
export const REPO_ROOT = join(import.meta.dirname, "..", "..");
