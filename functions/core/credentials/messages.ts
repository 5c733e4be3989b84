/**
 * Findings for the credential checks, in the contracts' shape. Messages name the step, the error
 * code and the likely cause; they are built from configuration and codes only, then scrubbed.
 */
import { alarmIdFor, DEFAULT_SEVERITY } from "../alarm-ids";
import type { Finding } from "../contracts";
import type { Diagnosis, StepName } from "./diagnosis";
import { scrub } from "./redact";
import type { CredentialTarget } from "./target";

export function sourceFor(target: Pick<CredentialTarget, "name">): string {
  return `credentials:${target.name}`;
}

function objectUrl(target: CredentialTarget, key = target.prefix ?? ""): string {
  return `s3://${target.bucket}/${key}`;
}

/** What the step did, as the subject of the message. */
export function stepSubject(step: StepName, target: CredentialTarget, probeKey?: string): string {
  switch (step) {
    case "assume-role":
    case "expiration":
      return `AssumeRole for ${target.roleArn ?? "(no role)"}`;
    case "ambient-credentials":
      return "The ambient credentials";
    case "head-bucket":
      return `HeadBucket on s3://${target.bucket}`;
    case "list-objects":
      return `ListObjectsV2 on ${objectUrl(target)}`;
    case "probe-put":
      return `Writing the probe object ${objectUrl(target, probeKey)}`;
    case "probe-get":
      return `Reading back the probe object ${objectUrl(target, probeKey)}`;
    case "probe-compare":
      return `Comparing the probe object ${objectUrl(target, probeKey)}`;
    case "probe-delete":
      return `Deleting the probe object ${objectUrl(target, probeKey)}`;
  }
}

export interface FindingContext {
  step: StepName;
  diagnosis: Diagnosis;
  target: CredentialTarget;
  probeKey?: string;
  status?: number;
  bucketRegion?: string;
  /** Values that must not appear in the message even by accident. */
  secrets: readonly (string | undefined)[];
}

export function credentialFinding(context: FindingContext): Finding {
  const { step, diagnosis, target, secrets } = context;
  const subject = stepSubject(step, target, context.probeKey);
  const message = scrub(
    `${subject} ${diagnosis.outcome} (${diagnosis.errorCode}): ${diagnosis.likelyCause}.`,
    secrets,
  );
  const details: Record<string, unknown> = {
    step,
    errorCode: diagnosis.errorCode,
    roleArn: target.roleArn,
    bucket: target.bucket,
    prefix: target.prefix,
    region: target.region,
    likelyCause: scrub(diagnosis.likelyCause, secrets),
    httpStatus: context.status,
    bucketRegion: context.bucketRegion,
    probeKey: context.probeKey,
    ...target.parameters,
  };
  for (const key of Object.keys(details)) if (details[key] === undefined) delete details[key];
  return {
    check: diagnosis.check,
    alarmId: alarmIdFor(diagnosis.check),
    severity: DEFAULT_SEVERITY[diagnosis.check],
    source: sourceFor(target),
    message,
    details,
  };
}
