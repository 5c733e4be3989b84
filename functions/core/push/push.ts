/**
 * `watchpost push`: carries the certificate material of a host's directories to the bucket the
 * stack watches, under PREFIX/<host>/<absolute path>, and only what changed since the bucket's
 * copy. Idempotent, so cron or a systemd timer can run it every few minutes: an unchanged file
 * costs a read and an inspection here, and nothing in S3 but a line of the listing (or one
 * HeadObject, see below); a changed one is uploaded, and the upload's S3 event re-checks it within
 * seconds. Every file is inspected on every run (material.ts): a file that came to hold a private
 * key is never uploaded, whatever its bucket copy says.
 *
 * Change detection: the listing's ETag is the MD5 of the content for a single-part upload to an
 * SSE-S3 or unencrypted bucket, so an ETag equal to the local MD5 means "unchanged" at no extra
 * cost. Any other ETag (a changed file, but also every object under SSE-KMS and every multipart
 * upload, whose ETags are not MD5s) is settled by HeadObject against the SHA-256 this command
 * writes into the object's metadata.
 *
 * Files gone from the host are reported, and their bucket copies deleted only with `--delete`, and
 * only for a path that answers ENOENT in this run: a file that exists but cannot be read, or was
 * skipped, keeps its copy. Each run that reached the bucket ends with the host's heartbeat
 * (core/hosts/heartbeat.ts), which the stack watches for hosts that went quiet and clocks that drifted.
 */
import { createHash } from "node:crypto";
import type { ParsedCertificate } from "../certificates/certificate";
import { PUSH_METADATA } from "../certificates/location";
import { mapBounded } from "../concurrency";
import { describeCause } from "../errors";
import { type ClockReading, HEARTBEAT_NAME, type Heartbeat, heartbeatKey } from "../hosts/heartbeat";
import { pushable } from "./material";

/** What the command says about each file, and about each bucket copy whose file is gone. */
export const PUSH_OUTCOMES = ["uploaded", "unchanged", "skipped", "failed", "gone", "deleted"] as const;
export type PushOutcome = (typeof PUSH_OUTCOMES)[number];

export interface PushEntry {
  /** The path on the host (absolute), or for a gone file the path the bucket copy names. */
  path: string;
  /** The object key, when the file has one. */
  key?: string;
  outcome: PushOutcome;
  /** Why a file was skipped or failed, or what became of a gone file's copy; never file contents. */
  reason?: string;
}

export interface PushReport {
  pushedAt: string;
  /** `s3://bucket/prefix/host/`. */
  to: string;
  host: string;
  dryRun: boolean;
  files: PushEntry[];
  counts: Record<PushOutcome, number>;
  /** This host's clock against S3's, when a response said what time S3 had. */
  clock?: ClockReading;
  /** The heartbeat this run left for the stack (not on a dry run, nor when the bucket could not be listed). */
  heartbeat?: { key: string; written: boolean; error?: string };
  /** Why nothing could be pushed at all (the bucket could not be listed), when that happened. */
  error?: string;
}

export interface LocalFile {
  /** Absolute path on the host. */
  path: string;
  load(): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; reason: string; detail: string }>;
}

/** Whether a host path exists now: only "absent" (ENOENT) lets a bucket copy go. */
export type Presence = "absent" | "present" | { error: string };

/** The bucket (functions/adapters/push-target.ts). Errors are thrown; the caller reports them. */
export interface PushTargetPort {
  /** Every object under the prefix with its ETag (quotes removed). */
  list(prefix: string): Promise<Map<string, string | undefined>>;
  /** The object's user metadata, or undefined when it does not exist. */
  head(key: string): Promise<Record<string, string> | undefined>;
  put(
    key: string,
    bytes: Uint8Array,
    contentMd5: string,
    metadata: Record<string, string>,
    contentType?: string,
  ): Promise<void>;
  delete(key: string): Promise<void>;
  uri(key: string): string;
  /** The host clock against the server's, from the responses seen so far. */
  clock?(): ClockReading | undefined;
}

