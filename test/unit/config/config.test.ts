import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  keystoreSecretNames,
  parseConfig,
  parseConfigText,
  readablePrefixes,
  type WatchpostConfigInput,
} from "../../../functions/core/config";
import { problemsOf } from "../../support/config-problems";

const minimal = (): WatchpostConfigInput => ({ certificates: { sources: [{ prefix: "certs/" }] } });

describe("the example configuration", () => {
  it("is valid and documents every section", () => {
    // Prepare
    const text = readFileSync("watchpost.config.json", "utf8");

    // Act
    const config = parseConfigText(text, "watchpost.config.json");

    // Assess
    expect(Object.keys(JSON.parse(text)).sort()).toEqual(
      [
        "$schema",
        "alarms",
        "certificates",
        "credentials",
        "hosts",
        "notifications",
        "operations",
        "schedules",
        "stackName",
      ].sort(),
    );
    expect(config.certificates.sources.length).toBeGreaterThan(0);
    expect(config.credentials.targets[0]?.roleArn).toMatch(/^arn:aws:iam::/);
  });
});

describe("defaults", () => {
  it("fills in schedules, thresholds, notifications and operations from a minimal file", () => {
    // Act
    const config = parseConfig(minimal());

    // Assess
    expect(config.stackName).toBe("Watchpost");
    expect(config.certificates.bucket).toEqual({});
    expect(config.certificates.thresholds).toEqual({
      warnDays: 30,
      majorDays: 7,
      skewSeconds: 300,
      maxObjectBytes: 1048576,
    });
    expect(config.schedules.certificateScan).toEqual({ expression: "cron(0 1 * * ? *)", enabled: true });
    expect(config.schedules.credentialCheck).toEqual({ expression: "rate(5 minutes)", enabled: true });
    expect(config.schedules.checkAfterDeploy).toBe(true);
    expect(config.notifications).toEqual({ email: [], slack: [], teams: [], webhooks: [] });
    expect(config.alarms.consecutiveFailures).toEqual({ certificates: 1, credentials: 2 });
    expect(config.operations).toEqual({
      logRetentionDays: 30,
      scanStalenessHours: 26,
      dashboard: true,
      scanBatchSize: 500,
      scanWorkers: 5,
      scanDownloadConcurrency: 16,
    });
  });

  it("gives each recipient the minimum severity minor unless told otherwise", () => {
    // Act
    const config = parseConfig({ ...minimal(), notifications: { email: [{ address: "ops@example.com" }] } });

    // Assess
    expect(config.notifications.email).toEqual([{ address: "ops@example.com", minimumSeverity: "minor" }]);
  });
});

