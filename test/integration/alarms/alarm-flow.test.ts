/**
 * The issue's "done when": a certificate check run repeatedly over a changing set of files yields
 * exactly raised → severity-changed → cleared on the bus, through the real scan engine, the
 * lifecycle, the DynamoDB store (dynalite) and the EventBridge publisher (mocked client).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlarmStore } from "../../../functions/adapters/alarm-store";
import { documentClient } from "../../../functions/adapters/clients/dynamodb";
import { createEventPublisher } from "../../../functions/adapters/event-publisher";
import { DEFAULT_LIFECYCLE_POLICY } from "../../../functions/core/alarms/lifecycle";
import { processCheckRun } from "../../../functions/core/alarms/process-run";
import { DEFAULT_POLICY } from "../../../functions/core/certificates/evaluate";
import { scanFiles } from "../../../functions/core/scan/read-files";
import { type LocalDynamo, startDynalite } from "../../support/emulators";
import { REPO_ROOT } from "../../support/paths";
import { DAY, issue } from "../../support/pki";

const SCOPE = "s3://certs/cluster-a/";
const T0 = new Date("2030-06-01T01:00:00.000Z");
const day = (n: number) => new Date(T0.getTime() + n * DAY);

let dynamo: LocalDynamo;
const eventBridgeClient = new EventBridgeClient({
  region: "eu-west-1",
  maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" },
});
const eventBridge = mockClient(eventBridgeClient);

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createAlarmTable("alarms");
});

afterAll(async () => {
  eventBridge.restore();
  await dynamo.stop();
});

describe("certificate alarms end to end", () => {
  it("emits raised → severity-changed → cleared as a certificate nears expiry and is then replaced", async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: { Detail: string }[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const store = createAlarmStore({ tableName: "alarms", client: documentClient(dynamo.client) });
    const publisher = createEventPublisher({ eventBusName: "watchpost", client: eventBridgeClient });
    const files = new Map<string, Uint8Array>();
    const put = async (name: string, notAfter: Date) =>
      files.set(`${SCOPE}${name}`, (await issue({ dnsNames: [name], notBefore: day(-300), notAfter })).der);
    await put("api.pem", day(20));
    await put("web.pem", day(300));

    async function check(now: Date, only?: string[]) {
      const names = only ?? [...files.keys()];
      const inputs = names.map((file) => ({
        file,
        explicit: true,
        load: async () => ({ ok: true as const, bytes: files.get(file)! }),
      }));
      const { findings } = await scanFiles(inputs, { policy: { ...DEFAULT_POLICY, now } });
      return processCheckRun(
        {
          scope: SCOPE,
          complete: !only,
          examinedSources: names,
          findings,
          now,
          parameters: { ServiceName: "kube-apiserver" },
        },
        { store, publisher, policy: DEFAULT_LIFECYCLE_POLICY },
      );
    }

    // Act
    const results = [await check(day(0)), await check(day(0.5)), await check(day(14))];
    await put("api.pem", day(400));
    results.push(await check(day(14.01), [`${SCOPE}api.pem`]));
    results.push(await check(day(15)));

    // Assess
    const events = eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? []);
    expect(events.map((e) => e.DetailType)).toEqual([
      "Alarm Raised",
      "Alarm Severity Changed",
      "Alarm Cleared",
    ]);
    const details = events.map((e) => JSON.parse(e.Detail!) as Record<string, unknown>);
    expect(details.map((d) => [d.severity, d.previousSeverity, d.source])).toEqual([
      ["minor", undefined, `${SCOPE}api.pem#0`],
      ["major", "minor", `${SCOPE}api.pem#0`],
      ["major", undefined, `${SCOPE}api.pem#0`],
    ]);
    expect(new Set(details.map((d) => d.occurrenceId)).size).toBe(1);
    expect(details[0]).toMatchObject({
      alarmId: "1002",
      doc: "docs/alarms/1002.md",
      parameters: { ServiceName: "kube-apiserver" },
    });
    expect(results.map((r) => r.partial)).toEqual([false, false, false, true, false]);
    expect(results.every((r) => r.pending.length === 0 && r.errors.length === 0)).toBe(true);

    const ajv = new Ajv2020({ allErrors: true });
    addFormats(ajv);
    const schemaFile = join(REPO_ROOT, "schemas", "alarm-event.schema.json");
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")) as object);
    for (const detail of details) expect(validate(detail), JSON.stringify(validate.errors)).toBe(true);
  });
});
