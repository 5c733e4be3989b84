/**
 * The credential-health check for one target, end to end: obtain temporary credentials (assume the
 * role, or take the ambient ones), check they live long enough, then prove they work against the
 * bucket, optionally with a write/read/delete probe. Each step is timed and bounded by the target's
 * timeout; the first failure ends the run and becomes one finding that says which step broke and why.
 */
import { randomUUID } from "node:crypto";
import type { Finding } from "../contracts";
import {
  type Diagnosis,
  diagnoseAmbient,
  diagnoseAssumeRole,
  diagnoseExpiration,
  type StepName,
} from "./diagnosis";
import {
  describeFailure,
  type FailureFacts,
  failureFacts,
  isThrottling,
  ProbeMismatchError,
  StepTimeoutError,
} from "./failure";
import { credentialFinding } from "./messages";
import {
  type CredentialCheckDeps,
  type CredentialLogger,
  type StorageSession,
  silentLogger,
  type TemporaryCredentials,
} from "./ports";
import { scrub } from "./redact";
import { diagnoseStorage, isAmbiguousHeadBucketFailure } from "./storage-diagnosis";
import { type CredentialTarget, probePrefixFor } from "./target";

export interface StepResult {
  step: StepName;
  ok: boolean;
  /** Wall time of the step in milliseconds, including throttling retries. */
  ms: number;
  /** Error code and status only; never raw error text. */
  error?: string;
}

export interface CredentialCheckResult {
  target: string;
  /** Only the steps that ran, in order. */
  steps: StepResult[];
  findings: Finding[];
}

/** Throttled calls are retried this many times within a step (still bounded by its timeout). */
export const THROTTLE_RETRIES = 3;
export const THROTTLE_BACKOFF_MS = 200;

type StepOutcome<T> = { ok: true; value: T } | { ok: false; facts: FailureFacts };

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Races the work against the deadline so a port that ignores its signal still cannot hang a step. */
async function withDeadline<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeout = new StepTimeoutError(timeoutMs);
      controller.abort(timeout);
      reject(timeout);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** 63 characters of [\w+=,.@-]: what STS accepts as RoleSessionName; shows up in CloudTrail. */
export function sessionNameFor(target: Pick<CredentialTarget, "name">): string {
  return `watchpost-${target.name.replace(/[^\w+=,.@-]/g, "-")}`.slice(0, 64);
}

class TargetRun {
  readonly steps: StepResult[] = [];
  readonly findings: Finding[] = [];
  private readonly secrets: (string | undefined)[] = [];
  private readonly logger: CredentialLogger;
  private readonly elapsed: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(
    readonly target: CredentialTarget,
    deps: CredentialCheckDeps,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.elapsed = deps.elapsed ?? (() => performance.now());
    this.sleep = deps.sleep ?? defaultSleep;
  }

  /** Current reading of the step clock, to time steps that make no call. */
  mark(): number {
    return this.elapsed();
  }

  hide(credentials: TemporaryCredentials): void {
    this.secrets.push(credentials.secretAccessKey, credentials.sessionToken);
  }

  /** Runs one step under the target's deadline, retrying throttled attempts with backoff. */
  async step<T>(step: StepName, work: (signal: AbortSignal) => Promise<T>): Promise<StepOutcome<T>> {
    const started = this.elapsed();
    let throttledAttempts = 0;
    let outcome: StepOutcome<T>;
    try {
      const value = await withDeadline(this.target.timeoutMs, async (signal) => {
        for (;;) {
          try {
            return await work(signal);
          } catch (error) {
            const facts = failureFacts(error);
            if (!isThrottling(facts) || throttledAttempts >= THROTTLE_RETRIES || signal.aborted) {
              throw Object.assign(new Error("step failed"), { facts: { ...facts, throttledAttempts } });
            }
            throttledAttempts += 1;
            this.logger.debug("throttled; retrying", {
              target: this.target.name,
              step,
              attempt: throttledAttempts,
            });
            await this.sleep(THROTTLE_BACKOFF_MS * 2 ** (throttledAttempts - 1), signal);
          }
        }
      });
      outcome = { ok: true, value };
    } catch (error) {
      const carried = (error as { facts?: FailureFacts }).facts;
      outcome = { ok: false, facts: carried ?? failureFacts(error) };
    }
    this.record(step, started, outcome.ok ? undefined : outcome.facts);
    return outcome;
  }

  record(step: StepName, started: number, facts?: FailureFacts): void {
    const result: StepResult = { step, ok: !facts, ms: Math.max(0, Math.round(this.elapsed() - started)) };
    if (facts) result.error = scrub(describeFailure(facts), this.secrets);
    this.steps.push(result);
    this.logger.debug("credential check step", { target: this.target.name, ...result });
  }

  fail(step: StepName, diagnosis: Diagnosis, facts?: FailureFacts, probeKey?: string): void {
    const finding = credentialFinding({
      step,
      diagnosis,
      target: this.target,
      secrets: this.secrets,
      ...(probeKey ? { probeKey } : {}),
      ...(facts?.status !== undefined ? { status: facts.status } : {}),
      ...(facts?.bucketRegion ? { bucketRegion: facts.bucketRegion } : {}),
    });
    this.findings.push(finding);
    this.logger.warn("credential check failed", {
      target: this.target.name,
      check: finding.check,
      step,
      errorCode: diagnosis.errorCode,
    });
  }
}

