/**
 * Upper bounds on lists. Generous for any real deployment; they exist so a generated or pasted
 * file with thousands of entries stops at synth with a message, instead of producing IAM policies,
 * event patterns or an esbuild command line that fail later with an obscure error.
 */
export const LIMITS = {
  sources: 50,
  hostnames: 100,
  hostnamesByKey: 100,
  passwordsByKey: 100,
  parametersByKey: 100,
  /** Parameters declared in one place (a source, a key pattern). */
  parameters: 20,
  peerGroups: 20,
  endpoints: 100,
  credentialTargets: 50,
  /**
   * Member accounts the sources may name: the stack writes one reader-role ARN per account into the
   * scan's sts:AssumeRole statement, and an inline role policy holds at most 10,240 characters.
   */
  memberAccounts: 100,
  emailRecipients: 50,
  chatChannels: 20,
  webhooks: 20,
  silences: 100,
  /** hosts.silentAfterByHost */
  silenceRules: 100,
  /** Characters of all prefixes and keys the scan may read, which the stack writes into IAM policies. */
  readableKeyCharacters: 4096,
  /**
   * Distinct keystore password secrets, and the characters of their names: the stack writes each
   * secret's ARN twice into the scan's IAM policies (GetSecretValue, and kms:Decrypt's condition).
   */
  keystoreSecrets: 100,
  keystoreSecretCharacters: 4096,
  /** awsCertificates: selections per kind, and the accounts and regions one selection names. */
  awsSelections: 20,
  awsAccounts: 100,
  awsRegions: 30,
  /** Size of the configuration file itself. */
  fileBytes: 1024 * 1024,
} as const;

export const atMost = (limit: number, what: string) => `expected at most ${limit} ${what}`;
