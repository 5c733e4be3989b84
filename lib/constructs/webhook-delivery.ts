import * as path from "node:path";
import { Duration } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { WatchpostConfig } from "../../functions/core/config";
import { ENV } from "../../functions/handlers/shared/environment";
import { DeadLetterQueue } from "./dead-letter-queue";
import { WatchpostFunction } from "./watchpost-function";

const HANDLER = path.join(import.meta.dirname, "..", "..", "functions", "handlers", "webhook-delivery.ts");

/** Longest a delivery may take: a 10 s POST, a Retry-After of up to 20 s, a second POST, pacing. */
const FUNCTION_TIMEOUT = Duration.seconds(60);
/** Attempts before a delivery is dead-lettered: at six minutes apart, about an hour of outage. */
const MAX_RECEIVE_COUNT = 10;

export interface WebhookDeliveryProps {
  config: WatchpostConfig;
}

/**
 * Posts alarm notifications to webhooks in the format each asks for (documented JSON, Slack Block
 * Kit, Teams Adaptive Card). The notifier puts one message per webhook on a FIFO queue whose
 * message group is the webhook: deliveries to one endpoint go one at a time, in the order the
 * notifier queued them (docs/notifications.md says when that differs from the order the events were
 * published), and one endpoint's outage holds up only its own messages. The
 * webhook function reads each message, renders it, reads the URL or key from Secrets Manager and
 * POSTs it; transient failures come back after the visibility timeout, ten times, then stay 14 days
 * in the dead-letter queue, which a CloudWatch alarm watches; permanent ones (a 4xx, a missing
 * secret, an unusable URL) go there at once. Messages wait up to 14 days for their turn. Why a
 * function and not an EventBridge API destination: docs/notifications.md.
 */
export class WebhookDelivery extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetters: DeadLetterQueue;
  readonly function: WatchpostFunction;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const { config } = props;
    this.deadLetters = new DeadLetterQueue(this, "DeadLetters", { fifo: true });
    this.queue = new sqs.Queue(this, "Queue", {
      fifo: true,
      // The notifier sets a deduplication ID per event and webhook; content-based is the fallback.
      contentBasedDeduplication: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for a Lambda event source: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      // The most SQS allows: in a long outage each message holds its webhook's group for an hour of
      // retries, so a backlog must outlive that wait and end in the dead-letter queue, not expire.
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.function = new WatchpostFunction(this, "Deliver", {
      entry: HANDLER,
      description: "Renders watchpost alarm notifications for webhooks (JSON, Slack, Teams) and posts them",
      config,
      timeout: FUNCTION_TIMEOUT,
      memorySize: 256,
      // Only its FIFO queue invokes it; undeliverable messages end in this construct's dead letters.
      invokedAsynchronously: false,
    });
    this.function.consumeQueue("Deliveries", this.queue);
    // Exactly what the code sends (the IAM simulation checks both ways): SendMessage to the queues.
    this.deadLetters.queue.grant(this.function.function, "sqs:SendMessage");
    this.function.function.addEnvironment(ENV.webhookDeadLetterQueueUrl, this.deadLetters.queue.queueUrl);
    this.function.grantSecretReads(
      config.notifications.webhooks.flatMap((w) =>
        [w.format === "json" ? w.auth?.secretName : undefined, w.urlSecretName].filter(
          (name): name is string => name !== undefined,
        ),
      ),
      "webhook keys and incoming-webhook URLs",
    );
  }

  /** Lets `sender` (the notifier) queue deliveries. */
  bindSender(sender: WatchpostFunction): void {
    this.queue.grant(sender.function, "sqs:SendMessage");
    sender.function.addEnvironment(ENV.webhookQueueUrl, this.queue.queueUrl);
  }
}
