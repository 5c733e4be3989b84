/**
 * `hosts`: the hosts that run `watchpost push`, watched through the heartbeat each push leaves
 * (core/hosts/heartbeat.ts): how long a host may stay silent before `host-silent` (1020) is
 * raised, and how far its clock may be off before `host-clock-skew` (1021).
 */
import * as z from "zod";
import { KeyPrefix } from "./fields";
import { atMost, LIMITS } from "./limits";

/** A day for a daily push, plus an hour of slack: what a host that declares no interval gets. */
export const DEFAULT_SILENT_AFTER_MINUTES = 25 * 60;
/** Added to the interval a host declares (`push --every`) when nothing else is configured. */
export const SILENCE_SLACK_MINUTES = 60;

const Minutes = z
  .number()
  .int()
  .min(10)
  .max(31 * 24 * 60);

const SilenceRule = z
  .strictObject({
    /** Host names (as pushed, `--host`) this rule is for: `*` any run of characters, `?` one. */
    hostPattern: z
      .string()
      .regex(
        /^[A-Za-z0-9._*?-]{1,253}$/,
        'expected a host name pattern such as "kafka-*" or "*.prod.example.com"',
      )
      .optional(),
    /** The push prefix (`--to s3://BUCKET/PREFIX/`) this rule is for, e.g. a source's prefix. */
    prefix: KeyPrefix.optional(),
    silentAfterMinutes: Minutes,
  })
  .refine((r) => r.hostPattern !== undefined || r.prefix !== undefined, {
    message: "expected a hostPattern, a prefix, or both",
  });

export const Hosts = z.strictObject({
  /**
   * Minutes without a push after which a host is silent. Default: the interval the host declares
   * (`push --every`) plus 60 minutes, or 1,500 minutes (25 hours) when it declares none.
   */
  silentAfterMinutes: Minutes.optional(),
  /** Other limits by host name pattern or push prefix; the first rule that matches wins. */
  silentAfterByHost: z
    .array(SilenceRule)
    .max(LIMITS.silenceRules, atMost(LIMITS.silenceRules, "rules"))
    .default([]),
  /**
   * A host clock off from S3's by more than this (beyond the measurement's uncertainty) raises
   * host-clock-skew. Default: certificates.thresholds.skewSeconds (300).
   */
  clockSkewSeconds: z.number().int().min(1).max(86_400).optional(),
});
export type Hosts = z.infer<typeof Hosts>;
