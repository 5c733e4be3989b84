/**
 * The member-account sessions and the four AWS certificate kinds' SDK clients, bundled with the
 * functions' esbuild options (lib/bundling.ts) and run on Node 24 (the functions' runtime), reading
 * one item of each kind from the loopback stand-ins (test/support/aws-certificate-stand-ins.ts)
 * through the services' own protocols, after assuming the reader role with the external ID.
 *
 * The certificate-scan bundle itself reads the four kinds, own and member account, in
 * node24-aws-certificates.test.ts, with these stand-ins.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/core/config";
import { esbuildOptions } from "../../lib/bundling";
import { type AwsStandIn, startAwsStandIn } from "../support/aws-certificate-stand-ins";
import { type Bundle, invokeBundle, node24Version, node24WorkDirectory } from "../support/node24";
import { DAY, issue } from "../support/pki";

const MEMBER = "210987654321";
const REGION = "eu-west-1";
const EXTERNAL_ID = "wp-7f3c9a2b";

let work: string;
let bundle: Bundle;
let standIn: AwsStandIn;
let pem: string;

beforeAll(async () => {
  work = node24WorkDirectory("members");
  const outfile = join(work, "member-account-reader.mjs");
  await build(
    esbuildOptions(
      join(import.meta.dirname, "bundles", "member-account-reader.ts"),
      outfile,
      parseConfig({ certificates: { sources: [{ prefix: "certs/" }] } }),
    ) as Parameters<typeof build>[0],
  );
  bundle = { path: outfile, env: {} };
  const now = Date.now();
  pem = (await issue({ subject: "CN=api.example.com", dnsNames: ["api.example.com"] })).pem;
  standIn = await startAwsStandIn({
    roles: [
      {
        roleArn: `arn:aws:iam::${MEMBER}:role/watchpost-reader`,
        externalId: EXTERNAL_ID,
        accessKeyId: "ASIAMEMBERSESSION24",
        expiration: new Date(now + 3_600_000),
      },
    ],
    acm: [
      {
        arn: `arn:aws:acm:${REGION}:${MEMBER}:certificate/11111111-2222-3333-4444-555555555555`,
        domainName: "api.example.com",
        type: "IMPORTED",
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 20 * DAY),
        certificate: pem,
      },
    ],
    iam: [
      {
        name: "legacy-elb",
        id: "ASCAEXAMPLE123",
        arn: `arn:aws:iam::${MEMBER}:server-certificate/legacy-elb`,
        uploadDate: new Date(now - DAY),
        expiration: new Date(now + 20 * DAY),
        body: pem,
      },
    ],
    secrets: [
      {
        arn: `arn:aws:secretsmanager:${REGION}:${MEMBER}:secret:tls/api-AbCdEf`,
        name: "tls/api",
        secretString: pem,
      },
    ],
    parameters: [
      {
        name: "/tls/api",
        arn: `arn:aws:ssm:${REGION}:${MEMBER}:parameter/tls/api`,
        type: "SecureString",
        value: pem,
      },
    ],
  });
});
afterAll(async () => {
  await standIn?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const endpoints = () => ({
  AWS_ENDPOINT_URL_STS: standIn.url,
  AWS_ENDPOINT_URL_ACM: standIn.url,
  AWS_ENDPOINT_URL_IAM: standIn.url,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.url,
  AWS_ENDPOINT_URL_SSM: standIn.url,
});

describe("member accounts on Node 24", () => {
  it("runs on Node 24", async () => {
    // Assess
    expect(await node24Version()).toMatch(/^v24\./);
  });

  it("assumes the reader role and reads an ACM certificate, an IAM server certificate, a secret and a parameter", async () => {
    // Prepare
    standIn.requests.length = 0;

    // Act
    const run = await invokeBundle(
      work,
      "member-reader",
      bundle,
      { account: MEMBER, region: REGION, externalId: EXTERNAL_ID },
      endpoints(),
    );

    // Assess
    expect(run.error).toBeUndefined();
    expect(run.result).toEqual({ reachable: true, acm: pem, iam: pem, secretsManager: pem, ssm: pem });
    expect(standIn.requests.map((r) => [r.operation, r.accessKeyId])).toEqual([
      ["sts:AssumeRole", "S3RVER"],
      ["acm:ListCertificates", "ASIAMEMBERSESSION24"],
      ["acm:GetCertificate", "ASIAMEMBERSESSION24"],
      ["iam:ListServerCertificates", "ASIAMEMBERSESSION24"],
      ["iam:GetServerCertificate", "ASIAMEMBERSESSION24"],
      ["secretsmanager:ListSecrets", "ASIAMEMBERSESSION24"],
      ["secretsmanager:GetSecretValue", "ASIAMEMBERSESSION24"],
      ["ssm:DescribeParameters", "ASIAMEMBERSESSION24"],
      ["ssm:GetParameter", "ASIAMEMBERSESSION24"],
    ]);
  });

  it("says the account is not reachable when the external ID is refused, without the external ID", async () => {
    // Act
    const run = await invokeBundle(
      work,
      "member-reader",
      bundle,
      { account: MEMBER, region: REGION, externalId: "wp-wrong-guess" },
      endpoints(),
    );

    // Assess
    expect(run.result).toMatchObject({ reachable: false, reason: "trust-refused" });
    expect(JSON.stringify(run.result)).not.toContain("wp-wrong-guess");
  });
});
