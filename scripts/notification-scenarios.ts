/**
 * Two alarms from raise to clear, produced by the real checks, the real alarm lifecycle and the real
 * event builder (only ids and instants are fixed, so the output is stable): what
 * docs/notifications.md shows and what the notification tests read.
 *
 * - A certificate under s3://acme-certs/clusters/prod/ that enters the 30-day window (minor), then
 *   the 7-day window (major), is reminded about, and is renewed: the upload clears it.
 * - A credential target whose role stopped trusting watchpost (AccessDenied on AssumeRole), raised
 *   after two failing checks, reminded about, and cleared when the trust policy is restored.
 *   Credential alarms have one severity (major), so they never change severity.
 */
import { DETAIL_TYPES, toEventDetail } from "../functions/core/alarms/events";
import {
  type AlarmState,
  type AlarmTransition,
  type CheckRun,
  DEFAULT_LIFECYCLE_POLICY,
  decideAlarm,
  type LifecyclePolicy,
} from "../functions/core/alarms/lifecycle";
import { checkValidity } from "../functions/core/certificates/checks/validity";
import type { CertificateFacts } from "../functions/core/certificates/facts";
import type { Finding } from "../functions/core/contracts";
import { credentialCheckRun } from "../functions/core/credentials/check-run";
import { diagnoseAssumeRole } from "../functions/core/credentials/diagnosis";
import { credentialFinding } from "../functions/core/credentials/messages";
import { CredentialTarget } from "../functions/core/credentials/target";
import type { AlarmEvent } from "../functions/core/notifications/alarm-view";
import type { Deployment } from "../functions/core/notifications/deployment";
import { observeFile } from "../functions/core/scan/observations";

export const SAMPLE_DEPLOYMENT: Deployment = {
  stackName: "Watchpost",
  account: "123456789012",
  region: "eu-west-1",
};

export interface ScenarioStep {
  /** What happened, for the reader of the docs. */
  story: string;
  event: AlarmEvent;
}

/** Deterministic UUIDs: the n-th id of a scenario. */
function idSource(seed: number): () => string {
  let n = 0;
  return () => {
    n += 1;
    const tail = (seed * 1000 + n).toString(16).padStart(12, "0");
    return `00000000-0000-4000-8000-${tail}`;
  };
}

function eventOf(transition: AlarmTransition, deployment: Deployment, docBaseUrl?: string): AlarmEvent {
  const detail = toEventDetail(transition, docBaseUrl ? { docBaseUrl } : {});
  return {
    id: `e${transition.id.slice(1)}`,
    "detail-type": DETAIL_TYPES[detail.kind],
    source: "watchpost",
    time: detail.at,
    ...(deployment.account ? { account: deployment.account } : {}),
    ...(deployment.region ? { region: deployment.region } : {}),
    detail,
  };
}

/** Runs the lifecycle over a sequence of check runs for one alarm and keeps what it emits. */
function play(
  runs: { story: string; run: CheckRun; findings: Finding[] }[],
  policy: LifecyclePolicy,
  seed: number,
  deployment: Deployment,
  docBaseUrl?: string,
): ScenarioStep[] {
  const newId = idSource(seed);
  let state: AlarmState | undefined;
  const steps: ScenarioStep[] = [];
  for (const { story, run, findings } of runs) {
    const decision = decideAlarm(run, findings, state, policy, newId);
    if (decision.state) state = { ...decision.state, pending: {} };
    for (const transition of decision.transitions) {
      steps.push({ story, event: eventOf(transition, deployment, docBaseUrl) });
    }
  }
  return steps;
}

const BUCKET = "acme-certs";
const KEY = "clusters/prod/api.pem";
const FILE = `s3://${BUCKET}/${KEY}`;

function certificate(notBefore: string, notAfter: string): CertificateFacts {
  return {
    source: `${FILE}#0`,
    file: FILE,
    index: 0,
    subject: "CN=api.prod.example.com",
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  } as CertificateFacts;
}

