/**
 * A probe a real server does not notice: Debian's PostgreSQL (package postgresql), started by hand
 * on a loopback port with TLS on, is probed with `--starttls postgres`, and its log must show the
 * connection end without a handshake error. An abrupt end after the handshake (what the probe did
 * before it closed like a client) makes PostgreSQL log "could not accept SSL connection: EOF
 * detected"; a client that sends close_notify before its FIN leaves only the DEBUG lines of a fork
 * and an exit, because PostgreSQL does not complain about a connection that sends no startup
 * packet ("such cases often occur for legitimate reasons", src/backend/postmaster/postmaster.c).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScanReport } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import { chain, type Issued, privateKeyPem } from "../../support/pki";
import { postgresMissing, type RealServer, startPostgres } from "../../support/real-servers";

/** Child processes (servers, OpenSSL, the CLI) start slowly on a loaded machine; the verdicts do not depend on it. */
const SLOW_TEST_MS = 90_000;

const HOST = "db.cluster.test";
const missing = postgresMissing();
if (missing) console.log(`postgresql.test.ts skipped: ${missing}`);

/** What PostgreSQL logs when a TLS client leaves badly (be-secure-openssl.c, postmaster.c). */
const HANDSHAKE_ERRORS =
  /could not accept SSL connection|SSL error|EOF detected|unexpected eof|could not receive data from client|incomplete startup packet|SSL SYSCALL error/i;

let pki: { root: Issued; intermediate: Issued; leaf: Issued };
let server: RealServer | undefined;

beforeAll(async () => {
  if (missing) return;
  pki = await chain(HOST);
  server = await startPostgres(
    `${pki.leaf.pem}\n${pki.intermediate.pem}`,
    await privateKeyPem(pki.leaf.keys),
  );
});

afterAll(async () => {
  await server?.stop();
});

describe.skipIf(missing)(
  "PostgreSQL (Debian package postgresql), probed with --starttls postgres",
  { timeout: SLOW_TEST_MS },
  () => {
    it("reads the chain it sends, and its log shows no handshake error for the probe", async () => {
      // Prepare
      const before = server!.output().length;

      // Act
      const result = await runCli([
        "probe",
        server!.endpoint,
        "--starttls",
        "postgres",
        "--servername",
        HOST,
        "--expect-host",
        HOST,
        "--format",
        "json",
      ]);
      // The postmaster logs the backend it forked for the probe, and that backend's exit.
      const forked = await server!.waitFor(/forked new backend, pid=(\d+)/);
      const pid = /forked new backend, pid=(\d+)/.exec(forked.slice(before))?.[1];
      const log = (await server!.waitFor(new RegExp(`server process \\(PID ${pid}\\) exited`))).slice(before);

      // Assess
      const report = ScanReport.parse(JSON.parse(result.stdout));
      expect(report.certificates.map((c) => c.subject)).toEqual([
        `CN=${HOST}`,
        "CN=Watchpost Test Intermediate CA, O=watchpost",
      ]);
      expect(JSON.parse(result.stdout).tls).toMatchObject({ starttls: "postgres", chainLength: 2 });
      expect(pid).toMatch(/^\d+$/);
      expect(log).toMatch(new RegExp(`server process \\(PID ${pid}\\) exited with exit code 0`));
      expect(log.split("\n").filter((line) => HANDSHAKE_ERRORS.test(line))).toEqual([]);
    });
  },
);
