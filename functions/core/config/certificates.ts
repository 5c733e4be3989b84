/** `certificates`: the bucket, the sources under it, thresholds and peer groups. */
import * as z from "zod";
import {
  AWS_ITEM_PARAMETERS,
  capturedNames,
  MAX_PARAMETER_VALUE,
  RESERVED_PARAMETERS,
} from "../certificates/location";
import { PeerRole } from "../contracts";
import { keyFor } from "../push/push";
import {
  AwsRegion,
  BucketName,
  CONTROL_CHARACTERS,
  HostName,
  KeyPrefix,
  KmsKeyArn,
  ObjectKey,
  regionOfArn,
  SecretName,
} from "./fields";
import { atMost, LIMITS } from "./limits";

const KEY_PATTERN_HELP =
  "expected a key pattern where '*' matches within one path segment and '**' across segments";

const KeyPattern = z
  .string()
  .min(1, KEY_PATTERN_HELP)
  .max(1024)
  .refine(
    (pattern) => !CONTROL_CHARACTERS.test(pattern),
    "expected a key pattern without control characters",
  );

/** Expected host names for the certificates whose keys match a glob-like pattern. */
const HostnamesByKey = z.strictObject({
  keyPattern: KeyPattern,
  hostnames: z
    .array(HostName)
    .min(1, "expected at least one host name")
    .max(LIMITS.hostnames, atMost(LIMITS.hostnames, "host names")),
});

/** The password secret of the PKCS#12 files and keystores whose keys match a pattern. */
const KeystorePasswordByKey = z.strictObject({
  keyPattern: KeyPattern,
  secretName: SecretName,
});

// Parameters smelling of a secret are dropped from alarms (alarms/alarm-content.ts): refused here.
const SECRET_LIKE = /secret|token|password|passphrase|private.?key|credential/i;

const ParameterName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9]{0,63}$/,
    "expected a parameter name such as ServiceName: a letter, then up to 63 letters or digits",
  )
  .refine(
    (name) => !(RESERVED_PARAMETERS as readonly string[]).includes(name),
    `expected a parameter name other than ${RESERVED_PARAMETERS.join(", ")}, which watchpost sets itself`,
  )
  .refine((name) => !SECRET_LIKE.test(name), "expected a parameter name that does not look like a secret's");

const ParameterValue = z
  .string()
  .min(1)
  .max(MAX_PARAMETER_VALUE)
  .refine((value) => !CONTROL_CHARACTERS.test(value), "expected a value without control characters");

/** Alarm parameters declared literally: `{ "ServiceName": "Flink", "Cluster": "prod" }`. */
export const LocationParameters = locationParameters([]);

/** The same for an AWS selection, whose items carry `Account`, `Region`, `Arn`, `Name`, `SourceKind`. */
export const AwsItemLocationParameters = locationParameters(AWS_ITEM_PARAMETERS);

function locationParameters(alsoReserved: readonly string[]) {
  const reserved = `expected a parameter name other than ${[...RESERVED_PARAMETERS, ...alsoReserved].join(", ")}, which watchpost sets itself`;
  return z
    .record(z.string(), ParameterValue)
    .refine((p) => Object.keys(p).length <= LIMITS.parameters, atMost(LIMITS.parameters, "parameters"))
    .superRefine((parameters, context) => {
      // Checked here rather than as the record's key schema, whose errors say only "Invalid key".
      for (const name of Object.keys(parameters)) {
        if (alsoReserved.includes(name)) {
          context.addIssue({ code: "custom", path: [name], message: reserved });
          continue;
        }
        const checked = ParameterName.safeParse(name);
        if (checked.success) continue;
        for (const issue of checked.error.issues) {
          context.addIssue({ code: "custom", path: [name], message: issue.message });
        }
      }
    });
}

const CAPTURE_HELP = "expected {Name} captures with parameter names, each once, between '/' or other text";

/** Parameters for the objects whose keys match a pattern, literal or captured (`{HostName}`). */
const ParametersByKey = z.strictObject({
  keyPattern: KeyPattern.refine((pattern) => {
    const names = capturedNames(pattern);
    const unbalanced = (pattern.match(/[{}]/g)?.length ?? 0) !== names.length * 2;
    return (
      !unbalanced &&
      new Set(names).size === names.length &&
      names.every((name) => ParameterName.safeParse(name).success)
    );
  }, CAPTURE_HELP),
  parameters: LocationParameters.default({}),
});

