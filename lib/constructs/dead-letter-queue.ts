import { Duration, Validations } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/**
 * Where an asynchronous delivery ends up after its retries: encrypted at rest (SQS-managed keys,
 * which EventBridge, Scheduler and Lambda can all write to without key-policy plumbing), SSL-only,
 * and kept for the maximum 14 days so an operator has time to look and redrive.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;

  /** `fifo`: the dead-letter queue of a FIFO queue must be FIFO too. */
  constructor(scope: Construct, id: string, options: { fifo?: boolean } = {}) {
    super(scope, id);
    this.queue = new sqs.Queue(this, "Queue", {
      ...(options.fifo ? { fifo: true } : {}),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is itself a dead-letter queue; a DLQ of a DLQ would only move the problem.",
    });
  }
}
