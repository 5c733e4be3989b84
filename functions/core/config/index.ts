/** The deployment configuration: the schema (schema.ts and one module per section) and how it is read. */

export {
  AccountId,
  type AcmSelection,
  type AwsCertificates,
  type IamSelection,
  type ParameterSelection,
  type PasswordSource,
  type SecretSelection,
} from "./aws-sources";
export { keystoreSecretNames, peerTrustStoreKey, readablePrefixes } from "./certificates";
export { CHAINED_SESSION_MAX_SECONDS } from "./credentials";
export { regionOfArn } from "./fields";
export { LIMITS } from "./limits";
export { ConfigError, formatPath, parseConfig, parseConfigText } from "./parse";
export {
  type CertificateSource,
  configJsonSchema,
  type EndpointTarget,
  type PeerGroup,
  WatchpostConfig,
  type WatchpostConfigInput,
  type Webhook,
} from "./schema";
