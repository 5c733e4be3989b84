/**
 * Secrets Manager secrets, Parameter Store parameters and IAM server certificates holding
 * certificates, through the pipeline (core/scan/source-scan.ts) and the real clients with aws-sdk-client-mock: answers built from the API
 * references' documented fields (ListSecrets' SecretList with SecretVersionsToStages and Tags,
 * GetSecretValue's SecretString / SecretBinary; DescribeParameters' Parameters with Version,
 * GetParameter's Parameter; ListServerCertificates' ServerCertificateMetadataList with IsTruncated
 * and Marker, GetServerCertificate's CertificateBody and CertificateChain). No private key or
 * password ever appears in what the scan returns.
 */
import {
  GetServerCertificateCommand,
  IAMClient,
  ListServerCertificatesCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import {
  DecryptionFailure,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from "@aws-sdk/client-secrets-manager";
import {
  DescribeParametersCommand,
  GetParameterCommand,
  SSMClient,
  AccessDeniedException as SsmAccessDenied,
} from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { awsSourceAdapters } from "../../../functions/adapters/aws-certificates";
import type { AwsCertificateClients } from "../../../functions/adapters/aws-certificates/clients";
import { iamServerCertificateSource } from "../../../functions/adapters/aws-certificates/iam";
import { secretsManagerSource } from "../../../functions/adapters/aws-certificates/secrets-manager";
import { ssmParameterSource } from "../../../functions/adapters/aws-certificates/ssm";
import { parseConfig } from "../../../functions/core/config";
import { scanContext, scanScope } from "../../support/aws-sources";
import { memoryInventory } from "../../support/in-memory-ports";
import { DAY, issue, pkcs12, privateKeyPem } from "../../support/pki";

const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const iam = mockClient(IAMClient);
const smClient = new SecretsManagerClient({ region: "eu-west-1", maxAttempts: 1 });
const ssmClient = new SSMClient({ region: "eu-west-1", maxAttempts: 1 });
const iamClient = new IAMClient({ region: "us-east-1", maxAttempts: 1 });
const NOW = new Date();
const WHERE = { account: "111122223333", region: "eu-west-1" };
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tls/kafka-broker-AbCdEf";
const PASSWORD = "correct horse battery staple";
const PASSWORD_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tls/p12-password-GhIjKl";
const meta = { $metadata: {}, message: "from the service" };

function secretEntry(fields: Record<string, unknown> = {}) {
  return {
    ARN: SECRET_ARN,
    Name: "tls/kafka-broker",
    Tags: [{ Key: "team", Value: "streaming" }],
    SecretVersionsToStages: { "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111": ["AWSCURRENT"] },
    ...fields,
  };
}

async function expiringWithKey() {
  const leaf = await issue({
    subject: "CN=kafka-1.example.com",
    dnsNames: ["kafka-1.example.com"],
    notAfter: new Date(NOW.getTime() + 5 * DAY),
  });
  const key = await privateKeyPem(leaf.keys);
  return { leaf, key, keyBody: key.split("\n")[1]! };
}

beforeEach(() => {
  sm.reset();
  ssm.reset();
  iam.reset();
});

describe("Secrets Manager", () => {
  it("judges a PEM secret holding a certificate and its private key, and never passes the key on", async () => {
    // Prepare
    const { leaf, key, keyBody } = await expiringWithKey();
    sm.on(ListSecretsCommand).resolves({ SecretList: [secretEntry()] });
    sm.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: `${key}${leaf.pem}` });

    // Act
    const outcome = await scanScope(
      secretsManagerSource(smClient, WHERE, { namePrefix: "tls/", parameters: { ServiceName: "Kafka" } }),
      scanContext(NOW),
    );

    // Assess
    expect(sm.commandCalls(ListSecretsCommand)[0]?.args[0].input).toEqual({
      MaxResults: 100,
      Filters: [{ Key: "name", Values: ["tls/"] }],
    });
    expect(outcome.findings.map((f) => [f.check, f.alarmId, f.severity, f.source])).toEqual([
      ["expiring", "1002", "major", `${SECRET_ARN}#0`],
    ]);
    const [finding] = outcome.findings;
    expect(finding?.message).toMatch(
      /Certificate "CN=kafka-1.example.com" expires on .*, in 5 days\. Renew it/,
    );
    expect(finding?.message).toContain(
      `Where it is: Secrets Manager secret tls/kafka-broker (${SECRET_ARN}) in account 111122223333, eu-west-1; see it with \`aws secretsmanager describe-secret --secret-id ${SECRET_ARN} --region eu-west-1\`.`,
    );
    expect(finding?.parameters).toEqual({
      ServiceName: "Kafka",
      SourceKind: "secrets-manager",
      Account: "111122223333",
      Region: "eu-west-1",
      Arn: SECRET_ARN,
      Name: "tls/kafka-broker",
    });
    const everything = JSON.stringify(outcome);
    expect(everything).not.toContain("PRIVATE KEY");
    expect(everything).not.toContain(keyBody);
  });

  it.each([
    ["JSON fields", (pem: string, key: string) => JSON.stringify({ certificate: pem, privateKey: key })],
    ["base64 DER", (_pem: string, _key: string, der: Uint8Array) => Buffer.from(der).toString("base64")],
  ])("reads a certificate kept as %s", async (_form, value) => {
    // Prepare
    const { leaf, key } = await expiringWithKey();
    sm.on(ListSecretsCommand).resolves({ SecretList: [secretEntry()] });
    sm.on(GetSecretValueCommand).resolves({ SecretString: value(leaf.pem, key, leaf.der) });

    // Act
    const outcome = await scanScope(
      secretsManagerSource(smClient, WHERE, { namePrefix: "tls/" }),
      scanContext(NOW),
    );

    // Assess
    expect(outcome.findings.map((f) => f.check)).toEqual(["expiring"]);
    expect(JSON.stringify(outcome)).not.toContain("PRIVATE KEY");
  });

  it("opens a PKCS#12 secret with the password kept in another secret, which appears nowhere", async () => {
    // Prepare
    const { leaf } = await expiringWithKey();
    const p12 = await pkcs12([leaf.der], { password: PASSWORD });
    // The password secret is under the selection's prefix too: it is not judged as a certificate.
    const passwordEntry = secretEntry({ ARN: PASSWORD_SECRET_ARN, Name: "tls/p12-password" });
    sm.on(ListSecretsCommand).resolves({ SecretList: [secretEntry(), passwordEntry] });
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretBinary: p12 });
    sm.on(GetSecretValueCommand, { SecretId: "tls/p12-password" }).resolves({ SecretString: PASSWORD });
    const config = parseConfig(
      {
        certificates: { sources: [{ prefix: "" }] },
        awsCertificates: {
          secretsManager: [
            { regions: ["eu-west-1"], namePrefix: "tls/", password: { secretName: "tls/p12-password" } },
          ],
        },
      },
      "test",
    );

    // Act
    const clients = {
      acm: never,
      iam: never,
      secretsManager: () => smClient,
      ssm: never,
    } as AwsCertificateClients;
    const ctx = scanContext(NOW);
    const [adapter] = awsSourceAdapters(config.awsCertificates, { clients, ownAccount: "111122223333" }, ctx);
    const outcome = await scanScope(adapter!, ctx);

    // Assess
    expect(outcome?.findings.map((f) => [f.check, f.severity])).toEqual([["expiring", "major"]]);
    expect(outcome.examined).toEqual([SECRET_ARN]);
    expect(JSON.stringify(outcome)).not.toContain(PASSWORD);
  });

  it("keeps only secrets carrying the configured tag with exactly its value", async () => {
    // Prepare
    sm.on(ListSecretsCommand).resolves({
      SecretList: [
        secretEntry(),
        secretEntry({
          ARN: `${SECRET_ARN}x`,
          Name: "tls/other",
          Tags: [{ Key: "team", Value: "streaming-old" }],
        }),
      ],
    });
    sm.on(GetSecretValueCommand).resolves({ SecretString: (await expiringWithKey()).leaf.pem });

    // Act
    const outcome = await scanScope(
      secretsManagerSource(smClient, WHERE, { tags: { team: "streaming" } }),
      scanContext(NOW),
    );

    // Assess
    expect(sm.commandCalls(ListSecretsCommand)[0]?.args[0].input.Filters).toEqual([
      { Key: "tag-key", Values: ["team"] },
    ]);
    expect(outcome.examined).toEqual([SECRET_ARN]);
    expect(outcome.run.scope).toBe("secretsmanager://111122223333/eu-west-1?team=streaming");
  });

  it("judges an unchanged secret (same AWSCURRENT VersionId) without reading its value", async () => {
    // Prepare
    const { leaf } = await expiringWithKey();
    sm.on(ListSecretsCommand).resolves({ SecretList: [secretEntry()] });
    sm.on(GetSecretValueCommand).resolves({ SecretString: leaf.pem });
    const { inventory } = memoryInventory();
    const port = secretsManagerSource(smClient, WHERE, { namePrefix: "tls/" });
    await scanScope(port, scanContext(NOW, inventory));

    // Act
    const again = await scanScope(port, scanContext(NOW, inventory));

    // Assess
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(again.objects).toEqual({ downloaded: 0, reused: 1 });
    expect(again.findings.map((f) => f.check)).toEqual(["expiring"]);
  });

  it.each([
    [
      "KMS refuses to decrypt: a finding, and its alarms stand",
      new DecryptionFailure(meta),
      [["unreadable", "major", /GetSecretValue .*: DecryptionFailure, access denied/]],
      [SECRET_ARN],
    ],
    [
      "throttled: nothing raised, its alarms stand",
      new SecretsManagerServiceException({ ...meta, name: "ThrottlingException", $fault: "client" }),
      [],
      [SECRET_ARN],
    ],
    [
      "a secret holding only a password: a finding about the secret",
      undefined,
      [["unreadable", "major", /holds neither PEM, nor base64 DER or PKCS#12/]],
      [],
    ],
  ] as const)("%s", async (_case, error, findings, notExamined) => {
    // Prepare
    sm.on(ListSecretsCommand).resolves({ SecretList: [secretEntry()] });
    if (error) sm.on(GetSecretValueCommand).rejects(error);
    else sm.on(GetSecretValueCommand).resolves({ SecretString: PASSWORD });

    // Act
    const outcome = await scanScope(
      secretsManagerSource(smClient, WHERE, { namePrefix: "tls/" }),
      scanContext(NOW),
    );

    // Assess
    expect(outcome.findings.map((f) => [f.check, f.severity])).toEqual(findings.map(([c, s]) => [c, s]));
    for (const [i, f] of outcome.findings.entries()) expect(f.message).toMatch(findings[i]![2]);
    expect(outcome.unexamined).toEqual(notExamined);
    expect(JSON.stringify(outcome)).not.toContain(PASSWORD);
  });
});

