/**
 * The four stores of `awsCertificates` on their SDK clients (clients.ts): what
 * core/aws-certificates/scan-all.ts reads through. Passwords of PKCS#12 values are read here and
 * handed on in memory only.
 */
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import type { AwsStores } from "../../core/aws-certificates/scan-all";
import { acmSource } from "./acm";
import type { AwsCertificateClients } from "./clients";
import { callFailure } from "./errors";
import { iamServerCertificateSource } from "./iam";
import { secretsManagerSource } from "./secrets-manager";
import { ssmParameterSource } from "./ssm";

export function awsStores(clients: AwsCertificateClients, options: { partition?: string } = {}): AwsStores {
  return {
    acm: (account, region, selection) =>
      acmSource(clients.acm(account, region), { account, region }, { tags: selection.tags }),
    iam: (account, selection) =>
      iamServerCertificateSource(clients.iam(account), { account }, { pathPrefix: selection.pathPrefix }),
    secretsManager: (account, region, selection) =>
      secretsManagerSource(
        clients.secretsManager(account, region),
        { account, region },
        { namePrefix: selection.namePrefix, tags: selection.tags },
      ),
    ssm: (account, region, selection) =>
      ssmParameterSource(
        clients.ssm(account, region),
        { account, region, ...(options.partition ? { partition: options.partition } : {}) },
        { path: selection.path, recursive: selection.recursive, tags: selection.tags },
      ),
    async password(account, region, source) {
      if ("secretName" in source) {
        try {
          const { SecretString } = await clients
            .secretsManager(account, region)
            .send(new GetSecretValueCommand({ SecretId: source.secretName }));
          if (SecretString === undefined) {
            return {
              ok: false,
              detail: `GetSecretValue ${source.secretName}: the secret holds no string value`,
            };
          }
          return { ok: true, value: SecretString };
        } catch (error) {
          return callFailure(error, `GetSecretValue ${source.secretName}`);
        }
      }
      try {
        const { Parameter } = await clients
          .ssm(account, region)
          .send(new GetParameterCommand({ Name: source.parameterName, WithDecryption: true }));
        if (Parameter?.Value === undefined) {
          return { ok: false, detail: `GetParameter ${source.parameterName}: the parameter holds no value` };
        }
        return { ok: true, value: Parameter.Value };
      } catch (error) {
        return callFailure(error, `GetParameter ${source.parameterName}`);
      }
    },
  };
}
