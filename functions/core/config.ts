/**
 * The deployment configuration (`watchpost.config.json`): one definition, validated once where the
 * file enters (the CDK app at synth time), and the source of the JSON Schema shipped in `schemas/`
 * so editors complete and check the file. Every field is documented in docs/configuration.md.
 *
 * Only names of secrets appear here (Secrets Manager secret names), never secret values.
 */
import { z } from "zod";
import { Silence } from "./alarms/silences";
import { Severity } from "./contracts";
import { CredentialTarget } from "./credentials/target";

/** S3 bucket naming rules (3–63 characters, lowercase letters, digits, dots and hyphens). */
const BucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "expected an S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens",
  );

/** A key prefix: "" is the whole bucket; no leading slash, because S3 keys do not start with one. */
const KeyPrefix = z
  .string()
  .max(1024)
  .refine(
    (p) => !p.startsWith("/"),
    "expected an object-key prefix without a leading '/', e.g. \"certs/prod/\"",
  );

const ObjectKey = z
  .string()
  .min(1, "expected an object key")
  .max(1024)
  .refine((k) => !k.startsWith("/") && !k.endsWith("/"), 'expected an object key such as "certs/ca.pem"');

/** DNS names (wildcards allowed) or IP addresses, compared case-insensitively by the checks. */
const HostName = z
  .string()
  .regex(
    /^(\*\.)?([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.?$|^[0-9a-fA-F:.]+$/,
    'expected a host name such as "api.example.com" or an IP address',
  );

const SecretName = z
  .string()
  .regex(
    /^[A-Za-z0-9/_+=.@-]{1,512}$/,
    'expected a Secrets Manager secret name such as "watchpost/pager-api-key"',
  );

const KmsKeyArn = z
  .string()
  .regex(/^arn:[a-z0-9-]+:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-zA-Z0-9-]+$/, "expected a KMS key ARN");

const KEY_PATTERN_HELP =
  "expected a key pattern where '*' matches within one path segment and '**' across segments";

/** Expected host names for the certificates whose keys match a glob-like pattern. */
const HostnamesByKey = z.strictObject({
  keyPattern: z.string().min(1, KEY_PATTERN_HELP).max(1024),
  hostnames: z.array(HostName).min(1, "expected at least one host name"),
});

const CertificateSource = z.strictObject({
  /** Object-key prefix scanned and watched for changes; "" means the whole bucket. */
  prefix: KeyPrefix,
  /** Names every end-entity certificate under the prefix must cover (none: no hostname check). */
  expectedHostnames: z.array(HostName).default([]),
  /** Finer-grained names per key pattern; the first matching pattern wins over `expectedHostnames`. */
  hostnamesByKey: z.array(HostnamesByKey).default([]),
  /** Object key of a PEM bundle of trusted CAs; certificates under the prefix must chain to it. */
  caBundleKey: ObjectKey.optional(),
  /** Secrets Manager secret holding the password of PKCS#12 files under the prefix. */
  pkcs12PasswordSecretName: SecretName.optional(),
});

const Peer = z.strictObject({
  /** The peer's fully qualified name; its certificate must name it in a SAN (or CN without SANs). */
  fqdn: HostName,
  /** Object key of the certificate the peer presents. */
  certificateKey: ObjectKey.optional(),
  /** Live TLS endpoint "host:port"; the presented chain is checked as well. */
  endpoint: z
    .string()
    .regex(
      /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/,
      'expected "host:port", e.g. "node1.example.com:2379"',
    )
    .optional(),
});

const PeerGroup = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, "expected a name of 1-64 letters, digits, '.', '_' or '-'"),
    /** Object key of the CA bundle every peer's certificate must chain to. */
    caBundleKey: ObjectKey,
    peers: z.array(Peer).min(1, "expected at least one peer").max(6, "expected at most six peers"),
  })
  .refine((g) => g.peers.every((p) => p.certificateKey !== undefined || p.endpoint !== undefined), {
    message: "expected every peer to have a certificateKey, an endpoint, or both",
    path: ["peers"],
  })
  .refine((g) => new Set(g.peers.map((p) => p.fqdn.toLowerCase())).size === g.peers.length, {
    message: "expected each peer's fqdn to appear once in its group",
    path: ["peers"],
  });

const Thresholds = z
  .strictObject({
    /** Days left at or below which an `expiring` alarm is raised as minor. */
    warnDays: z.number().int().min(1).max(3650).default(30),
    /** Days left at or below which it becomes major. */
    majorDays: z.number().int().min(0).max(3650).default(7),
    /** Tolerated clock difference before a future notBefore counts as `not-yet-valid`. */
    skewSeconds: z.number().int().min(0).max(86_400).default(300),
    /** Objects larger than this are reported `unreadable` (too-large) without being downloaded. */
    maxObjectBytes: z
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(1024 * 1024),
  })
  .refine((t) => t.majorDays < t.warnDays, {
    message: "expected majorDays to be less than warnDays",
    path: ["majorDays"],
  });

