/**
 * The credential check of the sample run: two clusters reach the bucket `cluster-data` by assuming
 * their role ("agency") through STS. The local STS issues real-looking temporary credentials for
 * both, but only the HBase cluster's key is registered with the store; the Spark cluster's key is
 * one the store has never heard of (as when STS answers for another account or partition), so the
 * store refuses it with InvalidAccessKeyId and the check reports `credentials-rejected`. Any other
 * role is refused by STS itself (AccessDenied, as for a cluster unbound from its agency).
 */
import type { CredentialTargetInput } from "../../functions/core/credentials/target";
import type { AssumeRoleAnswer, AssumeRoleRequest } from "../local/sts";
import { newTemporaryCredentials } from "../local/sts";

export const CREDENTIALS_BUCKET = "cluster-data";
const ACCOUNT = "111122223333";
export const KNOWN_KEY_ROLE = `arn:aws:iam::${ACCOUNT}:role/hbase-agency`;
export const UNKNOWN_KEY_ROLE = `arn:aws:iam::${ACCOUNT}:role/spark-agency`;

export function sampleCredentialTargets(endpoints: { sts: string; s3: string }): CredentialTargetInput[] {
  const common = {
    bucket: CREDENTIALS_BUCKET,
    region: "us-east-1",
    stsEndpoint: endpoints.sts,
    s3Endpoint: endpoints.s3,
    forcePathStyle: true,
    timeoutMs: 3000,
  };
  return [
    {
      name: "hbase-prod",
      roleArn: KNOWN_KEY_ROLE,
      externalId: "cluster-7",
      prefix: "hbase/",
      writeProbe: true,
      parameters: { ServiceName: "HBase", RoleName: "hbase-agency", HostName: "hbase-master-1" },
      ...common,
    },
    {
      name: "spark-prod",
      roleArn: UNKNOWN_KEY_ROLE,
      prefix: "spark/",
      parameters: { ServiceName: "Spark", RoleName: "spark-agency", HostName: "spark-driver-1" },
      ...common,
    },
  ];
}

/** Who may assume what, for the local STS. */
export function sampleStsPolicy(
  request: AssumeRoleRequest,
  store: { registerKey(accessKeyId: string, secretAccessKey: string): void },
): AssumeRoleAnswer {
  if (request.roleArn === KNOWN_KEY_ROLE || request.roleArn === UNKNOWN_KEY_ROLE) {
    const issued = newTemporaryCredentials();
    if (request.roleArn === KNOWN_KEY_ROLE) store.registerKey(issued.accessKeyId, issued.secretAccessKey);
    return { credentials: issued };
  }
  return {
    error: {
      status: 403,
      code: "AccessDenied",
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/watchpost-credential-check is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`,
    },
  };
}
