import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScanReport } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import { chain, DAY, type Issued, issue, privateKeyPem } from "../../support/pki";

const HOST = "node1.cluster.local";
const servers: (Server | TcpServer)[] = [];
const silentSockets: Socket[] = [];
let dir: string;
let caFile: string;
let strangerCaFile: string;

async function tlsEndpoint(leaf: Issued, intermediate: Issued): Promise<string> {
  const server = createServer(
    { key: await privateKeyPem(leaf.keys), cert: `${leaf.pem}\n${intermediate.pem}\n` },
    (s) => s.end(),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return `127.0.0.1:${address.port}`;
}

let endpoints: Record<"valid" | "expired" | "wrongName" | "silent" | "refused" | "plain", string> & {
  ipv6Port: number;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "watchpost-probe-"));
  const now = Date.now();
  const { root, intermediate, leaf } = await chain(HOST);
  const stranger = await issue({ subject: "CN=Someone Else Root CA", isCA: true });
  caFile = join(dir, "ca.pem");
  strangerCaFile = join(dir, "stranger.pem");
  await writeFile(caFile, root.pem);
  await writeFile(strangerCaFile, stranger.pem);

  const expired = await issue({
    subject: `CN=${HOST}`,
    dnsNames: [HOST],
    issuer: intermediate,
    notBefore: new Date(now - 100 * DAY),
    notAfter: new Date(now - DAY),
  });
  const wrongName = await issue({
    subject: "CN=node2.cluster.local",
    dnsNames: ["node2.cluster.local"],
    issuer: intermediate,
  });

  const silent = createTcpServer((socket) => {
    silentSockets.push(socket); // accept and never answer the ClientHello
  });
  servers.push(silent);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const refused = createTcpServer();
  await new Promise<void>((resolve) => refused.listen(0, "127.0.0.1", resolve));
  const refusedPort = (refused.address() as { port: number }).port;
  await new Promise<void>((resolve) => refused.close(() => resolve()));

  // Reads (and drops) what the client sends, so it sees the client close.
  const plain = createTcpServer((socket) => socket.resume().end("SSH-2.0-OpenSSH_9.6\r\n"));
  servers.push(plain);
  await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
  const ipv6 = createServer(
    { key: await privateKeyPem(leaf.keys), cert: `${leaf.pem}\n${intermediate.pem}\n` },
    (s) => s.end(),
  );
  servers.push(ipv6);
  await new Promise<void>((resolve) => ipv6.listen(0, "::1", resolve));

  endpoints = {
    plain: `127.0.0.1:${(plain.address() as { port: number }).port}`,
    ipv6Port: (ipv6.address() as { port: number }).port,
    valid: await tlsEndpoint(leaf, intermediate),
    expired: await tlsEndpoint(expired, intermediate),
    wrongName: await tlsEndpoint(wrongName, intermediate),
    silent: `127.0.0.1:${(silent.address() as { port: number }).port}`,
    refused: `127.0.0.1:${refusedPort}`,
  };
});

afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

async function probe(endpoint: string, ...extra: string[]) {
  const result = await runCli(["probe", endpoint, "--servername", HOST, "--format", "json", ...extra]);
  const output = JSON.parse(result.stdout);
  return { ...result, output, report: ScanReport.parse(output) };
}