const CertificateSource = z
  .strictObject({
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
    /** Secrets Manager secret holding the password of PKCS#12 files and Java keystores under the prefix. */
    keystorePasswordSecretName: SecretName.optional(),
    /** The name `keystorePasswordSecretName` had before keystores were read; still accepted. */
    pkcs12PasswordSecretName: SecretName.optional(),
    /** Other secrets for the files whose keys match a pattern; the first matching pattern wins. */
    keystorePasswordsByKey: z
      .array(KeystorePasswordByKey)
      .max(LIMITS.passwordsByKey, atMost(LIMITS.passwordsByKey, "key patterns"))
      .default([]),
    /** Alarm parameters of every certificate under the prefix (ServiceName, HostName, Cluster, ...). */
    parameters: LocationParameters.default({}),
    /** Parameters per key pattern, literal or captured; the first matching pattern adds its own. */
    parametersByKey: z
      .array(ParametersByKey)
      .max(LIMITS.parametersByKey, atMost(LIMITS.parametersByKey, "key patterns"))
      .default([]),
    /**
     * What the end-entity certificates under the prefix are for, as the chain check judges them:
     * `server` (TLS server: extendedKeyUsage serverAuth), `client` (TLS client: clientAuth), or `any`.
     * Default: `server` for a certificate with expected host names, `any` otherwise.
     */
    purpose: z.enum(["server", "client", "any"]).optional(),
  })
  .refine((s) => s.keystorePasswordSecretName === undefined || s.pkcs12PasswordSecretName === undefined, {
    message:
      "expected keystorePasswordSecretName only: pkcs12PasswordSecretName is its former name, kept as an alias",
    path: ["pkcs12PasswordSecretName"],
  })
  .transform(({ pkcs12PasswordSecretName, ...source }) => {
    const secret = source.keystorePasswordSecretName ?? pkcs12PasswordSecretName;
    return secret === undefined ? source : { ...source, keystorePasswordSecretName: secret };
  });

/** A file `watchpost push` carries from a peer's host: `<prefix><host>/<path without its leading '/'>`. */
const PushedFile = z.strictObject({
  /** The prefix `watchpost push --to s3://BUCKET/PREFIX/` writes under, e.g. "hosts/". */
  prefix: KeyPrefix,
  /** The file's absolute path on the host, e.g. "/etc/kafka/ssl/kafka.truststore.jks". */
  path: z
    .string()
    .max(1024)
    .regex(
      /^\/[^*?]*[^/*?]$/,
      'expected an absolute file path such as "/etc/kafka/ssl/kafka.truststore.jks"',
    ),
  /** The host name push uploads under (`--host`); default: the peer's fqdn. */
  host: HostName.optional(),
});

/**
 * The CAs a peer trusts, as it keeps them: a PEM, DER or PKCS#7 bundle, a Java truststore (JKS,
 * JCEKS) or a PKCS#12 truststore, in the bucket under `key`, or pushed from the peer's host.
 */
const TrustStore = z
  .strictObject({
    /** Object key of the trust store. */
    key: ObjectKey.optional(),
    /** Or the trust store `watchpost push` uploads from the peer's host. */
    pushed: PushedFile.optional(),
    /**
     * Secrets Manager secret holding its password, read as keystore passwords are: PKCS#12 needs it
     * to be read; a JKS or JCEKS truststore is read without it, and with it its integrity is verified.
     */
    passwordSecretName: SecretName.optional(),
  })
  .refine((t) => (t.key === undefined) !== (t.pushed === undefined), {
    message: "expected either key or pushed, not both and not neither",
  });

const Peer = z.strictObject({
  /** The peer's fully qualified name; its certificate must name it in a SAN (a CN-only match is minor). */
  fqdn: HostName,
  /** Object key of the certificate the peer presents. */
  certificateKey: ObjectKey.optional(),
  /** The CAs this peer trusts; default: the group's `caBundleKey`. */
  trustStore: TrustStore.optional(),
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
    /** Object key of the CA bundle peers trust when they do not name a trust store of their own. */
    caBundleKey: ObjectKey.optional(),
    /**
     * The TLS roles peers play towards each other: `server` (a peer accepts connections from the
     * others), `client` (a peer connects to the others, presenting its certificate). Each ordered
     * pair of peers is checked for each role: extendedKeyUsage serverAuth / clientAuth, keyUsage.
     */
    roles: z
      .array(PeerRole)
      .min(1, "expected at least one role: server, client")
      .max(2)
      .refine((roles) => new Set(roles).size === roles.length, "expected each role once")
      .default(["server", "client"]),
    peers: z.array(Peer).min(1, "expected at least one peer").max(6, "expected at most six peers"),
  })
  .refine((g) => g.caBundleKey !== undefined || g.peers.every((p) => p.trustStore !== undefined), {
    message: "expected caBundleKey, or a trustStore on every peer: each peer must trust some CA",
    path: ["caBundleKey"],
  })
  .superRefine((g, context) => {
    g.peers.forEach((peer, index) => {
      const pushed = peer.trustStore?.pushed;
      if (!pushed) return;
      const key = peerTrustStoreKey(peer);
      const checked = ObjectKey.safeParse(key);
      if (!checked.success)
        context.addIssue({
          code: "custom",
          path: ["peers", index, "trustStore", "pushed"],
          message: `the trust store's object key "${key}": ${checked.error.issues[0]?.message ?? "not a valid key"}`,
        });
    });
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
    /**
     * The existing bucket's region, checked at synth against the stack's: S3 sends its events only
     * to the default bus of the bucket's own region, and the scan reads through the stack's region.
     */
    region: AwsRegion.optional(),
    /**
     * Turn on the existing bucket's EventBridge notifications at deploy (merged with the bucket's
     * other notifications; absent means true); false when the bucket's owner manages them.
     */
    eventBridgeNotifications: z.boolean().optional(),
  })
  .refine((b) => b.kmsKeyArn === undefined || b.existingBucketName !== undefined, {
    message: "expected kmsKeyArn only together with existingBucketName (a created bucket uses SSE-S3)",
    path: ["kmsKeyArn"],
  })
  .refine((b) => b.region === undefined || b.existingBucketName !== undefined, {
    message:
      "expected region only together with existingBucketName (a created bucket is in the stack's region)",
    path: ["region"],
  })
  // S3 User Guide, "Specifying server-side encryption with AWS KMS (SSE-KMS)": the KMS key must be
  // in the same Region as the bucket.
  .refine(
    (b) => b.kmsKeyArn === undefined || b.region === undefined || regionOfArn(b.kmsKeyArn) === b.region,
    {
      message:
        "expected kmsKeyArn in the bucket's region: S3 encrypts with a KMS key of the bucket's own Region",
      path: ["kmsKeyArn"],
    },
  );

export const Certificates = z
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
    const secrets = keystoreSecretNames(c);
    const secretCharacters = secrets.reduce((sum, name) => sum + name.length, 0);
    if (secrets.length > LIMITS.keystoreSecrets || secretCharacters > LIMITS.keystoreSecretCharacters) {
      context.addIssue({
        code: "custom",
        path: ["sources"],
        message:
          `expected at most ${LIMITS.keystoreSecrets} distinct keystore password secrets with names of at most ` +
          `${LIMITS.keystoreSecretCharacters} characters together (they are ${secrets.length} secrets, ` +
          `${secretCharacters} characters); the stack writes each into the scan's IAM policies, whose size is limited`,
      });
    }
  });

