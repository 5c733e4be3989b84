/**
 * The batch queue in front of SQS (no local implementation: aws-sdk-client-mock, with SQS's own
 * result shapes). What the lister relies on: every batch is sent or the listing run fails loudly.
 */
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createScanBatchQueue } from "../../../functions/adapters/scan-batch-queue";
import { SCAN_BATCH_KIND, type ScanBatch } from "../../../functions/core/scan/fan-out-messages";

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
afterAll(() => sqs.restore());

const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/watchpost-batches";
const batch = (index: number, keys = 2): ScanBatch => ({
  kind: SCAN_BATCH_KIND,
  runId: "run-1",
  prefix: "prod/",
  index,
  now: "2026-11-22T01:00:00.000Z",
  objects: Array.from({ length: keys }, (_, i) => ({
    key: `prod/${index}-${i}.pem`,
    size: 1200,
    etag: '"e"',
  })),
});
const queue = () =>
  createScanBatchQueue({
    client: new SQSClient({ region: "eu-west-1" }),
    queueUrl: QUEUE_URL,
    sleep: async () => {},
  });

describe("scan batch queue", () => {
  it("sends ten batches per call and re-sends only the entries SQS refused for the moment", async () => {
    // Prepare
    const bodies: string[] = [];
    let calls = 0;
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => {
      calls++;
      const refused = calls === 1 ? input.Entries.slice(0, 2) : [];
      bodies.push(...input.Entries.filter((e) => !refused.includes(e)).map((e) => e.MessageBody));
      return {
        Successful: input.Entries.filter((e) => !refused.includes(e)).map((e) => ({
          Id: e.Id,
          MessageId: e.Id,
        })),
        Failed: refused.map((e) => ({
          Id: e.Id,
          Code: "InternalError",
          SenderFault: false,
          Message: "try again",
        })),
      };
    });

    // Act
    await queue().send(Array.from({ length: 12 }, (_, i) => batch(i)));

    // Assess
    expect(calls).toBe(3); // 10 + the 2 refused + the last 2
    expect(bodies.map((b) => (JSON.parse(b) as ScanBatch).index).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i),
    );
  });

  it("fails the listing when SQS refuses a batch for good, naming the reason", async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: "b0", Code: "InvalidParameterValue", SenderFault: true, Message: "bad attribute" }],
    });

    // Act / Assess
    await expect(queue().send([batch(0)])).rejects.toThrow(
      /1 batch\(es\) not sent \(InvalidParameterValue: bad attribute\)/,
    );
  });

  it("refuses a batch too large for one message instead of letting SQS drop it", async () => {
    // Prepare
    const huge = batch(0, 1);
    huge.objects = Array.from({ length: 400 }, (_, i) => ({ key: `prod/${"k".repeat(900)}-${i}`, size: 1 }));

    // Act / Assess
    await expect(queue().send([huge])).rejects.toThrow(/over \d+ bytes/);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });
});
