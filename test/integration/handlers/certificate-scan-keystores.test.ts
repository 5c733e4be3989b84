/**
 * Where clusters keep their certificates, through the real scan function on s3rver and dynalite: a
 * JKS keystore, a JKS truststore, a JCEKS keystore and a `-legacy` PKCS#12 (made at test time with
 * keytool and openssl) are read and judged with passwords from Secrets Manager (per source and per
 * key pattern), and every alarm carries the location its source declares (literal parameters and
 * captures from the key) or that `watchpost push` wrote into the object's metadata, also when the
 * object is judged again from the inventory without a download. No password reaches an event or a
 * log line.
 */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AlarmEventDetail } from "../../../functions/core/alarms/events";
import { parseConfig } from "../../../functions/core/config";
import { alarmView } from "../../../functions/core/notifications/alarm-view";
import { emailBody } from "../../../functions/core/notifications/email";
import { type CertificateScanDeps, runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { logger } from "../../../functions/handlers/shared/powertools";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { javaKeystore, legacyPkcs12 } from "../../support/java-stores";
import { chain, DAY, type Issued, issue } from "../../support/pki";
import { countS3Requests, scanHarness } from "../../support/scan-harness";

const BUCKET = "cluster-certs";
const STORE_PASSWORD = "store-password-1";
const FLINK_PASSWORD = "flink-ha-password-2";
const SECRETS: Record<string, string> = {
  "watchpost/keystores": STORE_PASSWORD,
  "watchpost/flink-ha": FLINK_PASSWORD,
};

const config = parseConfig({
  certificates: {
    sources: [
      {
        prefix: "clusters/",
        keystorePasswordSecretName: "watchpost/keystores",
        keystorePasswordsByKey: [
          { keyPattern: "clusters/*/*/flink/ha/**", secretName: "watchpost/flink-ha" },
        ],
        parameters: { ServiceName: "Kafka" },
        parametersByKey: [
          {
            keyPattern: "clusters/{Cluster}/{HostName}/flink/**",
            parameters: { ServiceName: "Flink", RoleName: "FlinkServer" },
          },
          { keyPattern: "clusters/{Cluster}/{HostName}/**" },
        ],
      },
      // What `watchpost push` fills: PREFIX/<host>/<path>, with the host in the metadata.
      {
        prefix: "hosts/",
        pkcs12PasswordSecretName: "watchpost/keystores",
        keystorePasswordsByKey: [{ keyPattern: "hosts/*/opt/flink/**", secretName: "watchpost/flink-ha" }],
      },
    ],
  },
});

let s3: LocalS3;
let dynamo: LocalDynamo;
let requests: string[];
const bus = recordingEventBus();
let pki: Awaited<ReturnType<typeof chain>>;
let expiredLeaf: Issued;
let expiringLeaf: Issued;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  requests = countS3Requests(s3.client);
  pki = await chain("kafka01.prod.example.com");
  expiredLeaf = await issue({
    subject: "CN=flink01.prod.example.com",
    dnsNames: ["flink01.prod.example.com"],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 90 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  expiringLeaf = await issue({
    subject: "CN=zk01.prod.example.com",
    dnsNames: ["zk01.prod.example.com"],
    issuer: pki.intermediate,
    notAfter: new Date(Date.now() + 20 * DAY),
  });
  const [flinkJks, kafkaTruststore, zookeeperJceks, legacyP12] = await Promise.all([
    javaKeystore({
      type: "JKS",
      password: FLINK_PASSWORD,
      privateKey: { alias: "flink", chain: [expiredLeaf, pki.intermediate] },
    }),
    javaKeystore({
      type: "JKS",
      password: STORE_PASSWORD,
      trusted: [{ alias: "root", certificate: pki.root }],
    }),
    javaKeystore({
      type: "JCEKS",
      password: STORE_PASSWORD,
      secretKey: "zookeeper.ssl.secret",
      privateKey: { alias: "zookeeper", chain: [expiringLeaf, pki.intermediate] },
    }),
    legacyPkcs12([pki.leaf, pki.intermediate], STORE_PASSWORD),
  ]);
  await Promise.all([
    put("clusters/prod/flink01/flink/ha/local/cert/flink.keystore", flinkJks),
    put("clusters/prod/kafka01/kafka/truststore.jks", kafkaTruststore),
    put("clusters/prod/zk01/zookeeper/keystore.jceks", zookeeperJceks),
    put("clusters/prod/kafka01/kafka/legacy.p12", legacyP12),
    put("hosts/flink02/opt/flink/ha/local/cert/flink.keystore", flinkJks, {
      "watchpost-host": "flink02.prod.example.com",
      "watchpost-service": "flink",
      "watchpost-path": encodeURIComponent("/opt/flink/ha/local/cert/flink.keystore"),
    }),
  ]);
});

afterAll(async () => {
  logger.setLogLevel("SILENT");
  vi.restoreAllMocks();
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

async function put(key: string, body: Uint8Array, metadata?: Record<string, string>) {
  await s3.client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: body,
      ...(metadata ? { Metadata: metadata } : {}),
    }),
  );
}

