/** `operations`: how the watcher itself runs (logs, staleness alarm, dashboard, scan fan-out). */
import * as z from "zod";

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** See scanDownloadConcurrency and docs/benchmarks.md, "Download concurrency". */
export const DEFAULT_SCAN_DOWNLOAD_CONCURRENCY = 16;

export const Operations = z.strictObject({
  logRetentionDays: z
    .number()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `expected one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
    })
    .default(30),
  /** The certificate-scan staleness alarm fires after this many hours without a successful scan. */
  scanStalenessHours: z.number().int().min(2).max(168).default(26),
  /** The CloudWatch dashboard, with the certificate page (a custom widget and its function) first. */
  dashboard: z.boolean().default(true),
  /**
   * Objects per scan batch: a source that lists more is handed out in batches to concurrent scan
   * invocations (docs/architecture.md). Bounded so a batch message stays under SQS's 256 KiB.
   */
  scanBatchSize: z.number().int().min(10).max(1000).default(500),
  /** Scan invocations judging batches at once: bounds the load on S3 and DynamoDB. */
  scanWorkers: z.number().int().min(2).max(100).default(5),
  /**
   * Objects one scan invocation downloads at once. A scan of S3 waits on each GetObject's first
   * byte (tens of milliseconds) far longer than it computes, so it keeps this many in flight; the
   * default fits the scan function's share of a vCPU (docs/benchmarks.md, "Download concurrency").
   */
  scanDownloadConcurrency: z.number().int().min(1).max(64).default(DEFAULT_SCAN_DOWNLOAD_CONCURRENCY),
});
