import { Duration } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SCAN_STATE_TABLE_KEYS } from "../../functions/adapters/object-inventory";
import { DeadLetterQueue } from "./dead-letter-queue";
import { stateTable } from "./state-table";

/** Deliveries of a scan batch before it is dead-lettered. */
export const BATCH_MAX_RECEIVE_COUNT = 5;

export interface ScanStateProps {
  /** The scan function's timeout: a batch stays invisible long enough for several attempts. */
  workerTimeout: Duration;
}

/**
 * What lets the certificate scan be incremental and larger than one invocation: the scan-state
 * table (object inventory and fanned-out runs, keys as the adapters define them) and the queue
 * over which the scheduled scan hands batches of a large source back to the scan function.
 * A batch that fails five deliveries lands in its own dead-letter queue; its run then never
 * settles, so it clears nothing, and the scan-staleness alarm says so (docs/architecture.md).
 */
export class ScanState extends Construct {
  readonly table: dynamodb.TableV2;
  readonly queue: sqs.Queue;
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ScanStateProps) {
    super(scope, id);
    // A cache and run bookkeeping: losing it costs one full download of the store, nothing more.
    this.table = stateTable(this, "Table", SCAN_STATE_TABLE_KEYS);
    this.deadLetters = new DeadLetterQueue(this, "BatchDeadLetters");
    this.queue = new sqs.Queue(this, "BatchQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for a Lambda event source: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      // AWS's advice for a Lambda event source: at least 5 receives, so a batch throttled while the
      // scan runs at its concurrency limit is retried, not dead-lettered (Lambda Developer Guide,
      // "Understanding SQS retries").
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: BATCH_MAX_RECEIVE_COUNT },
    });
  }
}