export interface PushRequest {
  /** Files found under the pushed directories. */
  files: readonly LocalFile[];
  /** Paths that could not be walked (unreadable directories), with why: reported as failed. */
  walkErrors: readonly { path: string; detail: string }[];
  /** Entries the walk left alone on purpose (links out of the pushed directories, FIFOs): reported as skipped. */
  walkSkipped?: readonly { path: string; reason: string }[];
  /** The absolute paths named on the command line: the scope in which files can be "gone". */
  roots: readonly string[];
  prefix: string;
  host: string;
  service?: string;
  /** The role (agency) the files belong to: metadata, and the alarms' RoleName. */
  role?: string;
  delete: boolean;
  dryRun: boolean;
  /** Re-upload every pushable file, metadata included, whether or not its content changed. */
  force?: boolean;
  now: Date;
  /** Whether a host path exists now (lstat, no link followed): only "absent" lets a bucket copy go. */
  presence: (path: string) => Promise<Presence>;
  /** Opens PKCS#12 files for the certificates they hold (metrics); never needed to push. */
  keystorePassword?: string;
  /** Told the certificates of every file that is pushed or unchanged (the metrics file). */
  onCertificates?: (path: string, certificates: readonly ParsedCertificate[]) => void;
  /** The heartbeat's extras: the push interval the host declares, the agent's version. */
  heartbeat?: { everySeconds?: number; agent?: string };
}

