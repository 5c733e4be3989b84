/**
 * `watchpost probe` sees an endpoint as a client does, held against node:tls servers and
 * `openssl s_server` (the reference the issue was measured with):
 *   - the certificates exactly as sent (s_server -cert_chain, node:tls with a chain in any order),
 *     nothing taken from Node's stores, NODE_EXTRA_CA_CERTS included (a child process);
 *   - the stapled OCSP response (s_server -status_file, node:tls OCSPRequest) made by
 *     `openssl ocsp` as the CA's responder, and `openssl s_client -status` agreeing;
 *   - a close the server does not log as an error (s_server's transcript: DONE, not ERROR);
 *   - a TLS 1.0/1.1-only server (s_server -tls1, -tls1_1), and servers that ask for a client
 *     certificate (s_server -verify / -Verify);
 *   - the table's title lines with real line breaks.
 */
import { execFile, execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer as createTcpServer } from "node:net";
import { join } from "node:path";
import { createSecureContext, createServer, type Server, TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScanReport } from "../../../functions/core/contracts";
import { runCli } from "../../support/cli";
import {
  type OpensslServer,
  opensslMissing,
  opensslOcspResponse,
  PemFiles,
  startOpensslServer,
} from "../../support/openssl-server";
import { chain, DAY, type Issued, issue, privateKeyPem } from "../../support/pki";

/** Child processes (servers, OpenSSL, the CLI) start slowly on a loaded machine; the verdicts do not depend on it. */
const SLOW_TEST_MS = 90_000;

const HOST = "mail.cluster.test";
const ROOT = join(import.meta.dirname, "..", "..", "..");
const OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
const missing = opensslMissing();
if (missing) console.log(`probe-handshake: the s_server cases are skipped: ${missing}`);

let pki: { root: Issued; intermediate: Issued; leaf: Issued };
let stranger: Issued;
let files: PemFiles;
let rootFile: string;
let bundleFile: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  pki = await chain(HOST);
  stranger = await issue({ subject: "CN=Stranger CA", isCA: true, freshKey: true });
  files = new PemFiles();
  rootFile = (await files.write("root", pki.root)).cert;
  bundleFile = files.bundle("root-and-intermediate", [pki.root, pki.intermediate]);
});

afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  files?.remove();
});

interface ServerLog {
  endpoint: string;
  /** Errors the server's sockets met (a reset, a handshake cut short). */
  errors: string[];
  /** Connections whose client ended them with close_notify and a FIN. */
  orderlyEnds: number;
}

