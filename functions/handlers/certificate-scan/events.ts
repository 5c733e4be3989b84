/**
 * The events that invoke the certificate scan, validated once: an SQS batch of the scan queue, an
 * S3 object event through EventBridge, an event of ACM, Parameter Store or Secrets Manager about one
 * item, the host check's schedule, or anything else (the schedule, the deploy-time trigger, a
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

/** The host check's schedule (schedules.hostCheck): its input names the check, the rest is a Scheduled Event. */
export const HOST_CHECK_DETAIL = { check: "host-heartbeats" } as const;
export const HostCheckEvent = z.object({ detail: z.object({ check: z.literal(HOST_CHECK_DETAIL.check) }) });

/**
 * An event of ACM, Parameter Store or Secrets Manager (lib/constructs/aws-certificate-events.ts).
 * Only its envelope is checked here; what it names is read, as untrusted text, by
 * core/aws-certificates/change-events.ts `changeOf`, which says why when it names nothing usable.
 * Any event from these sources is an item's re-check, never a full scan: a malformed one is
 * ignored there, not taken for the schedule.
 */
export const AWS_STORE_SOURCES = ["aws.acm", "aws.ssm", "aws.secretsmanager"] as const;
const Short = z.string().max(256).catch("");
export const AwsStoreEvent = z.object({
  source: z.enum(AWS_STORE_SOURCES),
  "detail-type": Short,
  account: Short,
  region: Short,
  resources: z.array(z.string().max(2048)).max(20).optional().catch(undefined),
  detail: z.record(z.string(), z.unknown()).catch({}),
});
export type AwsStoreEvent = z.infer<typeof AwsStoreEvent>;

export const ScanEvent = z.union([
  QueueEvent.transform((event) => ({ trigger: "scan-batch" as const, event })),
  ObjectEvent.transform((event) => ({ trigger: "object-change" as const, event })),
  AwsStoreEvent.transform((event) => ({ trigger: "aws-item-change" as const, event })),
  HostCheckEvent.transform(() => ({ trigger: "host-check" as const })),
  z.unknown().transform(() => ({ trigger: "full-scan" as const })),
]);

/** Whether an object exists: undefined when S3 would not say (access denied, throttling, network). */
export type ObjectExists = (key: string) => Promise<boolean | undefined>;

/**
 * The key as the event delivers it. EventBridge delivers S3 keys as stored (S3 User Guide,
 * "EventBridge event message structure"), not URL-encoded like the S3 → SQS/SNS/Lambda notification
 * format ("Event message structure": spaces as '+'); see `resolveObjectKey` for events in that form.
 */
export function objectKeyOf(event: Pick<ObjectEvent, "detail">): string {
  return event.detail.object.key;
}

/**
 * The object an event is about: its key as delivered, unless that object does not exist while the
 * URL-decoded form of the key does — then the event came URL-encoded, and the decoded key is the
 * object's. A deletion is read as delivered (the object is gone under either reading, and its
 * alarms are the ones to settle). When S3 will not say whether an object exists, the key stays as
 * delivered: the re-check then reports what S3 says about it.
 */
export async function resolveObjectKey(
  event: Pick<ObjectEvent, "detail" | "detail-type">,
  exists: ObjectExists | undefined,
): Promise<string> {
  const delivered = objectKeyOf(event);
  if (event["detail-type"] !== "Object Created" || !exists) return delivered;
  const decoded = urlDecodedKey(delivered);
  if (decoded === undefined || decoded === delivered) return delivered;
  if ((await exists(delivered)) !== false) return delivered;
  return (await exists(decoded)) === true ? decoded : delivered;
}

/** The key as S3's notification format encodes it, decoded; undefined when it is not valid encoding. */
function urlDecodedKey(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}
