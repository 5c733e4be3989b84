/**
 * A model-based test of alarm settlement: fast-check interleaves, at random, scheduled scans (a
 * source of more than two objects is fanned out in batches of two), batches delivered late, twice
 * or never, S3 uploads and deletes whose events are delivered late, twice or never, Lambda's
 * retries of failed invocations, crashes at every step of an invocation (before publishing,
 * between publishing and recording, while settling), invocations running two at a time, and
 * clocks stepped forward and backward by up to the configured skew — against s3rver and dynalite,
 * through the deployed function's wiring (test/support/scan-harness.ts).
 *
 * What must hold, checked against a reference model of the bucket (docs/architecture.md,
 * "Settling alarms"):
 * 1. Each fault is raised once: an alarm is raised only while S3 holds a version with its fault,
 *    cleared only while it holds none, so two raises have a fixed version between them.
 * 2. Every transition decided is published at least once, and more than once only across a crash
 *    that came after publishing it (once more per such crash).
 * 3. A clear only after a re-check newer than the raise: the clear rests on the version S3 holds
 *    when it is written (so newer than any version a raise rested on), from a run that examined it.
 * 4. No raise from evidence older than the last clear: the same, for raises.
 * After the interleaving, time moves past every lease and one scan runs to the end: the alarms
 * then say exactly what the bucket holds, and no event is left pending.
 *
 * Crashes are injected by wrapping the real adapters (alarm table, event bus, run table, queue,
 * inventory): the k-th call of an invocation throws, and so does every later one, so the
 * invocation dies there with nothing after it done.
 */
import { createHash } from "node:crypto";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import fc from "fast-check";
import { ABSENT } from "../../functions/core/alarms/evidence";
import type { AlarmState, AlarmTransition, PendingTransition } from "../../functions/core/alarms/lifecycle";
import { parseConfig } from "../../functions/core/config";
import { type CertificateScanDeps, runCertificateScan } from "../../functions/handlers/certificate-scan";
import { withClaimOwner } from "../../functions/handlers/shared/alarm-runs";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "./emulators";
import { type RecordingEventBus, recordingEventBus } from "./event-bus";
import { DAY, issue } from "./pki";
import { type LocalQueue, SCHEDULED_EVENT, scanHarness } from "./scan-harness";

const PREFIX = "m/";
const KEYS = ["m/k0.pem", "m/k1.pem", "m/k2.pem", "m/k3.pem"] as const;
const config = parseConfig({ certificates: { sources: [{ prefix: PREFIX }] } });
const SKEW_SECONDS = config.certificates.thresholds.skewSeconds;
const MINUTE = 60_000;
/** Every lease outlives this (Lambda's longest run plus twice the skew), on any clock within the skew. */
const PAST_EVERY_LEASE_MS = (900 + 4 * SKEW_SECONDS) * 1000 + MINUTE;
/** Lambda retries a failed asynchronous invocation twice; SQS gives a message three receives. */
const LAMBDA_RETRIES = 2;
const MAX_RECEIVES = 3;

/** What a key holds: each content has the faults it has, whenever it is judged. */
type Content = "good" | "expired" | "corrupt";
type Fault = "expired" | "unreadable";
const FAULTS: Record<Content, readonly Fault[]> = { good: [], expired: ["expired"], corrupt: ["unreadable"] };
const CHECKS: readonly Fault[] = ["expired", "unreadable"];

export interface Certificates {
  bodies: Record<Content, string>;
}

/** The bodies, made once: a valid certificate (a year ahead), an expired one, a broken PEM file. */
export async function certificates(): Promise<Certificates> {
  const good = await issue({ dnsNames: ["node.example.com"] });
  const expired = await issue({
    dnsNames: ["node.example.com"],
    notBefore: new Date(Date.now() - 90 * DAY),
    notAfter: new Date(Date.now() - 30 * DAY),
  });
  return {
    bodies: { good: good.pem, expired: expired.pem, corrupt: "-----BEGIN CERTIFICATE-----\nnot base64!\n" },
  };
}

