/**
 * The events that invoke the certificate scan, validated once: an SQS batch of the scan queue, an
 * S3 object event through EventBridge, or anything else (the schedule, the deploy-time trigger, a
 * manual invoke), which asks for a full scan.
 */
import * as z from "zod";

/** EventBridge's S3 notification (the bucket has `eventBridgeEnabled`). */
export const ObjectEvent = z.object({
  source: z.literal("aws.s3"),
  "detail-type": z.enum(["Object Created", "Object Deleted"]),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string() }),
  }),
});
export type ObjectEvent = z.infer<typeof ObjectEvent>;

/** SQS's event for the scan queue; each message body is one ScanBatch. */
export const QueueEvent = z.object({
  Records: z
    .array(z.object({ messageId: z.string(), body: z.string(), eventSource: z.literal("aws:sqs") }))
    .min(1),
});
export type QueueEvent = z.infer<typeof QueueEvent>;

export const ScanEvent = z.union([
  QueueEvent.transform((event) => ({ trigger: "scan-batch" as const, event })),
  ObjectEvent.transform((event) => ({ trigger: "object-change" as const, event })),
  z.unknown().transform(() => ({ trigger: "full-scan" as const })),
]);

/**
 * S3 writes object keys into notifications URL-encoded, spaces as '+'; GetObject wants the key
 * itself. A malformed escape is kept as it came rather than guessed at.
 */
export function objectKeyOf(event: ObjectEvent): string {
  const raw = event.detail.object.key;
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
  }
}