const Bucket = z
  .strictObject({
    /** Watch this existing bucket instead of creating one. */
    existingBucketName: BucketName.optional(),
    /** The key that encrypts the existing bucket's objects, when it is not SSE-S3. */
    kmsKeyArn: KmsKeyArn.optional(),
  })
  .refine((b) => b.kmsKeyArn === undefined || b.existingBucketName !== undefined, {
    message: "expected kmsKeyArn only together with existingBucketName (a created bucket uses SSE-S3)",
    path: ["kmsKeyArn"],
  });

const Certificates = z
  .strictObject({
    bucket: Bucket.prefault({}),
    sources: z.array(CertificateSource).min(1, "expected at least one certificate source"),
    thresholds: Thresholds.prefault({}),
    peerGroups: z.array(PeerGroup).default([]),
  })
  .refine((c) => new Set(c.sources.map((s) => s.prefix)).size === c.sources.length, {
    message: "expected each prefix to appear in one source only",
    path: ["sources"],
  })
  .refine((c) => new Set(c.peerGroups.map((g) => g.name)).size === c.peerGroups.length, {
    message: "expected peer group names to be unique",
    path: ["peerGroups"],
  });

const Credentials = z
  .strictObject({
    targets: z.array(CredentialTarget).default([]),
  })
  .refine((c) => new Set(c.targets.map((t) => t.name)).size === c.targets.length, {
    message: "expected credential target names to be unique",
    path: ["targets"],
  });

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((\S+ ){5}\S+\)$/;

/** EventBridge schedule expressions; a rate of 1 takes the singular unit, others the plural. */
const ScheduleExpression = z
  .string()
  .refine((e) => CRON.test(e) || RATE.test(e), 'expected "cron(M H DoM Mon DoW Y)" or "rate(N unit)"')
  .refine((e) => {
    const rate = RATE.exec(e);
    if (!rate) return true;
    const value = Number(rate[1]);
    return value >= 1 && (value === 1) === !rate[2]!.endsWith("s");
  }, 'expected a rate of at least 1 with a singular unit for 1 ("rate(1 hour)") and plural otherwise');

const TimeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as "Europe/Berlin"');

const Schedule = z.strictObject({
  expression: ScheduleExpression,
  /** Cron fields read in this zone (EventBridge Scheduler); absent: UTC (an EventBridge rule). */
  timeZone: TimeZone.optional(),
  enabled: z.boolean().default(true),
});

const Schedules = z.strictObject({
  certificateScan: Schedule.prefault({ expression: "cron(0 1 * * ? *)" }),
  credentialCheck: Schedule.prefault({ expression: "rate(5 minutes)" }),
  /** Run both checks once right after each deployment that changes them. */
  checkAfterDeploy: z.boolean().default(true),
});

const EmailRecipient = z.strictObject({
  address: z.email("expected an email address"),
  minimumSeverity: Severity.default("minor"),
});

const ConfigurationName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, "expected a name of 1-128 letters, digits, '_' or '-'");

const SlackChannel = z.strictObject({
  name: ConfigurationName,
  /** Slack workspace ID (from the Amazon Q Developer console after authorizing the workspace). */
  workspaceId: z.string().regex(/^[0-9A-Z]{1,255}$/, 'expected a Slack workspace ID such as "T0123ABCD"'),
  channelId: z.string().regex(/^[A-Za-z0-9]{1,255}$/, 'expected a Slack channel ID such as "C0123ABCD"'),
  minimumSeverity: Severity.default("minor"),
});

const Uuid = z.string().regex(/^[0-9a-fA-F-]{36}$/, "expected a UUID");

const TeamsChannel = z.strictObject({
  name: ConfigurationName,
  teamId: Uuid,
  tenantId: Uuid,
  /** The channel ID from the channel's link, as "19:abc...@thread.tacv2" or URL-encoded as in the link. */
  channelId: z.string().min(1).max(256),
  minimumSeverity: Severity.default("minor"),
});

const WebhookAuth = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("api-key"),
    headerName: z.string().regex(/^[A-Za-z0-9-]{1,128}$/, 'expected an HTTP header name such as "x-api-key"'),
    /** Secret whose string value (or JSON field `secretField`) is the key. */
    secretName: SecretName,
    secretField: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal("basic"),
    username: z.string().min(1).max(512),
    /** Secret whose string value (or JSON field `secretField`) is the password. */
    secretName: SecretName,
    secretField: z.string().min(1).optional(),
  }),
]);

const Webhook = z.strictObject({
  name: ConfigurationName,
  url: z.url({ protocol: /^https$/, error: "expected an https:// URL" }),
  minimumSeverity: Severity.default("minor"),
  auth: WebhookAuth,
  /** Upper bound on calls per second to the endpoint (EventBridge API destination rate limit). */
  rateLimitPerSecond: z.number().int().min(1).max(300).default(10),
});