describe("errors name the path of the bad field and what is expected", () => {
  it.each([
    [
      "an unknown key (a typo)",
      { ...minimal(), notification: {} },
      '(top level): Unrecognized key: "notification"',
    ],
    [
      "no sources",
      { certificates: { sources: [] } },
      "certificates.sources: expected at least one certificate source",
    ],
    [
      "a prefix with a leading slash",
      { certificates: { sources: [{ prefix: "/certs/" }] } },
      "certificates.sources[0].prefix: expected an object-key prefix without a leading '/'",
    ],
    [
      "the same prefix twice",
      { certificates: { sources: [{ prefix: "a/" }, { prefix: "a/" }] } },
      "certificates.sources: expected each prefix to appear in one source only",
    ],
    [
      "majorDays not below warnDays",
      { certificates: { sources: [{ prefix: "" }], thresholds: { warnDays: 7, majorDays: 7 } } },
      "certificates.thresholds.majorDays: expected majorDays to be less than warnDays",
    ],
    [
      "a bad host name",
      { certificates: { sources: [{ prefix: "", expectedHostnames: ["not a host"] }] } },
      "certificates.sources[0].expectedHostnames[0]: expected a host name",
    ],
    [
      "seven peers in a group",
      {
        certificates: {
          sources: [{ prefix: "" }],
          peerGroups: [
            {
              name: "etcd",
              caBundleKey: "ca.pem",
              peers: Array.from({ length: 7 }, (_, i) => ({
                fqdn: `n${i}.example.com`,
                certificateKey: `n${i}.pem`,
              })),
            },
          ],
        },
      },
      "certificates.peerGroups[0].peers: expected at most six peers",
    ],
    [
      "the same peer twice in a group",
      {
        certificates: {
          sources: [{ prefix: "" }],
          peerGroups: [
            {
              name: "etcd",
              caBundleKey: "ca.pem",
              peers: [
                { fqdn: "n1.example.com", certificateKey: "n1.pem" },
                { fqdn: "N1.example.com", certificateKey: "n1-new.pem" },
              ],
            },
          ],
        },
      },
      "certificates.peerGroups[0].peers: expected each peer's fqdn to appear once in its group",
    ],
    ...(
      [
        [
          "a peer without any trust store, in a group without a CA bundle",
          {
            peers: [
              { fqdn: "n1.example.com", certificateKey: "n1.pem", trustStore: { key: "t1.jks" } },
              { fqdn: "n2.example.com", certificateKey: "n2.pem" },
            ],
          },
          "certificates.peerGroups[0].caBundleKey: expected caBundleKey, or a trustStore on every peer",
        ],
        [
          "a trust store both in the bucket and pushed",
          {
            caBundleKey: "ca.pem",
            peers: [
              {
                fqdn: "n1.example.com",
                certificateKey: "n1.pem",
                trustStore: { key: "t1.jks", pushed: { prefix: "hosts/", path: "/etc/ssl/t1.jks" } },
              },
            ],
          },
          "certificates.peerGroups[0].peers[0].trustStore: expected either key or pushed, not both and not neither",
        ],
        [
          "a trust store naming neither",
          {
            caBundleKey: "ca.pem",
            peers: [{ fqdn: "n1.example.com", certificateKey: "n1.pem", trustStore: {} }],
          },
          "certificates.peerGroups[0].peers[0].trustStore: expected either key or pushed, not both and not neither",
        ],
        [
          "a pushed trust store with a relative path",
          {
            caBundleKey: "ca.pem",
            peers: [
              {
                fqdn: "n1.example.com",
                certificateKey: "n1.pem",
                trustStore: { pushed: { prefix: "hosts/", path: "etc/ssl/t.jks" } },
              },
            ],
          },
          "certificates.peerGroups[0].peers[0].trustStore.pushed.path: expected an absolute file path",
        ],
        [
          "a pushed trust store whose key would hold a '..' segment",
          {
            caBundleKey: "ca.pem",
            peers: [
              {
                fqdn: "n1.example.com",
                certificateKey: "n1.pem",
                trustStore: { pushed: { prefix: "hosts/", path: "/etc/../ssl/t.jks" } },
              },
            ],
          },
          `certificates.peerGroups[0].peers[0].trustStore.pushed: the trust store's object key "hosts/n1.example.com/etc/../ssl/t.jks": expected an object key without '.' or '..' segments`,
        ],
        [
          "a role other than server and client",
          {
            caBundleKey: "ca.pem",
            roles: ["peer"],
            peers: [{ fqdn: "n1.example.com", certificateKey: "n1.pem" }],
          },
          "certificates.peerGroups[0].roles[0]: Invalid option",
        ],
        [
          "a role twice",
          {
            caBundleKey: "ca.pem",
            roles: ["client", "client"],
            peers: [{ fqdn: "n1.example.com", certificateKey: "n1.pem" }],
          },
          "certificates.peerGroups[0].roles: expected each role once",
        ],
      ] as const
    ).map(([name, group, expected]): [string, unknown, string] => [
      name,
      { certificates: { sources: [{ prefix: "" }], peerGroups: [{ name: "kafka", ...group }] } },
      expected,
    ]),
    [
      "a KMS key for a bucket the stack creates",
      {
        certificates: {
          sources: [{ prefix: "" }],
          bucket: {
            kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
          },
        },
      },
      "certificates.bucket.kmsKeyArn: expected kmsKeyArn only together with existingBucketName",
    ],
    [
      "an invalid bucket name",
      { certificates: { sources: [{ prefix: "" }], bucket: { existingBucketName: "My_Bucket" } } },
      "certificates.bucket.existingBucketName: expected an S3 bucket name",
    ],
    [
      "a credential target with a malformed role ARN",
      {
        ...minimal(),
        credentials: {
          targets: [{ name: "t", roleArn: "role/x", bucket: "data-bucket", region: "eu-west-1" }],
        },
      },
      "credentials.targets[0].roleArn: must be an IAM role ARN",
    ],
    [
      "a plural rate of one",
      { ...minimal(), schedules: { credentialCheck: { expression: "rate(1 minutes)" } } },
      "schedules.credentialCheck.expression: expected a rate of at least 1 with a singular unit for 1",
    ],
    [
      "a schedule that is neither cron nor rate",
      { ...minimal(), schedules: { certificateScan: { expression: "daily at 1" } } },
      'schedules.certificateScan.expression: expected "cron(M H DoM Mon DoW Y)" or "rate(N unit)"',
    ],
    [
      "an unknown time zone",
      {
        ...minimal(),
        schedules: { certificateScan: { expression: "cron(0 1 * * ? *)", timeZone: "Mars/Olympus" } },
      },
      'schedules.certificateScan.timeZone: expected an IANA time zone such as "Europe/Berlin"',
    ],
    [
      "an email that is not an address",
      { ...minimal(), notifications: { email: [{ address: "oncall" }] } },
      "notifications.email[0].address: expected an email address",
    ],
    [
      "a severity that does not exist",
      { ...minimal(), notifications: { email: [{ address: "a@example.com", minimumSeverity: "high" }] } },
      'notifications.email[0].minimumSeverity: Invalid option: expected one of "critical"|"major"|"minor"|"warning"',
    ],
    [
      "an email subject prefix that SNS would refuse (not ASCII)",
      { ...minimal(), notifications: { email: [{ address: "a@example.com", subjectPrefix: "[prod–eu]" }] } },
      'notifications.email[0].subjectPrefix: expected 1-30 printable ASCII characters that do not begin with a space, such as "[prod-eu]"',
    ],
    [
      "an email subject prefix that begins with a space",
      { ...minimal(), notifications: { email: [{ address: "a@example.com", subjectPrefix: " prod" }] } },
      "notifications.email[0].subjectPrefix: expected 1-30 printable ASCII characters",
    ],
    [
      "an email subject prefix longer than 30 characters",
      {
        ...minimal(),
        notifications: { email: [{ address: "a@example.com", subjectPrefix: "x".repeat(31) }] },
      },
      "notifications.email[0].subjectPrefix: expected 1-30 printable ASCII characters",
    ],
    [
      "a webhook over plain http",
      {
        ...minimal(),
        notifications: {
          webhooks: [
            {
              name: "pager",
              url: "http://hooks.example.com/x",
              auth: { type: "api-key", headerName: "x-api-key", secretName: "watchpost/pager" },
            },
          ],
        },
      },
      "notifications.webhooks[0].url: expected an https:// URL",
    ],
    [
      "a Slack webhook whose URL is written into the configuration instead of a secret",
      {
        ...minimal(),
        notifications: {
          webhooks: [{ name: "ops", format: "slack", url: "https://hooks.slack.com/services/T/B/x" }],
        },
      },
      "notifications.webhooks[0].url: a Slack or Teams incoming-webhook URL is itself the credential",
    ],
    [
      "a webhook format that does not exist",
      {
        ...minimal(),
        notifications: { webhooks: [{ name: "ops", format: "discord", urlSecretName: "watchpost/hook" }] },
      },
      'notifications.webhooks[0].format: expected a format of "json" (the default), "slack" or "teams"',
    ],
    [
      "a webhook secret given as a value",
      {
        ...minimal(),
        notifications: {
          webhooks: [
            {
              name: "pager",
              url: "https://hooks.example.com/x",
              auth: {
                type: "api-key",
                headerName: "x-api-key",
                secretName: "watchpost/pager",
                secret: "s3cr3t",
              },
            },
          ],
        },
      },
      'notifications.webhooks[0].auth: Unrecognized key: "secret"',
    ],
    [
      "a log retention CloudWatch does not offer",
      { ...minimal(), operations: { logRetentionDays: 31 } },
      "operations.logRetentionDays: expected one of the CloudWatch Logs retention periods",
    ],
    [
      "a silence that ends before it starts",
      {
        ...minimal(),
        alarms: {
          silences: [
            { startsAt: "2025-01-02T00:00:00Z", endsAt: "2025-01-01T00:00:00Z", reason: "maintenance" },
          ],
        },
      },
      "alarms.silences[0].endsAt: endsAt must be later than startsAt",
    ],
  ])("rejects %s", (_name, raw, expected) => {
    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(
      problems.some((p) => p.startsWith(expected)),
      `problems: ${problems.join(" | ")}`,
    ).toBe(true);
  });

  it("lists every problem at once, headed by the file name", () => {
    // Prepare
    const text = JSON.stringify({ certificates: { sources: [{ prefix: 3 }] }, stackName: "1bad" });

    // Act
    const error = (() => {
      try {
        parseConfigText(text, "my.config.json");
      } catch (e) {
        return e as ConfigError;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/^my\.config\.json is not a valid watchpost configuration:/);
    expect(error?.problems).toHaveLength(2);
    expect(error?.message).toContain(
      "certificates.sources[0].prefix: Invalid input: expected string, received number",
    );
    expect(error?.message).toContain("stackName: expected a CloudFormation stack name");
  });

  it("says so when the file is not JSON at all", () => {
    // Act / Assess
    expect(() => parseConfigText("{ certificates: ", "broken.json")).toThrow(
      /broken\.json .*\n.*expected JSON/,
    );
  });
});

describe("readable prefixes", () => {
  it("adds CA bundles and peer certificates outside the prefixes, and only those", () => {
    // Prepare
    const config = parseConfig({
      certificates: {
        sources: [
          { prefix: "prod/", caBundleKey: "trust/ca.pem" },
          { prefix: "staging/", caBundleKey: "prod/ca.pem" },
        ],
        peerGroups: [
          {
            name: "etcd",
            caBundleKey: "trust/ca.pem",
            peers: [
              { fqdn: "a.example.com", certificateKey: "peers/a.pem" },
              { fqdn: "b.example.com", certificateKey: "prod/b.pem" },
            ],
          },
        ],
      },
    });

    // Act
    const readable = readablePrefixes(config.certificates);

    // Assess
    expect(readable).toEqual({ prefixes: ["prod/", "staging/"], keys: ["peers/a.pem", "trust/ca.pem"] });
  });

  it("adds the peers' own trust stores, where push puts a pushed one, and their password secrets", () => {
    // Prepare
    const config = parseConfig({
      certificates: {
        sources: [{ prefix: "hosts/", keystorePasswordSecretName: "watchpost/hosts" }],
        peerGroups: [
          {
            name: "kafka",
            peers: [
              {
                fqdn: "k1.example.com",
                certificateKey: "peers/k1.pem",
                trustStore: { key: "trust/k1.p12", passwordSecretName: "watchpost/kafka-trust" },
              },
              {
                fqdn: "k2.example.com",
                certificateKey: "peers/k2.pem",
                trustStore: {
                  pushed: { prefix: "edge/", path: "/etc/kafka/ssl/kafka.truststore.jks", host: "k2" },
                  passwordSecretName: "watchpost/hosts",
                },
              },
              {
                fqdn: "k3.example.com",
                certificateKey: "peers/k3.pem",
                trustStore: { pushed: { prefix: "hosts/", path: "/etc/kafka/ssl/kafka.truststore.jks" } },
              },
            ],
          },
        ],
      },
    });

    // Act
    const readable = readablePrefixes(config.certificates);
    const secrets = keystoreSecretNames(config.certificates);

    // Assess: k3's truststore is under a source's prefix already
    expect(readable.keys).toEqual([
      "edge/k2/etc/kafka/ssl/kafka.truststore.jks",
      "peers/k1.pem",
      "peers/k2.pem",
      "peers/k3.pem",
      "trust/k1.p12",
    ]);
    expect(secrets).toEqual(["watchpost/hosts", "watchpost/kafka-trust"]);
    expect(config.certificates.peerGroups[0]?.roles).toEqual(["server", "client"]);
  });
});

describe("keystore passwords and location parameters of a source", () => {
  it("accepts pkcs12PasswordSecretName as the former name of keystorePasswordSecretName", () => {
    // Act
    const config = parseConfig({
      certificates: { sources: [{ prefix: "p/", pkcs12PasswordSecretName: "old/name" }] },
    });

    // Assess
    expect(config.certificates.sources[0]).toMatchObject({ keystorePasswordSecretName: "old/name" });
    expect(config.certificates.sources[0]).not.toHaveProperty("pkcs12PasswordSecretName");
  });

  it("refuses both names at once", () => {
    const problems = problemsOf({
      certificates: {
        sources: [{ prefix: "p/", keystorePasswordSecretName: "a", pkcs12PasswordSecretName: "b" }],
      },
    });
    expect(problems.join("\n")).toContain("expected keystorePasswordSecretName only");
  });

  it("reads per-key passwords, parameters and captures", () => {
    // Act
    const config = parseConfig({
      certificates: {
        sources: [
          {
            prefix: "clusters/",
            keystorePasswordsByKey: [{ keyPattern: "clusters/*/*/flink/**", secretName: "watchpost/flink" }],
            parameters: { ServiceName: "Flink" },
            parametersByKey: [{ keyPattern: "clusters/{Cluster}/{HostName}/**" }],
          },
        ],
      },
    });

    // Assess
    expect(config.certificates.sources[0]).toMatchObject({
      keystorePasswordsByKey: [{ keyPattern: "clusters/*/*/flink/**", secretName: "watchpost/flink" }],
      parameters: { ServiceName: "Flink" },
      parametersByKey: [{ keyPattern: "clusters/{Cluster}/{HostName}/**", parameters: {} }],
    });
  });

  it.each([
    [{ parameters: { Key: "x" } }, "other than Source, Bucket, Prefix, Key, Endpoint, which"],
    [{ parameters: { DbPassword: "x" } }, "does not look like a secret's"],
    [{ parameters: { "Host Name": "x" } }, "expected a parameter name such as ServiceName"],
    [{ parametersByKey: [{ keyPattern: "h/{Host Name}/*" }] }, "expected {Name} captures"],
    [{ parametersByKey: [{ keyPattern: "h/{HostName}/{HostName}" }] }, "expected {Name} captures"],
    [{ parametersByKey: [{ keyPattern: "h/{HostName/*" }] }, "expected {Name} captures"],
  ])("refuses %j", (fields, message) => {
    const problems = problemsOf({ certificates: { sources: [{ prefix: "p/", ...fields }] } });
    expect(problems.join("\n")).toContain(message);
  });
  // The parameters watchpost sets on an item kept in AWS (aws-certificates/location.ts
  // itemParameters) would silently replace a declared one of the same name: refused in an AWS
  // selection. S3 sources and endpoints never carry them, so there they stay a user's to use (a
  // configuration that captured `{Name}` from its keys before AWS sources existed stays valid).
  const reservedOnAwsItems =
    "expected a parameter name other than Source, Bucket, Prefix, Key, Endpoint, SourceKind, Account, Region, Arn, Name, which watchpost sets itself";
  it.each([
    ["SourceKind", { acm: [{ regions: ["eu-west-1"], parameters: { SourceKind: "acm" } }] }, "acm[0]"],
    ["Account", { iamServerCertificates: [{ parameters: { Account: "prod" } }] }, "iamServerCertificates[0]"],
    [
      "Name",
      { secretsManager: [{ regions: ["eu-west-1"], namePrefix: "tls/", parameters: { Name: "x" } }] },
      "secretsManager[0]",
    ],
    [
      "Arn",
      { ssmParameters: [{ regions: ["eu-west-1"], path: "/tls/", parameters: { Arn: "x" } }] },
      "ssmParameters[0]",
    ],
  ])("refuses %s in the parameters of an AWS selection", (name, awsCertificates, at) => {
    // Act
    const problems = problemsOf({ ...minimal(), awsCertificates });

    // Assess
    expect(problems).toEqual([`awsCertificates.${at}.parameters.${name}: ${reservedOnAwsItems}`]);
  });

  it("keeps Account, Region, Arn and Name as a user's own parameters of S3 sources and endpoints", () => {
    // Prepare
    const raw = {
      certificates: {
        sources: [
          {
            prefix: "p/",
            parameters: { Account: "prod", Region: "eu" },
            parametersByKey: [{ keyPattern: "p/{Name}/*", parameters: { Arn: "x" } }],
          },
        ],
      },
      endpoints: { targets: [{ endpoint: "api.test:443", parameters: { SourceKind: "k8s" } }] },
    };

    // Act
    const config = parseConfig(raw, "test.json");

    // Assess
    expect(config.certificates.sources[0]?.parameters).toEqual({ Account: "prod", Region: "eu" });
    expect(config.certificates.sources[0]?.parametersByKey).toEqual([
      { keyPattern: "p/{Name}/*", parameters: { Arn: "x" } },
    ]);
    expect(config.endpoints.targets[0]?.parameters).toEqual({ SourceKind: "k8s" });
  });

  it("takes location parameters on an endpoint target, under the same rules", () => {
    // Prepare
    const target = { endpoint: "api.cluster.test:6443", parameters: { Cluster: "prod-east" } };

    // Act
    const config = parseConfig({ ...minimal(), endpoints: { targets: [target] } }, "test.json");
    const problems = problemsOf({
      ...minimal(),
      endpoints: { targets: [{ ...target, parameters: { Endpoint: "x", ApiToken: "y" } }] },
    });

    // Assess
    expect(config.endpoints.targets[0]?.parameters).toEqual({ Cluster: "prod-east" });
    expect(problems.join("\n")).toContain("other than Source, Bucket, Prefix, Key, Endpoint, which");
    expect(problems.join("\n")).toContain("does not look like a secret's");
  });
});