/** The local stand-ins, shared by every run of the property; each run gets a bucket and tables of its own. */
export interface Emulators {
  s3: LocalS3;
  dynamo: LocalDynamo;
  bus: RecordingEventBus;
  pki: Certificates;
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const [s3, dynamo, pki] = await Promise.all([startS3rver(), startDynalite(), certificates()]);
  const bus = recordingEventBus();
  return {
    s3,
    dynamo,
    bus,
    pki,
    async stop() {
      bus.restore();
      await Promise.all([s3.stop(), dynamo.stop()]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The world: the bucket as the model knows it, what is in flight, and what the system did.

class InvariantViolation extends Error {
  override readonly name = "InvariantViolation";
}

/** A crashed invocation: thrown by every wrapped port from the crash point on. */
class Crash extends Error {
  override readonly name = "Crash";
}

interface PendingEvent {
  key: string;
  change: "Object Created" | "Object Deleted";
}

interface Retry {
  event: unknown;
  requestId: string;
  attempts: number;
}

let buckets = 0;

/** What the interleavings exercised, summed over every run of the property (the soak prints it). */
export const coverage = {
  runs: 0,
  invocations: 0,
  failed: 0,
  crashes: 0,
  crashesAfterPublishing: 0,
  together: 0,
  fannedOut: 0,
  raised: 0,
  cleared: 0,
  resent: 0,
};

export class World {
  /** The model's clock (ms); every invocation's clock is this plus its own offset, within the skew. */
  time = Date.now();
  readonly content = new Map<string, Content>();
  readonly events: PendingEvent[] = [];
  readonly retries: Retry[] = [];
  readonly receives = new Map<string, number>();
  /** Every transition a decision wrote, in the order the writes landed. */
  readonly decided: AlarmTransition[] = [];
  /** How many crashes came after an invocation had published the transition (id → count). */
  readonly exposed = new Map<string, number>();
  readonly violations: string[] = [];
  private requests = 0;

  constructor(
    readonly emulators: Emulators,
    readonly bucket: string,
    readonly deps: CertificateScanDeps,
    readonly queue: LocalQueue,
  ) {}

  static async create(emulators: Emulators): Promise<World> {
    const bucket = `model-${process.pid}-${++buckets}`;
    await emulators.s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    emulators.bus.clear();
    const harness = await scanHarness({
      config,
      bucket,
      s3: emulators.s3.client,
      dynamo: emulators.dynamo,
      bus: emulators.bus,
      fanOut: { batchSize: 2 },
    });
    const world = new World(emulators, bucket, harness.deps, harness.queue);
    // Every decision that lands is checked against the bucket as it is at that moment: S3 does not
    // change while one command runs (uploads and deletes are commands of their own).
    const store = harness.deps.alarms.store;
    harness.deps.alarms = {
      ...harness.deps.alarms,
      store: {
        ...store,
        decide: async (next, previous, added) => {
          const landed = await store.decide(next, previous, added);
          if (landed) world.decisionLanded(next, added);
          return landed;
        },
      },
    };
    return world;
  }

  nextRequestId(): string {
    return `request-${++this.requests}`;
  }

  keyOf(source: string): string {
    return source.replace(`s3://${this.bucket}/`, "").replace(/#\d+$/, "");
  }

  etagOf(key: string): string {
    const content = this.content.get(key);
    if (!content) return ABSENT;
    return `"${createHash("md5").update(this.emulators.pki.bodies[content]).digest("hex")}"`;
  }

  private decisionLanded(next: AlarmState, added: readonly PendingTransition[]): void {
    for (const { transition } of added) {
      this.decided.push(transition);
      if (transition.kind === "raised") coverage.raised++;
      if (transition.kind === "cleared") coverage.cleared++;
      if (transition.kind !== "raised" && transition.kind !== "cleared") continue;
      const key = this.keyOf(transition.source);
      const faulty = FAULTS[this.content.get(key) ?? "good"].includes(transition.check as Fault);
      const held = this.content.get(key) ?? "absent";
      if (transition.kind === "raised" && !faulty)
        this.violations.push(`raised ${transition.check} on ${key} while S3 holds ${held} (invariant 4)`);
      if (transition.kind === "cleared" && faulty)
        this.violations.push(`cleared ${transition.check} on ${key} while S3 holds ${held} (invariant 3)`);
      if (next.evidence?.version !== undefined && next.evidence.version !== this.etagOf(key))
        this.violations.push(
          `${transition.kind} ${transition.check} on ${key} rests on version ${next.evidence.version}, S3 holds ${this.etagOf(key)}`,
        );
    }
  }

  assertSound(): void {
    if (this.violations.length > 0) throw new InvariantViolation(this.violations.join("; "));
  }

  // -------------------------------------------------------------------------------------------
  // The bucket

  /** Objects there before the test starts: no event announces them. */
  async seed(initial: readonly (Content | undefined)[]): Promise<void> {
    for (const [i, content] of initial.entries()) {
      if (content) await this.put(KEYS[i]!, content);
    }
    this.events.length = 0;
  }

  async put(key: string, content: Content): Promise<void> {
    await this.emulators.s3.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: this.emulators.pki.bodies[content] }),
    );
    this.content.set(key, content);
    this.events.push({ key, change: "Object Created" });
  }

  async delete(key: string): Promise<void> {
    await this.emulators.s3.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    this.content.delete(key);
    this.events.push({ key, change: "Object Deleted" });
  }

  objectEvent({ key, change }: PendingEvent) {
    return {
      source: "aws.s3",
      "detail-type": change,
      detail: { bucket: { name: this.bucket }, object: { key } },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Invocations

  /**
   * Runs one invocation of the deployed function on this world's clock plus `offsetSeconds`,
   * crashing at its `crashAt`-th port call when given. Returns whether it succeeded.
   */
  async invoke(
    event: unknown,
    options: { requestId: string; offsetSeconds: number; crashAt?: CrashAt | undefined; pause?: Pause },
  ): Promise<boolean> {
    const crash = new CrashPoint(options.crashAt, options.pause);
    const base = withClaimOwner(this.deps, options.requestId);
    const now = new Date(this.time + options.offsetSeconds * 1000);
    const fanOut = base.fanOut!;
    const deps: CertificateScanDeps = {
      ...base,
      now: () => now,
      alarms: {
        ...base.alarms,
        store: crash.wrap(base.alarms.store),
        publisher: crash.wrapPublisher(base.alarms.publisher),
      },
      ...(base.inventory ? { inventory: crash.wrap(base.inventory) } : {}),
      fanOut: { ...fanOut, runs: crash.wrap(fanOut.runs), queue: crash.wrap(fanOut.queue) },
    };
    let ok: boolean;
    coverage.invocations++;
    try {
      const outcome = await runCertificateScan(event, deps);
      ok = (outcome.batchItemFailures?.length ?? 0) === 0;
      if (outcome.fannedOut.length > 0) coverage.fannedOut++;
    } catch {
      ok = false;
    }
    if (!ok) coverage.failed++;
    if (crash.crashed) coverage.crashes++;
    if (crash.crashed && crash.published.size > 0) coverage.crashesAfterPublishing++;
    if (crash.crashed)
      for (const id of crash.published) this.exposed.set(id, (this.exposed.get(id) ?? 0) + 1);
    return ok;
  }

  /** An asynchronous invocation (the schedule, an S3 event): Lambda retries it when it fails. */
  async invokeAsync(
    event: unknown,
    requestId: string,
    offsetSeconds: number,
    crashAt?: CrashAt,
    attempts = 0,
    pause?: Pause,
  ) {
    const ok = await this.invoke(event, { requestId, offsetSeconds, crashAt, pause });
    if (!ok && attempts < LAMBDA_RETRIES) this.retries.push({ event, requestId, attempts: attempts + 1 });
  }

  /** One receive of a queued batch: a failed one is received again later, up to SQS's limit. */
  async deliverBatch(index: number, twice: boolean, offsetSeconds: number, crashAt?: CrashAt, pause?: Pause) {
    const [message] = this.queue.messages.splice(index, 1);
    if (!message) return;
    const received = (this.receives.get(message.messageId) ?? 0) + 1;
    this.receives.set(message.messageId, received);
    const ok = await this.invoke(this.queue.sqsEvent(message), {
      requestId: this.nextRequestId(),
      offsetSeconds,
      crashAt,
      pause,
    });
    if ((!ok || twice) && received < MAX_RECEIVES) this.queue.messages.push(message);
  }

  // -------------------------------------------------------------------------------------------
  // The end: past every lease, everything delivered, one clean scan.

  async quiesce(): Promise<void> {
    this.time += PAST_EVERY_LEASE_MS;
    while (this.retries.length > 0) {
      const retry = this.retries.shift()!;
      await this.invokeAsync(retry.event, retry.requestId, 0, undefined, retry.attempts);
    }
    while (this.events.length > 0) {
      await this.invokeAsync(this.objectEvent(this.events.shift()!), this.nextRequestId(), 0);
    }
    await this.drain();
    this.time += MINUTE;
    await this.invokeAsync(SCHEDULED_EVENT, this.nextRequestId(), 0);
    await this.drain();
    // A last failure (none is expected) would be retried by Lambda: so here.
    while (this.retries.length > 0) {
      const retry = this.retries.shift()!;
      await this.invokeAsync(retry.event, retry.requestId, 0, undefined, LAMBDA_RETRIES);
    }
  }

  private async drain(): Promise<void> {
    this.receives.clear();
    while (this.queue.messages.length > 0) await this.deliverBatch(0, false, 0);
  }

  /** After quiesce: the alarms say what the bucket holds, nothing is pending, every event went out as promised. */
  async assertSettled(): Promise<void> {
    this.assertSound();
    const problems: string[] = [];
    const scope = `s3://${this.bucket}/${PREFIX}`;
    const alarms = await this.deps.alarms.store.load(scope);
    for (const key of KEYS) {
      for (const check of CHECKS) {
        const faulty = FAULTS[this.content.get(key) ?? "good"].includes(check);
        const alarm = alarms.find((a) => a.check === check && this.keyOf(a.source) === key);
        const active = alarm?.status === "active";
        if (faulty !== active)
          problems.push(
            `${check} on ${key}: S3 holds ${this.content.get(key) ?? "nothing"}, alarm ${alarm?.status ?? "none"}`,
          );
      }
    }
    for (const alarm of alarms) {
      const left = Object.keys(alarm.pending).length;
      if (left > 0)
        problems.push(`${left} event(s) still pending on ${alarm.check} ${this.keyOf(alarm.source)}`);
    }
    const sent = new Map<string, number>();
    for (const entry of this.emulators.bus.sent) {
      const { eventId } = JSON.parse(entry.Detail ?? "{}") as { eventId: string };
      sent.set(eventId, (sent.get(eventId) ?? 0) + 1);
    }
    for (const transition of this.decided) {
      const times = sent.get(transition.id) ?? 0;
      if (times > 1) coverage.resent++;
      const allowed = 1 + (this.exposed.get(transition.id) ?? 0);
      if (times === 0)
        problems.push(
          `${transition.kind} ${transition.check} ${this.keyOf(transition.source)} never published (invariant 2)`,
        );
      if (times > allowed)
        problems.push(
          `${transition.kind} ${transition.check} ${this.keyOf(transition.source)} published ${times} times, ${allowed - 1} crash(es) after publishing it (invariant 2)`,
        );
    }
    // Per alarm, decisions alternate raised → cleared → raised …: with 3 and 4 above, each fault is raised once.
    const lastStatus = new Map<string, string>();
    for (const t of this.decided) {
      if (t.kind !== "raised" && t.kind !== "cleared") continue;
      if (lastStatus.get(t.fingerprint) === t.kind)
        problems.push(`${t.kind} twice in a row: ${t.check} ${this.keyOf(t.source)} (invariant 1)`);
      lastStatus.set(t.fingerprint, t.kind);
    }
    if (problems.length > 0) throw new InvariantViolation(problems.join("; "));
  }
}

/**
 * Where an invocation dies: at its k-th port call, or at its first call of a named step —
 * `decide` (while settling), `publish` (before publishing), `forget` (after publishing, before
 * recording it), `settled` (after settling, before marking the run settled).
 */
export type CrashAt = number | "decide" | "publish" | "forget" | "settled";

/**
 * Where an invocation stops to let another run in full: just before its first decision write, or
 * just before it publishes. The other invocation runs then, and this one resumes after it.
 */
export interface Pause {
  before: "decide" | "publish";
  /** Runs the other invocation; called at most once. */
  meanwhile: () => Promise<void>;
  reached?: boolean;
}

/** Counts an invocation's port calls and kills it at the k-th: that call and every later one throw. */
class CrashPoint {
  private calls = 0;
  crashed = false;
  /** Transitions this invocation got delivered before it died. */
  readonly published = new Set<string>();

  constructor(
    private readonly at: CrashAt | undefined,
    private readonly pause: Pause | undefined,
  ) {}

  private async tick(name: string): Promise<void> {
    if (this.pause && !this.pause.reached && this.pause.before === name) {
      this.pause.reached = true;
      await this.pause.meanwhile();
    }
    this.calls++;
    if (this.crashed || this.calls === this.at || name === this.at) {
      this.crashed = true;
      throw new Crash(`crashed at call ${this.calls}`);
    }
  }

  wrap<T extends object>(target: T): T {
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(target)) {
      wrapped[name] =
        typeof value === "function"
          ? async (...args: unknown[]) => {
              await this.tick(name);
              return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            }
          : value;
    }
    return wrapped as T;
  }

  wrapPublisher(
    publisher: CertificateScanDeps["alarms"]["publisher"],
  ): CertificateScanDeps["alarms"]["publisher"] {
    return {
      publish: async (transitions) => {
        await this.tick("publish");
        const results = await publisher.publish(transitions);
        for (const r of results) if (r.delivered) this.published.add(r.id);
        return results;
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

const offset = fc.integer({ min: -SKEW_SECONDS, max: SKEW_SECONDS });
/** Mostly no crash; otherwise at any of the first calls an invocation makes (5 to 15 of them), or at a named step. */
const crashAt: fc.Arbitrary<CrashAt | undefined> = fc.option(
  fc.oneof(
    fc.integer({ min: 1, max: 14 }),
    fc.constantFrom<CrashAt>("decide", "publish", "forget", "settled"),
  ),
  { freq: 2, nil: undefined },
);
const key = fc.constantFrom(...KEYS);
const pick = fc.nat({ max: 7 });

type Invocation =
  | { kind: "schedule"; offset: number; crashAt?: CrashAt | undefined }
  | { kind: "event"; pick: number; twice: boolean; offset: number; crashAt?: CrashAt | undefined }
  | { kind: "batch"; pick: number; twice: boolean; offset: number; crashAt?: CrashAt | undefined }
  | { kind: "retry"; pick: number; offset: number; crashAt?: CrashAt | undefined };

export type Step =
  | { kind: "put"; key: string; content: Content }
  | { kind: "delete"; key: string }
  | { kind: "drop-event"; pick: number }
  | { kind: "drop-batch"; pick: number }
  | { kind: "advance"; minutes: number }
  /** Two invocations at once: interleaved freely, or the second run in full while the first waits at a point. */
  | { kind: "together"; first: Invocation; second: Invocation; meet: "anywhere" | Pause["before"] }
  | Invocation;

const invocation: fc.Arbitrary<Invocation> = fc.oneof(
  fc.record({ kind: fc.constant("schedule" as const), offset, crashAt }),
  fc.record({ kind: fc.constant("event" as const), pick, twice: fc.boolean(), offset, crashAt }),
  fc.record({ kind: fc.constant("batch" as const), pick, twice: fc.boolean(), offset, crashAt }),
  fc.record({ kind: fc.constant("retry" as const), pick, offset, crashAt }),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("put" as const),
      key,
      content: fc.constantFrom<Content>("good", "expired", "corrupt"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), key }) },
  { weight: 8, arbitrary: invocation },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop-event" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop-batch" as const), pick }) },
  {
    weight: 3,
    // 30 minutes: past every lease, so that what a crash left behind may be taken over.
    arbitrary: fc.record({ kind: fc.constant("advance" as const), minutes: fc.constantFrom(1, 5, 30) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("together" as const),
      first: invocation,
      second: invocation,
      meet: fc.constantFrom("anywhere" as const, "decide" as const, "publish" as const),
    }),
  },
);

