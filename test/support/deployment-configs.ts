/**
 * Configurations the deployment simulation synthesizes (scripts/synth-matrix.ts and the tests):
 * the smallest one the schema accepts, one that switches every feature on with every list at the
 * largest size the schema allows, what a user's account already has (an existing bucket, one with
 * SSE-KMS under another account's key, an own security group), and one for each partition other
 * than `aws`. Generated, so the sizes follow LIMITS in functions/core/config.ts.
 */
import { LIMITS, type WatchpostConfigInput } from "../../functions/core/config";
import type { Severity } from "../../functions/core/contracts";

export const ACCOUNT = "123456789012";

import { minimalConfig } from "../infra/support";

export { minimalConfig };

const SEVERITY_CYCLE: Severity[] = ["critical", "major", "minor", "warning"];
const pad = (text: string, length: number, fill = "x") =>
  text + fill.repeat(Math.max(0, length - text.length));
const host = (i: number, j: number) => `${pad(`h${i}-${j}`, 50, "a")}.example.com`;

/**
 * Every feature on, every list at its limit: 50 sources (each with a CA bundle, a keystore
 * password secret and one more by key pattern, 100 distinct secrets in all, 100 host names, key
 * patterns, 20 location parameters and parameters by key with captures), 20 peer groups of six peers
 * (each with a trust store of its own), 50 credential targets (half with
 * a role, half probed with the function's own role and a write probe), Scheduler with time zones,
 * 100 endpoints on 100 ports in 16 subnets, 50 email recipients, 20 Slack and 20 Teams channels, 20 webhooks of every format, 100 silences with the longest
 * reasons, an existing bucket with a customer KMS key; the readable keys add up to the 4096
 * characters LIMITS allows. Under the 1 MiB file limit.
 */
