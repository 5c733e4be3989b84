/**
 * A credential check result as the alarm lifecycle sees it. The steps run in order and stop at the
 * first failure, so a run that never reached the bucket has not re-examined the bucket: it may
 * raise `credentials-unobtainable` but must not clear a standing `storage-access-denied`.
 */
import type { CheckRun } from "../alarms/lifecycle";
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
      ...Object.fromEntries(Object.entries(target.parameters ?? {}).filter(([, v]) => v !== undefined)),
      Bucket: target.bucket,
      ...(target.roleArn ? { RoleArn: target.roleArn } : {}),
    },
    now,
  };
}