function possible(world: World, s: Invocation): boolean {
  switch (s.kind) {
    case "schedule":
      return true;
    case "event":
      return world.events.length > 0;
    case "batch":
      return world.queue.messages.length > 0;
    case "retry":
      return world.retries.length > 0;
  }
}

async function run(world: World, s: Invocation, pause?: Pause): Promise<void> {
  // The other invocation of a pair may have taken the last event, message or retry.
  if (!possible(world, s)) return pause?.meanwhile();
  switch (s.kind) {
    case "schedule":
      return world.invokeAsync(SCHEDULED_EVENT, world.nextRequestId(), s.offset, s.crashAt, 0, pause);
    case "event": {
      const index = s.pick % world.events.length;
      const event = world.events[index]!;
      if (!s.twice) world.events.splice(index, 1);
      return world.invokeAsync(
        world.objectEvent(event),
        world.nextRequestId(),
        s.offset,
        s.crashAt,
        0,
        pause,
      );
    }
    case "batch":
      return world.deliverBatch(s.pick % world.queue.messages.length, s.twice, s.offset, s.crashAt, pause);
    case "retry": {
      const [retry] = world.retries.splice(s.pick % world.retries.length, 1);
      return world.invokeAsync(retry!.event, retry!.requestId, s.offset, s.crashAt, retry!.attempts, pause);
    }
  }
}

