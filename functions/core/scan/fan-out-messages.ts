/**
 * What a fanned-out run sends and keeps (source-scan.ts hands a source out, fan-out-batch.ts judges
 * a batch, settlement.ts reads the reports): the queue message and the stored report, validated
 * where they are read back (adapters/scan-batch-queue.ts, adapters/scan-runs.ts).
 */
import * as z from "zod";
import { Finding } from "../contracts";

export const SCAN_BATCH_KIND = "watchpost.scan-batch";

/** One queue message: a share of one source's listing. Keys only, never object contents. */
export const ScanBatch = z.object({
  kind: z.literal(SCAN_BATCH_KIND),
  runId: z.string().min(1),
  /** The source's prefix (unique per source in the configuration). */
  prefix: z.string(),
  index: z.number().int().nonnegative(),
  /** The run's evaluation instant: every batch judges against the same clock. */
  now: z.iso.datetime(),
  objects: z.array(z.object({ key: z.string(), size: z.number(), etag: z.string().optional() })),
});
export type ScanBatch = z.infer<typeof ScanBatch>;

/** What a batch (or the lister itself) found; stored until the run is settled. */
export const BatchReport = z.object({
  complete: z.boolean(),
  findings: z.array(Finding),
  certificates: z.number().int().nonnegative(),
  soonestNotAfter: z.iso.datetime().optional(),
  /** The earliest and latest notBefore judged: a run where every certificate starts later blames the clock. */
  earliestNotBefore: z.iso.datetime().optional(),
  latestNotBefore: z.iso.datetime().optional(),
  /** The lister's: how many certificates the trust bundle holds, counted with the start dates above. */
  trustAnchors: z.number().int().nonnegative().optional(),
  downloaded: z.number().int().nonnegative(),
  reused: z.number().int().nonnegative(),
  error: z.string().optional(),
  /** Objects listed but not examined (not fetched, or deferred): their alarms stand. */
  unexamined: z.array(z.string()).optional(),
  /** `[object, version]` of every object judged (core/alarms/lifecycle.ts, ObjectVersions); absent on reports written before they were kept. */
  versions: z.array(z.tuple([z.string(), z.string()])).optional(),
});
export type BatchReport = z.infer<typeof BatchReport>;