describe("a refused listing (source-access-denied)", () => {
  // Secrets Manager's common errors name AccessDeniedException, for which its SDK models no class:
  // the SDK raises its service exception under the wire's code. SSM's SDK has the class.
  const smDenied = () =>
    new SecretsManagerServiceException({ ...meta, name: "AccessDeniedException", $fault: "client" });
  const config = parseConfig(
    {
      certificates: { sources: [{ prefix: "" }] },
      awsCertificates: {
        secretsManager: [
          { regions: ["eu-west-1"], namePrefix: "tls/", password: { secretName: "tls/p12-password" } },
        ],
        ssmParameters: [{ regions: ["eu-west-1"], path: "/tls/" }],
      },
    },
    "test",
  );
  const adapters = () => {
    const clients = {
      acm: never,
      iam: never,
      secretsManager: () => smClient,
      ssm: () => ssmClient,
    } as AwsCertificateClients;
    return awsSourceAdapters(
      config.awsCertificates,
      { clients, ownAccount: "111122223333" },
      scanContext(NOW),
    );
  };

  it.each([
    {
      case: "ListSecrets denied",
      prepare: () => {
        sm.on(GetSecretValueCommand).resolves({ SecretString: PASSWORD });
        sm.on(ListSecretsCommand).rejects(smDenied());
      },
      scope: "secretsmanager://111122223333/eu-west-1/tls/",
      message:
        "Secrets Manager secrets in account 111122223333, eu-west-1 could not be listed (secretsmanager://111122223333/eu-west-1/tls/): ListSecrets in 111122223333/eu-west-1: AccessDeniedException, access denied. The scan needs secretsmanager:ListSecrets. Until it can list them, none of these certificates is re-checked, and the alarms raised about them stand.",
    },
    {
      case: "the selection's password secret denied",
      prepare: () => sm.on(GetSecretValueCommand, { SecretId: "tls/p12-password" }).rejects(smDenied()),
      scope: "secretsmanager://111122223333/eu-west-1/tls/",
      message:
        "Secrets Manager secrets in account 111122223333, eu-west-1 could not be listed (secretsmanager://111122223333/eu-west-1/tls/): GetSecretValue tls/p12-password: AccessDeniedException, access denied. The scan needs secretsmanager:GetSecretValue on the password secret tls/p12-password. Until it can list them, none of these certificates is re-checked, and the alarms raised about them stand.",
    },
    {
      case: "DescribeParameters denied",
      prepare: () =>
        ssm.on(DescribeParametersCommand).rejects(new SsmAccessDenied({ ...meta, Message: meta.message })),
      scope: "ssm://111122223333/eu-west-1/tls/",
      message:
        "Parameter Store parameters in account 111122223333, eu-west-1 could not be listed (ssm://111122223333/eu-west-1/tls/): DescribeParameters in 111122223333/eu-west-1: AccessDeniedException, access denied. The scan needs ssm:DescribeParameters. Until it can list them, none of these certificates is re-checked, and the alarms raised about them stand.",
    },
  ])(
    "$case: one major finding about the scope, the run partial, nothing examined",
    async ({ prepare, scope, message }) => {
      // Prepare
      prepare();
      const adapter = adapters().find((a) => a.scope === scope)!;

      // Act
      const outcome = await scanScope(adapter, scanContext(NOW));

      // Assess
      expect(outcome.findings.map((f) => [f.check, f.alarmId, f.severity, f.source, f.message])).toEqual([
        ["source-access-denied", "1060", "major", scope, message],
      ]);
      expect(outcome).toMatchObject({ complete: false, examined: [], listed: false });
      expect(JSON.stringify(outcome)).not.toContain(PASSWORD);
    },
  );
});