async function obtainCredentials(
  run: TargetRun,
  deps: CredentialCheckDeps,
): Promise<{ ok: boolean; credentials?: TemporaryCredentials }> {
  const { target } = run;
  if (!target.roleArn) {
    // S3-compatible stores without STS: the process's own credentials are what the cluster uses.
    const resolve = deps.resolveAmbientCredentials;
    if (!resolve) {
      run.record("ambient-credentials", run.mark());
      return { ok: true };
    }
    const ambient = await run.step("ambient-credentials", (signal) => resolve(target, { signal }));
    if (!ambient.ok) {
      run.fail("ambient-credentials", diagnoseAmbient(ambient.facts, deps.credentialSearch), ambient.facts);
      return { ok: false };
    }
    return { ok: true };
  }
  const assumed = await run.step("assume-role", (signal) =>
    deps.assumeRole(target, { sessionName: sessionNameFor(target), signal }),
  );
  if (!assumed.ok) {
    run.fail("assume-role", diagnoseAssumeRole(assumed.facts, target, deps.credentialSearch), assumed.facts);
    return { ok: false };
  }
  const credentials = assumed.value;
  run.hide(credentials);
  const checked = run.mark();
  const now = (deps.now ?? (() => new Date()))();
  const problem = diagnoseExpiration(credentials.expiration, now, target.minRemainingSeconds);
  run.record(
    "expiration",
    checked,
    problem ? { kind: "service", code: problem.errorCode, mentionsKms: false } : undefined,
  );
  if (problem) {
    run.fail("expiration", problem);
    return { ok: false };
  }
  return { ok: true, credentials };
}

async function checkBucket(run: TargetRun, session: StorageSession): Promise<boolean> {
  const { target } = run;
  const head = await run.step("head-bucket", (signal) => session.headBucket({ signal }));
  if (!head.ok && !isAmbiguousHeadBucketFailure(head.facts, target)) {
    run.fail("head-bucket", diagnoseStorage("head-bucket", head.facts, target), head.facts);
    return false;
  }
  const list = await run.step("list-objects", (signal) =>
    session.listObjects(target.prefix ?? "", { signal }),
  );
  if (!list.ok) {
    run.fail("list-objects", diagnoseStorage("list-objects", list.facts, target), list.facts);
    return false;
  }
  if (!head.ok) {
    // Listing works but HeadBucket does not: only the bare status is known.
    run.fail("head-bucket", diagnoseStorage("head-bucket", head.facts, target), head.facts);
    return false;
  }
  return true;
}

function probeBody(key: string): Uint8Array {
  return new TextEncoder().encode(`watchpost credential probe\n${key}\n${randomUUID()}\n`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

async function writeProbe(run: TargetRun, session: StorageSession, deps: CredentialCheckDeps): Promise<void> {
  const { target } = run;
  const name = deps.probeKeyName?.() ?? `${sessionNameFor(target)}-${randomUUID()}`;
  const key = `${probePrefixFor(target)}${name}`;
  const body = probeBody(key);
  const put = await run.step("probe-put", (signal) => session.putObject(key, body, { signal }));
  if (!put.ok) {
    run.fail("probe-put", diagnoseStorage("probe-put", put.facts, target), put.facts, key);
    return;
  }
  let failed = false;
  const get = await run.step("probe-get", (signal) => session.getObject(key, { signal }));
  if (!get.ok) {
    run.fail("probe-get", diagnoseStorage("probe-get", get.facts, target), get.facts, key);
    failed = true;
  } else {
    const compared = run.mark();
    const facts = sameBytes(get.value, body) ? undefined : failureFacts(new ProbeMismatchError());
    run.record("probe-compare", compared, facts);
    if (facts) {
      run.fail("probe-compare", diagnoseStorage("probe-compare", facts, target), facts, key);
      failed = true;
    }
  }
  // Clean up even after a failed read: the probe must not leave objects behind.
  const removed = await run.step("probe-delete", (signal) => session.deleteObject(key, { signal }));
  if (!removed.ok && !failed) {
    run.fail("probe-delete", diagnoseStorage("probe-delete", removed.facts, target), removed.facts, key);
  }
}

export async function checkCredentialTarget(
  target: CredentialTarget,
  deps: CredentialCheckDeps,
): Promise<CredentialCheckResult> {
  const run = new TargetRun(target, deps);
  const logger = deps.logger ?? silentLogger;
  const obtained = await obtainCredentials(run, deps);
  if (obtained.ok) {
    let session: StorageSession | undefined;
    try {
      session = deps.storage(target, obtained.credentials);
    } catch (error) {
      const facts = failureFacts(error);
      run.record("head-bucket", run.mark(), facts);
      run.fail("head-bucket", diagnoseStorage("head-bucket", facts, target), facts);
    }
    if (session && (await checkBucket(run, session)) && target.writeProbe) {
      await writeProbe(run, session, deps);
    }
  }
  logger.info("credential check finished", {
    target: target.name,
    healthy: run.findings.length === 0,
    checks: run.findings.map((finding) => finding.check),
    steps: run.steps.map(({ step, ok, ms }) => ({ step, ok, ms })),
  });
  return { target: target.name, steps: run.steps, findings: run.findings };
}

/** Checks many targets at once, at most `concurrency` in flight; results keep the input order. */
export async function checkCredentialTargets(
  targets: readonly CredentialTarget[],
  deps: CredentialCheckDeps,
  { concurrency = 4 }: { concurrency?: number } = {},
): Promise<CredentialCheckResult[]> {
  const results: CredentialCheckResult[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < targets.length; index = next++) {
      results[index] = await checkCredentialTarget(targets[index] as CredentialTarget, deps);
    }
  };
  const workers = Math.max(1, Math.min(concurrency, targets.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
