/**
 * A credential check result as the alarm lifecycle sees it. The steps run in order and stop at the
 * first failure, so a run that never reached the bucket has not re-examined the bucket: it may
 * raise `credentials-unobtainable` but must not clear a standing `storage-access-denied`.
 */
import type { CheckRun, SourceObservation } from "../alarms/lifecycle";
import { type CheckName, CREDENTIAL_CHECKS } from "../contracts";
import type { CredentialCheckResult } from "./check";
import { STEPS, type StepName } from "./diagnosis";
import type { CredentialTarget } from "./target";

/** Every step from HeadBucket on talks to the bucket with the temporary credentials. */
const STORAGE_STEPS: ReadonlySet<StepName> = new Set(STEPS.slice(STEPS.indexOf("head-bucket")));

export function credentialScope(target: Pick<CredentialTarget, "name">): string {
  return `credentials:${target.name}`;
}

/** Checks whose outcome this result tells: all of them once a storage step ran. */
export function examinedChecksOf(result: CredentialCheckResult): CheckName[] {
  return result.steps.some((s) => STORAGE_STEPS.has(s.step))
    ? [...CREDENTIAL_CHECKS]
    : ["credentials-unobtainable"];
}

/** "arn:aws:iam::1:role/path/name" → "name"; a configured RoleName parameter still wins. */
function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}

/** The steps that passed, and the one that still fails: the new state a cleared alarm reports. */
export function credentialObservation(result: CredentialCheckResult): SourceObservation {
  const passed = result.steps.filter((s) => s.ok).map((s) => s.step);
  const failed = result.steps.find((s) => !s.ok);
  const text =
    failed === undefined
      ? `the check passes every step: ${passed.join(", ")}`
      : `${passed.length > 0 ? `${passed.join(", ")} now pass; ` : ""}${failed.step} still fails${failed.error ? ` (${failed.error})` : ""}`;
  return { text };
}

export function credentialCheckRun(
  target: CredentialTarget,
  result: CredentialCheckResult,
  now: Date,
): CheckRun {
  const scope = credentialScope(target);
  return {
    scope,
    complete: true,
    examinedSources: [scope],
    examinedChecks: examinedChecksOf(result),
    findings: result.findings,
    parameters: {
      ...(target.roleArn ? { RoleName: roleNameOf(target.roleArn) } : {}),
      ...Object.fromEntries(Object.entries(target.parameters ?? {}).filter(([, v]) => v !== undefined)),
      Bucket: target.bucket,
      ...(target.roleArn ? { RoleArn: target.roleArn } : {}),
      Region: target.region,
    },
    observations: new Map([[scope, credentialObservation(result)]]),
    now,
  };
}
