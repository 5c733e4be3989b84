/**
 * The deployed scan on a peer group whose peers keep their own trust stores (issue 31): a PEM
 * bundle in the bucket, a JKS truststore pushed from its host's /etc/kafka/ssl (keytool), a
 * PKCS#12 truststore (openssl), the last two opened with a Secrets Manager secret. A renewed
 * certificate that one truststore does not trust raises one peer-refused alarm naming both peers;
 * the truststore's upload re-checks the group and clears it. A truststore that cannot be opened
 * clears nothing it decides.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SecretReader } from "../../../functions/adapters/secrets";
import type { AlarmEventDetail } from "../../../functions/core/alarms/events";
import { parseConfig } from "../../../functions/core/config";
import { alarmView } from "../../../functions/core/notifications/alarm-view";
import { emailBody } from "../../../functions/core/notifications/email";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { javaKeystore } from "../../support/java-stores";
import { type Issued, issue } from "../../support/pki";
import { SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";

const run = promisify(execFile);
const BUCKET = "cluster-certs";
const SECRET = "kafka/truststore";
const PASSWORD = "kafka-trust-7";
const [N1, N2, N3] = ["node1.kafka.test", "node2.kafka.test", "node3.kafka.test"] as const;
const PUSHED_KEY = `hosts/${N2}/etc/kafka/ssl/kafka.truststore.jks`;

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
let ca1: Issued;
let ca2: Issued;

const config = parseConfig({
  certificates: {
    sources: [{ prefix: "hosts/" }],
    peerGroups: [
      {
        name: "kafka",
        peers: [
          { fqdn: N1, certificateKey: `peers/${N1}.pem`, trustStore: { key: "trust/node1.pem" } },
          {
            fqdn: N2,
            certificateKey: `peers/${N2}.pem`,
            trustStore: {
              pushed: { prefix: "hosts/", path: "/etc/kafka/ssl/kafka.truststore.jks" },
              passwordSecretName: SECRET,
            },
          },
          {
            fqdn: N3,
            certificateKey: `peers/${N3}.pem`,
            trustStore: { key: "trust/node3.p12", passwordSecretName: SECRET },
          },
        ],
      },
    ],
  },
});

const put = (key: string, body: string | Uint8Array) =>
  s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
const pemOf = (...cas: Issued[]) => cas.map((c) => `${c.pem.trim()}\n`).join("");

async function jksTruststore(...cas: Issued[]): Promise<Uint8Array> {
  return javaKeystore({
    type: "JKS",
    password: PASSWORD,
    trusted: cas.map((certificate, i) => ({ alias: `ca-${i}`, certificate })),
  });
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  [ca1, ca2] = await Promise.all([
    issue({ subject: "CN=Ops CA 1,O=watchpost", isCA: true }),
    issue({ subject: "CN=Ops CA 2,O=watchpost", isCA: true }),
  ]);
  // node1 was renewed by Ops CA 2: node1's and node3's trust stores hold it, node2's does not.
  const peer = (fqdn: string, issuer: Issued) => issue({ subject: `CN=${fqdn}`, dnsNames: [fqdn], issuer });
  await put(`peers/${N1}.pem`, (await peer(N1, ca2)).pem);
  await put(`peers/${N2}.pem`, (await peer(N2, ca1)).pem);
  await put(`peers/${N3}.pem`, (await peer(N3, ca1)).pem);
  await put("trust/node1.pem", pemOf(ca1, ca2));
  const dir = await mkdtemp(join(tmpdir(), "watchpost-peer-trust-"));
  try {
    await writeFile(join(dir, "cas.pem"), pemOf(ca1, ca2));
    const p12 = join(dir, "node3.p12");
    await run("openssl", [
      "pkcs12",
      "-export",
      "-nokeys",
      "-in",
      join(dir, "cas.pem"),
      "-out",
      p12,
      "-passout",
      `pass:${PASSWORD}`,
    ]);
    await put("trust/node3.p12", new Uint8Array(await readFile(p12)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

beforeEach(() => bus.clear());

/** Secrets Manager as the scan reads it; `fail` makes every read throw, as a denied or deleted secret does. */
function secrets(state: { fail: boolean }): SecretReader {
  return {
    read: async (name) => {
      if (state.fail || name !== SECRET) throw new Error(`AccessDeniedException reading ${name}`);
      return PASSWORD;
    },
  };
}

/** The scan function wired as deployed, its secrets failing while `state.fail`. */
async function scan(state: { fail: boolean }) {
  return (await scanHarness({ config, bucket: BUCKET, s3: s3.client, dynamo, bus, secrets: secrets(state) }))
    .deps;
}

function objectCreated(key: string) {
  return {
    source: "aws.s3",
    "detail-type": "Object Created",
    detail: { bucket: { name: BUCKET }, object: { key } },
  };
}

const details = () =>
  bus.sent.map((e) => ({ type: e.DetailType, ...(JSON.parse(e.Detail ?? "{}") as AlarmEventDetail) }));