export function largestConfig(): WatchpostConfigInput {
  // Two keystore password secrets a source, names of equal length, filling LIMITS.keystoreSecrets
  // and LIMITS.keystoreSecretCharacters.
  const secretLength = Math.floor(LIMITS.keystoreSecretCharacters / LIMITS.keystoreSecrets);
  const secretName = (name: string) => pad(name, secretLength, "k");
  // Prefixes and outside keys share LIMITS.readableKeyCharacters.
  // Each group: its CA bundle, and each of six peers a certificate and a trust store of its own.
  const peerKeys = LIMITS.peerGroups * 13;
  const keyRoom = LIMITS.readableKeyCharacters - peerKeys * 12;
  const prefixLength = Math.floor(keyRoom / LIMITS.sources) - 1;
  const sources = Array.from({ length: LIMITS.sources }, (_, i) => ({
    prefix: `${pad(`s${i}-`, prefixLength - 1, "p")}/`,
    expectedHostnames: Array.from({ length: LIMITS.hostnames }, (_, j) => host(i, j)),
    hostnamesByKey: Array.from({ length: 4 }, (_, j) => ({
      keyPattern: `s${i}-**/ingress-${j}/*.pem`,
      hostnames: Array.from({ length: 5 }, (_, k) => `*.apps${j}-${k}.example.com`),
    })),
    caBundleKey: `${pad(`s${i}-`, prefixLength - 1, "p")}/ca.pem`,
    // Half under the former name, which is still accepted.
    ...(i % 2 === 0
      ? { keystorePasswordSecretName: secretName(`watchpost/ks-${i}-`) }
      : { pkcs12PasswordSecretName: secretName(`watchpost/p12-${i}-`) }),
    keystorePasswordsByKey: Array.from({ length: 4 }, (_, j) => ({
      keyPattern: `s${i}-**/{HostName}/opt/flink-${j}/ha/**`,
      secretName: secretName(`watchpost/flink-ha-${i}-`),
    })),
    parameters: Object.fromEntries(
      Array.from({ length: LIMITS.parameters }, (_, j) => [
        j === 0 ? "Cluster" : `Label${j}`,
        pad(`cluster-${i}-`, 256, "v"),
      ]),
    ),
    parametersByKey: Array.from({ length: 4 }, (_, j) => ({
      keyPattern: `s${i}-**/{HostName}/opt/{ServiceName}-${j}/**`,
      parameters: { RoleName: `Server${j}` },
    })),
  }));
  const peerGroups = Array.from({ length: LIMITS.peerGroups }, (_, g) => ({
    name: `group-${g}`,
    caBundleKey: `g/${String(g).padStart(2, "0")}/ca.pem`,
    peers: Array.from({ length: 6 }, (_, p) => ({
      fqdn: `n${p}.g${g}.example.com`,
      certificateKey: `g/${String(g).padStart(2, "0")}/n${p}.pem`,
      endpoint: `n${p}.g${g}.example.com:2379`,
      // Java truststores opened with a secret the sources already name (the secrets are at their limit).
      trustStore: {
        key: `g/${String(g).padStart(2, "0")}/n${p}.jks`,
        passwordSecretName: secretName(`watchpost/ks-${(g * 2) % LIMITS.sources}-`),
      },
    })),
  }));
  const targets = Array.from({ length: LIMITS.credentialTargets }, (_, i) =>
    i % 2 === 0
      ? {
          name: `agency-${i}`,
          roleArn: `arn:aws:iam::${ACCOUNT}:role/cluster-${i}-agency`,
          externalId: `cluster-${i}`,
          bucket: `cluster-${i}-data`,
          prefix: "metadata/",
          region: "eu-west-1",
          writeProbe: true,
        }
      : {
          name: `ambient-${i}`,
          bucket: `ambient-${i}-data`,
          prefix: `meta-${i}/`,
          region: "eu-west-1",
          writeProbe: true,
        },
  );
  const severity = (i: number) => SEVERITY_CYCLE[i % SEVERITY_CYCLE.length]!;
  return {
    stackName: "Watchpost",
    certificates: {
      bucket: {
        existingBucketName: "acme-cluster-certificates",
        kmsKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      },
      sources,
      peerGroups,
    },
    credentials: { targets },
    // Every endpoint a different port, so the created security group must merge them into ranges.
    endpoints: {
      targets: Array.from({ length: LIMITS.endpoints }, (_, i) => ({
        endpoint: `e${i}.cluster.internal:${1000 + i * 7}`,
        servername: `e${i}.cluster.internal`,
        expectedHostnames: [`e${i}.cluster.internal`, `alt${i}.cluster.internal`],
        caBundleKey: "g/00/ca.pem",
        storedCertificateKey: `g/${String(i % 20).padStart(2, "0")}/n${i % 6}.pem`,
        starttls: (["smtp", "imap", "pop3", "ldap", "postgres", "mysql"] as const)[i % 6],
        purpose: "server" as const,
        serviceName: `service ${i}`,
      })),
      timeoutMs: 60_000,
      vpc: {
        vpcId: "vpc-0abc1234",
        subnetIds: Array.from({ length: 16 }, (_, i) => `subnet-0${String(i).padStart(7, "a")}`),
      },
    },
    schedules: {
      certificateScan: { expression: "cron(0 1 * * ? *)", timeZone: "Europe/Berlin" },
      credentialCheck: { expression: "rate(5 minutes)", timeZone: "America/New_York" },
      endpointScan: { expression: "rate(30 minutes)", timeZone: "Asia/Tokyo" },
      checkAfterDeploy: true,
    },
    notifications: {
      runbookBaseUrl: "https://github.com/example/watchpost/blob/main/",
      email: Array.from({ length: LIMITS.emailRecipients }, (_, i) => ({
        address: `oncall-${i}@example.com`,
        minimumSeverity: severity(i),
      })),
      slack: Array.from({ length: LIMITS.chatChannels }, (_, i) => ({
        name: pad(`slack-${i}-`, 128, "s"),
        workspaceId: "T0123ABCD",
        channelId: `C0123AB${String(i).padStart(2, "0")}`,
        minimumSeverity: severity(i),
      })),
      teams: Array.from({ length: LIMITS.chatChannels }, (_, i) => ({
        name: `teams-${i}`,
        teamId: "11111111-2222-3333-4444-555555555555",
        tenantId: "66666666-7777-8888-9999-000000000000",
        channelId: `19:channel${i}@thread.tacv2`,
        minimumSeverity: severity(i),
      })),
      // Every format: JSON with either kind of auth, Slack and Teams incoming webhooks.
      webhooks: Array.from({ length: LIMITS.webhooks }, (_, i) =>
        i % 3 === 0
          ? {
              name: `hook-${i}`,
              url: `https://hooks.example.com/watchpost/${i}`,
              minimumSeverity: severity(i),
              auth:
                i % 2 === 0
                  ? {
                      type: "api-key" as const,
                      headerName: "x-api-key",
                      secretName: `watchpost/hook-${i}`,
                      secretField: "key",
                    }
                  : { type: "basic" as const, username: `watchpost-${i}`, secretName: `watchpost/hook-${i}` },
            }
          : {
              name: `hook-${i}`,
              format: i % 3 === 1 ? ("slack" as const) : ("teams" as const),
              urlSecretName: `watchpost/hook-${i}`,
              ...(i % 2 === 0 ? { urlSecretField: "url" } : {}),
              minimumSeverity: severity(i),
            },
      ),
    },
    alarms: {
      reminderIntervalHours: 12,
      historyRetentionDays: 365,
      consecutiveFailures: { certificates: 2, credentials: 3 },
      silences: Array.from({ length: LIMITS.silences }, (_, i) => ({
        alarmId: "1002",
        sourcePrefix: `s3://acme-cluster-certificates/s${i}-`,
        startsAt: "2030-01-01T00:00:00Z",
        endsAt: "2030-01-02T00:00:00Z",
        reason: pad(`maintenance window ${i}: `, 1024, "r"),
      })),
    },
    operations: {
      logRetentionDays: 90,
      scanStalenessHours: 50,
      dashboard: true,
      scanBatchSize: 1000,
      scanWorkers: 100,
    },
  };
}