/**
 * Every secret holding a PKCS#12, keystore or peer trust store password, once: the scan reads
 * these, and only these.
 */
export function keystoreSecretNames(certificates: {
  sources: readonly Pick<
    z.output<typeof CertificateSource>,
    "keystorePasswordSecretName" | "keystorePasswordsByKey"
  >[];
  peerGroups: readonly Pick<z.output<typeof PeerGroup>, "peers">[];
}): string[] {
  return [
    ...new Set([
      ...certificates.sources.flatMap((s) => [
        ...(s.keystorePasswordSecretName ? [s.keystorePasswordSecretName] : []),
        ...s.keystorePasswordsByKey.map((entry) => entry.secretName),
      ]),
      ...certificates.peerGroups.flatMap((g) =>
        g.peers.flatMap((p) => (p.trustStore?.passwordSecretName ? [p.trustStore.passwordSecretName] : [])),
      ),
    ]),
  ];
}

/** The object key of a peer's own trust store: as configured, or where `watchpost push` puts it. */
export function peerTrustStoreKey(peer: {
  fqdn: string;
  trustStore?:
    | {
        key?: string | undefined;
        pushed?: { prefix: string; path: string; host?: string | undefined } | undefined;
      }
    | undefined;
}): string | undefined {
  const store = peer.trustStore;
  if (store?.key) return store.key;
  if (store?.pushed) return keyFor(store.pushed.prefix, store.pushed.host ?? peer.fqdn, store.pushed.path);
  return undefined;
}

/**
 * Object keys and key prefixes the certificate scan reads: the sources' prefixes plus CA bundles and
 * peer certificates that live elsewhere. The stack scopes read permissions to exactly these.
 */
export function readablePrefixes(certificates: {
  sources: readonly Pick<z.output<typeof CertificateSource>, "prefix" | "caBundleKey">[];
  peerGroups: readonly z.output<typeof PeerGroup>[];
}): {
  prefixes: string[];
  keys: string[];
} {
  const prefixes = [...new Set(certificates.sources.map((s) => s.prefix))];
  const covered = (key: string) => prefixes.some((p) => key.startsWith(p));
  const keys = [
    ...certificates.sources.flatMap((s) => (s.caBundleKey ? [s.caBundleKey] : [])),
    ...certificates.peerGroups.flatMap((g) => [
      ...(g.caBundleKey ? [g.caBundleKey] : []),
      ...g.peers.flatMap((p) => [p.certificateKey, peerTrustStoreKey(p)].filter((k) => k !== undefined)),
    ]),
  ];
  return { prefixes, keys: [...new Set(keys.filter((k) => !covered(k)))].sort() };
}