/** S3 keys are at most 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
const CONCURRENCY = 4;

export function keyFor(prefix: string, host: string, path: string): string {
  return `${prefix}${host}/${path.replace(/^\/+/, "")}`;
}

export async function push(request: PushRequest, target: PushTargetPort): Promise<PushReport> {
  const hostPrefix = `${request.prefix}${request.host}/`;
  const report = (files: PushEntry[], error?: string): PushReport => {
    const clock = target.clock?.();
    return {
      pushedAt: request.now.toISOString(),
      to: target.uri(hostPrefix),
      host: request.host,
      dryRun: request.dryRun,
      files,
      counts: countsOf(files),
      ...(clock ? { clock } : {}),
      ...(error ? { error } : {}),
    };
  };
  const walkFailures: PushEntry[] = request.walkErrors.map((e) => ({
    path: e.path,
    outcome: "failed",
    reason: e.detail,
  }));
  const walkSkips: PushEntry[] = (request.walkSkipped ?? []).map((s) => ({
    path: s.path,
    outcome: "skipped",
    reason: s.reason,
  }));

  let remote: Map<string, string | undefined>;
  try {
    remote = await target.list(hostPrefix);
  } catch (cause) {
    // Nothing can be compared or uploaded: every file is reported as not pushed.
    const why = `the bucket cannot be listed: ${describeCause(cause)}${hintFor(cause)}`;
    return report(
      [
        ...walkFailures,
        ...request.files.map((f) => ({ path: f.path, outcome: "failed" as const, reason: why })),
      ],
      why,
    );
  }

  const entries = await mapBounded(request.files, CONCURRENCY, (file) =>
    pushFile(file, request, remote, target).catch(
      (cause: unknown): PushEntry => ({ path: file.path, outcome: "failed", reason: describeCause(cause) }),
    ),
  );
  const accounted = new Set([...walkFailures, ...walkSkips, ...entries].map((e) => e.path));
  const gone = await goneFiles(request, remote, accounted, walkFailures.length > 0, target);
  const done = report([...walkFailures, ...walkSkips, ...entries, ...gone]);
  if (request.dryRun) return done;
  return { ...done, heartbeat: await writeHeartbeat(request, done, target) };
}

async function pushFile(
  file: LocalFile,
  request: PushRequest,
  remote: Map<string, string | undefined>,
  target: PushTargetPort,
): Promise<PushEntry> {
  const key = keyFor(request.prefix, request.host, file.path);
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
    return {
      path: file.path,
      outcome: "skipped",
      reason: "the path is too long for an S3 key (1,024 bytes)",
    };
  }
  if (key === heartbeatKey(request.prefix, request.host)) {
    return {
      path: file.path,
      outcome: "skipped",
      reason: `${HEARTBEAT_NAME} is the name of watchpost's heartbeat`,
    };
  }
  const loaded = await file.load();
  if (!loaded.ok) {
    return loaded.reason === "too-large"
      ? { path: file.path, key, outcome: "skipped", reason: loaded.detail }
      : { path: file.path, key, outcome: "failed", reason: loaded.detail };
  }
  const { bytes } = loaded;
  const verdict = await pushable(
    bytes,
    file.path,
    request.keystorePassword !== undefined ? { keystorePassword: request.keystorePassword } : {},
  );
  if (!verdict.push) {
    // A copy an older watchpost pushed before it looked this closely must not stay unremarked.
    if (verdict.kind === "private-key" && remote.has(key)) {
      return {
        path: file.path,
        key,
        outcome: "failed",
        reason: `${verdict.reason}; its bucket copy from an earlier push may hold it too: check it and delete it (aws s3 rm ${target.uri(key)})`,
      };
    }
    return { path: file.path, key, outcome: "skipped", reason: verdict.reason };
  }
  request.onCertificates?.(file.path, verdict.certificates);

  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const md5 = createHash("md5").update(bytes).digest();
  const metadata = {
    [PUSH_METADATA.host]: request.host,
    ...(request.service ? { [PUSH_METADATA.service]: request.service } : {}),
    ...(request.role ? { [PUSH_METADATA.role]: request.role } : {}),
    [PUSH_METADATA.path]: encodeURIComponent(file.path),
    [PUSH_METADATA.sha256]: sha256,
  };

  if (!request.force && remote.has(key)) {
    const etag = remote.get(key);
    if (etag === md5.toString("hex")) return { path: file.path, key, outcome: "unchanged" };
    const stored = await target.head(key);
    if (stored && sameMetadata(stored, metadata)) return { path: file.path, key, outcome: "unchanged" };
  }

  if (request.dryRun) return { path: file.path, key, outcome: "uploaded", reason: "dry run: not uploaded" };
  await target.put(key, bytes, md5.toString("base64"), metadata);
  return { path: file.path, key, outcome: "uploaded" };
}

/** Metadata that, when one side has it and the other not, means the copy must be written again. */
const OPTIONAL_METADATA = [PUSH_METADATA.service, PUSH_METADATA.role];

function sameMetadata(stored: Record<string, string>, wanted: Record<string, string>): boolean {
  const lowered = new Map(Object.entries(stored).map(([name, value]) => [name.toLowerCase(), value]));
  return (
    Object.entries(wanted).every(([name, value]) => lowered.get(name) === value) &&
    OPTIONAL_METADATA.every((name) => (lowered.get(name) === undefined) === (wanted[name] === undefined))
  );
}

/**
 * Bucket copies under the pushed roots whose file this run did not carry. A copy goes (with
 * `--delete`) only when its path answers ENOENT now and the walk was complete; a file that is
 * still there — unreadable, skipped, or behind a link no longer followed — keeps its copy.
 */