/** The largest configuration's recipients without chat (AWS Chatbot is only in the aws partition). */
function recipientsWithoutChat(emails: number, webhooks: number): WatchpostConfigInput["notifications"] {
  const { slack: _slack, teams: _teams, ...notifications } = largestConfig().notifications ?? {};
  return {
    ...notifications,
    email: notifications.email?.slice(0, emails),
    webhooks: notifications.webhooks?.slice(0, webhooks),
  };
}

/** For a partition without AWS Chatbot (aws-cn): email and webhooks, no chat. */
export function otherPartitionConfig(): WatchpostConfigInput {
  return {
    certificates: {
      bucket: {
        existingBucketName: "cn-cluster-certificates",
        kmsKeyArn: `arn:aws-cn:kms:cn-north-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      },
      sources: [{ prefix: "certs/", caBundleKey: "trust/ca.pem", pkcs12PasswordSecretName: "watchpost/p12" }],
      peerGroups: [
        {
          name: "etcd",
          caBundleKey: "trust/etcd-ca.pem",
          peers: [{ fqdn: "e1.example.cn", certificateKey: "peers/e1.pem" }],
        },
      ],
    },
    credentials: {
      targets: [
        {
          name: "agency",
          roleArn: `arn:aws-cn:iam::${ACCOUNT}:role/agency`,
          bucket: "cn-data",
          region: "cn-north-1",
        },
        { name: "ambient", bucket: "cn-ambient", prefix: "meta/", region: "cn-north-1", writeProbe: true },
      ],
    },
    schedules: { certificateScan: { expression: "cron(0 1 * * ? *)", timeZone: "Asia/Shanghai" } },
    notifications: recipientsWithoutChat(2, 2),
  };
}

/** An account other than the stack's, owning the KMS key of the SSE-KMS bucket. */
export const KEY_OWNER_ACCOUNT = "210987654321";

/**
 * What a first deploy into an existing account looks like: the certificates stay in the bucket they
 * are in, whose EventBridge notifications the stack turns on (merged with the owner's), one role to
 * assume and one bucket probed with the function's own role.
 */
export function existingBucketConfig(): WatchpostConfigInput {
  return {
    certificates: {
      bucket: { existingBucketName: "acme-cluster-certificates", region: "eu-west-1" },
      sources: [{ prefix: "clusters/prod/", caBundleKey: "trust/ca.pem" }],
    },
    credentials: {
      targets: [
        {
          name: "agency",
          roleArn: `arn:aws:iam::${ACCOUNT}:role/cluster-agency`,
          bucket: "cluster-data",
          region: "eu-west-1",
        },
        { name: "ambient", bucket: "ambient-data", prefix: "meta/", region: "eu-west-1", writeProbe: true },
      ],
    },
    notifications: { email: [{ address: "oncall@example.com", minimumSeverity: "major" }] },
  };
}

/**
 * Buckets with SSE-KMS default encryption: the certificate bucket under a key another account owns
 * (its key policy must allow this account: README), a credential target whose write probe puts and
 * reads back objects under its bucket's key with the function's own role, and endpoints in a VPC
 * behind the user's own security group.
 */
export function sseKmsExistingBucketConfig(): WatchpostConfigInput {
  return {
    certificates: {
      bucket: {
        existingBucketName: "acme-encrypted-certificates",
        kmsKeyArn: `arn:aws:kms:eu-west-1:${KEY_OWNER_ACCOUNT}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`,
        region: "eu-west-1",
      },
      sources: [
        { prefix: "clusters/prod/", caBundleKey: "trust/ca.pem", keystorePasswordSecretName: "watchpost/ks" },
      ],
    },
    credentials: {
      targets: [
        {
          name: "encrypted-probe",
          bucket: "encrypted-data",
          prefix: "meta/",
          region: "eu-west-1",
          writeProbe: true,
          kmsKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        },
      ],
    },
    endpoints: {
      targets: [
        {
          endpoint: "api.cluster.internal:6443",
          caBundleKey: "trust/ca.pem",
          storedCertificateKey: "clusters/prod/api.pem",
        },
      ],
      vpc: {
        vpcId: "vpc-0abc1234",
        subnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"],
        securityGroupIds: ["sg-0123456789abcdef0"],
      },
    },
    notifications: { email: [{ address: "oncall@example.com", minimumSeverity: "major" }] },
  };
}

/** For AWS GovCloud (US): the aws-us-gov partition's ARNs, no chat (Chatbot is not there). */
export function govCloudConfig(): WatchpostConfigInput {
  return {
    certificates: {
      bucket: {
        existingBucketName: "gov-cluster-certificates",
        kmsKeyArn: `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      },
      sources: [{ prefix: "certs/", caBundleKey: "trust/ca.pem", pkcs12PasswordSecretName: "watchpost/p12" }],
    },
    credentials: {
      targets: [
        {
          name: "agency",
          roleArn: `arn:aws-us-gov:iam::${ACCOUNT}:role/agency`,
          bucket: "gov-data",
          region: "us-gov-west-1",
        },
        {
          name: "ambient",
          bucket: "gov-ambient",
          prefix: "meta/",
          region: "us-gov-west-1",
          writeProbe: true,
          kmsKeyArn: `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNT}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`,
        },
      ],
    },
    endpoints: {
      targets: [{ endpoint: "api.cluster.internal:6443", caBundleKey: "trust/ca.pem" }],
      vpc: { vpcId: "vpc-0abc1234", subnetIds: ["subnet-0aaa1111"] },
    },
    schedules: { certificateScan: { expression: "cron(0 1 * * ? *)", timeZone: "America/New_York" } },
    notifications: recipientsWithoutChat(2, 3),
  };
}

