/**
 * The sample's cluster host: a FlinkServer whose HA certificate sits in a Java keystore under
 * /opt/flink/ha/local/cert/ (the file alarm ALM-45655 watches on FusionInsight), laid out in a
 * temporary directory as if it were the host's /, and carried to the bucket by `watchpost push`
 * itself, run in-process as cron would run it on the host. The keystore holds the certificate as a
 * trusted-certificate entry, so no private key is written here either. keytool writes it; where
 * Java is not installed the certificate is pushed as a PEM file instead, and the run says so.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { heartbeatKey } from "../../functions/core/hosts/heartbeat";
import { main } from "../cli/main";
import { S3RVER_CREDENTIALS } from "../local/emulators";
import type { LocalAws } from "./local-aws";
import type { Output } from "./output";

const run = promisify(execFile);

export const SAMPLE_HOST = "flink01.demo.example";
/** A second Flink HA server, whose clock runs ahead (step 7). */
export const SECOND_HOST = "flink02.demo.example";
export const HOST_PREFIX = "hosts/";
export const HOST_SERVICE = "flink";
export const HOST_KEYSTORE_SECRET = "watchpost/demo-host-keystores";
const KEYSTORE_PATH = "/opt/flink/ha/local/cert/flink.keystore";
const PEM_PATH = "/opt/flink/ha/local/cert/flink-ha.pem";

export class SampleHost {
  /** The keystore password, made up for this run; it reaches the scan as the source's secret. */
  readonly password = randomBytes(12).toString("base64url");
  private format: "JKS" | "PEM" = "JKS";

  private constructor(
    private readonly root: string,
    /** The host's name in the bucket and in alarms (`--host`). */
    readonly name: string,
  ) {}

  static async create(name = SAMPLE_HOST): Promise<SampleHost> {
    return new SampleHost(await mkdtemp(join(tmpdir(), "watchpost-demo-host-")), name);
  }

  /** Where its push leaves its heartbeat. */
  get heartbeatKey(): string {
    return heartbeatKey(HOST_PREFIX, this.name);
  }

  /** The path on the host of the file the certificate is kept in. */
  get path(): string {
    return this.format === "JKS" ? KEYSTORE_PATH : PEM_PATH;
  }

  get key(): string {
    return `${HOST_PREFIX}${this.name}${this.path}`;
  }

  get keptIn(): string {
    return this.format === "JKS" ? "a JKS keystore written by keytool" : "a PEM file (keytool was not found)";
  }

  /** Writes the keystore anew holding `certificatePem`, as a renewal on the host would. */
  async install(certificatePem: string): Promise<void> {
    const file = join(this.root, KEYSTORE_PATH);
    await mkdir(dirname(file), { recursive: true });
    await rm(file, { force: true });
    const pem = join(this.root, PEM_PATH);
    await writeFile(pem, certificatePem);
    try {
      await run(
        "keytool",
        [
          "-importcert",
          "-noprompt",
          "-alias",
          "flink-ha",
          "-file",
          pem,
          "-keystore",
          file,
          "-storetype",
          "JKS",
        ].concat(["-storepass", this.password]),
        { timeout: 60_000 },
      );
      await rm(pem);
      this.format = "JKS";
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      this.format = "PEM";
    }
  }

  /**
   * `watchpost push /opt/flink/ha/local/cert --to s3://BUCKET/hosts/ …` every 5 minutes, as its
   * cron entry says (`--every 5m`); its output is printed indented. `aheadMs`: the host's clock
   * runs that far ahead of S3's.
   */
  async push(
    aws: LocalAws,
    bucket: string,
    out: Output,
    options: { aheadMs?: number } = {},
  ): Promise<number> {
    const shown = [
      dirname(this.path),
      "--to",
      `s3://${bucket}/${HOST_PREFIX}`,
      "--host",
      this.name,
      "--service",
      HOST_SERVICE,
      "--every",
      "5m",
    ];
    const argv = [
      "push",
      join(this.root, dirname(this.path)),
      ...shown.slice(1),
      "--path-root",
      this.root,
      "--endpoint-url",
      aws.s3.endpoint,
    ];
    out.line(`  $ watchpost push ${shown.join(" ")}`);
    const aheadMs = options.aheadMs;
    let printed = "";
    const code = await main(argv, {
      stdout: (text) => {
        printed += text;
      },
      stderr: (text) => {
        printed += text;
      },
      env: {
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_REGION: "us-east-1",
      },
      isTTY: false,
      cwd: this.root,
      ...(aheadMs ? { clock: () => Date.now() + aheadMs } : {}),
    });
    for (const line of printed.trimEnd().split("\n")) {
      const shown = line.split(this.root).join("");
      out.line(shown === "" ? "" : `    ${shown}`);
    }
    return code;
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