/** Two invocations at once; with a meeting point, the second runs in full while the first waits there. */
async function together(
  world: World,
  first: Invocation,
  second: Invocation,
  meet: "anywhere" | Pause["before"],
) {
  if (meet === "anywhere") {
    await Promise.all([run(world, first), run(world, second)]);
    return;
  }
  // Both picked now, as if both had started: the second's event or message is taken before the first runs.
  let started: Promise<void> | undefined;
  const secondNow = () => {
    started ??= possible(world, second) ? run(world, second) : Promise.resolve();
    return started;
  };
  await run(world, first, { before: meet, meanwhile: secondNow });
  await secondNow();
}

class Act implements fc.AsyncCommand<World, World> {
  constructor(readonly step: Step) {}

  check(world: Readonly<World>): boolean {
    const w = world as World;
    switch (this.step.kind) {
      case "drop-event":
        return w.events.length > 0;
      case "drop-batch":
        return w.queue.messages.length > 0;
      case "together":
        return possible(w, this.step.first) && possible(w, this.step.second);
      case "put":
      case "delete":
      case "advance":
        return true;
      default:
        return possible(w, this.step);
    }
  }

  async run(_model: World, world: World): Promise<void> {
    const s = this.step;
    switch (s.kind) {
      case "put":
        await world.put(s.key, s.content);
        break;
      case "delete":
        await world.delete(s.key);
        break;
      case "drop-event":
        world.events.splice(s.pick % world.events.length, 1);
        break;
      case "drop-batch":
        world.queue.messages.splice(s.pick % world.queue.messages.length, 1);
        break;
      case "advance":
        world.time += s.minutes * MINUTE;
        break;
      case "together":
        coverage.together++;
        await together(world, s.first, s.second, s.meet);
        break;
      default:
        await run(world, s);
    }
    world.assertSound();
  }

