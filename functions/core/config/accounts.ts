/**
 * `accounts`: how the scan reads sources kept in other AWS accounts (member accounts of an
 * organization). Each source kind names the accounts it reads (`accounts`, 12-digit IDs); the scan
 * assumes the reader role (docs/member-accounts.md, lib/member-account-reader-stack.ts) in each of
 * them with this section's external ID.
 */
import * as z from "zod";
import { AwsRegion } from "./fields";
import { atMost, LIMITS } from "./limits";

/** An AWS account ID: exactly 12 digits (leading zeros are part of it, so it stays a string). */
export const AccountId = z
  .string()
  .regex(/^\d{12}$/, 'expected a 12-digit AWS account ID such as "123456789012"');

/** A source kind's `accounts`: absent means the stack's own account, read with the scan's own role. */
export const SourceAccounts = z
  .array(AccountId)
  .min(1, "expected at least one account ID, or no `accounts` for the stack's own account")
  .max(LIMITS.memberAccounts, atMost(LIMITS.memberAccounts, "accounts"))
  .refine((ids) => new Set(ids).size === ids.length, "expected each account ID once")
  .optional();

/** A source kind's `regions`: absent means the stack's own region. */
export const SourceRegions = z
  .array(AwsRegion)
  .min(1, "expected at least one Region, or no `regions` for the stack's own Region")
  .max(30, atMost(30, "Regions"))
  .refine((regions) => new Set(regions).size === regions.length, "expected each Region once")
  .optional();

/**
 * The role's session from Lambda is role chaining: STS allows at most one hour (STS API Reference,
 * AssumeRole, "DurationSeconds": 900 to the role's maximum; IAM User Guide, "Role chaining" limits a
 * chained session to one hour).
 */
export const MEMBER_SESSION_MIN_SECONDS = 900;
export const MEMBER_SESSION_MAX_SECONDS = 3600;

export const Accounts = z.strictObject({
  /**
   * The reader role's name in every member account (IAM: 1-64 characters of `\w+=,.@-`; IAM API
   * Reference, CreateRole, "RoleName"). The StackSet template creates it under this name.
   */
  readerRoleName: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, "expected an IAM role name: 1-64 letters, digits or +=,.@_-")
    .default("watchpost-reader"),
  /**
   * The external ID the reader role's trust policy requires (condition key sts:ExternalId). STS
   * accepts 2-1,224 characters of `[\w+=,.@:/-]` (STS API Reference, AssumeRole, "ExternalId").
   * Not a secret by AWS's account, but kept out of every message and event all the same.
   */
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, "expected an external ID: 2-1224 letters, digits or +=,.@:/_-")
    .optional(),
  sessionDurationSeconds: z
    .int()
    .min(MEMBER_SESSION_MIN_SECONDS, `expected at least ${MEMBER_SESSION_MIN_SECONDS} s (STS's minimum)`)
    .max(
      MEMBER_SESSION_MAX_SECONDS,
      `expected at most ${MEMBER_SESSION_MAX_SECONDS} s: the scan assumes the reader role from Lambda, which is role chaining, and STS refuses a longer DurationSeconds`,
    )
    .default(MEMBER_SESSION_MAX_SECONDS),
});

export type Accounts = z.infer<typeof Accounts>;

/**
 * Every account ID any source names, wherever in the configuration the source kind lives: each
 * object with an `accounts` array of account IDs counts. Sorted, each once.
 */
export function memberAccountIds(config: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== "object") return;
    for (const [key, child] of Object.entries(value)) {
      if (key === "accounts" && Array.isArray(child)) {
        for (const id of child) if (typeof id === "string" && /^\d{12}$/.test(id)) found.add(id);
      } else {
        visit(child);
      }
    }
  };
  visit(config);
  return [...found].sort();
}

/** The reader role's ARN in one member account. */
export function readerRoleArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}