const uri = (key: string) => `s3://${BUCKET}/${key}`;

const raisedEvents: Record<string, unknown>[] = [];

const FLINK_KEY = "s3://cluster-certs/clusters/prod/flink01/flink/ha/local/cert/flink.keystore";
/** The email's steps for the Flink keystore: keytool for the JKS, its alias, never a PEM over it. */
const FLINK_STEPS = [
  `1. Fetch it (\`aws s3 cp ${FLINK_KEY} store.jks\`) and copy the entry as PEM: \`keytool -list -rfc -keystore store.jks -alias flink >cert.pem\`.`,
  "2. See its dates and names: `openssl x509 -noout -dates -subject -ext subjectAltName -in cert.pem` (`#N` in Source: the N-th certificate, from 0).",
  "3. A key entry: `keytool -certreq -alias flink -keystore store.jks -ext SAN=dns:flink01 -file host.csr`; a trusted entry: get the CA's new one.",
  "4. Sign it with your CA: `openssl x509 -req -in host.csr -CA ca.pem -CAkey ca.key -days 365 -copy_extensions copyall -out host.pem`.",
  "5. A key entry takes it with its CA: `cat host.pem ca.pem >reply.pem`, `keytool -importcert -alias flink -keystore store.jks -file reply.pem`.",
  "6. A trusted entry is replaced: `keytool -delete -alias flink -keystore store.jks`, then `keytool -importcert` with `-alias flink -file new.pem`.",
  `7. Check it: \`watchpost scan store.jks --ca ca.pem --expect-host flink01\` must exit 0; upload it: \`aws s3 cp store.jks ${FLINK_KEY}\`.`,
  "8. The alarm clears by itself: an upload is re-checked within seconds, a peer at the next scheduled scan.",
].join("\n");

function details(): Record<string, unknown>[] {
  return bus.sent.map((e) => JSON.parse(e.Detail ?? "{}"));
}

