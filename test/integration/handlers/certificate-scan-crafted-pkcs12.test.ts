/**
 * Budgets stop work; they never raise an alarm. A source holds 45 crafted PKCS#12 files of 122
 * bytes whose MAC asks for 250,000 SHA-512 iterations (within the per-derivation cap), listed
 * before one real PKCS#12 that `openssl pkcs12 -export` made for an expired certificate, with the
 * source's password. Through the real scan function on s3rver and dynalite, with a key-derivation
 * budget that has room for two crafted files (so the test costs seconds, not minutes): the real
 * file's `expired` is raised on the first scan, no file the budget kept from being read gets an
 * alarm, and the next scan keeps every verdict it did not re-examine.
 *
 * Before: the real file got `unreadable` (major, "did not present a certificate in time … read in
 * a later scan") instead of `expired` (critical), scan after scan.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KdfBudget, SCAN_BUDGET } from "../../../functions/core/certificates/formats/pkcs12-budget";
import { parseConfig } from "../../../functions/core/config";
import { type CertificateScanDeps, runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { macOnlyPfx } from "../../support/crafted-pkcs12";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { chain, DAY, issue, privateKeyPem } from "../../support/pki";
import { scanHarness } from "../../support/scan-harness";
import { CHILD_TIMEOUT_MS } from "../../support/timeouts";

const run = promisify(execFile);
const BUCKET = "cluster-certs";
const PASSWORD = "flink-ha-password-2";
const REAL = "hosts/flink01/opt/flink/ha/flink-ha.p12";
const CRAFTED = Array.from({ length: 45 }, (_, i) => `hosts/flink01/drop/${String(i).padStart(2, "0")}.p12`);

const config = parseConfig({
  certificates: { sources: [{ prefix: "hosts/", pkcs12PasswordSecretName: "watchpost/flink-ha" }] },
});

/** What `openssl pkcs12 -export` writes for a key, its certificate and the CA (OpenSSL 3 defaults). */
async function opensslPkcs12(): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "watchpost-crafted-"));
  try {
    const { intermediate } = await chain("flink01.prod.example.com");
    const expired = await issue({
      subject: "CN=flink01.prod.example.com",
      dnsNames: ["flink01.prod.example.com"],
      issuer: intermediate,
      notBefore: new Date(Date.now() - 90 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    await writeFile(join(dir, "key.pem"), await privateKeyPem(expired.keys));
    await writeFile(join(dir, "cert.pem"), expired.pem);
    await writeFile(join(dir, "ca.pem"), intermediate.pem);
    await run(
      "openssl",
      [
        ...["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-certfile", "ca.pem"],
        ...["-name", "flink-ha", "-passout", `pass:${PASSWORD}`, "-out", "ha.p12"],
      ],
      { cwd: dir, timeout: CHILD_TIMEOUT_MS },
    );
    return await readFile(join(dir, "ha.p12"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const crafted = macOnlyPfx(250_000);
  const real = await opensslPkcs12();
  for (const key of [...CRAFTED, REAL]) {
    await s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key === REAL ? real : crafted }),
    );
  }
});

afterAll(async () => {
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

const lines = () => bus.lines(`s3://${BUCKET}/`);

describe("a source of crafted PKCS#12 files beside a real one", () => {
  let deps: CertificateScanDeps;

  beforeAll(async () => {
    deps = {
      ...(
        await scanHarness({
          config,
          bucket: BUCKET,
          s3: s3.client,
          dynamo,
          bus,
          inventory: true,
          secrets: { read: async () => PASSWORD },
        })
      ).deps,
      // Room for two of the crafted files' 250,000-iteration derivations per scan.
      kdfBudget: () => new KdfBudget(SCAN_BUDGET, 500_000),
    };
  });

  it("raises the real file's expiry on the first scan, and nothing about a file it did not read", async () => {
    // Act
    const outcome = await runCertificateScan({}, deps);

    // Assess: the two crafted files read are what they are (the password does not open them)
    expect(outcome).toMatchObject({ mode: "full", complete: false });
    expect(lines()).toEqual([
      `Alarm Raised expired ${REAL}#0`,
      `Alarm Raised unreadable ${CRAFTED[0]}`,
      `Alarm Raised unreadable ${CRAFTED[1]}`,
    ]);
    const reasons = bus.sent.map((e) => JSON.parse(e.Detail ?? "{}").facts?.reason).filter(Boolean);
    expect(reasons).toEqual(["bad-password", "bad-password"]);
  });

  it("keeps every verdict it does not re-examine on the next scan, and reads the next files", async () => {
    // Prepare
    bus.clear();

    // Act: the two files read before are judged from the inventory; the budget goes to the next two
    await runCertificateScan({}, deps);

    // Assess: the real file's alarm stands (no clear, no second raise), nothing says "in time"
    expect(lines()).toEqual([
      `Alarm Raised unreadable ${CRAFTED[2]}`,
      `Alarm Raised unreadable ${CRAFTED[3]}`,
    ]);
    expect(bus.sent.map((e) => e.Detail).join("\n")).not.toMatch(/in time|key-derivation budget/);
  });
});
