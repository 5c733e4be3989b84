/**
 * The deployment configuration (`watchpost.config.json`): one definition, validated once where the
 * file enters (the CDK app at synth time), and the source of the JSON Schema shipped in `schemas/`
 * so editors complete and check the file. Every field is documented in docs/configuration.md.
 *
 * Only names of secrets appear here (Secrets Manager secret names), never secret values.
 */
import * as z from "zod";
import { ALARM_IDS } from "./alarms/alarm-ids";
import { Silence } from "./alarms/silences";
import { Severity } from "./contracts";
import { CredentialTarget } from "./credentials/target";

/**
 * Upper bounds on lists. Generous for any real deployment; they exist so a generated or pasted
 * file with thousands of entries stops at synth with a message, instead of producing IAM policies,
 * event patterns or an esbuild command line that fail later with an obscure error.
 */
export const LIMITS = {
  sources: 50,
  hostnames: 100,
  hostnamesByKey: 100,
  peerGroups: 20,
  credentialTargets: 50,
  emailRecipients: 50,
  chatChannels: 20,
  webhooks: 20,
  silences: 100,
  /** Characters of all prefixes and keys the scan may read, which the stack writes into IAM policies. */
  readableKeyCharacters: 4096,
  /** Size of the configuration file itself. */
  fileBytes: 1024 * 1024,
} as const;

const atMost = (limit: number, what: string) => `expected at most ${limit} ${what}`;

/** S3 bucket naming rules (3–63 characters, lowercase letters, digits, dots and hyphens). */
const BucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "expected an S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens",
  )
  .refine((name) => !name.includes(".."), "expected an S3 bucket name without two adjacent dots")
  .refine((name) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(name), "expected an S3 bucket name, not an IP address")
  .refine(
    (name) => !/^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|--x-s3|--table-s3|\.mrap)$/.test(name),
    "expected an S3 bucket name without a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3, ...)",
  );

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Key text the stack writes into IAM policies and event patterns: no control characters, no `.`
 * or `..` segments (S3 does not resolve them, so "a/../b/" is not "b/"), and no `*` or `?`, which
 * IAM reads as wildcards and would widen what the scan may read.
 */
function keyText(schema: z.ZodString, what: string) {
  return schema
    .refine((key) => !CONTROL_CHARACTERS.test(key), `expected ${what} without control characters`)
    .refine(
      (key) => !key.split("/").some((segment) => segment === "." || segment === ".."),
      `expected ${what} without '.' or '..' segments: S3 does not resolve them ("a/../b/" is not "b/")`,
    )
    .refine(
      (key) => !/[*?]/.test(key),
      `expected ${what} without '*' or '?', which IAM policies read as wildcards`,
    );
}

/** A key prefix: "" is the whole bucket; no leading slash, because S3 keys do not start with one. */
const KeyPrefix = keyText(z.string().max(1024), "an object-key prefix").refine(
  (p) => !p.startsWith("/"),
  "expected an object-key prefix without a leading '/', e.g. \"certs/prod/\"",
);

const ObjectKey = keyText(z.string().min(1, "expected an object key").max(1024), "an object key").refine(
  (k) => !k.startsWith("/") && !k.endsWith("/"),
  'expected an object key such as "certs/ca.pem"',
);

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
  keyPattern: z
    .string()
    .min(1, KEY_PATTERN_HELP)
    .max(1024)
    .refine(
      (pattern) => !CONTROL_CHARACTERS.test(pattern),
      "expected a key pattern without control characters",
    ),
  hostnames: z
    .array(HostName)
    .min(1, "expected at least one host name")
    .max(LIMITS.hostnames, atMost(LIMITS.hostnames, "host names")),
});

