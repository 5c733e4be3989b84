/**
 * AWS services accepting the connection and then saying nothing: the production clients
 * (functions/adapters/clients/), pointed at a silent local endpoint with their timeouts shrunk. A
 * run must end in bounded time and fail the invocation, so Lambda retries it, rather than hang
 * until the function times out while it holds its claims.
 */

import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { PublishCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AlarmStore, createAlarmStore } from "../../../functions/adapters/alarm-store";
import { documentClient, dynamoDbClient } from "../../../functions/adapters/clients/dynamodb";
import { eventBusClient } from "../../../functions/adapters/clients/eventbridge";
import { secretsManagerClient } from "../../../functions/adapters/clients/secrets-manager";
import { snsClient } from "../../../functions/adapters/clients/sns";
import { sqsClient } from "../../../functions/adapters/clients/sqs";
import { createEventPublisher } from "../../../functions/adapters/event-publisher";
import { createScanBatchQueue } from "../../../functions/adapters/scan-batch-queue";
import { secretReader } from "../../../functions/adapters/secrets";
import { type CheckRun, DEFAULT_LIFECYCLE_POLICY } from "../../../functions/core/alarms/lifecycle";
import { AlarmDeliveryError, applyAlarmLifecycle } from "../../../functions/handlers/shared/alarm-runs";
import { type LocalDynamo, startDynalite } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";

const TIMEOUT_MS = 200;
const ATTEMPTS = 2;
const SCOPE = "s3://certs/prod/";
const T0 = new Date("2031-09-01T01:00:00.000Z");
const LOCAL = {
  region: "eu-west-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" },
  maxAttempts: ATTEMPTS,
  connectionTimeoutMs: TIMEOUT_MS,
  requestTimeoutMs: TIMEOUT_MS,
};

/** Accepts TCP connections and never answers a byte. */
async function silentEndpoint(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let dynamo: LocalDynamo;
let silent: Awaited<ReturnType<typeof silentEndpoint>>;
let tables = 0;
const bus = recordingEventBus();

beforeAll(async () => {
  [dynamo, silent] = await Promise.all([startDynalite(), silentEndpoint()]);
});

beforeEach(() => bus.clear());

afterAll(async () => {
  bus.restore();
  await Promise.all([dynamo?.stop(), silent?.stop()]);
});

async function freshStore(): Promise<AlarmStore> {
  tables += 1;
  const tableName = await dynamo.createAlarmTable(`stalled-${tables}`);
  return createAlarmStore({ tableName, client: documentClient(dynamo.client) });
}

function expiredRun(now: Date): CheckRun {
  return {
    scope: SCOPE,
    complete: true,
    examinedSources: [`${SCOPE}api.pem#0`],
    findings: [
      {
        check: "expired",
        alarmId: "1001",
        severity: "critical",
        source: `${SCOPE}api.pem#0`,
        message: "certificate expired",
      },
    ],
    now,
  };
}

// "In bounded time" is shown by the timeout each call ends in, not by a stopwatch: a loaded
// machine may take longer, and a wall-clock budget never fails a test (npm run bench measures).

describe("alarm path against a service that stops answering", () => {
  it("gives up on a silent EventBridge in bounded time, fails the invocation, and delivers once on the next run", async () => {
    // Prepare
    const store = await freshStore();
    const stalledBus = createEventPublisher({
      eventBusName: "watchpost",
      client: eventBusClient({ ...LOCAL, endpoint: silent.endpoint }),
      sleep: async () => {},
    });
    const policy = DEFAULT_LIFECYCLE_POLICY;

    // Act
    const stalled = await applyAlarmLifecycle([expiredRun(T0)], {
      store,
      publisher: stalledBus,
      policy,
    }).catch((error: unknown) => error);
    const [afterStall] = await store.load(SCOPE);
    const next = await applyAlarmLifecycle([expiredRun(new Date(T0.getTime() + 3_600_000))], {
      store,
      publisher: bus.publisher,
      policy,
    });

    // Assess
    expect(stalled).toBeInstanceOf(AlarmDeliveryError);
    expect((stalled as Error).message).toMatch(/1 alarm event\(s\) pending.*TimeoutError/);
    expect(afterStall!.status).toBe("active");
    // Given back by the run that could not deliver it: the next run need not wait out its lease.
    expect(Object.values(afterStall!.pending)).toMatchObject([{ transition: { kind: "raised" }, until: 0 }]);
    expect(next).toMatchObject({ transitions: 0, published: 1, pending: 0 });
    expect(bus.sent.map((e) => e.DetailType)).toEqual(["Alarm Raised"]);
  });

  it("gives up on a silent alarm table in bounded time, fails the invocation, and publishes nothing", async () => {
    // Prepare
    const tableName = "watchpost-alarms";
    const store = createAlarmStore({
      tableName,
      client: documentClient(dynamoDbClient({ ...LOCAL, endpoint: silent.endpoint })),
    });

    // Act
    const stalled = applyAlarmLifecycle([expiredRun(T0)], {
      store,
      publisher: bus.publisher,
      policy: DEFAULT_LIFECYCLE_POLICY,
    });

    // Assess
    await expect(stalled).rejects.toThrow(/TimeoutError/);
    expect(bus.sent).toEqual([]);
  });

  // The scan's SQS client and the Secrets Manager and SNS clients had no timeout at all before
  // they were built on boundedClientConfig: a silent endpoint held them until the function timed out.
  it.each([
    [
      "SQS (scan batches)",
      () =>
        createScanBatchQueue({
          client: sqsClient({ ...LOCAL, endpoint: silent.endpoint }),
          queueUrl: `${silent.endpoint}/123456789012/watchpost-scan`,
        }).send([
          {
            kind: "watchpost.scan-batch",
            runId: "r",
            prefix: "p/",
            index: 0,
            now: T0.toISOString(),
            objects: [],
          },
        ]),
    ],
    [
      "Secrets Manager (PKCS#12 passwords)",
      () =>
        secretReader({ client: secretsManagerClient({ ...LOCAL, endpoint: silent.endpoint }) }).read("p12"),
    ],
    [
      "SNS (notifications)",
      () =>
        snsClient({ ...LOCAL, endpoint: silent.endpoint }).send(
          new PublishCommand({ TopicArn: "arn:aws:sns:eu-west-1:123456789012:alarms", Message: "m" }),
        ),
    ],
  ])("gives up on a silent %s endpoint in bounded time", async (_service, call) => {
    // Prepare

    // Act
    const outcome = await call().then(
      () => "answered",
      (error: unknown) => error,
    );

    // Assess
    expect(outcome).toBeInstanceOf(Error);
    expect(String(outcome)).toMatch(/TimeoutError|timed? ?out/i);
  });
});
