/**
 * Webhook delivery, as pure decisions: which webhooks an alarm event goes to (the notifier's
 * routing, the same as for the SNS topics), what body each format gets, and what an HTTP answer
 * means — delivered, try again later, or refused for good.
 *
 * The path (docs/notifications.md, "How webhooks are delivered"): the notifier puts one message
 * per webhook on a FIFO queue (message group = the webhook, so deliveries to one webhook go one at
 * a time, in the order the notifier queued them; EventBridge does not order events, so that is the
 * order the notifier received them, which for a raise and its clear — decided by different check
 * runs, usually minutes apart — is their order in practice); the webhook function renders the body,
 * reads the URL or key from Secrets Manager, and POSTs it. Transient failures return the message
 * to the queue for another attempt; permanent ones go straight to the dead-letter queue.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import type { WatchpostConfig } from "../config";
import { isAtLeast, type Severity } from "../contracts";
import type { AlarmView } from "./alarm-view";
import { slackMessage } from "./slack";
import { teamsMessage } from "./teams";
import { webhookPayload } from "./webhook-payload";

export type WebhookConfig = WatchpostConfig["notifications"]["webhooks"][number];
export type WebhookFormat = WebhookConfig["format"];

/** The webhooks whose minimum the event's routing severity meets. */
export function webhooksFor(severity: Severity, webhooks: readonly WebhookConfig[]): WebhookConfig[] {
  return webhooks.filter((webhook) => isAtLeast(severity, webhook.minimumSeverity));
}

/** One queued delivery: which webhook, and the alarm event as EventBridge delivered it. */
export const WebhookDeliveryMessage = z.object({
  webhook: z.string(),
  event: z.record(z.string(), z.unknown()),
});
export type WebhookDeliveryMessage = z.infer<typeof WebhookDeliveryMessage>;

/** SQS FIFO limits both IDs to 128 characters; webhook names may be as long, event IDs add 36. */
export function deduplicationId(eventId: string, webhook: string): string {
  return createHash("sha256").update(`${eventId}\u0000${webhook}`).digest("hex");
}

export function webhookBody(format: WebhookFormat, view: AlarmView): unknown {
  switch (format) {
    case "json":
      return webhookPayload(view);
    case "slack":
      return slackMessage(view);
    case "teams":
      return teamsMessage(view);
  }
}

export type DeliveryOutcome =
  | { outcome: "delivered" }
  /** Worth another attempt: the endpoint is down, slow, or asks us to slow down. */
  | { outcome: "retry"; reason: string; retryAfterSeconds?: number }
  /** No attempt will ever succeed (bad URL, revoked webhook, payload refused): dead-letter it now. */
  | { outcome: "reject"; reason: string };

/**
 * What an HTTP status means for a webhook. 408, 425, 429 and 5xx are transient; other 4xx say the
 * request itself is wrong or the hook is gone (Slack answers 404 `no_team`/410 `channel_is_archived`,
 * 403 `invalid_token`), so retrying only delays the dead letter. Redirects are not followed: a
 * webhook that moved must be reconfigured, not chased.
 */
export function outcomeOf(status: number, retryAfterSeconds?: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return { outcome: "delivered" };
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return {
      outcome: "retry",
      reason: `HTTP ${status}`,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
  }
  return { outcome: "reject", reason: `HTTP ${status}` };
}

/**
 * Why a webhook URL can never be posted to, or undefined when it can: it must parse as a URL (the
 * WHATWG parser fetch uses), be https, and carry no user name or password (fetch refuses those, and
 * they would be a credential outside the secret's field). The reason never contains the URL.
 */
export function webhookUrlProblem(url: string): string | undefined {
  if (!/^https:\/\//i.test(url)) return "does not hold an https:// webhook URL";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "holds an https:// URL that cannot be parsed";
  }
  if (parsed.username !== "" || parsed.password !== "") return "holds a URL with a user name or password";
  return undefined;
}

/** `Retry-After` in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | null | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}
