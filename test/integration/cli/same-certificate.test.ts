/**
 * One certificate, one finding. A host's trust store keeps every CA several times: the bundle,
 * one file per CA, `openssl rehash`'s hash links to them and Java's cacerts. Scanned as a folder,
 * an expired CA is one fault, reported once at its first place with the others listed, not once
 * per copy. Laid out at test time with openssl and keytool, as Debian's ca-certificates does.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { javaKeystore } from "../../support/java-stores";
import { DAY, type Issued, issue } from "../../support/pki";
import { CHILD_TIMEOUT_MS } from "../../support/timeouts";

const run = promisify(execFile);
let dir: string;
let certs: string;
let roots: Issued[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "watchpost-same-cert-"));
  certs = join(dir, "etc/ssl/certs");
  await mkdir(certs, { recursive: true });
  await mkdir(join(dir, "etc/ssl/certs/java"), { recursive: true });
  roots = await Promise.all(
    ["Old Root A", "Old Root B"].map((name) =>
      issue({
        subject: `CN=${name}`,
        isCA: true,
        notBefore: new Date(Date.now() - 3650 * DAY),
        notAfter: new Date(Date.now() - 10 * DAY),
      }),
    ),
  );
  const [a, b] = roots as [Issued, Issued];
  await writeFile(join(certs, "Old_Root_A.pem"), a.pem);
  await writeFile(join(certs, "Old_Root_B.pem"), b.pem);
  await writeFile(join(certs, "ca-certificates.crt"), `${a.pem}${b.pem}`);
  // The hash links OpenSSL looks CAs up by (what update-ca-certificates makes).
  await run("openssl", ["rehash", certs], { timeout: CHILD_TIMEOUT_MS });
  await writeFile(
    join(certs, "java/cacerts"),
    await javaKeystore({
      type: "JKS",
      password: "changeit",
      trusted: [
        { alias: "debian:old_root_a.pem", certificate: a },
        { alias: "debian:old_root_b.pem", certificate: b },
      ],
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("scan of a trust store folder", () => {
  it("reports each expired CA once, at its first place, naming the others (a keystore's by alias)", async () => {
    // Prepare: openssl's hash links, named by the subject's hash, sort first in the walk
    const links = (await readdir(certs)).filter((name) => /^[0-9a-f]{8}\.0$/.test(name)).sort();

    // Act
    const { code, stdout } = await runCli(["scan", certs, "--format", "json"], {
      WATCHPOST_KEYSTORE_PASSWORD: "changeit",
    });
    const report = JSON.parse(stdout) as {
      certificates: unknown[];
      findings: {
        check: string;
        severity: string;
        source: string;
        message: string;
        details: Record<string, unknown>;
      }[];
    };

    // Assess: 8 copies read, 2 faults reported
    expect(code).toBe(2);
    expect(report.certificates).toHaveLength(8);
    const expected = roots.map((root, i) => {
      const letter = "AB"[i]!;
      const link = links.find((name) =>
        report.findings.some(
          (f) => f.source === `${certs}/${name}#0` && f.message.includes(`Old Root ${letter}"`),
        ),
      );
      const others = [
        `${certs}/Old_Root_${letter}.pem#0`,
        `${certs}/ca-certificates.crt#${i}`,
        expect.stringMatching(new RegExp(`^${certs}/java/cacerts#[01]$`)),
      ];
      return expect.objectContaining({
        alarmId: "1001",
        check: "expired",
        severity: "critical",
        source: `${certs}/${link}#0`,
        message: expect.stringMatching(
          new RegExp(
            `^Certificate "CN=Old Root ${letter}" expired on .+ The same certificate is also at ${certs}/Old_Root_${letter}\\.pem#0, ${certs}/ca-certificates\\.crt#${i}, ${certs}/java/cacerts#[01] \\(keystore alias "debian:old_root_${letter.toLowerCase()}\\.pem"\\)\\.$`,
          ),
        ),
        details: expect.objectContaining({
          sha256: createHash("sha256").update(root.der).digest("hex"),
          placeCount: 4,
          places: [`${certs}/${link}#0`, ...others],
        }),
      });
    });
    expect(links).toHaveLength(2);
    expect(report.findings).toEqual(expect.arrayContaining(expected));
    expect(report.findings).toHaveLength(2);
  });
});