describe("watchpost probe", () => {
  it("finds nothing wrong with a valid endpoint and reports its chain", async () => {
    const { code, report, output } = await probe(endpoints.valid, "--ca", caFile);

    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.certificates.map((c) => c.subject)).toEqual([
      `CN=${HOST}`,
      "CN=Watchpost Test Intermediate CA, O=watchpost",
    ]);
    expect(output.endpoint).toBe(endpoints.valid);
  });

  it("still reports the dates of an expired certificate", async () => {
    const { code, report } = await probe(endpoints.expired, "--ca", caFile);

    expect(code).toBe(2);
    expect(report.findings.map((f) => f.check)).toEqual(["expired"]);
    expect(report.certificates[0]?.daysLeft).toBeLessThan(0);
  });

  it("tells a wrong name apart from an untrusted chain", async () => {
    const mismatch = await probe(endpoints.wrongName, "--ca", caFile);
    const untrusted = await probe(endpoints.valid, "--ca", strangerCaFile);

    expect(mismatch.report.findings.map((f) => f.check)).toEqual(["hostname-mismatch"]);
    expect(untrusted.report.findings.map((f) => f.check)).toEqual(["untrusted-chain"]);
  });

  it("gives up on an endpoint that never answers within the timeout", async () => {
    const { code, report } = await probe(endpoints.silent, "--timeout-ms", "300");

    expect(code).toBe(2);
    expect(report.findings).toMatchObject([{ check: "unreadable", details: { reason: "timeout" } }]);
  });

  it("reports a refused connection as unreachable", async () => {
    const { report } = await probe(endpoints.refused, "--timeout-ms", "2000");

    expect(report.findings).toMatchObject([{ check: "unreadable", details: { reason: "unreachable" } }]);
  });

  it("says a port that answers in plain text is not speaking TLS, not that it cannot be reached", async () => {
    const { code, report } = await probe(endpoints.plain, "--timeout-ms", "2000");

    expect(code).toBe(2);
    expect(report.findings).toMatchObject([{ check: "unreadable", details: { reason: "not-tls" } }]);
    expect(report.findings[0]?.message).toMatch(/answers, but is not speaking TLS/);
    expect(report.findings[0]?.message).not.toMatch(/cannot be reached/);
  });

  it("reports the handshake (protocol, cipher, OCSP stapling, certificates sent), with or without --ca", async () => {
    const withCa = await probe(endpoints.valid, "--ca", caFile);
    const withoutCa = await probe(endpoints.valid);

    const tls = {
      protocol: "TLSv1.3",
      cipher: expect.stringMatching(/^TLS_/),
      ocspStapled: false,
      chainLength: 2,
      ocsp: { stapled: false, mustStaple: false },
    };
    expect(withCa.output.tls).toEqual(tls);
    // Node's own verdict (its stores, NODE_EXTRA_CA_CERTS included) is not reported: the engine's is.
    expect(withoutCa.output.tls).toEqual(tls);
    expect(withoutCa.report.findings.map((f) => f.check)).toEqual(["untrusted-chain"]);
  });

  it("probes several endpoints, named on the command line and in --targets, IPv6 in brackets", async () => {
    const targets = join(dir, "targets.txt");
    await writeFile(
      targets,
      `# cluster endpoints\n${endpoints.expired} servername=${HOST}\n[::1]:${endpoints.ipv6Port}  servername=${HOST}\n`,
    );

    const { code, stdout } = await runCli([
      "probe",
      endpoints.valid,
      "--targets",
      targets,
      "--ca",
      caFile,
      "--expect-host",
      HOST,
      "--format",
      "json",
    ]);
    const output = JSON.parse(stdout);
    const table = await runCli(["probe", "--targets", targets, "--ca", caFile]);

    expect(code).toBe(2);
    expect(output.endpoints.map((e: { endpoint: string }) => e.endpoint)).toEqual([
      endpoints.valid,
      endpoints.expired,
      `[::1]:${endpoints.ipv6Port}`,
    ]);
    // The endpoint named by its IP address, without servername, must cover 127.0.0.1 too.
    expect(ScanReport.parse(output).findings.map((f) => [f.check, f.source])).toEqual([
      ["expired", `${endpoints.expired}#0`],
      ["hostname-mismatch", `${endpoints.valid}#0`],
    ]);
    expect(output.certificates.map((c: { source: string }) => c.source)).toContain(
      `[::1]:${endpoints.ipv6Port}#0`,
    );
    expect(table.stdout).toMatch(/Endpoints 2 \(2 reached\)/);
    expect(table.stdout).toMatch(/TLSv1\.3, TLS_\w+, OCSP not stapled, 2 certificate\(s\) sent/);
  });

  it("exits 3 on a bad --targets line, naming the file and line", async () => {
    const targets = join(dir, "bad-targets.txt");
    await writeFile(targets, `${endpoints.valid}\nnode2:443 starttls=gopher\n`);

    const { code, stderr } = await runCli(["probe", "--targets", targets]);

    expect(code).toBe(3);
    expect(stderr).toMatch(/line 2/);
  });

  it("exits 3 when the endpoint is not HOST:PORT", async () => {
    const { code, stderr } = await runCli(["probe", "example.com"]);

    expect(code).toBe(3);
    expect(stderr).toMatch(/HOST:PORT/);
  });
});
