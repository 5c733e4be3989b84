import * as path from "node:path";
import { Duration } from "aws-cdk-lib";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
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
 * message group is the webhook: deliveries to one endpoint go one at a time and in order (a clear
 * never overtakes its raise), and one endpoint's outage holds up only its own messages. The
 * webhook function reads each message, renders it, reads the URL or key from Secrets Manager and
 * POSTs it; failures come back after the visibility timeout, ten times, then stay 14 days in the
 * dead-letter queue, which a CloudWatch alarm watches. Why a function and not an EventBridge API
 * destination: docs/notifications.md.
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
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.function = new WatchpostFunction(this, "Deliver", {
      entry: HANDLER,
      description: "Renders watchpost alarm notifications for webhooks (JSON, Slack, Teams) and posts them",
      config,
      timeout: FUNCTION_TIMEOUT,
      memorySize: 256,
    });
    const fn = this.function.function;
    fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));
    this.deadLetters.queue.grantSendMessages(fn);
    fn.addEnvironment(ENV.webhookDeadLetterQueueUrl, this.deadLetters.queue.queueUrl);

    const secretNames = new Set(
      config.notifications.webhooks.map((w) => (w.format === "json" ? w.auth.secretName : w.urlSecretName)),
    );
    [...secretNames].forEach((name, index) => {
      secretsmanager.Secret.fromSecretNameV2(this, `Secret${index}`, name).grantRead(fn);
    });
  }

  /** Lets `sender` (the notifier) queue deliveries. */
  bindSender(sender: WatchpostFunction): void {
    this.queue.grantSendMessages(sender.function);
    sender.function.addEnvironment(ENV.webhookQueueUrl, this.queue.queueUrl);
  }
}
