/** `notifications`: who hears about alarms (email, Slack, Microsoft Teams, webhooks), and runbook links. */
import * as z from "zod";
import { Severity } from "../contracts";
import { SecretName } from "./fields";
import { atMost, LIMITS } from "./limits";

const EmailRecipient = z.strictObject({
  address: z
    .email("expected an email address")
    .max(254, "expected an email address of at most 254 characters"),
  minimumSeverity: Severity.default("minor"),
  /**
   * Put before the subject of every alarm email this address receives, e.g. "[prod-eu]". SNS
   * subjects are printable ASCII, begin with a letter, digit or punctuation and stay under 100
   * characters (SNS Publish API reference, `Subject`), so the prefix keeps room for the summary.
   */
  subjectPrefix: z
    .string()
    .regex(
      /^[!-~][ -~]{0,29}$/,
      'expected 1-30 printable ASCII characters that do not begin with a space, such as "[prod-eu]"',
    )
    .optional(),
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

/**
 * Query parameter names that carry a secret: a token, key, signature or password, and Azure
 * Functions' function key (`?code=`, https://learn.microsoft.com/azure/azure-functions/function-keys-how-to).
 */
const SECRET_QUERY_PARAMETER =
  /^(?:.*[-_.])?(?:token|secret|sig|signature|password|passwd|pwd|key|apikey|auth|authorization|credentials?|session|code)$/i;

/**
 * Webhook services whose URL path is itself the credential: Slack and Microsoft Teams incoming
 * webhooks, Discord webhooks, PagerDuty's integration-key URLs.
 */
const SECRET_PATHS: readonly { host: RegExp; path: RegExp; what: string }[] = [
  {
    host: /^hooks\.slack\.com$/i,
    path: /^\/(services|workflows|triggers)\//,
    what: "a Slack incoming-webhook URL",
  },
  {
    host: /(^|\.)webhook\.office\.com$/i,
    path: /^\/webhook/,
    what: "a Microsoft Teams incoming-webhook URL",
  },
  {
    host: /^outlook\.office(365)?\.com$/i,
    path: /^\/webhook/,
    what: "a Microsoft Teams incoming-webhook URL",
  },
  { host: /(^|\.)discord(app)?\.com$/i, path: /^\/api\/webhooks\//, what: "a Discord webhook URL" },
  { host: /(^|\.)pagerduty\.com$/i, path: /\/integration\/[^/]+/, what: "a PagerDuty integration-key URL" },
];

/** Why the URL, written into the CloudFormation template in clear text, would give a secret away. */
export function urlSecretProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // not a URL at all: the url check says so
  }
  if (parsed.username !== "" || parsed.password !== "") return "it carries a user name and password";
  const name = [...parsed.searchParams.keys()].find((key) => SECRET_QUERY_PARAMETER.test(key));
  if (name !== undefined) return `its query parameter "${name}" is a credential`;
  const service = SECRET_PATHS.find((s) => s.host.test(parsed.hostname) && s.path.test(parsed.pathname));
  if (service) return `it is ${service.what}, whose path is the credential`;
  return undefined;
}

const KEEP_IN_SECRETS_MANAGER =
  "it would be written into the CloudFormation template and the function's bundle in clear text: keep the URL in Secrets Manager and name the secret in `urlSecretName` (or keep the key in `auth`)";

/**
 * Any HTTPS endpoint; it receives the documented payload (schemas/webhook-payload.schema.json).
 * Its URL is given in clear (`url`, when it holds no secret, with the key in `auth`), or kept in a
 * secret (`urlSecretName`) when the URL is the credential, as for Azure Functions' `?code=`.
 */
const JsonWebhook = z
  .strictObject({
    name: ConfigurationName,
    format: z.literal("json").default("json"),
    url: z
      .url({ protocol: /^https$/, error: "expected an https:// URL" })
      .max(2048)
      .superRefine((url, ctx) => {
        const problem = urlSecretProblem(url);
        if (problem)
          ctx.addIssue({
            code: "custom",
            message: `expected a URL without credentials: ${problem}; ${KEEP_IN_SECRETS_MANAGER}`,
          });
      })
      .optional(),
    /** Secret whose string value (or JSON field `urlSecretField`) is the URL, when the URL is the credential. */
    urlSecretName: SecretName.optional(),
    urlSecretField: z.string().min(1).max(256).optional(),
    minimumSeverity: Severity.default("minor"),
    auth: WebhookAuth.optional(),
    /** Upper bound on calls per second to the endpoint; deliveries to one webhook go one at a time. */
    rateLimitPerSecond: z.number().int().min(1).max(300).default(10),
  })
  .refine((w) => (w.url === undefined) !== (w.urlSecretName === undefined), {
    message:
      "expected either `url` (a URL without credentials) or `urlSecretName` (a secret holding the URL)",
    path: ["url"],
  })
  .refine((w) => w.url === undefined || w.auth !== undefined, {
    message:
      "expected `auth` for a webhook whose URL is given in clear: without a key anyone could post to it",
    path: ["auth"],
  });

/**
 * A Slack or Microsoft Teams incoming webhook, posted to directly (no AWS Chatbot): Block Kit for
 * Slack, an Adaptive Card for Teams. Their URL is the credential, so it lives in a secret.
 */
const ChatWebhook = z.strictObject({
  name: ConfigurationName,
  format: z.enum(["slack", "teams"]),
  /** Refused with its reason rather than as an unknown key: the URL would be in the template in clear text. */
  url: z
    .never({
      error:
        "a Slack or Teams incoming-webhook URL is itself the credential and would be written into the CloudFormation template in clear text: keep it in Secrets Manager and name the secret in `urlSecretName`",
    })
    .optional()
    .describe("Not allowed: the incoming-webhook URL is the credential; name its secret in urlSecretName."),
  /** Secret whose string value (or JSON field `urlSecretField`) is the incoming-webhook URL. */
  urlSecretName: SecretName,
  urlSecretField: z.string().min(1).max(256).optional(),
  minimumSeverity: Severity.default("minor"),
  /** Slack accepts about one message per second per webhook. */
  rateLimitPerSecond: z.number().int().min(1).max(300).default(1),
});

const Webhook = z.discriminatedUnion("format", [JsonWebhook, ChatWebhook], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? 'expected a format of "json" (the default), "slack" or "teams"'
      : undefined,
});

export const Notifications = z
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
