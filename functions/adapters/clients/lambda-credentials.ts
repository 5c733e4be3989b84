/**
 * The credential provider of the Lambda bundles. lib/bundling.ts has esbuild put this module in
 * place of @aws-sdk/credential-provider-node, whose `defaultProvider` every SDK client calls when it
 * is given no credentials. The SDK's chain also reads profile files, SSO and login caches, a
 * credential process, a web-identity token file and EC2 instance metadata, and bundles the STS,
 * SSO, OIDC and sign-in clients it needs for them (about 95 kB of each bundle); none of them exists
 * in Lambda.
 *
 * In Lambda the execution role's credentials are in the environment: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN ("Access keys obtained from the function's execution
 * role", AWS Lambda Developer Guide, "Defined runtime environment variables",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 * The one other source Lambda documents is the container credentials endpoint it gives SnapStart
 * functions instead (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN; "Activating
 * and managing Lambda SnapStart", https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html),
 * read here only when those variables are set. The CLI and `npm start` are not bundled and keep
 * the SDK's whole chain.
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";
import { fromHttp } from "@aws-sdk/credential-provider-http";
import { CredentialsProviderError, memoize } from "@smithy/core/config";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from "@smithy/types";

const CONTAINER_URI_VARIABLES = [
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
] as const;

/** The SDK's own margin (credential-provider-node): refreshed five minutes before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

function expiresSoon(credentials: AwsCredentialIdentity): boolean {
  return (
    credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < REFRESH_MARGIN_MS
  );
}

/** The same name and call as @aws-sdk/credential-provider-node's, which the SDK clients import. */
export function defaultProvider(init: { logger?: Logger } = {}): AwsCredentialIdentityProvider {
  const provider: AwsCredentialIdentityProvider = async () => {
    if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)();
    if (CONTAINER_URI_VARIABLES.some((name) => process.env[name])) return fromHttp(init)();
    throw new CredentialsProviderError(
      "No AWS credentials in the environment: Lambda sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY " +
        "and AWS_SESSION_TOKEN from the execution role (or AWS_CONTAINER_CREDENTIALS_FULL_URI); " +
        "this bundle reads no profile file, SSO cache or instance metadata",
      { logger: init.logger, tryNextLink: false },
    );
  };
  return memoize(provider, expiresSoon, (credentials) => credentials.expiration !== undefined);
}
