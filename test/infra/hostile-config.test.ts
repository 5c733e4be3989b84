/**
 * A hostile configuration stops the synth: the CDK app (bin/app.ts) refuses it with one line per
 * problem naming the field, and builds nothing from it. In-process for each kind of hostile value,
 * and once through a real `cdk synth` as an operator would run it.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../bin/app";
import { ConfigError, LIMITS } from "../../functions/core/config";
import { CHILD_TIMEOUT_MS } from "../support/timeouts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "watchpost-hostile-config-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** What `buildApp` says about the file, and whether it left anything in the app. */
function synthRefusal(path: string): { message: string; constructs: number } {
  const app = new App({ context: { config: path, "aws:cdk:bundling-stacks": [] } });
  try {
    buildApp(app);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { message: (error as Error).message, constructs: app.node.children.length };
  }
  throw new Error(`expected ${path} to be refused`);
}

const sources = '"certificates":{"sources":[{"prefix":"certs/"}]}';

describe("the CDK app refuses hostile configuration with the field's path", () => {
  it.each([
    [
      "a huge list",
      `{"certificates":{"sources":[${Array.from({ length: 60 }, (_, i) => `{"prefix":"s${i}/"}`).join(",")}]}}`,
      "certificates.sources: expected at most 50 certificate sources",
    ],
    [
      "a bad role ARN",
      `{${sources},"credentials":{"targets":[{"name":"t","roleArn":"arn:aws:iam::123456789012:user/x","bucket":"data-bucket","region":"eu-west-1"}]}}`,
      "credentials.targets[0].roleArn: must be an IAM role ARN",
    ],
    [
      "a bad bucket name",
      '{"certificates":{"sources":[{"prefix":""}],"bucket":{"existingBucketName":"10.0.0.1"}}}',
      "certificates.bucket.existingBucketName: expected an S3 bucket name, not an IP address",
    ],
    [
      "an unknown field",
      `{${sources},"alarms":{"silences":[{"alarmID":"1002","startsAt":"2025-01-01T00:00:00Z","endsAt":"2025-02-01T00:00:00Z","reason":"x"}]}}`,
      'alarms.silences[0]: Unrecognized key: "alarmID"',
    ],
    [
      "an absurd threshold",
      '{"certificates":{"sources":[{"prefix":""}],"thresholds":{"maxObjectBytes":1e15}}}',
      "certificates.thresholds.maxObjectBytes: Too big",
    ],
    [
      "a prefix with ..",
      '{"certificates":{"sources":[{"prefix":"certs/../private/"}]}}',
      "certificates.sources[0].prefix: expected an object-key prefix without '.' or '..' segments",
    ],
    [
      "a wildcard prefix",
      '{"certificates":{"sources":[{"prefix":"certs*"}]}}',
      "certificates.sources[0].prefix: expected an object-key prefix without '*' or '?'",
    ],
    [
      "seven peers",
      `{"certificates":{"sources":[{"prefix":""}],"peerGroups":[{"name":"etcd","caBundleKey":"ca.pem","peers":[${Array.from({ length: 7 }, (_, i) => `{"fqdn":"n${i}.example.com","certificateKey":"n${i}.pem"}`).join(",")}]}]}}`,
      "certificates.peerGroups[0].peers: expected at most six peers",
    ],
    [
      "a duplicate peer",
      '{"certificates":{"sources":[{"prefix":""}],"peerGroups":[{"name":"etcd","caBundleKey":"ca.pem","peers":[{"fqdn":"a.example.com","certificateKey":"a.pem"},{"fqdn":"A.example.com","certificateKey":"b.pem"}]}]}}',
      "certificates.peerGroups[0].peers: expected each peer's fqdn to appear once in its group",
    ],
    [
      "a number for a string",
      '{"certificates":{"sources":[{"prefix":42}]}}',
      "certificates.sources[0].prefix: Invalid input: expected string, received number",
    ],
    [
      "a __proto__ key",
      `{${sources},"__proto__":{"polluted":true}}`,
      '(top level): Unrecognized key: "__proto__"',
    ],
    [
      "a key written twice",
      `{${sources},${sources}}`,
      '(top level): key "certificates" appears twice; JSON keeps only the last one',
    ],
    ["text that is not JSON", "{ certificates: ", "(file): expected JSON"],
  ])("refuses %s", async (name, text, expected) => {
    // Prepare
    const path = await configFile(`${name.replaceAll(" ", "-")}.json`, text);

    // Act
    const { message, constructs } = synthRefusal(path);

    // Assess
    expect(message.split("\n")[0]).toBe(`${path} is not a valid watchpost configuration:`);
    expect(message).toContain(`  - ${expected}`);
    expect(constructs).toBe(0);
  });

  it("refuses a missing file, a directory, and a 2 GiB file without reading it", async () => {
    // Prepare: reading the sparse file whole would fail (or exhaust memory) before any check
    const huge = await configFile("huge.json", "");
    await truncate(huge, 2 * 1024 ** 3);
    const directory = join(dir, "a-directory.json");
    await mkdir(directory);

    // Act / Assess
    expect(synthRefusal(join(dir, "absent.json")).message).toContain(
      "(file): cannot be read (no such file); pass another file with -c config=FILE",
    );
    expect(synthRefusal(directory).message).toContain(
      "(file): expected a JSON file, found a directory or device",
    );
    expect(synthRefusal(huge).message).toContain(
      `(file): expected a configuration of at most ${LIMITS.fileBytes} bytes (the file has ${2 * 1024 ** 3})`,
    );
  });

  it("still builds the stack from the repository's example configuration", () => {
    // Act
    const app = buildApp(
      new App({ context: { config: "watchpost.config.json", "aws:cdk:bundling-stacks": [] } }),
    );

    // Assess
    expect(app.node.children.map((child) => child.node.id)).toEqual(["Watchpost"]);
  });
});

describe("cdk synth", () => {
  it("stops with the field's path and writes no template", async () => {
    // Prepare
    const path = await configFile(
      "synth.json",
      `{${sources},"credentials":{"targets":[{"name":"t","roleArn":"arn:aws:iam::123456789012:role/ops/","bucket":"data-bucket","region":"eu-west-1","__proto__":{}}]}}`,
    );
    const out = join(dir, "cdk.out");

    // Act
    const result = await promisify(execFile)(
      join("node_modules", ".bin", "cdk"),
      ["synth", "--quiet", "-c", `config=${path}`, "-o", out],
      { env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1", NO_COLOR: "1" }, timeout: CHILD_TIMEOUT_MS },
    ).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? "" }),
    );

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${path} is not a valid watchpost configuration:`);
    expect(result.stderr).toContain(
      "  - credentials.targets[0].roleArn: expected an IAM role ARN ending in a role name of 1-64 characters (got 0)",
    );
    expect(result.stderr).toContain('  - credentials.targets[0]: Unrecognized key: "__proto__"');
    expect(existsSync(join(out, "Watchpost.template.json"))).toBe(false);
  });
});
