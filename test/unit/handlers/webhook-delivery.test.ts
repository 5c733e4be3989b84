import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from "@aws-sdk/client-secrets-manager";
import type { SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type SecretReader, secretReader } from "../../../functions/adapters/secrets";
import { postJson } from "../../../functions/adapters/webhook-http";
import { parseConfig } from "../../../functions/core/config";
import { WebhookPayload } from "../../../functions/core/notifications/webhook-payload";
import { logger } from "../../../functions/handlers/shared/powertools";
import {
  deliver,
  handleDeliveries,
  type WebhookDeliveryDeps,
} from "../../../functions/handlers/webhook-delivery";
import { certificateScenario } from "../../../scripts/notification-scenarios";

const SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3nInTheUrl";
const API_KEY = "k3y-v4lue-n0t-t0-l0g";

const config = parseConfig({
  stackName: "Watchpost-prod",
  certificates: { sources: [{ prefix: "certs/" }] },
  notifications: {
    webhooks: [
      {
        name: "pager",
        url: "https://pager.example.com/hooks/watchpost",
        auth: { type: "api-key", headerName: "x-api-key", secretName: "watchpost/pager", secretField: "key" },
        rateLimitPerSecond: 2,
      },
      { name: "ops-slack", format: "slack", urlSecretName: "watchpost/slack" },
      // An Azure Function whose URL carries its key (`?code=`): the whole URL is kept in a secret.
      { name: "azure-fn", urlSecretName: "watchpost/azure-fn" },
      { name: "ops-teams", format: "teams", urlSecretName: "watchpost/teams", urlSecretField: "url" },
    ],
  },
});

const event = certificateScenario()[0]!.event;

/** Secrets Manager has no local implementation: its client, mocked, raising the SDK's own exceptions. */
const secretsManagerClient = new SecretsManagerClient({ region: "eu-west-1", maxAttempts: 1 });
const secretsManager = mockClient(secretsManagerClient);
const message = (webhook: string) => ({ webhook, event });

/** A loopback endpoint that answers each request from the queue of responses it was given. */
interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}
let server: Server;
let base: string;
let received: Received[] = [];
let answers: ((res: ServerResponse) => void)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: JSON.parse(body || "null") });
      const answer = answers.shift() ?? ((r: ServerResponse) => r.writeHead(200).end("ok"));
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterAll(() => secretsManager.restore());
afterEach(() => {
  secretsManager.reset();
  received = [];
  answers = [];
  vi.restoreAllMocks();
});

function secrets(values: Record<string, string>): SecretReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async read(name) {
      reads.push(name);
      const value = values[name];
      if (value === undefined) throw new Error(`cannot read secret ${name} (ResourceNotFoundException)`);
      return value;
    },
  };
}