/** A member account the `aws-certificates` deployment reads through its reader role. */
export const MEMBER_ACCOUNT = "210987654321";

/**
 * Every `awsCertificates` kind in the stack's own account (tags, name prefixes, paths, both kinds
 * of password) and in a member account, one selection naming both accounts.
 */
export function awsCertificatesConfig(): WatchpostConfigInput {
  return {
    ...minimalConfig(),
    awsCertificates: {
      acm: [
        { regions: ["eu-west-1", "us-east-1"], tags: { team: "payments" } },
        { regions: ["eu-west-1"], accounts: [MEMBER_ACCOUNT] },
      ],
      iamServerCertificates: [{ pathPrefix: "/cloudfront/" }, { accounts: [MEMBER_ACCOUNT] }],
      secretsManager: [
        { regions: ["eu-west-1"], namePrefix: "tls/", password: { secretName: "tls/p12-password" } },
        { regions: ["eu-west-1"], tags: { team: "kafka" }, accounts: [ACCOUNT, MEMBER_ACCOUNT] },
      ],
      ssmParameters: [
        {
          regions: ["eu-west-1"],
          path: "/tls/",
          recursive: true,
          password: { parameterName: "/tls/p12-password" },
        },
      ],
    },
    accounts: { externalId: "wp-7f3c9a2b" },
  };
}

/** A configuration of the synth matrix, with the region the stack is synthesized for. */
export interface Deployment {
  name: string;
  config: WatchpostConfigInput;
  region: string;
}

/**
 * Every configuration the deployment simulation deploys (scripts/synth-matrix.ts synthesizes them;
 * test/simulation/ checks what AWS decides about each).
 */
export function deployments(): Deployment[] {
  return [
    { name: "minimal", config: minimalConfig(), region: "eu-west-1" },
    { name: "largest", config: largestConfig(), region: "eu-west-1" },
    { name: "existing-bucket", config: existingBucketConfig(), region: "eu-west-1" },
    { name: "existing-bucket-sse-kms", config: sseKmsExistingBucketConfig(), region: "eu-west-1" },
    { name: "aws-cn", config: otherPartitionConfig(), region: "cn-north-1" },
    { name: "aws-us-gov", config: govCloudConfig(), region: "us-gov-west-1" },
    { name: "aws-certificates", config: awsCertificatesConfig(), region: "eu-west-1" },
  ];
}