const CertificateSource = z.strictObject({
  /** Object-key prefix scanned and watched for changes; "" means the whole bucket. */
  prefix: KeyPrefix,
  /** Names every end-entity certificate under the prefix must cover (none: no hostname check). */
  expectedHostnames: z
    .array(HostName)
    .max(LIMITS.hostnames, atMost(LIMITS.hostnames, "host names"))
    .default([]),
  /** Finer-grained names per key pattern; the first matching pattern wins over `expectedHostnames`. */
  hostnamesByKey: z
    .array(HostnamesByKey)
    .max(LIMITS.hostnamesByKey, atMost(LIMITS.hostnamesByKey, "key patterns"))
    .default([]),
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
  })
  .refine((g) => unique(g.peers.flatMap((p) => (p.certificateKey ? [p.certificateKey] : []))), {
    message: "expected each peer's certificateKey to appear once in its group",
    path: ["peers"],
  })
  .refine((g) => unique(g.peers.flatMap((p) => (p.endpoint ? [p.endpoint.toLowerCase()] : []))), {
    message: "expected each peer's endpoint to appear once in its group",
    path: ["peers"],
  });

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

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
    sources: z
      .array(CertificateSource)
      .min(1, "expected at least one certificate source")
      .max(LIMITS.sources, atMost(LIMITS.sources, "certificate sources")),
    thresholds: Thresholds.prefault({}),
    peerGroups: z
      .array(PeerGroup)
      .max(LIMITS.peerGroups, atMost(LIMITS.peerGroups, "peer groups"))
      .default([]),
  })
  .refine((c) => new Set(c.sources.map((s) => s.prefix)).size === c.sources.length, {
    message: "expected each prefix to appear in one source only",
    path: ["sources"],
  })
  .refine((c) => new Set(c.peerGroups.map((g) => g.name)).size === c.peerGroups.length, {
    message: "expected peer group names to be unique",
    path: ["peerGroups"],
  })
  .superRefine((c, context) => {
    const { prefixes, keys } = readablePrefixes(c);
    const characters = [...prefixes, ...keys].reduce((sum, key) => sum + key.length, 0);
    if (characters > LIMITS.readableKeyCharacters) {
      context.addIssue({
        code: "custom",
        path: ["sources"],
        message:
          `expected the prefixes and keys the scan reads to add up to at most ${LIMITS.readableKeyCharacters} ` +
          `characters (they are ${characters}); the stack writes each into an IAM policy, whose size is limited`,
      });
    }
  });

/** The role name (after the last '/') that IAM allows: 1-64 characters. */
const ROLE_NAME = /:role\/(?:[^/]*\/)*([^/]*)$/;

const Credentials = z
  .strictObject({
    targets: z
      .array(CredentialTarget)
      .max(LIMITS.credentialTargets, atMost(LIMITS.credentialTargets, "credential targets"))
      .default([]),
  })
  .refine((c) => new Set(c.targets.map((t) => t.name)).size === c.targets.length, {
    message: "expected credential target names to be unique",
    path: ["targets"],
  })
  .superRefine((c, context) => {
    c.targets.forEach((target, i) => {
      const roleName = target.roleArn ? (ROLE_NAME.exec(target.roleArn)?.[1] ?? "") : undefined;
      if (roleName !== undefined && (roleName.length < 1 || roleName.length > 64)) {
        context.addIssue({
          code: "custom",
          path: ["targets", i, "roleArn"],
          message: `expected an IAM role ARN ending in a role name of 1-64 characters (got ${roleName.length})`,
        });
      }
      for (const field of ["s3Endpoint", "stsEndpoint"] as const) {
        const endpoint = target[field];
        if (endpoint !== undefined && !/^https?:\/\//i.test(endpoint)) {
          context.addIssue({
            code: "custom",
            path: ["targets", i, field],
            message: "expected an http:// or https:// endpoint URL",
          });
        }
      }
      const prefix = target.prefix ?? "";
      if (prefix.split("/").some((segment) => segment === "." || segment === "..")) {
        context.addIssue({
          code: "custom",
          path: ["targets", i, "prefix"],
          message: "expected a prefix without '.' or '..' segments: S3 does not resolve them",
        });
      }
    });
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
  address: z
    .email("expected an email address")
    .max(254, "expected an email address of at most 254 characters"),
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
    secretField: z.string().min(1).max(256).optional(),
  }),
  z.strictObject({
    type: z.literal("basic"),
    username: z.string().min(1).max(512),
    /** Secret whose string value (or JSON field `secretField`) is the password. */
    secretName: SecretName,
    secretField: z.string().min(1).max(256).optional(),
  }),
]);

/** Query parameter names that carry a secret (a token, key, signature or password). */
const SECRET_QUERY_PARAMETER =
  /^(?:.*[-_.])?(?:token|secret|sig|signature|password|passwd|pwd|key|apikey|auth|authorization|credentials?|session)$/i;

/** The URL is written into the CloudFormation template in clear text: it must carry no secret. */
function withoutCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.username !== "" || parsed.password !== "") return false;
    return ![...parsed.searchParams.keys()].some((name) => SECRET_QUERY_PARAMETER.test(name));
  } catch {
    return true; // not a URL at all: the url check says so
  }
}

const Webhook = z.strictObject({
  name: ConfigurationName,
  url: z
    .url({ protocol: /^https$/, error: "expected an https:// URL" })
    .max(2048)
    .refine(
      withoutCredentials,
      "expected a URL without credentials (no user:password@, no token, key or signature in the query): it would be written into the CloudFormation template in clear text; keep the secret in Secrets Manager and name it in `auth`",
    ),
  minimumSeverity: Severity.default("minor"),
  auth: WebhookAuth,
  /** Upper bound on calls per second to the endpoint (EventBridge API destination rate limit). */
  rateLimitPerSecond: z.number().int().min(1).max(300).default(10),
});

