/**
 * The deployed endpoint scan wired to the emulators, as the integration tests run it: the CA
 * bundles on s3rver, the alarm table on dynalite (one table a scanner), events through the
 * recording bus. Each call runs one scan and returns its outcome and the events it put.
 */
import { createAlarmStore } from "../../functions/adapters/alarm-store";
import { documentClient } from "../../functions/adapters/clients/dynamodb";
import { lifecyclePolicyFrom } from "../../functions/core/alarms/lifecycle-policy";
import { parseConfig, type WatchpostConfigInput } from "../../functions/core/config";
import { endpointScanDeps, runEndpointScan } from "../../functions/handlers/endpoint-scan";
import type { LocalDynamo, LocalS3 } from "./emulators";
import type { recordingEventBus } from "./event-bus";

export interface EndpointScanStand {
  s3: LocalS3;
  dynamo: LocalDynamo;
  bus: ReturnType<typeof recordingEventBus>;
  bucket: string;
}

export async function endpointScanner(
  stand: EndpointScanStand,
  endpoints: WatchpostConfigInput["endpoints"],
  table: string,
) {
  const config = parseConfig({ certificates: { sources: [{ prefix: "certs/" }] }, endpoints });
  const tableName = await stand.dynamo.createAlarmTable(table);
  const deps = endpointScanDeps({
    config,
    s3: stand.s3.client,
    bucket: stand.bucket,
    alarms: {
      store: createAlarmStore({ tableName, client: documentClient(stand.dynamo.client) }),
      publisher: stand.bus.publisher,
      policy: lifecyclePolicyFrom(config.alarms),
    },
  });
  return async () => {
    const before = stand.bus.sent.length;
    const outcome = await runEndpointScan(deps);
    const events = stand.bus.sent
      .slice(before)
      .map((e) => ({ type: e.DetailType, ...JSON.parse(e.Detail ?? "{}") }));
    return { outcome, events };
  };
}
