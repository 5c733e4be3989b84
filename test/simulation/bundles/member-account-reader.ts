/**
 * Entry of the bundle test/simulation/node24-member-accounts.test.ts runs on Node 24: the member
 * account sessions and the SDK v3 clients of the four AWS certificate kinds, bundled with the
 * functions' own esbuild options, reading one item of each kind. Endpoints come from the
 * environment (AWS_ENDPOINT_URL_<SERVICE>), as in the deployed functions.
 */
import { ACMClient, GetCertificateCommand, ListCertificatesCommand } from "@aws-sdk/client-acm";
import { GetServerCertificateCommand, IAMClient, ListServerCertificatesCommand } from "@aws-sdk/client-iam";
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { memberAccountSessions } from "../../../functions/adapters/member-accounts";

interface Event {
  account: string;
  region: string;
  externalId: string;
}

export async function handler(event: Event) {
  const sessions = memberAccountSessions({
    selfAccountId: "123456789012",
    readerRoleName: "watchpost-reader",
    externalId: event.externalId,
    sessionDurationSeconds: 3600,
    clientOptions: () => ({ maxAttempts: 1 }),
  });
  try {
    const access = await sessions.access(event.account);
    if (!access.reachable) return { reachable: false, reason: access.reason, message: access.message };
    const acm = access.client(ACMClient, event.region);
    const certificates = await acm.send(new ListCertificatesCommand({}));
    const acmPem = await acm.send(
      new GetCertificateCommand({ CertificateArn: certificates.CertificateSummaryList?.[0]?.CertificateArn }),
    );
    const iam = access.client(IAMClient, "us-east-1");
    const serverList = await iam.send(new ListServerCertificatesCommand({}));
    const server = await iam.send(
      new GetServerCertificateCommand({
        ServerCertificateName: serverList.ServerCertificateMetadataList?.[0]?.ServerCertificateName,
      }),
    );
    const secrets = access.client(SecretsManagerClient, event.region);
    const secretList = await secrets.send(new ListSecretsCommand({}));
    const secret = await secrets.send(
      new GetSecretValueCommand({ SecretId: secretList.SecretList?.[0]?.ARN }),
    );
    const ssm = access.client(SSMClient, event.region);
    const parameters = await ssm.send(new DescribeParametersCommand({}));
    const parameter = await ssm.send(
      new GetParameterCommand({ Name: parameters.Parameters?.[0]?.Name, WithDecryption: true }),
    );
    return {
      reachable: true,
      acm: acmPem.Certificate,
      iam: server.ServerCertificate?.CertificateBody,
      secretsManager: secret.SecretString,
      ssm: parameter.Parameter?.Value,
    };
  } finally {
    sessions.close();
  }
}
