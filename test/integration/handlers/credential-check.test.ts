/**
 * The credential-check function end to end: STS mocked (no local STS exists) with the SDK's own
 * exception class, the bucket on s3rver, alarm state on dynalite, events through the publisher.
 * An unbound agency is raised after the configured two consecutive failures, clears once the
 * role can be assumed again, and no event or log line ever carries the temporary secret.
 */

import { createRequire } from "node:module";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient, STSServiceException } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAlarmStore } from "../../../functions/adapters/alarm-store";
import { documentClient } from "../../../functions/adapters/clients/dynamodb";
import { awsCredentialProbe } from "../../../functions/adapters/credential-probe";
import { lifecyclePolicyFrom } from "../../../functions/core/alarms/lifecycle-policy";
import { parseConfig } from "../../../functions/core/config";
import { runCredentialChecks } from "../../../functions/handlers/credential-check";
import { logger } from "../../../functions/handlers/shared/powertools";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";

const { DUMMY_ACCOUNT } = createRequire(import.meta.url)("s3rver/lib/models/account") as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

const ISSUED = {
  AccessKeyId: "ASIAWATCHPOSTHANDLER",
  SecretAccessKey: "Hn4/kQ2mN8pL4vR7tY1wE5uI3oA6sD0fG2hJ4kLz",
  SessionToken: `IQoJb3JpZ2luX2VjEHQaCWhhbmRsZXItdGVzdCJH${"MEUCIQD".repeat(40)}`,
};

let s3: LocalS3;
let dynamo: LocalDynamo;
const sts = mockClient(STSClient);
const bus = recordingEventBus();
const sent = bus.sent;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: "cluster-data" }));
  DUMMY_ACCOUNT.createKeyPair(ISSUED.AccessKeyId, ISSUED.SecretAccessKey);
});

afterAll(async () => {
  sts.restore();
  bus.restore();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

describe("credential-check function", () => {
  it("raises an unbound agency after two failing runs and clears it when the role works again", async () => {
    // Prepare
    const config = parseConfig({
      certificates: { sources: [{ prefix: "certs/" }] },
      credentials: {
        targets: [
          {
            name: "hbase-prod",
            roleArn: "arn:aws:iam::123456789012:role/hbase-agency",
            externalId: "cluster-7",
            bucket: "cluster-data",
            prefix: "hbase/",
            region: "us-east-1",
            s3Endpoint: s3.endpoint,
            forcePathStyle: true,
            timeoutMs: 2000,
            parameters: { ServiceName: "HBase", RoleName: "hbase-agency", HostName: "node-1" },
          },
        ],
      },
    });
    const tableName = await dynamo.createAlarmTable("credential-handler");
    const probe = awsCredentialProbe({
      sts: { credentials: { accessKeyId: "AKIACALLER", secretAccessKey: "caller-secret" } },
    });
    // Capture the exact JSON lines Powertools prints, at the console it writes them to (the test run
    // silences the logger otherwise: vitest.config.ts).
    const printed: string[] = [];
    const level = logger.getLevelName();
    logger.setLogLevel("INFO");
    const loggerConsole = (logger as unknown as { console: Console }).console;
    const spies = (["debug", "info", "warn", "error", "log"] as const).map((method) =>
      vi.spyOn(loggerConsole, method).mockImplementation((line: unknown) => {
        printed.push(String(line));
      }),
    );
    const deps = {
      config,
      probe,
      alarms: {
        store: createAlarmStore({ tableName, client: documentClient(dynamo.client) }),
        publisher: bus.publisher,
        policy: lifecyclePolicyFrom(config.alarms),
      },
    };
    const unbound = new STSServiceException({
      name: "AccessDenied",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
      message: "User: arn:aws:sts::999:assumed-role/watchpost is not authorized to perform: sts:AssumeRole",
    });
    sts.on(AssumeRoleCommand).rejects(unbound);

    // Act
    const first = await runCredentialChecks(deps);
    const afterFirst = sent.length;
    const second = await runCredentialChecks(deps);
    const raised = sent.slice(afterFirst);
    sts
      .on(AssumeRoleCommand)
      .resolves({ Credentials: { ...ISSUED, Expiration: new Date(Date.now() + 3600_000) } });
    const healed = await runCredentialChecks(deps);
    probe.close();
    for (const spy of spies) spy.mockRestore();
    logger.setLogLevel(level);

    // Assess
    expect(first).toMatchObject({ targets: 1, healthy: 0, transitions: 0 });
    expect(afterFirst).toBe(0);
    expect(second).toMatchObject({ transitions: 1, published: 1 });
    expect(raised.map((e) => [e.DetailType, JSON.parse(e.Detail ?? "{}").check])).toEqual([
      ["Alarm Raised", "credentials-unobtainable"],
    ]);
    expect(JSON.parse(raised[0]?.Detail ?? "{}").parameters).toMatchObject({
      ServiceName: "HBase",
      RoleName: "hbase-agency",
      RoleArn: "arn:aws:iam::123456789012:role/hbase-agency",
    });
    expect(healed).toMatchObject({ healthy: 1, transitions: 1 });
    expect(sent.at(-1)?.DetailType).toBe("Alarm Cleared");
    expect(printed.filter((line) => line.includes("credential target checked"))).toHaveLength(3);
    const everything = [...sent.map((e) => e.Detail), ...printed].join("\n");
    expect(everything).not.toContain(ISSUED.SecretAccessKey);
    expect(everything).not.toContain(ISSUED.SessionToken);
  });
});
