/**
 * Environment variables the stack sets on the functions. The names are defined here once: the
 * stack (lib/) pairs each one with the grant that makes it usable, and the handlers read them.
 * Values are resource names and ARNs only; the configuration itself is compiled into the bundle
 * (see deployed-config.ts), so the 4 KB environment limit never binds.
 */
export const ENV = {
  certificateBucket: "WATCHPOST_CERTIFICATE_BUCKET",
  alarmTable: "WATCHPOST_ALARM_TABLE",
  /** Object inventory and fanned-out scan runs. */
  scanStateTable: "WATCHPOST_SCAN_STATE_TABLE",
  /** Where the scan hands out batches of a large source (and receives them back). */
  scanQueueUrl: "WATCHPOST_SCAN_QUEUE_URL",
  /** Objects per batch; a source listing at most this many is judged in one invocation. */
  scanBatchSize: "WATCHPOST_SCAN_BATCH_SIZE",
  eventBus: "WATCHPOST_EVENT_BUS",
  /**
   * The alarm topics, each with the minimum severity and subject prefix its subscribers (email,
   * chat) asked for; text form and reader in functions/core/notifications/topics.ts.
   */
  alarmTopics: "WATCHPOST_ALARM_TOPICS",
  /** FIFO queue of webhook deliveries: the notifier sends to it, the webhook function reads it. */
  webhookQueueUrl: "WATCHPOST_WEBHOOK_QUEUE_URL",
  /** Where the webhook function puts a delivery no retry can save. */
  webhookDeadLetterQueueUrl: "WATCHPOST_WEBHOOK_DEAD_LETTER_QUEUE_URL",
  /**
   * The account and partition the stack runs in (`Stack.of(this).account`, `.partition`): what an
   * `awsCertificates` selection without `accounts` reads, and the ARNs the scan writes itself.
   */
  accountId: "WATCHPOST_ACCOUNT_ID",
  partition: "WATCHPOST_PARTITION",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** A missing variable is a deployment fault: fail the invocation loudly (it retries, then lands in the DLQ). */
export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new Error(`Environment variable ${name} is not set; redeploy the watchpost stack.`);
  }
  return value;
}
