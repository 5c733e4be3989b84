/**
 * One queued delivery: render the body for the webhook's format, read the URL or key from Secrets
 * Manager, POST it, and say what became of it (delivered, retry, or reject for good). A `Retry-After`
 * short enough is waited for once here; a delivery is paced to the webhook's rate limit.
 */
import { SecretReadError, type SecretReader } from "../../adapters/secrets";
import { type WebhookResponse, WebhookUrlError } from "../../adapters/webhook-http";
import type { WebhookDeadLetters } from "../../adapters/webhook-queue";
import { AlarmEventEnvelope, alarmView, deploymentOf } from "../../core/notifications/alarm-view";
import {
  type DeliveryOutcome,
  outcomeOf,
  retryAfterSeconds,
  type WebhookConfig,
  WebhookDeliveryMessage,
  webhookBody,
  webhookUrlProblem,
} from "../../core/notifications/webhook";

export interface WebhookDeliveryDeps {
  webhooks: readonly WebhookConfig[];
  stackName: string;
  secrets: SecretReader;
  post: (url: string, body: unknown, headers: Record<string, string>) => Promise<WebhookResponse>;
  deadLetters: WebhookDeadLetters;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Longest wait for a `Retry-After` inside one invocation; longer ones go back to the queue. */
  maxInlineWaitSeconds?: number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Where to POST and with which headers, or why no attempt can ever succeed. A secret that cannot be
 * read for now (throttling, 5xx, network) throws, and is worth a retry.
 */
async function targetOf(
  webhook: WebhookConfig,
  secrets: SecretReader,
): Promise<{ url: string; headers: Record<string, string> } | DeliveryOutcome> {
  const auth = webhook.format === "json" ? webhook.auth : undefined;
  let headers: Record<string, string> = {};
  if (auth) {
    const value = secretValue(await secrets.read(auth.secretName), auth.secretField);
    if (value === undefined) {
      return { outcome: "reject", reason: `secret ${auth.secretName} has no field ${auth.secretField}` };
    }
    headers =
      auth.type === "api-key"
        ? { [auth.headerName]: value }
        : { authorization: `Basic ${Buffer.from(`${auth.username}:${value}`).toString("base64")}` };
  }
  // A URL in the configuration was checked (https, parsable, no credentials) when it was parsed.
  if (webhook.format === "json" && webhook.url !== undefined) return { url: webhook.url, headers };
  const secretName = webhook.urlSecretName as string;
  const url = secretValue(await secrets.read(secretName), webhook.urlSecretField)?.trim();
  const problem = url === undefined ? "does not hold an https:// webhook URL" : webhookUrlProblem(url);
  if (url === undefined || problem) return { outcome: "reject", reason: `secret ${secretName} ${problem}` };
  return { url, headers };
}

/** The secret's string, or one field of it when the secret is a JSON object. */
function secretValue(secret: string, field: string | undefined): string | undefined {
  if (field === undefined) return secret;
  try {
    const value = (JSON.parse(secret) as Record<string, unknown>)[field];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Delivers one queued message; never throws for anything the endpoint or the secret does. */
export async function deliver(raw: unknown, deps: WebhookDeliveryDeps): Promise<DeliveryOutcome> {
  const parsed = WebhookDeliveryMessage.safeParse(raw);
  if (!parsed.success) return { outcome: "reject", reason: "not a webhook delivery message" };
  const webhook = deps.webhooks.find((w) => w.name === parsed.data.webhook);
  if (!webhook)
    return { outcome: "reject", reason: `webhook ${parsed.data.webhook} is no longer configured` };
  const event = AlarmEventEnvelope.safeParse(parsed.data.event);
  if (!event.success) return { outcome: "reject", reason: "the queued event is not a watchpost alarm event" };

  const view = alarmView(event.data.detail, deploymentOf(event.data, deps.stackName));
  const body = webhookBody(webhook.format, view);
  let target: Awaited<ReturnType<typeof targetOf>>;
  try {
    target = await targetOf(webhook, deps.secrets);
  } catch (error) {
    const reason = error instanceof Error ? error.message : "secret not readable";
    // A secret that does not exist or holds binary only fails every attempt, and each failed
    // attempt holds up the webhook's whole message group (FIFO): dead-letter it now, with the reason.
    return error instanceof SecretReadError && error.permanent
      ? { outcome: "reject", reason }
      : { outcome: "retry", reason };
  }
  if ("outcome" in target) return target;

  const sleep = deps.sleep ?? sleepFor;
  const now = deps.now ?? (() => new Date());
  const started = now().getTime();
  let outcome: DeliveryOutcome | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const response = await deps.post(target.url, body, target.headers);
      outcome = outcomeOf(response.status, retryAfterSeconds(response.retryAfter, now()));
    } catch (error) {
      const reason = error instanceof Error ? error.message : "connection failed";
      outcome =
        error instanceof WebhookUrlError ? { outcome: "reject", reason } : { outcome: "retry", reason };
    }
    const wait = outcome.outcome === "retry" ? outcome.retryAfterSeconds : undefined;
    if (wait === undefined || wait > (deps.maxInlineWaitSeconds ?? 20) || attempt === 2) break;
    await sleep(wait * 1000);
  }
  if (outcome?.outcome === "delivered") {
    // FIFO hands this webhook its next message only after this invocation: pacing here bounds its rate.
    const rest = 1000 / webhook.rateLimitPerSecond - (now().getTime() - started);
    if (rest > 0) await sleep(rest);
  }
  return outcome ?? { outcome: "retry", reason: "not attempted" };
}
