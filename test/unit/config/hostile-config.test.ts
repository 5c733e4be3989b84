/**
 * Hostile configuration: huge lists, malformed role ARNs and bucket names, unknown and duplicated
 * keys, absurd thresholds, traversal and wildcards in key prefixes, oversized peer groups, values of
 * the wrong type, and prototype-pollution keys. Each is refused with a message that names the field
 * (see test/infra/hostile-config.test.ts for the same refusals stopping `cdk synth`).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  LIMITS,
  parseConfig,
  parseConfigText,
  type WatchpostConfigInput,
} from "../../../functions/core/config";
import { fullConfig } from "../../infra/support";
import { problemsOfText } from "../../support/config-problems";

const minimal = (): WatchpostConfigInput => ({ certificates: { sources: [{ prefix: "certs/" }] } });
const ROLE = "arn:aws:iam::123456789012:role/agency";

const problemsOf = (raw: unknown) => problemsOfText(JSON.stringify(raw));

function expectRefused(raw: unknown, expected: string): void {
  const problems = problemsOf(raw);
  expect(
    problems.some((p) => p.startsWith(expected)),
    `expected a problem starting "${expected}", got:\n${problems.join("\n")}`,
  ).toBe(true);
}

const target = (fields: Record<string, unknown>) => ({
  ...minimal(),
  credentials: { targets: [{ name: "t", bucket: "data-bucket", region: "eu-west-1", ...fields }] },
});
const withSource = (fields: Record<string, unknown>) => ({
  certificates: { sources: [{ prefix: "", ...fields }] },
});
const peerGroup = (peers: unknown[]) => ({
  certificates: { sources: [{ prefix: "" }], peerGroups: [{ name: "etcd", caBundleKey: "ca.pem", peers }] },
});
const silence = (fields: Record<string, unknown>) => ({
  ...minimal(),
  alarms: {
    silences: [
      { startsAt: "2025-01-01T00:00:00Z", endsAt: "2025-02-01T00:00:00Z", reason: "maintenance", ...fields },
    ],
  },
});
const many = <T>(count: number, make: (i: number) => T) => Array.from({ length: count }, (_, i) => make(i));

describe("huge lists", () => {
  it.each([
    [
      "51 certificate sources",
      { certificates: { sources: many(51, (i) => ({ prefix: `s${i}/` })) } },
      "certificates.sources: expected at most 50 certificate sources",
    ],
    [
      "101 expected host names",
      withSource({ expectedHostnames: many(101, (i) => `h${i}.example.com`) }),
      "certificates.sources[0].expectedHostnames: expected at most 100 host names",
    ],
    [
      "21 peer groups",
      {
        certificates: {
          sources: [{ prefix: "" }],
          peerGroups: many(21, (i) => ({
            name: `g${i}`,
            caBundleKey: "ca.pem",
            peers: [{ fqdn: "a.example.com", certificateKey: "a.pem" }],
          })),
        },
      },
      "certificates.peerGroups: expected at most 20 peer groups",
    ],
    [
      "51 credential targets",
      {
        ...minimal(),
        credentials: {
          targets: many(51, (i) => ({ name: `t${i}`, bucket: "data-bucket", region: "eu-west-1" })),
        },
      },
      "credentials.targets: expected at most 50 credential targets",
    ],
    [
      "51 email recipients",
      { ...minimal(), notifications: { email: many(51, (i) => ({ address: `a${i}@example.com` })) } },
      "notifications.email: expected at most 50 email recipients",
    ],
    [
      "101 silences",
      { ...minimal(), alarms: { silences: many(101, () => silence({}).alarms.silences[0]) } },
      "alarms.silences: expected at most 100 silences",
    ],
    [
      "prefixes that together would overflow the scan's IAM policy",
      { certificates: { sources: many(5, (i) => ({ prefix: `${String(i).repeat(1000)}/` })) } },
      "certificates.sources: expected the prefixes and keys the scan reads to add up to at most 4096 characters (they are 5005)",
    ],
    [
      "101 keystore password secrets, which would overflow the scan's IAM policies",
      {
        certificates: {
          sources: [
            {
              prefix: "hosts/",
              keystorePasswordSecretName: "watchpost/hosts",
              keystorePasswordsByKey: many(100, (i) => ({
                keyPattern: `hosts/h${i}/**`,
                secretName: `watchpost/h${i}`,
              })),
            },
          ],
        },
      },
      "certificates.sources: expected at most 100 distinct keystore password secrets with names of at most 4096 characters together (they are 101 secrets, 1305 characters)",
    ],
    [
      "keystore password secret names that together would overflow the scan's IAM policies",
      {
        certificates: {
          sources: many(9, (i) => ({ prefix: `s${i}/`, pkcs12PasswordSecretName: `${i}`.repeat(500) })),
        },
      },
      "certificates.sources: expected at most 100 distinct keystore password secrets with names of at most 4096 characters together (they are 9 secrets, 4500 characters)",
    ],
  ])("refuses %s", (_name, raw, expected) => {
    expectRefused(raw, expected);
  });

  it("refuses 10,000 host names with one line, not one per name", () => {
    expect(problemsOf(withSource({ expectedHostnames: many(10_000, () => "not a host") }))).toEqual([
      "certificates.sources[0].expectedHostnames: expected at most 100 host names",
    ]);
  });

  it("lists the first 20 of 100 bad host names and counts the rest", () => {
    // Act
    const problems = problemsOf(withSource({ expectedHostnames: many(100, () => "not a host") }));

    // Assess
    expect(problems).toHaveLength(21);
    expect(problems[0]).toMatch(/^certificates\.sources\[0\]\.expectedHostnames\[0\]: expected a host name/);
    expect(problems[20]).toBe("... and 80 more problems");
  });

  it("refuses a file over 1 MiB before parsing it", () => {
    // Prepare
    const text = `{"stackName": "W", "pad": "${"x".repeat(LIMITS.fileBytes)}"}`;

    // Act
    const problems = problemsOfText(text);

    // Assess
    expect(problems).toEqual([
      `(file): expected a configuration of at most ${LIMITS.fileBytes} bytes (it has ${text.length} characters)`,
    ]);
  });
});

describe("role ARNs", () => {
  it.each([
    ["a bare role path", "role/agency", "credentials.targets[0].roleArn: must be an IAM role ARN"],
    [
      "a short account ID",
      "arn:aws:iam::12345:role/agency",
      "credentials.targets[0].roleArn: must be an IAM role ARN",
    ],
    [
      "a user ARN",
      "arn:aws:iam::123456789012:user/agency",
      "credentials.targets[0].roleArn: must be an IAM role ARN",
    ],
    [
      "an assumed-role session ARN",
      "arn:aws:sts::123456789012:assumed-role/agency/session",
      "credentials.targets[0].roleArn: must be an IAM role ARN",
    ],
    [
      "a space in the name",
      "arn:aws:iam::123456789012:role/my agency",
      "credentials.targets[0].roleArn: must be",
    ],
    [
      "a path without a role name",
      "arn:aws:iam::123456789012:role/ops/",
      "credentials.targets[0].roleArn: expected an IAM role ARN ending in a role name of 1-64 characters (got 0)",
    ],
    [
      "a role name over 64 characters",
      `arn:aws:iam::123456789012:role/${"r".repeat(65)}`,
      "credentials.targets[0].roleArn: expected an IAM role ARN ending in a role name of 1-64 characters (got 65)",
    ],
    [
      "a number",
      123456789012,
      "credentials.targets[0].roleArn: Invalid input: expected string, received number",
    ],
  ])("refuses %s", (_name, roleArn, expected) => {
    expectRefused(target({ roleArn }), expected);
  });

  it("accepts a role with a path and a 64-character name", () => {
    expect(() =>
      parseConfig(target({ roleArn: `arn:aws:iam::123456789012:role/ops/team/${"r".repeat(64)}` })),
    ).not.toThrow();
  });

  it.each(["file:///etc/passwd", "javascript:alert(1)", "ftp://store.example.com"])(
    "refuses the endpoint %s",
    (endpoint) => {
      expectRefused(
        target({ s3Endpoint: endpoint }),
        "credentials.targets[0].s3Endpoint: expected an http:// or https:// endpoint URL",
      );
    },
  );
});

describe("alarm parameters of a credential target", () => {
  it.each([
    [
      "a 300 KB ServiceName",
      { ServiceName: "s".repeat(300_000) },
      "credentials.targets[0].parameters.ServiceName: expected at most 256 characters",
    ],
    [
      "a HostName of 257 characters",
      { HostName: "h".repeat(257) },
      "credentials.targets[0].parameters.HostName: expected at most 256 characters",
    ],
    [
      "a control character",
      { RoleName: "FlinkServer\u001b[2J" },
      "credentials.targets[0].parameters.RoleName: expected a value without control characters",
    ],
  ])("refuses %s, which no alarm item could hold", (_what, parameters, expected) => {
    // Before: accepted here, then every write of its alarm failed (DynamoDB's 400 KB item limit)
    expectRefused(target({ parameters }), expected);
  });

  it("accepts parameters of 256 characters", () => {
    expect(() => parseConfig(target({ parameters: { ServiceName: "s".repeat(256) } }))).not.toThrow();
  });
});

describe("bucket names", () => {
  it.each([
    ["My_Bucket", "expected an S3 bucket name: 3-63"],
    ["ab", "expected an S3 bucket name: 3-63"],
    ["b".repeat(64), "expected an S3 bucket name: 3-63"],
    ["-bucket", "expected an S3 bucket name: 3-63"],
    ["bucket.", "expected an S3 bucket name: 3-63"],
    ["my..bucket", "expected an S3 bucket name without two adjacent dots"],
    ["192.168.10.1", "expected an S3 bucket name, not an IP address"],
    ["xn--bucket", "expected an S3 bucket name without a prefix or suffix S3 reserves"],
    ["sthree-bucket", "expected an S3 bucket name without a prefix or suffix S3 reserves"],
    ["bucket-s3alias", "expected an S3 bucket name without a prefix or suffix S3 reserves"],
    ["bucket--ol-s3", "expected an S3 bucket name without a prefix or suffix S3 reserves"],
  ])("refuses %s", (name, expected) => {
    expectRefused(
      { certificates: { sources: [{ prefix: "" }], bucket: { existingBucketName: name } } },
      `certificates.bucket.existingBucketName: ${expected}`,
    );
  });

  it("accepts dotted and hyphenated names", () => {
    for (const name of ["my.certificate.bucket", "a-b-c", "abc", "b".repeat(63)]) {
      expect(() =>
        parseConfig({ certificates: { sources: [{ prefix: "" }], bucket: { existingBucketName: name } } }),
      ).not.toThrow();
    }
  });
});

describe("unknown and duplicated keys", () => {
  it.each([
    [
      "a typo at the top",
      { ...minimal(), notification: {} },
      '(top level): Unrecognized key: "notification"',
    ],
    [
      "a typo in the thresholds",
      { certificates: { sources: [{ prefix: "" }], thresholds: { warnDay: 10 } } },
      'certificates.thresholds: Unrecognized key: "warnDay"',
    ],
    [
      // Before: the silence was accepted with no matcher, which silences every alarm.
      "a typo in a silence",
      silence({ alarmID: "1002" }),
      'alarms.silences[0]: Unrecognized key: "alarmID"',
    ],
    [
      "a silence for an alarm ID that does not exist",
      silence({ alarmId: "9999" }),
      "alarms.silences[0].alarmId: expected an alarm ID from the catalog: 1001, 1002",
    ],
  ])("refuses %s", (_name, raw, expected) => {
    expectRefused(raw, expected);
  });

  it.each([
    [
      "twice at the top",
      '{"certificates":{"sources":[{"prefix":"prod/"}]},"certificates":{"sources":[{"prefix":"x/"}]}}',
      '(top level): key "certificates" appears twice; JSON keeps only the last one',
    ],
    [
      "twice in a list entry",
      '{"certificates":{"sources":[{"prefix":"a/"},{"prefix":"b/","caBundleKey":"x.pem","caBundleKey":"y.pem"}]}}',
      'certificates.sources[1]: key "caBundleKey" appears twice; JSON keeps only the last one',
    ],
    [
      "twice, once written with an escape",
      '{"certificates":{"sources":[{"prefix":"a/"}]},"stackName":"A","stack\\u004eame":"B"}',
      '(top level): key "stackName" appears twice; JSON keeps only the last one',
    ],
  ])("refuses a key written %s", (_name, text, expected) => {
    expect(problemsOfText(text)).toEqual([expected]);
  });

  it("does not mistake equal keys in different objects, or key-like strings, for duplicates", () => {
    // Act / Assess
    expect(() =>
      parseConfigText(
        '{"certificates":{"sources":[{"prefix":"a/"},{"prefix":"b/"}],"thresholds":{"warnDays":30}},' +
          '"stackName":"prefix"}',
        "ok.json",
      ),
    ).not.toThrow();
  });
});

describe("absurd thresholds", () => {
  const thresholds = (fields: Record<string, unknown>) => ({
    certificates: { sources: [{ prefix: "" }], thresholds: fields },
  });

  it.each([
    ["warnDays 0", thresholds({ warnDays: 0 }), "certificates.thresholds.warnDays: Too small"],
    ["warnDays of a billion", thresholds({ warnDays: 1e9 }), "certificates.thresholds.warnDays: Too big"],
    [
      "fractional warnDays",
      thresholds({ warnDays: 2.5 }),
      "certificates.thresholds.warnDays: Invalid input: expected int",
    ],
    ["negative majorDays", thresholds({ majorDays: -1 }), "certificates.thresholds.majorDays: Too small"],
    [
      "majorDays above warnDays",
      thresholds({ warnDays: 5, majorDays: 10 }),
      "certificates.thresholds.majorDays: expected majorDays to be less than warnDays",
    ],
    ["a week of skew", thresholds({ skewSeconds: 604_800 }), "certificates.thresholds.skewSeconds: Too big"],
    [
      "a terabyte object cap",
      thresholds({ maxObjectBytes: 1e12 }),
      "certificates.thresholds.maxObjectBytes: Too big",
    ],
    [
      "a 1-byte object cap",
      thresholds({ maxObjectBytes: 1 }),
      "certificates.thresholds.maxObjectBytes: Too small",
    ],
    [
      "a reminder every 0 hours",
      { ...minimal(), alarms: { reminderIntervalHours: 0 } },
      "alarms.reminderIntervalHours: Too small",
    ],
    [
      "1,000 failures before raising",
      { ...minimal(), alarms: { consecutiveFailures: { credentials: 1000 } } },
      "alarms.consecutiveFailures.credentials: Too big",
    ],
    [
      "a zero rate",
      { ...minimal(), schedules: { certificateScan: { expression: "rate(0 minutes)" } } },
      "schedules.certificateScan.expression",
    ],
  ])("refuses %s", (_name, raw, expected) => {
    expectRefused(raw, expected);
  });
});

describe("key prefixes and object keys", () => {
  it.each([
    ["a/../b/", "certificates.sources[0].prefix: expected an object-key prefix without '.' or '..' segments"],
    ["../", "certificates.sources[0].prefix: expected an object-key prefix without '.' or '..' segments"],
    [
      "./certs/",
      "certificates.sources[0].prefix: expected an object-key prefix without '.' or '..' segments",
    ],
    [
      "certs/..",
      "certificates.sources[0].prefix: expected an object-key prefix without '.' or '..' segments",
    ],
    [
      "certs*",
      "certificates.sources[0].prefix: expected an object-key prefix without '*' or '?', which IAM policies read as wildcards",
    ],
    ["c?rts/", "certificates.sources[0].prefix: expected an object-key prefix without '*' or '?'"],
    ["certs/\n", "certificates.sources[0].prefix: expected an object-key prefix without control characters"],
    ["/certs/", "certificates.sources[0].prefix: expected an object-key prefix without a leading '/'"],
  ])("refuses the prefix %j", (prefix, expected) => {
    expectRefused({ certificates: { sources: [{ prefix }] } }, expected);
  });

  it.each([
    [
      "a CA bundle key",
      withSource({ caBundleKey: "../trust/ca.pem" }),
      "certificates.sources[0].caBundleKey: expected an object key without '.' or '..' segments",
    ],
    [
      "a peer certificate key",
      peerGroup([{ fqdn: "a.example.com", certificateKey: "peers/./a.pem" }]),
      "certificates.peerGroups[0].peers[0].certificateKey: expected an object key without '.' or '..' segments",
    ],
    [
      "a credential prefix",
      target({ prefix: "hbase/../" }),
      "credentials.targets[0].prefix: expected a prefix without '.' or '..' segments",
    ],
    [
      "a key pattern",
      withSource({ hostnamesByKey: [{ keyPattern: "a\u0000*.pem", hostnames: ["a.example.com"] }] }),
      "certificates.sources[0].hostnamesByKey[0].keyPattern: expected a key pattern without control characters",
    ],
  ])("refuses %s with traversal or control characters", (_name, raw, expected) => {
    expectRefused(raw, expected);
  });

  it("accepts dots inside segment names", () => {
    expect(() =>
      parseConfig({ certificates: { sources: [{ prefix: "v1.2/..hidden/a..b/" }] } }),
    ).not.toThrow();
  });
});

describe("peer groups", () => {
  const peer = (i: number) => ({ fqdn: `n${i}.example.com`, certificateKey: `n${i}.pem` });

  it.each([
    ["seven peers", peerGroup(many(7, peer)), "certificates.peerGroups[0].peers: expected at most six peers"],
    [
      "the same fqdn twice (in another case)",
      peerGroup([peer(1), { ...peer(2), fqdn: "N1.EXAMPLE.COM" }]),
      "certificates.peerGroups[0].peers: expected each peer's fqdn to appear once in its group",
    ],
    [
      "the same certificate for two peers",
      peerGroup([peer(1), { ...peer(2), certificateKey: "n1.pem" }]),
      "certificates.peerGroups[0].peers: expected each peer's certificateKey to appear once in its group",
    ],
    [
      "the same endpoint for two peers",
      peerGroup([
        { fqdn: "a.example.com", endpoint: "lb.example.com:2379" },
        { fqdn: "b.example.com", endpoint: "LB.example.com:2379" },
      ]),
      "certificates.peerGroups[0].peers: expected each peer's endpoint to appear once in its group",
    ],
    ["no peers", peerGroup([]), "certificates.peerGroups[0].peers: expected at least one peer"],
  ])("refuses %s", (_name, raw, expected) => {
    expectRefused(raw, expected);
  });

  it("accepts six distinct peers", () => {
    expect(() => parseConfig(peerGroup(many(6, peer)))).not.toThrow();
  });
});

describe("values of the wrong type", () => {
  it.each([
    [
      "a number as prefix",
      { certificates: { sources: [{ prefix: 3 }] } },
      "certificates.sources[0].prefix: Invalid input: expected string, received number",
    ],
    [
      "a string as source list",
      { certificates: { sources: "certs/" } },
      "certificates.sources: Invalid input: expected array, received string",
    ],
    [
      "a number as host name",
      withSource({ expectedHostnames: [1] }),
      "certificates.sources[0].expectedHostnames[0]: Invalid input: expected string, received number",
    ],
    [
      "a boolean as stack name",
      { ...minimal(), stackName: true },
      "stackName: Invalid input: expected string, received boolean",
    ],
    [
      "a string for a number",
      { certificates: { sources: [{ prefix: "" }], thresholds: { warnDays: "30" } } },
      "certificates.thresholds.warnDays: Invalid input: expected number, received string",
    ],
    [
      "a string for a boolean",
      { ...minimal(), schedules: { checkAfterDeploy: "true" } },
      "schedules.checkAfterDeploy: Invalid input: expected boolean, received string",
    ],
    [
      "null for an object",
      { ...minimal(), notifications: null },
      "notifications: Invalid input: expected object, received null",
    ],
    [
      "an object for an email address",
      { ...minimal(), notifications: { email: [{ address: {} }] } },
      "notifications.email[0].address: expected an email address",
    ],
  ])("refuses %s", (_name, raw, expected) => {
    expectRefused(raw, expected);
  });

  it.each([
    ["null", "(top level): Invalid input: expected object, received null"],
    ["[]", "(top level): Invalid input: expected object, received array"],
    ['"watchpost"', "(top level): Invalid input: expected object, received string"],
  ])("refuses a file holding only %s", (text, expected) => {
    expect(problemsOfText(text)).toEqual([expected]);
  });
});

describe("prototype-pollution keys", () => {
  it.each([
    [
      "at the top",
      '{"certificates":{"sources":[{"prefix":"a/"}]},"__proto__":{"polluted":true}}',
      '(top level): Unrecognized key: "__proto__"',
    ],
    [
      "in a source",
      '{"certificates":{"sources":[{"prefix":"a/","__proto__":{"polluted":true}}]}}',
      'certificates.sources[0]: Unrecognized key: "__proto__"',
    ],
    [
      "in a silence",
      '{"certificates":{"sources":[{"prefix":"a/"}]},"alarms":{"silences":[{"__proto__":{"alarmId":"1001"},"startsAt":"2025-01-01T00:00:00Z","endsAt":"2025-02-01T00:00:00Z","reason":"x"}]}}',
      'alarms.silences[0]: Unrecognized key: "__proto__"',
    ],
    [
      "in alarm parameters",
      `{"certificates":{"sources":[{"prefix":"a/"}]},"credentials":{"targets":[{"name":"t","roleArn":"${ROLE}","bucket":"data-bucket","region":"eu-west-1","parameters":{"__proto__":{"polluted":true}}}]}}`,
      'credentials.targets[0].parameters: Unrecognized key: "__proto__"',
    ],
    [
      "as constructor.prototype",
      '{"certificates":{"sources":[{"prefix":"a/"}]},"constructor":{"prototype":{"polluted":true}}}',
      '(top level): Unrecognized key: "constructor"',
    ],
  ])("refuses __proto__ %s and pollutes nothing", (_name, text, expected) => {
    // Act
    const problems = problemsOfText(text);

    // Assess
    expect(problems).toContain(expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(Object.prototype).not.toHaveProperty("alarmId");
  });
});

describe("valid configurations stay valid", () => {
  it("accepts the repository's example and the infrastructure tests' full configuration", () => {
    expect(() =>
      parseConfigText(readFileSync("watchpost.config.json", "utf8"), "watchpost.config.json"),
    ).not.toThrow();
    expect(() => parseConfig(fullConfig())).not.toThrow();
  });

  it("accepts a configuration at every list limit", () => {
    // Prepare
    const raw = {
      certificates: {
        sources: many(LIMITS.sources, (i) => ({
          prefix: `s${i}/`,
          expectedHostnames: many(LIMITS.hostnames, (h) => `h${h}.example.com`),
        })),
      },
      notifications: { email: many(LIMITS.emailRecipients, (i) => ({ address: `a${i}@example.com` })) },
      alarms: { silences: many(LIMITS.silences, () => silence({ alarmId: "1002" }).alarms.silences[0]) },
    };

    // Act / Assess
    expect(() => parseConfigText(JSON.stringify(raw), "big.json")).not.toThrow();
  });
});