describe("a peer group with each peer's own trust store, deployed", () => {
  it("raises one alarm naming both peers when a pushed JKS truststore lacks a renewed certificate's CA, and clears it when the truststore is pushed again", async () => {
    // Prepare
    await put(PUSHED_KEY, await jksTruststore(ca1));
    const deps = await scan({ fail: false });

    // Act
    const raised = await runCertificateScan(SCHEDULED_EVENT, deps);
    const onRaise = details();
    bus.clear();
    await put(PUSHED_KEY, await jksTruststore(ca1, ca2));
    await runCertificateScan(objectCreated(PUSHED_KEY), deps);
    const onPush = details();

    // Assess
    expect(onRaise.map((e) => `${e.type} ${e.check} ${e.source}`)).toEqual([
      `Alarm Raised peer-refused peer-group:kafka/${N1}`,
    ]);
    const [alarm] = onRaise;
    expect(alarm).toMatchObject({ alarmId: "1040", severity: "major" });
    expect(alarm?.message).toBe(
      `${N2} will refuse ${N1}'s certificate: it chains to 'Ops CA 2', which ${N2}'s trust store (s3://${BUCKET}/${PUSHED_KEY}) does not hold. ` +
        `Add 'Ops CA 2' to ${N2}'s trust store (s3://${BUCKET}/${PUSHED_KEY}) and reload ${N2}, or re-issue ${N1}'s certificate from a CA every peer trusts. ` +
        `(Peer group kafka; its certificate s3://${BUCKET}/peers/${N1}.pem.)`,
    );
    expect(alarm?.parameters).toEqual({
      Source: `peer-group:kafka/${N1}`,
      PeerGroup: "kafka",
      Bucket: BUCKET,
      HostName: N1,
      Key: `peers/${N1}.pem`,
      RefusedBy: N2,
      TrustStoreKey: PUSHED_KEY,
    });
    const email = emailBody(alarmView(alarm!, { stackName: "Watchpost", region: "eu-west-1" }));
    expect(email).toContain(`\`aws s3 cp s3://${BUCKET}/${PUSHED_KEY} truststore\``);
    expect(email).toContain(
      `\`watchpost scan --peer ${N1}=cert.pem --peer ${N2}=peer.pem --truststore ${N2}=truststore\``,
    );
    expect(email).not.toMatch(/\b(BUCKET|TRUST_KEY|KEY|PEER|HOST)\b/);
    expect(raised.peerGroups?.[0]?.peers.map((p) => [p.fqdn, p.status, p.trustStore])).toEqual([
      [
        N1,
        "Certificate: Invalid (certificate does not chain to a CA every peer trusts)",
        `s3://${BUCKET}/trust/node1.pem`,
      ],
      [N2, "Certificate: Valid", `s3://${BUCKET}/${PUSHED_KEY}`],
      [N3, "Certificate: Valid", `s3://${BUCKET}/trust/node3.p12`],
    ]);
    expect(onPush.map((e) => `${e.type} ${e.check} ${e.source}`)).toEqual([
      `Alarm Cleared peer-refused peer-group:kafka/${N1}`,
    ]);
  }, 120_000);

  it("clears nothing a trust store decides while its password secret cannot be read, and says so", async () => {
    // Prepare: the refusal is raised, then node2's truststore fixed while the secret is denied
    await put(PUSHED_KEY, await jksTruststore(ca1));
    const state = { fail: false };
    const deps = await scan(state);
    await runCertificateScan(SCHEDULED_EVENT, deps);
    bus.clear();
    await put(PUSHED_KEY, await jksTruststore(ca1, ca2));
    state.fail = true;

    // Act
    await runCertificateScan(SCHEDULED_EVENT, deps);
    const denied = details();
    bus.clear();
    state.fail = false;
    await runCertificateScan(SCHEDULED_EVENT, deps);
    const restored = details();

    // Assess: the PKCS#12 truststore cannot be read without it, so node3's verdicts are unknown
    expect(denied.map((e) => `${e.type} ${e.check} ${e.source}`).sort()).toEqual([
      `Alarm Raised unreadable s3://${BUCKET}/trust/node3.p12`,
      `Alarm Raised unreadable secretsmanager:${SECRET}`,
    ]);
    expect(denied.find((e) => e.source === `s3://${BUCKET}/trust/node3.p12`)?.message).toContain(
      `the secret ${SECRET}, named for this trust store in peer group kafka, holds no password it could read`,
    );
    expect(JSON.stringify(bus.sent)).not.toContain(PASSWORD);
    expect(restored.map((e) => `${e.type} ${e.check} ${e.source}`).sort()).toEqual([
      `Alarm Cleared peer-refused peer-group:kafka/${N1}`,
      `Alarm Cleared unreadable s3://${BUCKET}/trust/node3.p12`,
      `Alarm Cleared unreadable secretsmanager:${SECRET}`,
    ]);
  }, 120_000);
});