describe("Parameter Store", () => {
  it("lists a path over NextToken pages and reads each SecureString with decryption", async () => {
    // Prepare
    const { leaf, key } = await expiringWithKey();
    const param = (name: string) => ({
      Name: name,
      ARN: `arn:aws:ssm:eu-west-1:111122223333:parameter${name}`,
      Type: "SecureString" as const,
      Version: 3,
    });
    ssm
      .on(DescribeParametersCommand, { NextToken: undefined })
      .resolves({ Parameters: [param("/tls/kafka/cert")], NextToken: "next" })
      .on(DescribeParametersCommand, { NextToken: "next" })
      .resolves({ Parameters: [param("/tls/flink/cert")] });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: `${leaf.pem}${key}`, Version: 3 } });

    // Act
    const outcome = await scanScope(
      ssmParameterSource(ssmClient, WHERE, { path: "/tls/", recursive: true, tags: { env: "prod" } }),
      scanContext(NOW),
    );

    // Assess
    expect(ssm.commandCalls(DescribeParametersCommand)[0]?.args[0].input.ParameterFilters).toEqual([
      { Key: "Path", Option: "Recursive", Values: ["/tls"] },
      { Key: "tag:env", Option: "Equals", Values: ["prod"] },
    ]);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: "/tls/kafka/cert", WithDecryption: true },
      { Name: "/tls/flink/cert", WithDecryption: true },
    ]);
    expect(
      outcome.findings.map((f) => [f.check, f.severity, f.parameters?.SourceKind, f.parameters?.Name]),
    ).toEqual([
      ["expiring", "major", "ssm-parameter", "/tls/kafka/cert"],
      ["expiring", "major", "ssm-parameter", "/tls/flink/cert"],
    ]);
    expect(JSON.stringify(outcome)).not.toContain("PRIVATE KEY");
  });
});