describe("certificate-scan function: keystores, legacy PKCS#12 and location parameters", () => {
  let deps: CertificateScanDeps;
  let now = new Date();
  const logged: string[] = [];

  beforeAll(async () => {
    deps = (
      await scanHarness({
        config,
        bucket: BUCKET,
        s3: s3.client,
        dynamo,
        bus,
        inventory: true,
        secrets: { read: async (name) => SECRETS[name] ?? Promise.reject(new Error(`no secret ${name}`)) },
        now: () => now,
      })
    ).deps;
    // Tests run the logger SILENT (vitest.config.ts); here every line it would write is kept.
    logger.setLogLevel("DEBUG");
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        logged.push(String(chunk));
        return true;
      });
    }
  });

  it("reads and judges every store with its password, each alarm carrying where the file lives", async () => {
    // Act
    const outcome = await runCertificateScan({}, deps);

    // Assess
    expect(outcome).toMatchObject({ mode: "full", complete: true });
    const raised = details().map((d) => [d.check, d.source, d.parameters]);
    expect(raised).toEqual(
      expect.arrayContaining([
        [
          "expired",
          uri("clusters/prod/flink01/flink/ha/local/cert/flink.keystore#0"),
          expect.objectContaining({
            ServiceName: "Flink",
            RoleName: "FlinkServer",
            Cluster: "prod",
            HostName: "flink01",
            Key: "clusters/prod/flink01/flink/ha/local/cert/flink.keystore",
          }),
        ],
        [
          "expiring",
          uri("clusters/prod/zk01/zookeeper/keystore.jceks#0"),
          expect.objectContaining({ ServiceName: "Kafka", Cluster: "prod", HostName: "zk01" }),
        ],
        [
          "expired",
          uri("hosts/flink02/opt/flink/ha/local/cert/flink.keystore#0"),
          expect.objectContaining({
            HostName: "flink02.prod.example.com",
            ServiceName: "flink",
            HostPath: "/opt/flink/ha/local/cert/flink.keystore",
          }),
        ],
      ]),
    );
    // Every store was read: nothing unreadable (the truststore and the -legacy file are healthy).
    expect(raised.filter(([check]) => check === "unreadable")).toEqual([]);
    expect(details().map((d) => d.source)).not.toContain(uri("clusters/prod/kafka01/kafka/legacy.p12#0"));
    // The integrity of each keystore was verified with its own secret.
    expect(bus.sent.map((e) => e.Detail).join("\n")).not.toMatch(/integrity check fails/);
    raisedEvents.push(...details());
  });

  it("keeps the parameters an object's metadata declared when it is judged again from the inventory", async () => {
    // Prepare: 15 days later the JCEKS certificate is within the major window; nothing is downloaded
    bus.clear();
    requests.length = 0;
    now = new Date(Date.now() + 15 * DAY);

    // Act
    await runCertificateScan({}, deps);

    // Assess
    expect(requests.filter((r) => r === "GetObjectCommand")).toEqual([]);
    const reminded = details().map((d) => [d.check, d.source, d.parameters]);
    expect(reminded).toContainEqual([
      "expiring",
      uri("clusters/prod/zk01/zookeeper/keystore.jceks#0"),
      expect.objectContaining({ HostName: "zk01", Cluster: "prod" }),
    ]);
    // The daily reminder of the pushed object's alarm still names its host, from the inventory record.
    expect(reminded).toContainEqual([
      "expired",
      uri("hosts/flink02/opt/flink/ha/local/cert/flink.keystore#0"),
      expect.objectContaining({
        HostName: "flink02.prod.example.com",
        HostPath: "/opt/flink/ha/local/cert/flink.keystore",
      }),
    ]);
  });

  it("tells how to repair a keystore with keytool, naming its entry's alias, from the raise and from the inventory", () => {
    // Prepare: the raise of the first scan, and the reminder judged from the inventory record
    const flink = uri("clusters/prod/flink01/flink/ha/local/cert/flink.keystore#0");
    const events = [...raisedEvents, ...details()].filter((d) => d.source === flink && d.check === "expired");

    // Act
    const emails = events.map((detail) =>
      emailBody(alarmView(AlarmEventDetail.parse(detail), { stackName: "Watchpost", region: "eu-west-1" })),
    );

    // Assess
    expect(events.map((d) => d.kind)).toEqual(["raised", "reminder"]);
    for (const email of emails) {
      expect(email.split("What to do:\n")[1]?.split("\n\n")[0]).toBe(FLINK_STEPS);
      expect(email).toMatch(
        /^Certificate "CN=flink01\.prod\.example\.com" \(keystore alias "flink"\) expired on /m,
      );
    }
  });

  it("puts no password in any event or log line", () => {
    expect(logged.join("")).toContain("check run");
    const everything = [...bus.sent.map((e) => e.Detail ?? ""), ...logged].join("\n");
    for (const password of Object.values(SECRETS)) expect(everything).not.toContain(password);
  });
});
