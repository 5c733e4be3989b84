/**
 * The deployed endpoint scan raises and clears the alarms only a live endpoint can have: `revoked`
 * (1030) from its stapled OCSP response, kept while no verified staple says otherwise, and
 * `served-chain` (1032) while it sends its leaf without the intermediate. A node:tls endpoint on
 * loopback whose staple and chain change between runs (a reload); OCSP responses made by
 * `openssl ocsp`; the CA bundle on s3rver; alarm state on dynalite.
 */

import { createServer, type SecureContext, type Server } from "node:tls";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { endpointScanner } from "../../support/endpoint-scan";
import { recordingEventBus } from "../../support/event-bus";
import { opensslMissing, opensslOcspResponse, PemFiles } from "../../support/openssl-server";
import { chain, type Issued } from "../../support/pki";
import { secureContextFor } from "../../support/tls-servers";

/** Child processes (servers, OpenSSL, the CLI) start slowly on a loaded machine; the verdicts do not depend on it. */
const SLOW_TEST_MS = 90_000;

const HOST = "api.cluster.test";
const BUCKET = "endpoint-handshake-certs";
const missing = opensslMissing();
if (missing) console.log(`endpoint-handshake.test.ts skipped: ${missing}`);

let s3: LocalS3;
let dynamo: LocalDynamo;
let files: PemFiles;
const bus = recordingEventBus();
let pki: { root: Issued; intermediate: Issued; leaf: Issued };
let server: Server;
let endpoint: string;
/** What the endpoint serves from its next handshake on. */
let serving: { context: SecureContext; staple?: Buffer };

beforeAll(async () => {
  if (missing) return;
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  pki = await chain(HOST);
  files = new PemFiles();
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "trust/ca.pem", Body: pki.root.pem }));
  serving = { context: await secureContextFor(pki.leaf, [pki.intermediate]) };
  server = createServer({ SNICallback: (_name, done) => done(null, serving.context) });
  server.on("OCSPRequest", (_c: Buffer, _i: Buffer, done: (e: null, r?: Buffer) => void) =>
    done(null, serving.staple),
  );
  server.on("secureConnection", (socket) => socket.resume().on("end", () => socket.end()));
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  bus.restore();
  if (missing) return;
  await new Promise((resolve) => server.close(resolve));
  await Promise.all([s3.stop(), dynamo.stop()]);
  files.remove();
});

beforeEach(() => bus.clear());

async function scanner(table: string) {
  const run = await endpointScanner(
    { s3, dynamo, bus, bucket: BUCKET },
    { targets: [{ endpoint, servername: HOST, caBundleKey: "trust/ca.pem" }], timeoutMs: 5000 },
    table,
  );
  return async () => (await run()).events.map((e) => [e.type, e.check, e.source, e.severity, e.alarmId]);
}

describe.skipIf(missing)("endpoint scan: what only a live endpoint shows", { timeout: SLOW_TEST_MS }, () => {
  it("raises revoked from a verified staple, keeps it while nothing is stapled, clears it on a good staple", async () => {
    // Prepare
    const run = await scanner("endpoint-revoked");
    const revoked = await opensslOcspResponse(files, {
      leaf: pki.leaf,
      issuer: pki.intermediate,
      status: "revoked",
    });
    const good = await opensslOcspResponse(files, {
      leaf: pki.leaf,
      issuer: pki.intermediate,
      status: "good",
    });
    const leaf = `tls://${endpoint}#0`;

    // Act
    serving.staple = revoked;
    const raised = await run();
    serving.staple = undefined;
    const unstapled = await run();
    serving.staple = good;
    const cleared = await run();

    // Assess
    expect(raised).toEqual([["Alarm Raised", "revoked", leaf, "critical", "1030"]]);
    expect(unstapled).toEqual([]);
    expect(cleared).toEqual([["Alarm Cleared", "revoked", leaf, "critical", "1030"]]);
  });

  it("raises served-chain while the leaf comes without its intermediate, clears it once the chain is sent", async () => {
    // Prepare
    const run = await scanner("endpoint-served-chain");
    const connection = `tls://${endpoint}`;
    serving = { context: await secureContextFor(pki.leaf) };

    // Act
    const leafAlone = await run();
    serving = { context: await secureContextFor(pki.leaf, [pki.intermediate]) };
    const fullChain = await run();

    // Assess
    expect(leafAlone.sort()).toEqual(
      [
        ["Alarm Raised", "served-chain", connection, "major", "1032"],
        ["Alarm Raised", "untrusted-chain", `${connection}#0`, "major", "1005"],
      ].sort(),
    );
    expect(fullChain.sort()).toEqual(
      [
        ["Alarm Cleared", "served-chain", connection, "major", "1032"],
        ["Alarm Cleared", "untrusted-chain", `${connection}#0`, "major", "1005"],
      ].sort(),
    );
  });
});