const Notifications = z
  .strictObject({
    /** Prefix for runbook links carried by events as repository-relative paths (docs/alarms/<id>.md). */
    runbookBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
    email: z.array(EmailRecipient).default([]),
    slack: z.array(SlackChannel).default([]),
    teams: z.array(TeamsChannel).default([]),
    webhooks: z.array(Webhook).default([]),
  })
  .refine(
    (n) => {
      const names = [...n.slack, ...n.teams, ...n.webhooks].map((c) => c.name);
      return new Set(names).size === names.length;
    },
    { message: "expected slack, teams and webhook names to be unique", path: ["webhooks"] },
  );

const Alarms = z.strictObject({
  /** A still-active alarm is repeated as a reminder this often. */
  reminderIntervalHours: z.number().int().min(1).max(720).default(24),
  /** Cleared occurrences are kept this long as history (DynamoDB TTL). */
  historyRetentionDays: z.number().int().min(1).max(3650).default(90),
  /** Raise only after this many consecutive failing runs; one blip should not page anyone. */
  consecutiveFailures: z
    .strictObject({
      certificates: z.number().int().min(1).max(10).default(1),
      credentials: z.number().int().min(1).max(10).default(2),
    })
    .prefault({}),
  silences: z.array(Silence).default([]),
});

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const Operations = z.strictObject({
  logRetentionDays: z
    .number()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `expected one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
    })
    .default(30),
  /** The certificate-scan staleness alarm fires after this many hours without a successful scan. */
  scanStalenessHours: z.number().int().min(2).max(168).default(26),
  dashboard: z.boolean().default(true),
});

export const WatchpostConfig = z
  .strictObject({
    /** Editors use it to find the JSON Schema; ignored otherwise. */
    $schema: z.string().optional(),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, "expected a CloudFormation stack name (letters, digits, '-')")
      .default("Watchpost"),
    certificates: Certificates,
    credentials: Credentials.prefault({}),
    schedules: Schedules.prefault({}),
    notifications: Notifications.prefault({}),
    alarms: Alarms.prefault({}),
    operations: Operations.prefault({}),
  })
  .meta({
    title: "watchpost configuration",
    description:
      "watchpost.config.json: what the watchpost stack watches and whom it tells. See docs/configuration.md.",
  });

/** The JSON Schema of the file as written (defaults not yet applied), for editors and other tools. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(WatchpostConfig, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}

/** A validated configuration with every default applied. */
export type WatchpostConfig = z.infer<typeof WatchpostConfig>;
/** What a configuration file may say before defaults are applied. */
export type WatchpostConfigInput = z.input<typeof WatchpostConfig>;
export type CertificateSource = WatchpostConfig["certificates"]["sources"][number];
export type PeerGroup = WatchpostConfig["certificates"]["peerGroups"][number];
export type Webhook = WatchpostConfig["notifications"]["webhooks"][number];

/** The configuration is not valid; `problems` lists one "path: what is expected" line per issue. */
export class ConfigError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: string[],
  ) {
    super(`${origin} is not a valid watchpost configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function parseConfig(raw: unknown, origin = "configuration"): WatchpostConfig {
  const result = WatchpostConfig.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    origin,
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  );
}

/** Parses JSON text (a file's content); `origin` names the file in error messages. */
export function parseConfigText(text: string, origin: string): WatchpostConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(origin, [`(file): expected JSON (${(error as Error).message})`]);
  }
  return parseConfig(raw, origin);
}

/** `certificates.sources[0].prefix` — the way the file's author would point at the field. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      const name = String(segment);
      return index === 0 ? name : `.${name}`;
    })
    .join("");
}

/**
 * Object keys and key prefixes the certificate scan reads: the sources' prefixes plus CA bundles and
 * peer certificates that live elsewhere. The stack scopes read permissions to exactly these.
 */
export function readablePrefixes(certificates: WatchpostConfig["certificates"]): {
  prefixes: string[];
  keys: string[];
} {
  const prefixes = [...new Set(certificates.sources.map((s) => s.prefix))];
  const covered = (key: string) => prefixes.some((p) => key.startsWith(p));
  const keys = [
    ...certificates.sources.flatMap((s) => (s.caBundleKey ? [s.caBundleKey] : [])),
    ...certificates.peerGroups.flatMap((g) => [
      g.caBundleKey,
      ...g.peers.flatMap((p) => (p.certificateKey ? [p.certificateKey] : [])),
    ]),
  ];
  return { prefixes, keys: [...new Set(keys.filter((k) => !covered(k)))].sort() };
}

/**
 * The host names an object's certificates must cover: the first `hostnamesByKey` pattern that
 * matches the key, else the source's `expectedHostnames` (empty: no hostname check).
 */
export function expectedHostnamesFor(source: CertificateSource, key: string): string[] {
  const match = source.hostnamesByKey.find((entry) => keyPatternToRegExp(entry.keyPattern).test(key));
  return match ? match.hostnames : source.expectedHostnames;
}

/** `*` matches within one path segment, `**` across segments, `?` one character; the rest is literal. */
export function keyPatternToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