/** The real HTTP client, pointed at the loopback server; `targets` records where it was told to go. */
function deps(overrides: Partial<WebhookDeliveryDeps> = {}) {
  const targets: string[] = [];
  const sleeps: number[] = [];
  const deadLettered: { webhook: string; reason: string }[] = [];
  const value: WebhookDeliveryDeps = {
    webhooks: config.notifications.webhooks,
    stackName: config.stackName,
    secrets: secrets({
      "watchpost/pager": JSON.stringify({ key: API_KEY }),
      "watchpost/slack": SLACK_URL,
      "watchpost/azure-fn":
        "https://alerts.azurewebsites.net/api/watchpost?code=Zm9vYmFyLWZ1bmN0aW9uLWtleQ==",
      "watchpost/teams": JSON.stringify({
        url: "https://acme.webhook.office.com/webhookb2/abc?sig=s1gn4ture",
      }),
    }),
    post: (url, body, headers) => {
      targets.push(url);
      return postJson(`${base}${new URL(url).pathname}`, body, headers, { timeoutMs: 300 });
    },
    deadLetters: {
      async put(_body, webhook, reason) {
        deadLettered.push({ webhook, reason });
      },
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  };
  return { deps: value, targets, sleeps, deadLettered };
}

describe("webhook delivery", () => {
  it("posts the documented payload to a JSON webhook with the key from the secret's field", async () => {
    // Prepare
    const { deps: d, targets } = deps();

    // Act
    const outcome = await deliver(message("pager"), d);

    // Assess
    expect(outcome).toEqual({ outcome: "delivered" });
    expect(targets).toEqual(["https://pager.example.com/hooks/watchpost"]);
    expect(received[0]!.headers["x-api-key"]).toBe(API_KEY);
    expect(received[0]!.headers["content-type"]).toBe("application/json; charset=utf-8");
    const payload = WebhookPayload.parse(received[0]!.body);
    expect(payload).toMatchObject({
      alarm: { id: "1002" },
      severity: "minor",
      deployment: { stackName: "Watchpost-prod", account: "123456789012", region: "eu-west-1" },
    });
  });

  it("posts the documented payload to a JSON webhook whose URL, key included, is kept in a secret", async () => {
    // Prepare
    const { deps: d, targets } = deps();

    // Act
    const outcome = await deliver(message("azure-fn"), d);

    // Assess: no key header of ours; the function key travels in the URL read from the secret
    expect(outcome).toEqual({ outcome: "delivered" });
    expect(targets).toEqual([
      "https://alerts.azurewebsites.net/api/watchpost?code=Zm9vYmFyLWZ1bmN0aW9uLWtleQ==",
    ]);
    expect(received[0]!.headers["x-api-key"]).toBeUndefined();
    expect(WebhookPayload.parse(received[0]!.body)).toMatchObject({ alarm: { id: "1002" } });
  });

  it("posts Block Kit to the Slack URL kept in the secret, and an Adaptive Card to Teams", async () => {
    // Prepare
    const { deps: d, targets } = deps();

    // Act
    await deliver(message("ops-slack"), d);
    await deliver(message("ops-teams"), d);

    // Assess
    expect(targets).toEqual([SLACK_URL, "https://acme.webhook.office.com/webhookb2/abc?sig=s1gn4ture"]);
    expect(received[0]!.body).toMatchObject({
      attachments: [{ color: "#F9A825", blocks: expect.any(Array) }],
    });
    expect(received[1]!.body).toMatchObject({
      type: "message",
      attachments: [
        { contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard" } },
      ],
    });
  });

  it("waits out a short Retry-After and tries once more", async () => {
    // Prepare
    answers = [(res) => res.writeHead(429, { "retry-after": "2" }).end("rate_limited")];
    const { deps: d, sleeps } = deps();

    // Act
    const outcome = await deliver(message("ops-slack"), d);

    // Assess
    expect(outcome).toEqual({ outcome: "delivered" });
    expect(received).toHaveLength(2);
    expect(sleeps[0]).toBe(2000);
  });

  it("leaves a long Retry-After, a 5xx and a silent endpoint to the queue's next attempt", async () => {
    // Prepare
    const { deps: d } = deps();

    // Act
    answers = [(res) => res.writeHead(429, { "retry-after": "120" }).end()];
    const throttled = await deliver(message("ops-slack"), d);
    answers = [(res) => res.writeHead(503).end()];
    const unavailable = await deliver(message("ops-slack"), d);
    answers = [() => undefined]; // never answers
    const silent = await deliver(message("ops-slack"), d);

    // Assess
    expect(throttled).toEqual({ outcome: "retry", reason: "HTTP 429", retryAfterSeconds: 120 });
    expect(unavailable).toEqual({ outcome: "retry", reason: "HTTP 503" });
    expect(silent).toEqual({ outcome: "retry", reason: "no answer within 300 ms" });
  });

  it("refuses for good what no retry can fix: a 4xx, a redirect, a webhook no longer configured", async () => {
    // Prepare
    const { deps: d } = deps();

    // Act
    answers = [(res) => res.writeHead(404).end("no_team")];
    const gone = await deliver(message("ops-slack"), d);
    answers = [(res) => res.writeHead(302, { location: "https://elsewhere.example" }).end()];
    const moved = await deliver(message("ops-slack"), d);
    const unknown = await deliver(message("removed-hook"), d);

    // Assess
    expect(gone).toEqual({ outcome: "reject", reason: "HTTP 404" });
    expect(moved).toEqual({ outcome: "reject", reason: "HTTP 302" });
    expect(unknown).toEqual({ outcome: "reject", reason: "webhook removed-hook is no longer configured" });
  });

  it("paces deliveries to one webhook to its rate limit", async () => {
    // Prepare — a clock that moves only when the endpoint answers, by `took` milliseconds
    let clock = 1_000_000;
    let took = 100;
    const paced = deps();
    const d: WebhookDeliveryDeps = {
      ...paced.deps,
      now: () => new Date(clock),
      post: async (url, body, headers) => {
        const response = await paced.deps.post(url, body, headers);
        clock += took;
        return response;
      },
    };

    // Act
    await deliver(message("pager"), d);
    took = 700;
    await deliver(message("pager"), d);

    // Assess — 2 per second: half a second per delivery; a slower answer needs no wait
    expect(paced.sleeps).toEqual([400]);
  });

  it("as the queue's consumer, returns transient failures for redelivery and dead-letters refusals, never logging URL or key", async () => {
    // Prepare
    const logged: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        logged.push(String(chunk));
        return true;
      });
    }
    const { deps: d, deadLettered } = deps();
    answers = [(res) => res.writeHead(500).end(), (res) => res.writeHead(410).end("channel_is_archived")];
    const sqsEvent = {
      Records: [
        { messageId: "m-1", body: JSON.stringify(message("ops-slack")) },
        { messageId: "m-2", body: JSON.stringify(message("pager")) },
        { messageId: "m-3", body: "not json" },
      ],
    } as unknown as SQSEvent;

    // The test run silences the logger (vitest.config.ts): this test reads its lines.
    const level = logger.getLevelName();
    logger.setLogLevel("INFO");

    // Act
    const response = await handleDeliveries(sqsEvent, d).finally(() => logger.setLogLevel(level));

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }]);
    expect(deadLettered).toEqual([
      { webhook: "pager", reason: "HTTP 410" },
      { webhook: "unknown", reason: "not a webhook delivery message" },
    ]);
    const output = logged.join("");
    expect(output).toContain("Webhook delivery failed");
    expect(output).not.toContain("s3cr3tT0k3n");
    expect(output).not.toContain(API_KEY);
  });

  it("dead-letters at once a secret that does not exist or holds no string, naming the secret", async () => {
    // Prepare — the real reader on the SDK's client, answering with the SDK's own exception
    secretsManager.on(GetSecretValueCommand, { SecretId: "watchpost/slack" }).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    secretsManager
      .on(GetSecretValueCommand, { SecretId: "watchpost/teams" })
      .resolves({ SecretBinary: new TextEncoder().encode(SLACK_URL) });
    const { deps: d } = deps({ secrets: secretReader({ client: secretsManagerClient }) });

    // Act
    const missing = await deliver(message("ops-slack"), d);
    const binary = await deliver(message("ops-teams"), d);

    // Assess
    expect(missing).toEqual({
      outcome: "reject",
      reason: "cannot read secret watchpost/slack (ResourceNotFoundException)",
    });
    expect(binary).toEqual({ outcome: "reject", reason: "secret watchpost/teams holds no string value" });
    expect(JSON.stringify(binary)).not.toContain("s3cr3t");
    expect(received).toHaveLength(0);
  });

  it("retries when reading the secret fails for a while: throttling, a 5xx, the network", async () => {
    // Prepare
    const throttled = new SecretsManagerServiceException({
      name: "ThrottlingException",
      $fault: "client",
      message: "Rate exceeded",
      $metadata: { httpStatusCode: 400 },
    });
    const internal = new InternalServiceError({
      message: "An error occurred",
      $metadata: { httpStatusCode: 500 },
    });
    const network = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(internal)
      .rejectsOnce(network);
    const { deps: d } = deps({ secrets: secretReader({ client: secretsManagerClient }) });

    // Act
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await deliver(message("ops-slack"), d));

    // Assess
    expect(outcomes).toEqual([
      { outcome: "retry", reason: "cannot read secret watchpost/slack (ThrottlingException)" },
      { outcome: "retry", reason: "cannot read secret watchpost/slack (InternalServiceError)" },
      { outcome: "retry", reason: "cannot read secret watchpost/slack (Error)" },
    ]);
  });

  it("dead-letters at once a URL that cannot be parsed or carries a user name and password, never echoing it", async () => {
    // Prepare
    const { deps: d } = deps({
      secrets: secrets({
        "watchpost/slack": "https://hooks.slack.com:99999/services/T0001/B0002/s3cr3t",
        "watchpost/teams": JSON.stringify({
          url: "https://bot:pa55w0rd@acme.webhook.office.com/webhookb2/abc",
        }),
      }),
    });

    // Act
    const unparsable = await deliver(message("ops-slack"), d);
    const withCredentials = await deliver(message("ops-teams"), d);

    // Assess
    expect(unparsable).toEqual({
      outcome: "reject",
      reason: "secret watchpost/slack holds an https:// URL that cannot be parsed",
    });
    expect(withCredentials).toEqual({
      outcome: "reject",
      reason: "secret watchpost/teams holds a URL with a user name or password",
    });
    expect(JSON.stringify([unparsable, withCredentials])).not.toMatch(/s3cr3t|pa55w0rd|bot/);
    expect(received).toHaveLength(0);
  });

  it("dead-letters at once an address the HTTP client cannot parse (ERR_INVALID_URL)", async () => {
    // Prepare — a URL that passes our parse but not fetch's would otherwise retry for an hour
    const { deps: d } = deps({
      post: (_url, body, headers) => postJson("https://[::1/x", body, headers, { timeoutMs: 300 }),
    });

    // Act
    const outcome = await deliver(message("pager"), d);

    // Assess
    expect(outcome).toEqual({
      outcome: "reject",
      reason: "the webhook URL cannot be parsed (ERR_INVALID_URL)",
    });
  });

  it("refuses a Slack secret that does not hold an https:// URL", async () => {
    // Prepare
    const { deps: d } = deps({ secrets: secrets({ "watchpost/slack": "xoxb-a-bot-token" }) });

    // Act
    const outcome = await deliver(message("ops-slack"), d);

    // Assess
    expect(outcome).toEqual({
      outcome: "reject",
      reason: "secret watchpost/slack does not hold an https:// webhook URL",
    });
    expect(JSON.stringify(outcome)).not.toContain("xoxb");
  });
});