export function certificateScenario(
  deployment: Deployment = SAMPLE_DEPLOYMENT,
  docBaseUrl?: string,
): ScenarioStep[] {
  const old = certificate("2025-03-25T12:00:00Z", "2026-03-25T12:00:00Z");
  const renewed = certificate("2026-03-20T09:00:00Z", "2027-03-20T09:00:00Z");
  const thresholds = { warnDays: 30, majorDays: 7, skewSeconds: 300 };
  const scheduled = (at: string, cert: CertificateFacts) => {
    const now = new Date(at);
    const observations = new Map();
    observeFile(observations, FILE, [cert], now);
    // Where the certificate lives, as a source's parametersByKey declares it (certificates/location.ts).
    const location = { ServiceName: "kube-apiserver", Cluster: "prod" };
    const run: CheckRun = {
      scope: `s3://${BUCKET}/clusters/prod/`,
      complete: true,
      examinedSources: [FILE],
      findings: checkValidity(cert, { now, ...thresholds }).map((f) => ({ ...f, parameters: location })),
      parameters: { Bucket: BUCKET, Prefix: "clusters/prod/" },
      observations,
      now,
    };
    return { run, findings: run.findings };
  };
  const uploaded = (at: string, cert: CertificateFacts) => {
    const step = scheduled(at, cert);
    return { ...step, run: { ...step.run, complete: false } };
  };
  return play(
    [
      {
        story:
          "The daily scan at 01:00 finds the certificate 24 days from expiry (inside the 30-day window).",
        ...scheduled("2026-03-01T01:00:00Z", old),
      },
      {
        story: "Eighteen days later it is inside the 7-day window: the alarm becomes major.",
        ...scheduled("2026-03-19T01:00:00Z", old),
      },
      {
        story: "A day on, still not renewed: the 24-hour reminder.",
        ...scheduled("2026-03-20T01:00:00Z", old),
      },
      {
        story:
          "The renewed certificate is uploaded at 09:30; the S3 event re-checks that object and the alarm clears.",
        ...uploaded("2026-03-20T09:30:00Z", renewed),
      },
    ],
    DEFAULT_LIFECYCLE_POLICY,
    1,
    deployment,
    docBaseUrl,
  );
}

const TARGET = CredentialTarget.parse({
  name: "prod-metadata-service",
  roleArn: "arn:aws:iam::123456789012:role/metadata-service-agency",
  externalId: "prod-cluster-7",
  bucket: "prod-cluster-data",
  prefix: "metadata/",
  region: "eu-west-1",
  parameters: { ServiceName: "metadata-service", HostName: "meta-1.prod.example.com" },
});

export function credentialScenario(
  deployment: Deployment = SAMPLE_DEPLOYMENT,
  docBaseUrl?: string,
): ScenarioStep[] {
  const failing = (at: string) => {
    const facts = { kind: "service" as const, code: "AccessDenied", status: 403, mentionsKms: false };
    const finding = credentialFinding({
      step: "assume-role",
      diagnosis: diagnoseAssumeRole(facts, TARGET),
      target: TARGET,
      status: 403,
      secrets: [],
    });
    const run = credentialCheckRun(
      TARGET,
      {
        target: TARGET.name,
        steps: [{ step: "assume-role", ok: false, ms: 212, error: "AccessDenied (HTTP 403)" }],
        findings: [finding],
      },
      new Date(at),
    );
    return { run, findings: [finding] };
  };
  const passing = (at: string) => {
    const run = credentialCheckRun(
      TARGET,
      {
        target: TARGET.name,
        steps: ["assume-role", "expiration", "head-bucket", "list-objects"].map((step, i) => ({
          step: step as "assume-role",
          ok: true,
          ms: [188, 0, 41, 37][i]!,
        })),
        findings: [],
      },
      new Date(at),
    );
    return { run, findings: [] };
  };
  return play(
    [
      {
        story: "The check at 10:00 is refused by STS; one failure is only tracked.",
        ...failing("2026-03-01T10:00:00Z"),
      },
      {
        story: "The check at 10:05 is refused again: the second consecutive failure raises the alarm.",
        ...failing("2026-03-01T10:05:00Z"),
      },
      {
        story: "A day later the trust policy is still broken: the reminder.",
        ...failing("2026-03-02T10:05:00Z"),
      },
      {
        story: "The trust policy is restored; the check at 14:35 passes every step and the alarm clears.",
        ...passing("2026-03-02T14:35:00Z"),
      },
    ],
    DEFAULT_LIFECYCLE_POLICY,
    2,
    deployment,
    docBaseUrl,
  );
}
