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

/** Any HTTPS endpoint; it receives the documented payload (schemas/webhook-payload.schema.json). */
const JsonWebhook = z.strictObject({
  name: ConfigurationName,
  format: z.literal("json").default("json"),
  url: z
    .url({ protocol: /^https$/, error: "expected an https:// URL" })
    .max(2048)
    .refine(
      withoutCredentials,
      "expected a URL without credentials (no user:password@, no token, key or signature in the query): it would be written into the CloudFormation template in clear text; keep the secret in Secrets Manager and name it in `auth`",
    ),
  minimumSeverity: Severity.default("minor"),
  auth: WebhookAuth,
  /** Upper bound on calls per second to the endpoint; deliveries to one webhook go one at a time. */
  rateLimitPerSecond: z.number().int().min(1).max(300).default(10),
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