  toString(): string {
    return JSON.stringify(this.step);
  }
}

export const commands = (maxCommands: number) =>
  fc.commands([step.map((s) => new Act(s))], { maxCommands, size: "max" });

/** What the bucket holds before the first command: each key absent or holding some content. */
const initialBucket = fc.array(
  // Mostly there: three or more objects make the scan hand the source out in batches.
  fc.option(fc.constantFrom<Content>("good", "expired", "corrupt"), { freq: 4, nil: undefined }),
  {
    minLength: KEYS.length,
    maxLength: KEYS.length,
  },
);

/** One interleaving, written out: the issue's scenarios in the model's terms, run and checked the same way. */
export async function runInterleaving(
  emulators: Emulators,
  initial: readonly (Content | undefined)[],
  steps: readonly Step[],
): Promise<void> {
  const world = await World.create(emulators);
  await world.seed(initial);
  for (const s of steps) {
    const act = new Act(s);
    if (act.check(world)) await act.run(world, world);
  }
  await world.quiesce();
  await world.assertSettled();
}

/** The property: any interleaving keeps the invariants, and a quiet end settles everything. */
export function settlementProperty(emulators: Emulators, maxCommands: number) {
  return fc.asyncProperty(initialBucket, commands(maxCommands), async (initial, cmds) => {
    const world = await World.create(emulators);
    coverage.runs++;
    await world.seed(initial);
    await fc.asyncModelRun(() => ({ model: world, real: world }), cmds);
    await world.quiesce();
    await world.assertSettled();
  });
}
