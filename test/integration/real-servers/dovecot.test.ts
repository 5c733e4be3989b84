/**
 * A probe a real server does not notice: Debian's Dovecot (packages dovecot-imapd, dovecot-pop3d),
 * started by hand on loopback ports, probed with `--starttls imap` and `--starttls pop3`. Dovecot
 * logs one line per connection that says how far TLS got: an abrupt end after the handshake (what
 * the probe did before it closed like a client) reads "TLS handshaking: Connection closed", a
 * client that finishes the handshake and sends close_notify reads "TLS".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScanReport } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import { chain, type Issued, privateKeyPem } from "../../support/pki";
import { type DovecotServer, dovecotMissing, startDovecot } from "../../support/real-servers";

/** Child processes (servers, OpenSSL, the CLI) start slowly on a loaded machine; the verdicts do not depend on it. */
const SLOW_TEST_MS = 90_000;

const HOST = "mail.cluster.test";
const missing = dovecotMissing();
if (missing) console.log(`dovecot.test.ts skipped: ${missing}`);

let pki: { root: Issued; intermediate: Issued; leaf: Issued };
let server: DovecotServer | undefined;

beforeAll(async () => {
  if (missing) return;
  pki = await chain(HOST);
  server = await startDovecot(`${pki.leaf.pem}\n${pki.intermediate.pem}`, await privateKeyPem(pki.leaf.keys));
});

afterAll(async () => {
  await server?.stop();
});

describe.skipIf(missing)(
  "Dovecot (Debian packages dovecot-imapd, dovecot-pop3d)",
  { timeout: SLOW_TEST_MS },
  () => {
    it.each(["imap", "pop3"] as const)(
      "--starttls %s: reads the chain it sends, and its log shows a completed TLS handshake",
      async (protocol) => {
        // Prepare
        const before = server!.output().length;
        const endpoint = protocol === "imap" ? server!.imap : server!.pop3;

        // Act
        const result = await runCli([
          "probe",
          endpoint,
          "--starttls",
          protocol,
          "--servername",
          HOST,
          "--expect-host",
          HOST,
          "--format",
          "json",
        ]);
        const disconnected = new RegExp(`${protocol}-login: [^\\n]*Disconnected[^\\n]*`);
        const log = (
          await server!.waitFor(new RegExp(`[\\s\\S]{${before}}[\\s\\S]*${disconnected.source}`))
        ).slice(before);

        // Assess
        const report = ScanReport.parse(JSON.parse(result.stdout));
        expect(report.certificates.map((c) => c.subject)).toEqual([
          `CN=${HOST}`,
          "CN=Watchpost Test Intermediate CA, O=watchpost",
        ]);
        const line = disconnected.exec(log)![0];
        expect(line).toMatch(/, TLS, session=</);
        expect(line).not.toMatch(/TLS handshaking|SSL_accept|error/i);
        expect(log).not.toMatch(/TLS handshaking|SSL_accept\(\) failed|Error:/);
      },
    );
  },
);
