/**
 * How long a test lets a child process (openssl, keytool, cdk) run before killing it: only a guard
 * against a tool that hangs. A loaded machine (npm run test:under-load) may be slow, and a
 * wall-clock limit must never fail a test that would pass; speed is measured in npm run bench.
 */
export const CHILD_TIMEOUT_MS = 600_000;
