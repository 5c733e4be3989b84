/**
 * Webhooks as Lambda runs them on Node 24 (test/support/node24.ts): the notifier of a stack with
 * webhooks, which publishes to its topics and queues one delivery per webhook on the FIFO queue,
 * and the webhook function, invoked with those very messages as SQS hands them to it, one per
 * invocation (the event source's batch size). The bundles are the synth matrix's every-feature
 * assembly (scripts/synth-matrix.ts writes it, bundled, to .ci/out/matrix/largest/cdk.out; `.ci/run`
 * runs the matrix first): 20 webhooks of every format.
 *
 * The stand-ins (bin/local/): SNS, SQS and Secrets Manager on loopback, and the webhooks' HTTPS
 * endpoint on `localhost` with a certificate of a test CA the process trusts through
 * NODE_EXTRA_CA_CERTS, as a private CA would be added. The Slack and Teams URLs come from their
 * secrets and point there; the JSON webhooks' URLs are in the configuration
 * (https://hooks.example.com/…), which does not resolve here: their delivery must fail as a
 * network failure the queue retries, and nothing else may fail.
 */
import { rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalSecretsManager, startLocalSecretsManager } from "../../bin/local/secrets-manager";
import { type LocalSns, startLocalSns } from "../../bin/local/sns";
import { type LocalSqs, type SentMessage, startLocalSqs } from "../../bin/local/sqs";
import { parseTopicRoutes } from "../../functions/core/notifications/topics";
import { ENV } from "../../functions/handlers/shared/environment";
import { occurrenceEvents } from "../support/alarm-scenarios";
import {
  type Bundle,
  type Invocation,
  invokeBundle,
  loadBundles,
  matrixAssembly,
  node24WorkDirectory,
} from "../support/node24";
import { chain, privateKeyPem } from "../support/pki";
import { FUNCTION_DESCRIPTIONS } from "../support/template";

const ASSEMBLY = matrixAssembly("largest");
const STACK = "Watchpost";
const API_KEY = "k3y-0f-hook-0";

const { notifier, webhookDelivery } = FUNCTION_DESCRIPTIONS;
const FUNCTIONS = { notifier, webhookDelivery };
type FunctionName = keyof typeof FUNCTIONS;

/** The queue variables whose URLs must name the SQS stand-in (the SDK sends to the URL's host). */
const QUEUE_VARIABLES = [ENV.webhookQueueUrl, ENV.webhookDeadLetterQueueUrl, ENV.scanQueueUrl];

let work: string;
let bundles: Map<FunctionName, Bundle>;
let sns: LocalSns;
let sqs: LocalSqs;
let secrets: LocalSecretsManager;
let endpoint: Server;
let endpointBase: string;
let caFile: string;
const posted: { path: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  work = node24WorkDirectory("webhooks");
  ({ bundles } = loadBundles(ASSEMBLY, STACK, work, FUNCTIONS));

  // The webhooks' endpoint: /gone answers as a deleted Slack webhook does.
  const pki = await chain("localhost");
  caFile = join(work, "test-ca.pem");
  writeFileSync(caFile, pki.root.pem);
  endpoint = createServer(
    { key: await privateKeyPem(pki.leaf.keys), cert: `${pki.leaf.pem}\n${pki.intermediate.pem}` },
    (request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        posted.push({ path: request.url ?? "", body: JSON.parse(body || "null") });
        if (request.url === "/gone") response.writeHead(410).end("channel_is_archived");
        else response.writeHead(200).end("ok");
      });
    },
  );
  await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
  endpointBase = `https://localhost:${(endpoint.address() as AddressInfo).port}`;

  // The largest configuration (test/support/deployment-configs.ts): hook-0 JSON with an API key
  // in the secret's field "key", hook-1 Slack (the URL is the secret), hook-2 Teams and hook-4
  // Slack (the URL in the secret's field "url").
  secrets = await startLocalSecretsManager({
    "watchpost/hook-0": JSON.stringify({ key: API_KEY }),
    "watchpost/hook-1": `${endpointBase}/hook-1`,
    "watchpost/hook-2": JSON.stringify({ url: `${endpointBase}/hook-2` }),
    "watchpost/hook-4": JSON.stringify({ url: `${endpointBase}/gone` }),
  });
  const notifierEnv = bundles.get("notifier")!.env;
  sns = await startLocalSns(parseTopicRoutes(notifierEnv[ENV.alarmTopics]!).map((topic) => topic.arn));
  const queueName = (url: string) => url.split("/").pop()!;
  const queues = [...bundles.values()].flatMap((b) =>
    QUEUE_VARIABLES.flatMap((v) => (b.env[v] ? [queueName(b.env[v])] : [])),
  );
  sqs = await startLocalSqs(queues);
  for (const bundle of bundles.values()) {
    for (const variable of QUEUE_VARIABLES) {
      if (bundle.env[variable]) bundle.env[variable] = sqs.queueUrl(queueName(bundle.env[variable]));
    }
  }
});