const Notifications = z
  .strictObject({
    /** Prefix for runbook links carried by events as repository-relative paths (docs/alarms/<id>.md). */
    runbookBaseUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    email: z
      .array(EmailRecipient)
      .max(LIMITS.emailRecipients, atMost(LIMITS.emailRecipients, "email recipients"))
      .default([]),
    slack: z
      .array(SlackChannel)
      .max(LIMITS.chatChannels, atMost(LIMITS.chatChannels, "Slack channels"))
      .default([]),
    teams: z
      .array(TeamsChannel)
      .max(LIMITS.chatChannels, atMost(LIMITS.chatChannels, "Teams channels"))
      .default([]),
    webhooks: z.array(Webhook).max(LIMITS.webhooks, atMost(LIMITS.webhooks, "webhooks")).default([]),
  })
  .refine(
    (n) => {
      const names = [...n.slack, ...n.teams, ...n.webhooks].map((c) => c.name);
      return new Set(names).size === names.length;
    },
    { message: "expected slack, teams and webhook names to be unique", path: ["webhooks"] },
  );

const KNOWN_ALARM_IDS: readonly string[] = Object.values(ALARM_IDS);

/**
 * A silence as the configuration file may write it: unknown keys are errors (a typo such as
 * "alarmID" would otherwise leave a silence with no matcher, which silences every alarm), and the
 * alarm ID must be one the catalog has.
 */
function StrictSilence() {
  return Silence.strict()
    .refine((s) => s.alarmId === undefined || KNOWN_ALARM_IDS.includes(s.alarmId), {
      message: `expected an alarm ID from the catalog: ${KNOWN_ALARM_IDS.join(", ")}`,
      path: ["alarmId"],
    })
    .refine((s) => s.reason.length <= 1024 && (s.sourcePrefix ?? "").length <= 1024, {
      message: "expected reason and sourcePrefix of at most 1024 characters",
    });
}

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
  silences: z.array(StrictSilence()).max(LIMITS.silences, atMost(LIMITS.silences, "silences")).default([]),
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
  /**
   * Objects per scan batch: a source that lists more is handed out in batches to concurrent scan
   * invocations (docs/architecture.md). Bounded so a batch message stays under SQS's 256 KiB.
   */
  scanBatchSize: z.number().int().min(10).max(1000).default(500),
  /** Scan invocations judging batches at once: bounds the load on S3 and DynamoDB. */
  scanWorkers: z.number().int().min(2).max(100).default(5),
});

export const WatchpostConfig = z
  .strictObject({
    /** Editors use it to find the JSON Schema; ignored otherwise. */
    $schema: z.string().max(2048).optional(),
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

/** Problems listed in one error; a file with thousands of bad entries names the first few and counts the rest. */
const MAX_LISTED_PROBLEMS = 20;

export function parseConfig(raw: unknown, origin = "configuration"): WatchpostConfig {
  const result = WatchpostConfig.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  if (problems.length > listed.length)
    listed.push(`... and ${problems.length - listed.length} more problems`);
  throw new ConfigError(origin, listed);
}

/** Parses JSON text (a file's content); `origin` names the file in error messages. */
export function parseConfigText(text: string, origin: string): WatchpostConfig {
  if (text.length > LIMITS.fileBytes) {
    throw new ConfigError(origin, [
      `(file): expected a configuration of at most ${LIMITS.fileBytes} bytes (it has ${text.length} characters)`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(origin, [`(file): expected JSON (${(error as Error).message})`]);
  }
  const duplicates = duplicateKeys(text);
  if (duplicates.length > 0) {
    throw new ConfigError(
      origin,
      duplicates.map(
        ({ path, key }) => `${formatPath(path)}: key "${key}" appears twice; JSON keeps only the last one`,
      ),
    );
  }
  return parseConfig(raw, origin);
}

/**
 * Keys written twice in one object. JSON.parse silently keeps the last, so a second "certificates"
 * block pasted below the first would replace it. `text` must already be valid JSON.
 */
function duplicateKeys(text: string): { path: PropertyKey[]; key: string }[] {
  const found: { path: PropertyKey[]; key: string }[] = [];
  // One frame per open container: its keys so far (objects) or its next index (arrays).
  const stack: { keys?: Set<string>; index: number; path: PropertyKey[] }[] = [];
  let pendingKey: string | undefined;
  let expectKey = false;
  const childPath = () => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    return top.keys ? [...top.path, pendingKey ?? ""] : [...top.path, top.index];
  };
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) found.push({ path: top.path, key });
        top.keys.add(key);
        pendingKey = key;
        expectKey = false;
      }
      i = end;
    } else if (char === "{" || char === "[") {
      stack.push({ ...(char === "{" ? { keys: new Set<string>() } : {}), index: 0, path: childPath() });
      expectKey = char === "{";
    } else if (char === "}" || char === "]") {
      stack.pop();
    } else if (char === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index += 1;
    }
  }
  return found;
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
