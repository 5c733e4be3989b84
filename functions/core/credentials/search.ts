/**
 * Where the AWS SDK for JavaScript v3 looks for the caller's own credentials, in the order its
 * default provider chain tries them (@aws-sdk/credential-provider-node: environment variables, SSO
 * token cache, shared config and credentials files, credential_process, web identity token file,
 * then container credentials or the EC2 instance metadata service), told for one environment so a
 * "no credentials" finding says exactly which places came up empty.
 */

export function describeCredentialSearch(env: Readonly<Record<string, string | undefined>>): string {
  const profile = env.AWS_PROFILE
    ? `the profile "${env.AWS_PROFILE}" (AWS_PROFILE)`
    : 'the profile "default"';
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? "~/.aws/credentials";
  const configFile = env.AWS_CONFIG_FILE ?? "~/.aws/config";
  const imdsDisabled =
    env.AWS_EC2_METADATA_DISABLED !== undefined && env.AWS_EC2_METADATA_DISABLED !== "false";
  const remote =
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI
      ? "the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*_URI)"
      : imdsDisabled
        ? "the EC2 instance metadata service (switched off by AWS_EC2_METADATA_DISABLED)"
        : "the EC2 instance metadata service (none answered)";
  return (
    "the SDK looked for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, " +
    `${profile} in ${credentialsFile} and ${configFile} (keys, SSO or credential_process), ` +
    `a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE${env.AWS_WEB_IDENTITY_TOKEN_FILE ? "" : ", not set"}), ` +
    `and ${remote}`
  );
}

/** The SDK's error when its whole chain came up empty (CredentialsProviderError, @smithy/property-provider). */
export const NO_CREDENTIALS_CODE = "CredentialsProviderError";