/** A node:tls server sending `sent` (leaf first, then the rest in this order). */
async function nodeServer(sent: Issued[], options: { staple?: Buffer } = {}): Promise<ServerLog> {
  const log: ServerLog = { endpoint: "", errors: [], orderlyEnds: 0 };
  const server: Server = createServer({
    key: await privateKeyPem(sent[0]!.keys),
    cert: sent.map((c) => c.pem).join("\n"),
  });
  if (options.staple)
    server.on("OCSPRequest", (_c: Buffer, _i: Buffer, done: (e: null, r: Buffer) => void) =>
      done(null, options.staple!),
    );
  server.on("tlsClientError", (error) => log.errors.push(`tlsClientError ${error.message}`));
  server.on("secureConnection", (socket: TLSSocket) => {
    socket.on("error", (error) => log.errors.push(`socket ${error.message}`));
    socket.on("end", () => {
      log.orderlyEnds += 1;
      socket.end();
    });
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  log.endpoint = `127.0.0.1:${(server.address() as { port: number }).port}`;
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return log;
}

async function sServer(
  leaf: Issued,
  chainFile: string | undefined,
  ...args: string[]
): Promise<OpensslServer> {
  const { cert, key } = await files.write(`leaf-${leaf.cert.serialNumber}`, leaf, true);
  const server = await startOpensslServer([
    "-cert",
    cert,
    "-key",
    key,
    ...(chainFile ? ["-cert_chain", chainFile] : []),
    ...args,
  ]);
  closers.push(() => server.close());
  return server;
}

async function probe(endpoint: string, ...extra: string[]) {
  const result = await runCli(["probe", endpoint, "--servername", HOST, "--format", "json", ...extra]);
  const output = JSON.parse(result.stdout);
  return { code: result.code, output, report: ScanReport.parse(output) };
}

const subjects = (report: ScanReport) =>
  report.certificates.map((c) => [c.source.replace(/^.*#/, "#"), c.subject]);
const checks = (report: ScanReport) =>
  report.findings.map((f) => [f.check, f.severity, f.source.replace(/^[^#]*/, ""), f.details?.reason]);

const LEAF = `CN=${HOST}`;
const INTERMEDIATE = "CN=Watchpost Test Intermediate CA, O=watchpost";
const ROOT_CA = "CN=Watchpost Test Root CA, O=watchpost";

describe("the chain exactly as sent", { timeout: SLOW_TEST_MS }, () => {
  const cases = () =>
    [
      {
        name: "the leaf alone, its intermediate only in the CA bundle",
        sent: [pki.leaf],
        ca: bundleFile,
        certificates: [["#0", LEAF]],
        findings: [["served-chain", "major", "", "missing-intermediate"]],
        problems: ["missing-intermediate"],
        code: 2,
        message: (e: string) =>
          `Endpoint ${e} sends one certificate ("${LEAF}" (#0)), and it does not send the intermediate CA certificate that issued "${LEAF}" (#0) (issuer "${INTERMEDIATE}"): clients that build the chain from what the server sends fail — OpenSSL and what uses it (curl, wget, Python, Ruby, PHP, PostgreSQL and MySQL clients), Go, Java, Node.js, rustls, most apps and devices; browsers fetch a missing issuer only from an AIA address, and this certificate names none. It validates here only because the trust store holds "${INTERMEDIATE}", which clients do not have. Configure the service to send its certificate followed by the intermediate(s) (the full-chain file).`,
      },
      {
        name: "leaf, an unrelated CA, intermediate",
        sent: [pki.leaf, stranger, pki.intermediate],
        ca: rootFile,
        certificates: [
          ["#0", LEAF],
          ["#1", "CN=Stranger CA"],
          ["#2", INTERMEDIATE],
        ],
        findings: [["served-chain", "minor", "", "wrong-order"]],
        problems: ["wrong-order", "extra-certificates"],
        code: 1,
        message: (e: string) =>
          `Endpoint ${e} sends 3 certificates ("${LEAF}" (#0), "CN=Stranger CA" (#1), "${INTERMEDIATE}" (#2)), and it sends its chain out of order: "${INTERMEDIATE}" (#2) is not right after the certificate it issues (TLS 1.2 requires leaf, then each issuer in turn, RFC 5246 §7.4.2; OpenSSL, Go and browsers cope, strict and older TLS stacks refuse). Reorder the chain file: leaf first, then its issuer, then that one's; and it sends a certificate not on its chain: "CN=Stranger CA" (#1) (every handshake carries it for nothing, and clients that take the list as sent may stumble on it). Remove it from the chain file.`,
      },
      {
        name: "leaf, root, intermediate",
        sent: [pki.leaf, pki.root, pki.intermediate],
        ca: rootFile,
        certificates: [
          ["#0", LEAF],
          ["#1", ROOT_CA],
          ["#2", INTERMEDIATE],
        ],
        findings: [["served-chain", "minor", "", "wrong-order"]],
        problems: ["wrong-order", "root-sent"],
        code: 1,
        message: undefined,
      },
      {
        name: "leaf, intermediate, root",
        sent: [pki.leaf, pki.intermediate, pki.root],
        ca: rootFile,
        certificates: [
          ["#0", LEAF],
          ["#1", INTERMEDIATE],
          ["#2", ROOT_CA],
        ],
        findings: [["served-chain", "warning", "", "root-sent"]],
        problems: ["root-sent"],
        code: 1,
        message: (e: string) =>
          `Endpoint ${e} sends 3 certificates ("${LEAF}" (#0), "${INTERMEDIATE}" (#1), "${ROOT_CA}" (#2)), and it sends the root "${ROOT_CA}" (#2): harmless (clients trust their own copy or none), it only makes every handshake larger. It may be left out.`,
      },
      {
        name: "leaf, intermediate",
        sent: [pki.leaf, pki.intermediate],
        ca: rootFile,
        certificates: [
          ["#0", LEAF],
          ["#1", INTERMEDIATE],
        ],
        findings: [],
        problems: [],
        code: 0,
        message: undefined,
      },
    ] as const;

  it.each([0, 1, 2, 3, 4])(
    "node:tls, TLS 1.3, case %i: reported as sent, judged as clients build it",
    async (i) => {
      // Prepare
      const row = cases()[i]!;
      const server = await nodeServer([...row.sent]);

      // Act
      const { code, output, report } = await probe(server.endpoint, "--ca", row.ca);

      // Assess
      expect(subjects(report), row.name).toEqual(row.certificates);
      expect(checks(report), row.name).toEqual(row.findings);
      expect(output.tls.chainLength).toBe(row.sent.length);
      expect(report.findings[0]?.details?.problems ?? [], row.name).toEqual(
        row.problems.map((problem) => ({ problem, severity: expect.any(String) })),
      );
      if (row.message) expect(report.findings[0]?.message).toBe(row.message(server.endpoint));
      expect(code).toBe(row.code);
    },
  );

  it.skipIf(missing)("s_server -cert_chain, TLS 1.2: the same verdicts", async () => {
    for (const row of cases()) {
      // Prepare
      const [leaf, ...rest] = row.sent;
      const chainFile =
        rest.length > 0 ? files.bundle(`chain-${row.name.replace(/\W+/g, "-")}`, rest) : undefined;
      const server = await sServer(leaf!, chainFile, "-tls1_2");

      // Act
      const { code, output, report } = await probe(server.endpoint, "--ca", row.ca);

      // Assess
      expect(output.tls.protocol, row.name).toBe("TLSv1.2");
      expect(subjects(report), row.name).toEqual(row.certificates);
      expect(checks(report), row.name).toEqual(row.findings);
      expect(code, row.name).toBe(row.code);
    }
  });

  it.skipIf(missing).each([
    ["-ciphersuites", "TLS_AES_128_GCM_SHA256"],
    ["-ciphersuites", "TLS_AES_256_GCM_SHA384"],
    ["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
    // The probe offers an x25519 key share; a server that wants P-384 asks again (HelloRetryRequest).
    ["-groups", "P-384"],
  ])("s_server -tls1_3 %s %s: the encrypted Certificate message is read", async (flag, value) => {
    // Prepare
    const server = await sServer(
      pki.leaf,
      files.bundle("intermediate", [pki.intermediate]),
      "-tls1_3",
      flag,
      value,
    );

    // Act
    const { output, report } = await probe(server.endpoint, "--ca", rootFile);

    // Assess
    expect(output.tls).toMatchObject({ protocol: "TLSv1.3", chainLength: 2 });
    if (flag === "-ciphersuites") expect(output.tls.cipher).toBe(value);
    expect(output.tls).not.toHaveProperty("sentChainUnread");
    expect(subjects(report)).toEqual([
      ["#0", LEAF],
      ["#1", INTERMEDIATE],
    ]);
  });

  it("takes nothing from NODE_EXTRA_CA_CERTS: a leaf sent alone stays alone", async () => {
    // Prepare: the intermediate is in Node's extra CA store, as in the issue's reproduction.
    const server = await nodeServer([pki.leaf]);
    const extra = (await files.write("extra-intermediate", pki.intermediate)).cert;

    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, "bin", "watchpost.mjs"),
        "probe",
        server.endpoint,
        "--servername",
        HOST,
        "--ca",
        rootFile,
        "--format",
        "json",
      ],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: extra }, cwd: ROOT },
    ).catch((error: { stdout: string }) => error);
    const output = JSON.parse(stdout);

    // Assess
    expect(output.tls.chainLength).toBe(1);
    expect(output.certificates.map((c: { subject: string }) => c.subject)).toEqual([LEAF]);
    expect(output.findings.map((f: { check: string; severity: string }) => [f.check, f.severity])).toEqual([
      ["served-chain", "major"],
      ["untrusted-chain", "major"],
    ]);
  });
});

describe("the stapled OCSP response", { timeout: SLOW_TEST_MS }, () => {
  interface Row {
    name: string;
    /** The staple, for the leaf the server serves. */
    response?: (leaf: Issued) => Promise<Buffer>;
    /** tls.ocsp fields that must be absent. */
    absent?: string[];
    leaf?: () => Promise<Issued>;
    extra?: string[];
    findings: unknown[];
    ocsp: Record<string, unknown>;
  }
  const mustStapleLeaf = () =>
    issue({ subject: LEAF, dnsNames: [HOST], issuer: pki.intermediate, mustStaple: true });
  const responder = (extendedKeyUsage?: string[]) =>
    issue({
      subject: "CN=Watchpost Test OCSP Responder",
      issuer: pki.intermediate,
      freshKey: true,
      ...(extendedKeyUsage ? { extendedKeyUsage } : {}),
    });
  const rows = (): Row[] => [
    {
      name: "good, signed by the issuer",
      response: () =>
        opensslOcspResponse(files, { leaf: pki.leaf, issuer: pki.intermediate, status: "good" }),
      findings: [],
      ocsp: { status: "good", signature: "valid", signedBy: "issuer" },
    },
    {
      name: "revoked",
      response: () =>
        opensslOcspResponse(files, { leaf: pki.leaf, issuer: pki.intermediate, status: "revoked" }),
      findings: [["revoked", "critical", "#0", "revoked"]],
      ocsp: {
        status: "revoked",
        signature: "valid",
        signedBy: "issuer",
        revokedAt: "2024-01-01T00:00:00Z",
        revocationReason: "keyCompromise",
      },
    },
    {
      name: "stale: nextUpdate has passed",
      response: () =>
        opensslOcspResponse(files, {
          leaf: pki.leaf,
          issuer: pki.intermediate,
          status: "good",
          validMinutes: 60,
        }),
      extra: ["--now", new Date(Date.now() + 3 * 3_600_000).toISOString()],
      findings: [["ocsp-staple", "minor", "#0", "stale"]],
      ocsp: { status: "good", signature: "valid", signedBy: "issuer" },
    },
    {
      name: "signed by a key the issuer never authorised",
      response: async () =>
        opensslOcspResponse(files, {
          leaf: pki.leaf,
          issuer: pki.intermediate,
          signer: stranger,
          status: "good",
        }),
      findings: [["ocsp-staple", "major", "#0", "bad-signature"]],
      ocsp: { status: "good", signature: "invalid" },
    },
    {
      name: "signed by a delegated responder with id-kp-OCSPSigning",
      response: async () =>
        opensslOcspResponse(files, {
          leaf: pki.leaf,
          issuer: pki.intermediate,
          signer: await responder([OCSP_SIGNING]),
          status: "good",
        }),
      findings: [],
      ocsp: { status: "good", signature: "valid", signedBy: "delegated-responder" },
    },
    {
      name: "signed by a certificate of the issuer without id-kp-OCSPSigning",
      response: async () =>
        opensslOcspResponse(files, {
          leaf: pki.leaf,
          issuer: pki.intermediate,
          signer: await responder(),
          status: "good",
        }),
      findings: [["ocsp-staple", "major", "#0", "bad-signature"]],
      ocsp: { status: "good", signature: "invalid", signedBy: "delegated-responder" },
    },
    {
      name: "for another certificate",
      response: async () =>
        opensslOcspResponse(files, {
          leaf: await issue({
            subject: "CN=other.cluster.test",
            dnsNames: ["other.cluster.test"],
            issuer: pki.intermediate,
          }),
          issuer: pki.intermediate,
          status: "good",
        }),
      findings: [["ocsp-staple", "major", "#0", "other-certificate"]],
      ocsp: {},
    },
    {
      name: "status unknown: the responder does not know the certificate",
      response: () =>
        opensslOcspResponse(files, { leaf: pki.leaf, issuer: pki.intermediate, status: "unknown" }),
      findings: [["ocsp-staple", "major", "#0", "status-unknown"]],
      ocsp: { status: "unknown", signature: "valid", signedBy: "issuer" },
    },
    {
      name: "no nextUpdate: never stale",
      response: () =>
        opensslOcspResponse(files, {
          leaf: pki.leaf,
          issuer: pki.intermediate,
          status: "good",
          validMinutes: null,
        }),
      extra: ["--now", new Date(Date.now() + 2 * DAY).toISOString()],
      findings: [],
      ocsp: { status: "good", signature: "valid" },
      absent: ["nextUpdate"],
    },
    {
      name: "not a successful response (tryLater)",
      response: async () => Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03]),
      findings: [["ocsp-staple", "major", "#0", "malformed"]],
      ocsp: { problem: 'the responder\'s answer is "tryLater", not a status' },
    },
    {
      name: "not an OCSP response at all",
      response: async () => Buffer.from("not DER"),
      findings: [["ocsp-staple", "major", "#0", "malformed"]],
      ocsp: { problem: expect.stringMatching(/^it is not an OCSP response/) },
    },
    {
      name: "a must-staple certificate without a staple",
      leaf: mustStapleLeaf,
      findings: [["ocsp-staple", "major", "#0", "missing"]],
      ocsp: { stapled: false, mustStaple: true },
    },
    {
      name: "a must-staple certificate with a stale staple: major, as clients honouring it refuse",
      leaf: mustStapleLeaf,
      response: async (leaf) =>
        opensslOcspResponse(files, {
          leaf,
          issuer: pki.intermediate,
          status: "good",
          validMinutes: 60,
        }),
      extra: ["--now", new Date(Date.now() + 3 * 3_600_000).toISOString()],
      findings: [["ocsp-staple", "major", "#0", "stale"]],
      ocsp: { status: "good", mustStaple: true },
    },
  ];

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])("node:tls OCSPRequest, case %i", async (i) => {
    // Prepare
    const row = rows()[i]!;
    const leaf = row.leaf ? await row.leaf() : pki.leaf;
    const staple = row.response ? await row.response(leaf) : undefined;
    const server = await nodeServer([leaf, pki.intermediate], staple ? { staple } : {});

    // Act
    const { output, report } = await probe(server.endpoint, "--ca", rootFile, ...(row.extra ?? []));

    // Assess
    expect(checks(report), row.name).toEqual(row.findings);
    expect(output.tls.ocspStapled, row.name).toBe(staple !== undefined);
    expect(output.tls.ocsp, row.name).toMatchObject({
      stapled: staple !== undefined,
      mustStaple: false,
      ...row.ocsp,
    });
    if (staple)
      expect(output.tls.ocsp.thisUpdate ?? "none", row.name).toMatch(row.ocsp.status ? /Z$/ : /none/);
  });

  it.skipIf(missing)(
    "s_server -status_file: revoked is critical, with the dates, as s_client -status reads it",
    async () => {
      // Prepare
      const response = await opensslOcspResponse(files, {
        leaf: pki.leaf,
        issuer: pki.intermediate,
        status: "revoked",
      });
      const statusFile = join(files.dir, "revoked.ocsp.der");
      writeFileSync(statusFile, response);
      const server = await sServer(
        pki.leaf,
        files.bundle("intermediate-only", [pki.intermediate]),
        "-status_file",
        statusFile,
      );

      // Act
      const { code, output, report } = await probe(server.endpoint, "--ca", rootFile);
      const sClient = execFileSync("openssl", ["s_client", "-connect", server.endpoint, "-status"], {
        input: "",
        stdio: ["pipe", "pipe", "ignore"],
      }).toString();

      // Assess
      expect(sClient).toMatch(/Cert Status: revoked/);
      expect(code).toBe(2);
      expect(report.findings).toEqual([
        {
          check: "revoked",
          alarmId: "1030",
          severity: "critical",
          source: `${server.endpoint}#0`,
          message: `Certificate "${LEAF}" (serial ${pki.leaf.cert.serialNumber.toUpperCase()}) is revoked: the OCSP response the server staples, signed by its issuer, says so since 2024-01-01T00:00:00Z (reason: keyCompromise). Clients that check revocation refuse it. Install a newly issued certificate and key on the service and reload it; if the key may be compromised, find out how.`,
          details: expect.objectContaining({ reason: "revoked", revokedAt: "2024-01-01T00:00:00Z" }),
        },
      ]);
      expect(output.tls.ocsp).toEqual({
        stapled: true,
        mustStaple: false,
        status: "revoked",
        producedAt: expect.stringMatching(/Z$/),
        thisUpdate: expect.stringMatching(/Z$/),
        nextUpdate: expect.stringMatching(/Z$/),
        revokedAt: "2024-01-01T00:00:00Z",
        revocationReason: "keyCompromise",
        signature: "valid",
        signedBy: "issuer",
      });
    },
  );
});

describe("closing like a client", { timeout: SLOW_TEST_MS }, () => {
  it("ends with close_notify: a node:tls server sees an orderly end and no error", async () => {
    // Prepare
    const server = await nodeServer([pki.leaf, pki.intermediate]);

    // Act
    await probe(server.endpoint, "--ca", rootFile);

    // Assess: the probe returns once the server has closed its side.
    expect(server.errors).toEqual([]);
    expect(server.orderlyEnds).toBe(1);
  });

  it("still reports what it read when the server resets the connection right after the handshake", async () => {
    // Prepare: a TCP reset while the probe waits for a session ticket.
    const context = createSecureContext({
      key: await privateKeyPem(pki.leaf.keys),
      cert: `${pki.leaf.pem}\n${pki.intermediate.pem}`,
    });
    const raw = createTcpServer((socket) => {
      const tls = new TLSSocket(socket, { isServer: true, secureContext: context });
      tls.on("error", () => {});
      tls.once("secure", () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => raw.close(() => resolve())));
    const endpoint = `127.0.0.1:${(raw.address() as { port: number }).port}`;

    // Act
    const { code, output, report } = await probe(endpoint, "--ca", rootFile);

    // Assess
    expect(code).toBe(0);
    expect(output.tls).toMatchObject({ protocol: "TLSv1.3", chainLength: 2 });
    expect(subjects(report)).toEqual([
      ["#0", LEAF],
      ["#1", INTERMEDIATE],
    ]);
  });

  it.skipIf(missing).each(["-tls1_3", "-tls1_2"])(
    "s_server %s logs DONE, not ERROR (unexpected eof)",
    async (version) => {
      // Prepare
      const server = await sServer(pki.leaf, files.bundle("intermediate", [pki.intermediate]), version);

      // Act
      await probe(server.endpoint, "--ca", rootFile);
      const transcript = await server.waitFor(/^(DONE|ERROR)$/m);

      // Assess
      expect(transcript).toMatch(/^DONE$/m);
      expect(transcript).not.toMatch(/ERROR|unexpected eof/);
    },
  );
});

describe.skipIf(missing)("obsolete protocols and client certificates", { timeout: SLOW_TEST_MS }, () => {
  it.each([
    ["-tls1", "TLSv1"],
    ["-tls1_1", "TLSv1.1"],
  ])("s_server %s: the certificate is still judged, and the version is named", async (flag, version) => {
    // Prepare
    const server = await sServer(
      pki.leaf,
      files.bundle("intermediate", [pki.intermediate]),
      flag,
      "-cipher",
      "DEFAULT@SECLEVEL=0",
    );

    // Act
    const { code, output, report } = await probe(server.endpoint, "--ca", rootFile);

    // Assess
    expect(code).toBe(2);
    expect(output.tls).toMatchObject({ protocol: version, legacyOnly: true, chainLength: 2 });
    expect(subjects(report)).toEqual([
      ["#0", LEAF],
      ["#1", INTERMEDIATE],
    ]);
    expect(report.findings).toEqual([
      {
        check: "weak-protocol",
        alarmId: "1033",
        severity: "major",
        source: server.endpoint,
        message: `Endpoint ${server.endpoint} speaks only ${version}: it refused a handshake offering TLS 1.2 and 1.3, and answered only when TLS 1.0 and 1.1 were allowed (RFC 8996 deprecates TLS 1.0 and 1.1). Current clients refuse it by default — browsers, OpenSSL 3 at its default security level, Java 16 and later, Node.js, Go. Allow TLS 1.2 and 1.3 in the service, or upgrade it, then reload it.`,
        details: { reason: "obsolete-protocol", protocol: version, cipher: expect.stringMatching(/^TLS_/) },
      },
    ]);
  });

  it.each([
    ["-Verify", "-tls1_2", "required", "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"],
    ["-Verify", "-tls1_3", "required", "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"],
    ["-verify", "-tls1_3", "requested", undefined],
    ["-verify", "-tls1_2", "requested", undefined],
  ])(
    "s_server %s 1 %s: the client certificate is %s, and the server's own is judged",
    async (flag, version, said, alert) => {
      // Prepare: an expired leaf, to see that it is judged.
      const expired = await issue({
        subject: LEAF,
        dnsNames: [HOST],
        issuer: pki.intermediate,
        notBefore: new Date(Date.now() - 30 * DAY),
        notAfter: new Date(Date.now() - DAY),
      });
      const server = await sServer(
        expired,
        files.bundle("intermediate", [pki.intermediate]),
        flag,
        "1",
        version,
      );

      // Act
      const { code, output, report } = await probe(server.endpoint, "--ca", rootFile);
      const table = await runCli(["probe", server.endpoint, "--servername", HOST, "--ca", rootFile]);

      // Assess
      expect(code).toBe(2);
      expect(output.tls).toMatchObject({
        protocol: version === "-tls1_2" ? "TLSv1.2" : "TLSv1.3",
        clientCertificate: said,
        chainLength: 2,
      });
      expect(output.tls.handshakeEndedWith).toBe(alert);
      expect(checks(report)).toEqual([["expired", "critical", "#0", undefined]]);
      expect(table.stdout.split("\n")[1]).toMatch(
        said === "required"
          ? `, client certificate required (the server ended the handshake with ${alert})`
          : /, client certificate requested \(optional\)$/,
      );
    },
  );
});

describe("the table", { timeout: SLOW_TEST_MS }, () => {
  it("prints each endpoint's handshake on a line of its own", async () => {
    // Prepare
    const server = await nodeServer([pki.leaf, pki.intermediate]);

    // Act
    const { stdout } = await runCli(["probe", server.endpoint, "--servername", HOST, "--ca", rootFile]);

    // Assess
    const [title, handshake, blank] = stdout.split("\n");
    expect(title).toBe(`Endpoint ${server.endpoint}`);
    expect(handshake).toMatch(
      new RegExp(
        `^  ${server.endpoint.replace(/\./g, "\\.")}: TLSv1\\.3, TLS_\\w+, OCSP not stapled, 2 certificate\\(s\\) sent$`,
      ),
    );
    expect(blank).toBe("");
    expect(stdout).not.toContain("\\x0a");
  });
});
