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
import { parseConfig } from "../../../functions/core/config";
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
}, 180_000);

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

  it("puts no password in any event or log line", () => {
    expect(logged.join("")).toContain("check run");
    const everything = [...bus.sent.map((e) => e.Detail ?? ""), ...logged].join("\n");
    for (const password of Object.values(SECRETS)) expect(everything).not.toContain(password);
  });
});
