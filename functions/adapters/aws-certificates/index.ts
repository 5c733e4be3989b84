/**
 * The adapters of `awsCertificates`: one per configured selection × account × region, on the
 * clients of that account (clients.ts; a member account's reader role comes in there). The
 * certificate scan builds them for each invocation (handlers/certificate-scan/deps.ts).
 */
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import type { AwsCertificates, PasswordSource } from "../../core/config";
import type { StoreScanContext } from "../../core/scan/ports";
import type { SourceAdapter } from "../../core/scan/source-adapter";
import { acmSource } from "./acm";
import type { AwsCertificateClients } from "./clients";
import { callFailure } from "./errors";
import { iamServerCertificateSource } from "./iam";
import { type PasswordReader, secretsManagerSource } from "./secrets-manager";
import { ssmParameterSource } from "./ssm";

export { type AwsCertificateClients, awsCertificateClients } from "./clients";

export interface AwsSourceWiring {
  clients: AwsCertificateClients;
  /** The account the stack runs in: what a selection without `accounts` reads. */
  ownAccount: string;
  /** "aws", "aws-cn", "aws-us-gov": for the ARNs the adapters write themselves. */
  partition?: string;
}

export function awsSourceAdapters(
  config: AwsCertificates,
  wiring: AwsSourceWiring,
  ctx: Pick<StoreScanContext, "now" | "certificates">,
): SourceAdapter[] {
  const { clients } = wiring;
  const accountsOf = (s: { accounts?: string[] | undefined }) => s.accounts ?? [wiring.ownAccount];
  const policy = () => ({ now: ctx.now, ...ctx.certificates.thresholds });
  const adapters: SourceAdapter[] = [];
  for (const selection of config.acm) {
    for (const account of accountsOf(selection)) {
      for (const region of selection.regions) {
        adapters.push(
          acmSource(clients.acm(account, region), { account, region }, selection, policy) as SourceAdapter,
        );
      }
    }
  }
  for (const selection of config.iamServerCertificates) {
    for (const account of accountsOf(selection)) {
      adapters.push(
        iamServerCertificateSource(clients.iam(account), { account }, selection) as SourceAdapter,
      );
    }
  }
  for (const selection of config.secretsManager) {
    for (const account of accountsOf(selection)) {
      for (const region of selection.regions) {
        const password = selection.password
          ? passwordReader(clients, account, region, selection.password)
          : undefined;
        adapters.push(
          secretsManagerSource(
            clients.secretsManager(account, region),
            { account, region },
            selection,
            password,
          ) as SourceAdapter,
        );
      }
    }
  }
  for (const selection of config.ssmParameters) {
    for (const account of accountsOf(selection)) {
      for (const region of selection.regions) {
        const password = selection.password
          ? passwordReader(clients, account, region, selection.password)
          : undefined;
        adapters.push(
          ssmParameterSource(
            clients.ssm(account, region),
            { account, region, ...(wiring.partition ? { partition: wiring.partition } : {}) },
            selection,
            password,
          ) as SourceAdapter,
        );
      }
    }
  }
  return adapters;
}

/** The password of a selection's PKCS#12 values, from a secret or a parameter of the same account and region. */
function passwordReader(
  clients: AwsCertificateClients,
  account: string,
  region: string,
  source: PasswordSource,
): PasswordReader {
  if ("secretName" in source) {
    return {
      hint: `the password secret ${source.secretName}`,
      read: async () => {
        let value: string | undefined;
        try {
          value = (
            await clients
              .secretsManager(account, region)
              .send(new GetSecretValueCommand({ SecretId: source.secretName }))
          ).SecretString;
        } catch (error) {
          throw new Error(callFailure(error, `GetSecretValue ${source.secretName}`).detail);
        }
        if (value === undefined) throw new Error(`the secret ${source.secretName} holds no string value`);
        return value;
      },
    };
  }
  return {
    hint: `the password parameter ${source.parameterName}`,
    read: async () => {
      let value: string | undefined;
      try {
        value = (
          await clients
            .ssm(account, region)
            .send(new GetParameterCommand({ Name: source.parameterName, WithDecryption: true }))
        ).Parameter?.Value;
      } catch (error) {
        throw new Error(callFailure(error, `GetParameter ${source.parameterName}`).detail);
      }
      if (value === undefined) throw new Error(`the parameter ${source.parameterName} holds no value`);
      return value;
    },
  };
}
