/** `credentials`: the roles to assume and the buckets their temporary credentials must reach. */
import * as z from "zod";
import { CredentialTarget } from "../credentials/target";
import { atMost, LIMITS } from "./limits";

/** The role name (after the last '/') that IAM allows: 1-64 characters. */
const ROLE_NAME = /:role\/(?:[^/]*\/)*([^/]*)$/;

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
