/**
 * One POST of a JSON body to a webhook, bounded in time. Redirects are not followed. Errors name
 * what went wrong (timeout, refused, DNS) but never the URL: the URL of a Slack or Teams incoming
 * webhook is itself the credential.
 */

export interface WebhookResponse {
  status: number;
  /** The Retry-After header, as sent. */
  retryAfter: string | null;
}

export class WebhookNetworkError extends Error {
  override readonly name = "WebhookNetworkError";
}

/** The URL itself is unusable (the WHATWG parser refuses it): no later attempt can succeed. */
export class WebhookUrlError extends Error {
  override readonly name = "WebhookUrlError";
}

export type Fetch = typeof fetch;

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  options: { timeoutMs: number; fetch?: Fetch },
): Promise<WebhookResponse> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", ...headers },
      body: JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    if (causeCode(error) === "ERR_INVALID_URL")
      throw new WebhookUrlError("the webhook URL cannot be parsed (ERR_INVALID_URL)");
    throw new WebhookNetworkError(describeNetworkError(error, options.timeoutMs));
  }
  // Drain the body so the connection can be reused; its content is not needed (and may echo input).
  await response.arrayBuffer().catch(() => undefined);
  return { status: response.status, retryAfter: response.headers.get("retry-after") };
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return `no answer within ${timeoutMs} ms`;
  const code = causeCode(error);
  return code ? `connection failed (${code})` : "connection failed";
}

/** fetch wraps what went wrong (ECONNREFUSED, ENOTFOUND, ERR_INVALID_URL) as its `cause`. */
function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === "string" && /^[A-Z_]{2,40}$/.test(cause.code) ? cause.code : undefined;
}
