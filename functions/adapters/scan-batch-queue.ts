/**
 * The scan's batch queue in SQS: batches go out ten to a SendMessageBatch call, and entries SQS
 * refused are sent again with backoff. A batch that still cannot be sent fails the listing run,
 * which then never seals, so it clears nothing (core/scan/source-scan.ts).
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { ScanBatch } from "../core/scan/fan-out-messages";
import type { ScanBatchQueuePort } from "../core/scan/ports";

const MAX_ENTRIES = 10;
/** SQS refuses messages over 256 KiB (the whole SendMessageBatch too); keep a margin. */
export const MAX_MESSAGE_BYTES = 240 * 1024;
const MAX_ROUNDS = 5;

export interface ScanBatchQueueOptions {
  /** Default: the execution environment's shared SQS client (clients/sqs.ts). */
  client?: Pick<SQSClient, "send">;
  queueUrl: string;
  sleep?: (ms: number) => Promise<void>;
}

export function createScanBatchQueue(options: ScanBatchQueueOptions): ScanBatchQueuePort {
  const { queueUrl } = options;
  // SQS's client and command are imported at the first hand-out: only a source larger than one
  // batch is fanned out, and the Lambda bundle is split here (lib/bundling.ts), so a scan of small
  // sources never loads them.
  let client: Promise<Pick<SQSClient, "send">> | undefined;
  const clientOnce = () => {
    client ??= options.client
      ? Promise.resolve(options.client)
      : import("./clients/sqs").then((m) => m.sqsClient());
    return client;
  };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function send(batches: readonly ScanBatch[]): Promise<void> {
    const { SendMessageBatchCommand } = await import("@aws-sdk/client-sqs");
    const sqs = await clientOnce();
    const messages = batches.flatMap(splitToFit).map((batch) => ({
      Id: `b${batch.index}`,
      MessageBody: JSON.stringify(batch),
    }));
    for (let start = 0; start < messages.length; start += MAX_ENTRIES) {
      let pending = messages.slice(start, start + MAX_ENTRIES);
      for (let round = 1; pending.length > 0; round++) {
        const response = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }),
        );
        const failed = new Map((response.Failed ?? []).map((f) => [f.Id, f]));
        const permanent = [...failed.values()].filter((f) => f.SenderFault);
        if (permanent.length > 0 || (failed.size > 0 && round >= MAX_ROUNDS)) {
          const first = permanent[0] ?? [...failed.values()][0];
          throw new Error(
            `scan batch queue: ${failed.size} batch(es) not sent (${first?.Code ?? "unknown"}: ${first?.Message ?? ""})`,
          );
        }
        pending = pending.filter((m) => failed.has(m.Id));
        if (pending.length > 0) await sleep(Math.min(2_000, 100 * 2 ** round));
      }
    }
  }

  return { send };
}

/** The lister closes batches by size too (source-scan.ts), so this only guards that promise. */
function splitToFit(batch: ScanBatch): ScanBatch[] {
  if (Buffer.byteLength(JSON.stringify(batch)) <= MAX_MESSAGE_BYTES) return [batch];
  throw new Error(
    `scan batch ${batch.index} of run ${batch.runId} is over ${MAX_MESSAGE_BYTES} bytes; lower the batch size`,
  );
}