describe("IAM server certificates", () => {
  it("lists over Marker pages and judges each certificate with its chain", async () => {
    // Prepare
    const { leaf } = await expiringWithKey();
    const metadata = (name: string) => ({
      Path: "/cloudfront/",
      ServerCertificateName: name,
      ServerCertificateId: `ASCA${name.toUpperCase()}EXAMPLE`,
      Arn: `arn:aws:iam::111122223333:server-certificate/cloudfront/${name}`,
      UploadDate: new Date("2026-01-01T00:00:00Z"),
      Expiration: leaf.cert.notAfter,
    });
    iam
      .on(ListServerCertificatesCommand, { Marker: undefined })
      .resolves({ ServerCertificateMetadataList: [metadata("shop")], IsTruncated: true, Marker: "m1" })
      .on(ListServerCertificatesCommand, { Marker: "m1" })
      .resolves({ ServerCertificateMetadataList: [metadata("gone")], IsTruncated: false });
    iam
      .on(GetServerCertificateCommand, { ServerCertificateName: "shop" })
      .resolves({
        ServerCertificate: { ServerCertificateMetadata: metadata("shop"), CertificateBody: leaf.pem },
      })
      .on(GetServerCertificateCommand, { ServerCertificateName: "gone" })
      .rejects(new NoSuchEntityException(meta));

    // Act
    const outcome = await scanScope(
      iamServerCertificateSource(iamClient, { account: "111122223333" }, { pathPrefix: "/cloudfront/" }),
      scanContext(NOW),
    );

    // Assess
    expect(outcome.findings.map((f) => [f.check, f.severity, f.source])).toEqual([
      ["expiring", "major", "arn:aws:iam::111122223333:server-certificate/cloudfront/shop#0"],
    ]);
    expect(outcome.findings[0]?.message).toContain(
      "`aws iam get-server-certificate --server-certificate-name shop`",
    );
    expect(outcome.findings[0]?.parameters).toMatchObject({
      SourceKind: "iam-server-certificate",
      Region: "global",
    });
    expect(outcome).toMatchObject({ complete: true, unexamined: [] });
  });
});

function never(): never {
  throw new Error("not used by this test");
}