afterAll(async () => {
  await Promise.allSettled([
    sns?.close(),
    sqs?.close(),
    secrets?.close(),
    endpoint && new Promise((resolve) => endpoint.close(resolve)),
  ]);
  if (work) rmSync(work, { recursive: true, force: true });
});

function invoke(name: FunctionName, event: unknown): Promise<Invocation> {
  return invokeBundle(work, name, bundles.get(name)!, event, {
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    NODE_EXTRA_CA_CERTS: caFile,
  });
}

const webhookQueue = () => bundles.get("notifier")!.env[ENV.webhookQueueUrl]!.split("/").pop()!;
const deadLetterQueue = () =>
  bundles.get("webhookDelivery")!.env[ENV.webhookDeadLetterQueueUrl]!.split("/").pop()!;

/** A queued delivery as SQS hands it to the function (Lambda Developer Guide, SQS "Example event"). */
function sqsEvent(message: SentMessage) {
  return {
    Records: [
      {
        messageId: crypto.randomUUID(),
        receiptHandle: "AQEB-stand-in",
        body: message.body,
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: String(Date.now()),
          MessageGroupId: message.groupId,
          MessageDeduplicationId: message.deduplicationId,
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:${message.queue}`,
        awsRegion: "eu-west-1",
      },
    ],
  };
}

function queued(webhook: string): SentMessage {
  const message = sqs.sent.find((m) => m.queue === webhookQueue() && m.groupId === webhook);
  if (!message) throw new Error(`the notifier queued nothing for ${webhook}`);
  return message;
}

describe("webhooks on Node 24", () => {
  it("notifier: publishes a critical raise to every topic and queues it once for every webhook", async () => {
    // Prepare: a raise as the lifecycle and the event builder make it
    const [raised] = occurrenceEvents(["critical"]);

    // Act
    const outcome = await invoke("notifier", raised);

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(sns.published.map((m) => m.attributes.severity?.value)).toEqual([
      "critical",
      "critical",
      "critical",
      "critical",
    ]);
    const deliveries = sqs.sent.filter((m) => m.queue === webhookQueue());
    expect(deliveries.map((m) => m.groupId)).toEqual(Array.from({ length: 20 }, (_, i) => `hook-${i}`));
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({
      webhook: "hook-0",
      event: { detail: { kind: "raised", severity: "critical" } },
    });
  });

  it("webhook function: posts Block Kit to the Slack webhook and an Adaptive Card to the Teams one", async () => {
    // Act
    const slack = await invoke("webhookDelivery", sqsEvent(queued("hook-1")));
    const teams = await invoke("webhookDelivery", sqsEvent(queued("hook-2")));

    // Assess
    for (const outcome of [slack, teams]) {
      expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
      expect(outcome.result).toEqual({ batchItemFailures: [] });
    }
    const byPath = new Map(posted.map((p) => [p.path, p.body]));
    expect(byPath.get("/hook-1")).toMatchObject({ attachments: [{ blocks: expect.any(Array) }] });
    expect(byPath.get("/hook-2")).toMatchObject({
      type: "message",
      attachments: [{ contentType: "application/vnd.microsoft.card.adaptive" }],
    });
    expect(secrets.reads).toEqual(expect.arrayContaining(["watchpost/hook-1", "watchpost/hook-2"]));
  });

  it("webhook function: returns a delivery to an unreachable JSON webhook for another attempt, without its key in the logs", async () => {
    // Prepare
    const event = sqsEvent(queued("hook-0"));

    // Act
    const outcome = await invoke("webhookDelivery", event);

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(outcome.logs).toContain("connection failed (ENOTFOUND)");
    expect(outcome.logs).not.toContain(API_KEY);
  });

  it("webhook function: dead-letters a delivery the endpoint refuses for good, with the reason", async () => {
    // Act
    const outcome = await invoke("webhookDelivery", sqsEvent(queued("hook-4")));

    // Assess
    expect(outcome.ok, outcome.error ?? outcome.logs).toBe(true);
    expect(outcome.result).toEqual({ batchItemFailures: [] });
    const parked = sqs.sent.filter((m) => m.queue === deadLetterQueue());
    expect(parked.map((m) => [m.groupId, m.attributes.reason])).toEqual([["hook-4", "HTTP 410"]]);
    expect(parked[0]!.body).not.toContain("/gone");
  });
});
