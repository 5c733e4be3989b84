/** `credentials`: the roles to assume and the buckets their temporary credentials must reach. */
import * as z from "zod";
import { CredentialTarget } from "../credentials/target";
import { regionOfArn } from "./fields";
import { atMost, LIMITS } from "./limits";

/** The role name (after the last '/') that IAM allows: 1-64 characters. */
const ROLE_NAME = /:role\/(?:[^/]*\/)*([^/]*)$/;

/**
 * The longest session a deployed check can get. The credential check runs in Lambda, already in its
 * execution role's session, so its AssumeRole is role chaining, which STS limits to one hour: a
 * longer DurationSeconds fails, and the session never outlives the hour (STS API Reference,
 * AssumeRole, "DurationSeconds"; IAM User Guide, "Role chaining").
 */
export const CHAINED_SESSION_MAX_SECONDS = 3600;
/**
 * Room between the required remaining lifetime and the session's length: the AssumeRole call and
 * the clocks of STS and the function take the first seconds of the session.
 */
export const SESSION_MARGIN_SECONDS = 60;

export const Credentials = z
  .strictObject({
    targets: z
      .array(CredentialTarget)
      .max(LIMITS.credentialTargets, atMost(LIMITS.credentialTargets, "credential targets"))
      .default([]),
  })
  .refine((c) => new Set(c.targets.map((t) => t.name)).size === c.targets.length, {
    message: "expected credential target names to be unique",
    path: ["targets"],
  })
  .superRefine((c, context) => {
    c.targets.forEach((target, i) => {
      const roleName = target.roleArn ? (ROLE_NAME.exec(target.roleArn)?.[1] ?? "") : undefined;
      if (roleName !== undefined && (roleName.length < 1 || roleName.length > 64)) {
        context.addIssue({
          code: "custom",
          path: ["targets", i, "roleArn"],
          message: `expected an IAM role ARN ending in a role name of 1-64 characters (got ${roleName.length})`,
        });
      }
      for (const field of ["s3Endpoint", "stsEndpoint"] as const) {
        const endpoint = target[field];
        if (endpoint !== undefined && !/^https?:\/\//i.test(endpoint)) {
          context.addIssue({
            code: "custom",
            path: ["targets", i, field],
            message: "expected an http:// or https:// endpoint URL",
          });
        }
      }
      if (target.roleArn) checkChainedSession(target, i, context);
      if (target.kmsKeyArn) checkProbeKey(target, i, context);
      const prefix = target.prefix ?? "";
      if (prefix.split("/").some((segment) => segment === "." || segment === "..")) {
        context.addIssue({
          code: "custom",
          path: ["targets", i, "prefix"],
          message: "expected a prefix without '.' or '..' segments: S3 does not resolve them",
        });
      }
    });
  });

type Target = z.infer<typeof CredentialTarget>;

/** A session the deployed check can obtain and then accept (see CHAINED_SESSION_MAX_SECONDS). */
function checkChainedSession(target: Target, i: number, context: z.core.$RefinementCtx): void {
  const requested = target.sessionDurationSeconds;
  if (requested !== undefined && requested > CHAINED_SESSION_MAX_SECONDS) {
    context.addIssue({
      code: "custom",
      path: ["targets", i, "sessionDurationSeconds"],
      message: `expected at most ${CHAINED_SESSION_MAX_SECONDS} s: the deployed check assumes the role from Lambda, which is role chaining, and STS refuses a longer DurationSeconds (check-credentials from a workstation may ask for more)`,
    });
    return;
  }
  const session = requested ?? CHAINED_SESSION_MAX_SECONDS;
  if (target.minRemainingSeconds > session - SESSION_MARGIN_SECONDS) {
    context.addIssue({
      code: "custom",
      path: ["targets", i, "minRemainingSeconds"],
      message: `expected at most ${session - SESSION_MARGIN_SECONDS} s: the session lasts ${session} s${requested === undefined ? " (one hour, the most a role-chained session gets)" : ""}, so credentials with ${target.minRemainingSeconds} s left would never arrive and every check would fail`,
    });
  }
}

/** The key is used by the function's own role, through S3, in the bucket's region. */
function checkProbeKey(target: Target, i: number, context: z.core.$RefinementCtx): void {
  const path = ["targets", i, "kmsKeyArn"];
  if (target.roleArn || target.s3Endpoint) {
    context.addIssue({
      code: "custom",
      path,
      message: target.roleArn
        ? "expected kmsKeyArn only on a target without roleArn: with a role, the S3 calls use the role's credentials, and the role's own policies must allow the key"
        : "expected kmsKeyArn only on an AWS S3 target: an S3-compatible store (s3Endpoint) does not use AWS KMS",
    });
  } else if (!target.writeProbe) {
    context.addIssue({
      code: "custom",
      path,
      message:
        "expected kmsKeyArn only with writeProbe: listing the bucket uses no key, so only the probe's put and read-back need it",
    });
  } else if (regionOfArn(target.kmsKeyArn!) !== target.region) {
    context.addIssue({
      code: "custom",
      path,
      message: `expected a key in the bucket's region ${target.region}: S3 encrypts with a KMS key of the bucket's own Region`,
    });
  }
}