async function goneFiles(
  request: PushRequest,
  remote: Map<string, string | undefined>,
  accounted: Set<string>,
  walkFailed: boolean,
  target: PushTargetPort,
): Promise<PushEntry[]> {
  const scopes = request.roots.map((root) => keyFor(request.prefix, request.host, root));
  const inScope = (key: string) => scopes.some((scope) => key === scope || key.startsWith(`${scope}/`));
  const hostPrefix = `${request.prefix}${request.host}/`;
  const pathOf = (key: string) => `/${key.slice(hostPrefix.length)}`;
  const heartbeat = heartbeatKey(request.prefix, request.host);
  const candidates = [...remote.keys()]
    .filter((key) => key !== heartbeat && inScope(key) && !accounted.has(pathOf(key)))
    .sort();
  return mapBounded(candidates, CONCURRENCY, async (key): Promise<PushEntry> => {
    const entry = { path: pathOf(key), key };
    const presence = await request.presence(entry.path);
    if (presence === "present") {
      return {
        ...entry,
        outcome: "skipped",
        reason: "still on the host, but not pushed in this run; the bucket copy is kept",
      };
    }
    if (typeof presence === "object") {
      return {
        ...entry,
        outcome: "failed",
        reason: `cannot tell whether the file still exists (${presence.error}); the bucket copy is kept`,
      };
    }
    if (!request.delete) {
      return {
        ...entry,
        outcome: "gone",
        reason: "no longer on this host; the bucket copy is kept (--delete removes it)",
      };
    }
    if (walkFailed) {
      return {
        ...entry,
        outcome: "gone",
        reason: "not deleted: part of the walk failed, so the file may still exist",
      };
    }
    if (request.dryRun) return { ...entry, outcome: "deleted", reason: "dry run: not deleted" };
    try {
      await target.delete(key);
      return { ...entry, outcome: "deleted" };
    } catch (cause) {
      return {
        ...entry,
        outcome: "failed",
        reason: `the bucket copy could not be deleted: ${describeCause(cause)}`,
      };
    }
  });
}

/** The run's heartbeat: written last, so its time says the host's push reached the bucket. */
async function writeHeartbeat(
  request: PushRequest,
  done: PushReport,
  target: PushTargetPort,
): Promise<NonNullable<PushReport["heartbeat"]>> {
  const key = heartbeatKey(request.prefix, request.host);
  const heartbeat: Heartbeat = {
    format: 1,
    host: request.host,
    pushedAt: done.pushedAt,
    ...(request.heartbeat?.agent ? { agent: request.heartbeat.agent } : {}),
    ...(request.heartbeat?.everySeconds ? { everySeconds: request.heartbeat.everySeconds } : {}),
    ...(done.clock ? { clock: done.clock } : {}),
    counts: done.counts,
  };
  const bytes = Buffer.from(`${JSON.stringify(heartbeat)}\n`);
  try {
    await target.put(
      key,
      bytes,
      createHash("md5").update(bytes).digest("base64"),
      { [PUSH_METADATA.host]: request.host },
      "application/json",
    );
    return { key, written: true };
  } catch (cause) {
    return { key, written: false, error: `the heartbeat could not be written: ${describeCause(cause)}` };
  }
}

function hintFor(cause: unknown): string {
  const text = describeCause(cause);
  if (/Region is missing/i.test(text)) return " (set AWS_REGION or --region)";
  if (/AccessDenied|Forbidden/i.test(text))
    return " (the role needs s3:ListBucket on the prefix: see the README)";
  if (/NoSuchBucket/i.test(text)) return " (check the bucket name in --to)";
  if (/PermanentRedirect|AuthorizationHeaderMalformed/i.test(text))
    return " (the bucket is in another region: set --region)";
  return "";
}

function countsOf(files: readonly PushEntry[]): Record<PushOutcome, number> {
  const counts = Object.fromEntries(PUSH_OUTCOMES.map((o) => [o, 0])) as Record<PushOutcome, number>;
  for (const file of files) counts[file.outcome] += 1;
  return counts;
}

/**
 * Exit status: 0 every file is in the bucket as on the host (or was skipped on purpose), 2
 * anything failed, the heartbeat included (the stack would take the host for silent).
 */
export function pushExitCode(report: Pick<PushReport, "counts" | "heartbeat">): 0 | 2 {
  return report.counts.failed > 0 || report.heartbeat?.error !== undefined ? 2 : 0;
}
