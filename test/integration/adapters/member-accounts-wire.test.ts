/**
 * The member-account session factory over the services' real wire protocols: STS's AssumeRole
 * (awsQuery XML) from a loopback stand-in, then ACM, IAM, Secrets Manager and Parameter Store read
 * with the SDK v3 clients the factory hands out, each request signed with the member session's key.
 */
import {
  ACMClient,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ListCertificatesCommand,
} from "@aws-sdk/client-acm";
import { GetServerCertificateCommand, IAMClient, ListServerCertificatesCommand } from "@aws-sdk/client-iam";
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memberAccountSessions } from "../../../functions/adapters/member-accounts";
import { type AwsStandIn, startAwsStandIn } from "../../support/aws-certificate-stand-ins";
import { DAY, issue } from "../../support/pki";

const MEMBER = "210987654321";
const REGION = "eu-west-1";
const EXTERNAL_ID = "wp-7f3c9a2b";
const NOW = new Date();

let standIn: AwsStandIn;
let pem: string;

beforeAll(async () => {
  pem = (await issue({ subject: "CN=api.example.com", dnsNames: ["api.example.com"] })).pem;
  standIn = await startAwsStandIn({
    pageSize: 1,
    roles: [
      {
        roleArn: `arn:aws:iam::${MEMBER}:role/watchpost-reader`,
        externalId: EXTERNAL_ID,
        accessKeyId: "ASIAMEMBERSESSION01",
        expiration: new Date(NOW.getTime() + 3_600_000),
      },
    ],
    acm: [
      {
        arn: `arn:aws:acm:${REGION}:${MEMBER}:certificate/11111111-2222-3333-4444-555555555555`,
        domainName: "api.example.com",
        type: "IMPORTED",
        notBefore: new Date(NOW.getTime() - DAY),
        notAfter: new Date(NOW.getTime() + 20 * DAY),
        certificate: pem,
      },
      {
        arn: `arn:aws:acm:${REGION}:${MEMBER}:certificate/66666666-7777-8888-9999-000000000000`,
        domainName: "www.example.com",
        type: "AMAZON_ISSUED",
        notBefore: new Date(NOW.getTime() - DAY),
        notAfter: new Date(NOW.getTime() + 20 * DAY),
        renewalEligibility: "INELIGIBLE",
      },
    ],
    iam: [
      {
        name: "legacy-elb",
        path: "/elb/",
        id: "ASCAEXAMPLE123",
        arn: `arn:aws:iam::${MEMBER}:server-certificate/elb/legacy-elb`,
        uploadDate: new Date(NOW.getTime() - DAY),
        expiration: new Date(NOW.getTime() + 20 * DAY),
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
afterAll(() => standIn.close());

function sessions(externalId: string) {
  return memberAccountSessions({
    selfAccountId: "123456789012",
    readerRoleName: "watchpost-reader",
    externalId,
    sessionDurationSeconds: 3600,
    stsClient: new STSClient({
      region: REGION,
      endpoint: standIn.url,
      maxAttempts: 1,
      credentials: {
        accessKeyId: "ASIASCANROLE00000001",
        secretAccessKey: "caller-secret",
        sessionToken: "caller-token",
      },
    }),
    clientOptions: () => ({ endpoint: standIn.url, maxAttempts: 1 }),
  });
}

describe("a member account read over the wire", () => {
  it("reads one item of each kind with the member session, paging where the service pages", async () => {
    // Prepare
    standIn.requests.length = 0;
    const accounts = sessions(EXTERNAL_ID);

    // Act
    const access = await accounts.access(MEMBER);
    if (!access.reachable) throw new Error(access.message);
    const acm = access.client(ACMClient, REGION);
    const first = await acm.send(new ListCertificatesCommand({}));
    const second = await acm.send(new ListCertificatesCommand({ NextToken: first.NextToken }));
    const described = await acm.send(
      new DescribeCertificateCommand({ CertificateArn: second.CertificateSummaryList?.[0]?.CertificateArn }),
    );
    const imported = await acm.send(
      new GetCertificateCommand({ CertificateArn: first.CertificateSummaryList?.[0]?.CertificateArn }),
    );
    const iam = access.client(IAMClient, "us-east-1");
    const listed = await iam.send(new ListServerCertificatesCommand({ PathPrefix: "/elb/" }));
    const server = await iam.send(
      new GetServerCertificateCommand({
        ServerCertificateName: listed.ServerCertificateMetadataList?.[0]?.ServerCertificateName,
      }),
    );
    const secrets = access.client(SecretsManagerClient, REGION);
    const secretList = await secrets.send(new ListSecretsCommand({}));
    const secret = await secrets.send(
      new GetSecretValueCommand({ SecretId: secretList.SecretList?.[0]?.ARN }),
    );
    const ssm = access.client(SSMClient, REGION);
    const parameters = await ssm.send(new DescribeParametersCommand({}));
    const parameter = await ssm.send(
      new GetParameterCommand({ Name: parameters.Parameters?.[0]?.Name, WithDecryption: true }),
    );
    accounts.close();

    // Assess
    expect(described.Certificate).toMatchObject({
      DomainName: "www.example.com",
      Type: "AMAZON_ISSUED",
      RenewalEligibility: "INELIGIBLE",
    });
    expect(described.Certificate?.NotAfter).toBeInstanceOf(Date);
    expect(imported.Certificate).toBe(pem);
    expect(server.ServerCertificate?.CertificateBody).toBe(pem);
    expect(server.ServerCertificate?.ServerCertificateMetadata?.Expiration).toBeInstanceOf(Date);
    expect(secret.SecretString).toBe(pem);
    expect(parameter.Parameter?.Value).toBe(pem);
    expect(standIn.requests.map((r) => [r.operation, r.accessKeyId])).toEqual([
      ["sts:AssumeRole", "ASIASCANROLE00000001"],
      ["acm:ListCertificates", "ASIAMEMBERSESSION01"],
      ["acm:ListCertificates", "ASIAMEMBERSESSION01"],
      ["acm:DescribeCertificate", "ASIAMEMBERSESSION01"],
      ["acm:GetCertificate", "ASIAMEMBERSESSION01"],
      ["iam:ListServerCertificates", "ASIAMEMBERSESSION01"],
      ["iam:GetServerCertificate", "ASIAMEMBERSESSION01"],
      ["secretsmanager:ListSecrets", "ASIAMEMBERSESSION01"],
      ["secretsmanager:GetSecretValue", "ASIAMEMBERSESSION01"],
      ["ssm:DescribeParameters", "ASIAMEMBERSESSION01"],
      ["ssm:GetParameter", "ASIAMEMBERSESSION01"],
    ]);
    expect(standIn.requests[0]?.input).toMatchObject({
      RoleArn: `arn:aws:iam::${MEMBER}:role/watchpost-reader`,
      RoleSessionName: "watchpost-scan",
      DurationSeconds: "3600",
      ExternalId: EXTERNAL_ID,
    });
  });

  it("reports the account not reachable when STS refuses the external ID, and reads nothing there", async () => {
    // Prepare
    standIn.requests.length = 0;
    const accounts = sessions("wp-wrong-guess");

    // Act
    const access = await accounts.access(MEMBER);
    accounts.close();

    // Assess
    expect(access).toMatchObject({ reachable: false, account: MEMBER, reason: "trust-refused" });
    expect(access.reachable ? "" : access.message).not.toContain("wp-wrong-guess");
    expect(standIn.requests.map((r) => r.operation)).toEqual(["sts:AssumeRole"]);
  });
});
