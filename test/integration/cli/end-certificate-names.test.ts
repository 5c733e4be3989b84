/**
 * The name check applies to whatever certificate a peer presents or a file holds as its end
 * certificate, CA flag or not. `openssl req -x509` (OpenSSL 3 adds basicConstraints CA:TRUE by
 * default) makes the self-signed server certificates internal clusters run on; OpenSSL itself
 * refuses them for a wrong name (`openssl verify -verify_hostname` → "hostname mismatch"), and so
 * must `watchpost scan` and `watchpost probe`. Certificates are made here with openssl, as an
 * operator makes them, including a UTF-8 subject.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { CHILD_TIMEOUT_MS } from "../../support/timeouts";

const run = promisify(execFile);
let dir: string;
const servers: Server[] = [];

async function openssl(args: string[]): Promise<string> {
  const { stdout } = await run("openssl", args, { cwd: dir, timeout: CHILD_TIMEOUT_MS });
  return stdout;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** `openssl req -x509` as the operator types it: OpenSSL 3's defaults, CA:TRUE included. */
async function selfSigned(name: string, subject: string, extra: string[] = []): Promise<void> {
  await openssl([
    ...["req", "-x509", ...EC_KEY, "-utf8", "-days", "400"],
    ...["-keyout", `${name}.key`, "-out", `${name}.pem`, "-subj", subject, ...extra],
  ]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "watchpost-end-names-"));
  await selfSigned("self", "/CN=right.example");
  await selfSigned("utf8", "/CN=bücher.example/O=Bücherei", [
    ...["-addext", "subjectAltName=DNS:xn--bcher-kva.example"],
  ]);
  // A root and an intermediate kept together in a chain file: CA certificates, no end certificate.
  await selfSigned("root", "/CN=Example Root CA");
  await openssl([
    "req",
    "-new",
    ...EC_KEY,
    "-keyout",
    "int.key",
    "-out",
    "int.csr",
    "-subj",
    "/CN=Example Intermediate CA",
  ]);
  await writeFile(join(dir, "ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n");
  await openssl([
    ...["x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-days", "400"],
    ...["-extfile", "ca.ext", "-out", "int.pem"],
  ]);
  const pems = await Promise.all(["int.pem", "root.pem"].map((f) => readFile(join(dir, f), "utf8")));
  await writeFile(join(dir, "chain.pem"), pems.join(""));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

async function scan(...args: string[]) {
  const result = await runCli(["scan", ...args, "--format", "json"]);
  return { code: result.code, findings: JSON.parse(result.stdout).findings as Record<string, unknown>[] };
}

const names = (findings: Record<string, unknown>[]) =>
  findings.filter((f) => f.check === "hostname-mismatch").map((f) => [f.source, f.severity, f.message]);

describe("a self-signed CA:TRUE certificate is the end certificate of its file", () => {
  it("is named by OpenSSL as a CA certificate and refused by it for the wrong name", async () => {
    const text = await openssl(["x509", "-noout", "-text", "-in", "self.pem"]);
    const verify = await run(
      "openssl",
      ["verify", "-verify_hostname", "wrong.example", "-CAfile", "self.pem", "self.pem"],
      { cwd: dir },
    ).catch((error: { stdout: string; stderr: string }) => error);

    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(`${verify.stdout}${verify.stderr}`).toMatch(/error 62 at 0 depth lookup: hostname mismatch/);
  });

  it.each([
    ["without a trusted CA", false],
    ["with itself as the trusted CA", true],
  ])("raises hostname-mismatch for a name it does not carry, %s", async (_, trusted) => {
    const file = join(dir, "self.pem");

    const { code, findings } = await scan(
      file,
      "--expect-host",
      "wrong.example",
      ...(trusted ? ["--ca", file] : []),
    );

    expect(code).toBe(2);
    expect(names(findings)).toEqual([
      [
        `${file}#0`,
        "major",
        'Common Name in certificate does not match: certificate "CN=right.example" names right.example; expected wrong.example. Clients connecting to that name reject it. Re-issue the certificate with every expected name in its Subject Alternative Names.',
      ],
    ]);
  });

  it("finds the right name only in the common name, which Go and browsers ignore", async () => {
    const file = join(dir, "self.pem");

    const { findings } = await scan(file, "--expect-host", "right.example", "--ca", file);

    expect(names(findings).map(([source, severity]) => [source, severity])).toEqual([[`${file}#0`, "minor"]]);
  });

  it("compares a UTF-8 subject's names as A-labels, and quotes the subject as written", async () => {
    const file = join(dir, "utf8.pem");

    const right = await scan(file, "--expect-host", "bücher.example", "--ca", file);
    const wrong = await scan(file, "--expect-host", "wrong.example", "--ca", file);

    expect(names(right.findings)).toEqual([]);
    expect(names(wrong.findings)).toEqual([
      [
        `${file}#0`,
        "major",
        'Names in certificate do not match: certificate "CN=bücher.example, O=Bücherei" names xn--bcher-kva.example; expected wrong.example. Clients connecting to that name reject it. Re-issue the certificate with every expected name in its Subject Alternative Names.',
      ],
    ]);
  });

  it("leaves a file of CA certificates that names no host alone", async () => {
    const chainFile = join(dir, "chain.pem");
    const lone = join(dir, "root.pem");

    const chain = await scan(chainFile, "--expect-host", "wrong.example");
    const root = await scan(lone, "--expect-host", "wrong.example");

    expect(chain.findings.map((f) => f.check)).not.toContain("hostname-mismatch");
    expect(root.findings.map((f) => f.check)).not.toContain("hostname-mismatch");
  });
});

describe("probe: the certificate a peer presents is checked for the name, CA flag or not", () => {
  it("raises hostname-mismatch for a self-signed CA:TRUE server certificate under another name", async () => {
    const server = createServer({
      key: await readFile(join(dir, "self.key")),
      cert: await readFile(join(dir, "self.pem")),
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `127.0.0.1:${(server.address() as { port: number }).port}`;

    const result = await runCli([
      ...["probe", endpoint, "--servername", "wrong.example", "--ca", join(dir, "self.pem")],
      ...["--format", "json"],
    ]);
    const findings = JSON.parse(result.stdout).findings as Record<string, unknown>[];

    expect(result.code).toBe(2);
    expect(names(findings)).toEqual([
      [
        `${endpoint}#0`,
        "major",
        'Common Name in certificate does not match: certificate "CN=right.example" names right.example; expected wrong.example. Clients connecting to that name reject it. Re-issue the certificate with every expected name in its Subject Alternative Names.',
      ],
    ]);
  });
});
