/**
 * `watchpost push DIR... --to s3://BUCKET/PREFIX/`: the command for cluster hosts. Carries the
 * certificate material under DIR to PREFIX/<host>/<absolute path>, only what changed, and exits
 * non-zero when anything could not be pushed, so cron or systemd notices. The work is in
 * functions/core/push/; this module parses, wires the S3 client and prints.
 */
import { randomBytes } from "node:crypto";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { styleText } from "node:util";
import * as z from "zod";
import { certificateStoreS3Client } from "../../functions/adapters/clients/s3";
import { loadHostFile, presenceOf, walkPushRoots } from "../../functions/adapters/host-files";
import { ioDetail } from "../../functions/adapters/local-files";
import { s3PushTarget } from "../../functions/adapters/push-target";
import type { ParsedCertificate } from "../../functions/core/certificates/certificate";
import { DEFAULT_POLICY, evaluateCertificates } from "../../functions/core/certificates/evaluate";
import { DEFAULT_MAX_BYTES } from "../../functions/core/certificates/reader";
import { EXIT } from "../../functions/core/contracts";
import { describeOffset } from "../../functions/core/hosts/heartbeat";
import { pushRolePolicy } from "../../functions/core/push/iam-policy";
import {
  PUSH_OUTCOMES,
  type PushEntry,
  type PushReport,
  push,
  pushExitCode,
} from "../../functions/core/push/push";
import { terminalSafeJson, visibleText } from "../../functions/core/visible-text";
import { type CliIo, type Command, UsageError } from "./io";
import { VERSION } from "./main";
import { certificateFamilies, type MetricFamily, renderOpenMetrics } from "./openmetrics";
import { keystorePasswordForCli, OutputFormat, parseCommandLine, validateOptions } from "./options";
import { buildScanReport } from "./report";

export const PUSH_USAGE = `usage: watchpost push DIR... --to s3://BUCKET/PREFIX/ [options]

Uploads the certificate material found under each DIR (certificate files, PKCS#12 files, Java
keystores and truststores, by content; never a file holding a private key in clear, however it is
encoded) to PREFIX/<host>/<absolute path>, with the host, service, role, path and SHA-256 as
object metadata, and only what changed since the bucket's copy. Each run ends with a heartbeat
object the stack watches (a host that stops pushing, a host clock that is off). Safe to run every
few minutes; each upload is re-checked by the watchpost stack within seconds. Credentials: the
AWS SDK's standard chain (the instance profile on a host).

options:
  --to s3://BUCKET/PREFIX/  where to push (required)
  --host NAME               the host's name in keys and metadata (default: this host's name)
  --service NAME            the service these files belong to (object metadata, alarm ServiceName)
  --role NAME               the role (agency) these files belong to (object metadata, alarm RoleName)
  --every DURATION          how often this push runs (the timer's period: 5m, 1h, 1d); the stack
                            takes the host for silent after that plus one hour without a push,
                            unless its configuration says otherwise (default 25 h)
  --delete                  delete the bucket copies of files gone from DIR (default: report them);
                            only paths that no longer exist (ENOENT) lose their copy
  --follow-symlinks         follow symbolic links into the other DIRs named (default: only links
                            that stay inside the DIR they are found in); never out of them all
  --dry-run                 say what would be uploaded or deleted, change nothing
  --force                   upload every file again, metadata included, changed or not
  --path-root DIR           take paths relative to DIR, as if it were / (a host's filesystem
                            mounted into a container, say); default /
  --max-bytes N             larger files are skipped (default 1048576, the scan's limit)
  --region R                the bucket's region (default: the SDK's, e.g. AWS_REGION)
  --endpoint-url URL        an S3-compatible endpoint instead of AWS (path-style addressing)
  --timeout-ms N            timeout of each S3 request (default 10000)
  --format table|json       output format (default table)
  --metrics-file PATH       also write OpenMetrics for node_exporter's textfile collector (e.g.
                            /var/lib/prometheus/node-exporter/watchpost.prom), atomically:
                            certificate expiry, findings, the push's outcome and the clock offset
  --print-policy            print the IAM policy this host's role needs for these options
                            (with --delete: s3:DeleteObject too), and push nothing

exit status: 0 every file is in the bucket as on the host (or skipped on purpose, or gone and
reported), 2 anything could not be read, compared, uploaded or deleted (the heartbeat
included), 3 usage error
`;

const FLAGS = {
  to: { type: "string" },
  host: { type: "string" },
  service: { type: "string" },
  role: { type: "string" },
  every: { type: "string" },
  delete: { type: "boolean" },
  "follow-symlinks": { type: "boolean" },
  "metrics-file": { type: "string" },
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
  "max-bytes": { type: "string" },
  "path-root": { type: "string" },
  region: { type: "string" },
  "endpoint-url": { type: "string" },
  "timeout-ms": { type: "string" },
  format: { type: "string" },
  "print-policy": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const whole = (flag: string) => z.string().regex(/^\d+$/, `${flag} takes a whole number`).transform(Number);

const Options = z.object({
  to: z
    .string({ error: "--to s3://BUCKET/PREFIX/ is required" })
    .regex(
      /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/,
      "--to takes s3://BUCKET/PREFIX/, e.g. s3://cluster-certs/hosts/",
    )
    .refine(
      (to) =>
        !to
          .split("/")
          .slice(3)
          .some((s) => s === "." || s === ".."),
      "--to takes a prefix without '.' or '..' segments",
    ),
  host: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, "--host takes a host name: letters, digits, '.', '_' or '-'")
    .optional(),
  service: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, "--service takes up to 128 printable ASCII characters without spaces")
    .optional(),
  role: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, "--role takes up to 128 printable ASCII characters without spaces")
    .optional(),
  every: z
    .string()
    .regex(/^\d{1,6}(s|m|min|h|d)$/, "--every takes a duration such as 5m, 30min, 1h or 1d")
    .transform(durationSeconds)
    .refine((s) => s >= 60 && s <= 31 * 86_400, "--every takes a duration from 1 minute to 31 days")
    .optional(),
  "max-bytes": whole("--max-bytes").default(DEFAULT_MAX_BYTES),
  "timeout-ms": whole("--timeout-ms").default(10_000),
  "endpoint-url": z.url({ message: "--endpoint-url takes an http:// or https:// URL" }).optional(),
  format: OutputFormat.default("table"),
});

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86_400 };

/** "5m" → 300. */
function durationSeconds(text: string): number {
  const [, amount, unit] = /^(\d+)([a-z]+)$/.exec(text) ?? [];
  return Number(amount) * (UNIT_SECONDS[unit ?? ""] ?? Number.NaN);
}

/** s3://bucket/some/prefix → bucket, "some/prefix/" ("" for the whole bucket). */
function destinationOf(to: string): { bucket: string; prefix: string } {
  const [bucket = "", ...rest] = to.slice("s3://".length).split("/");
  const prefix = rest.join("/");
  return { bucket, prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/` };
}

/** Keys from this invocation's environment; otherwise the SDK's default provider chain. */
function environmentCredentials(env: NodeJS.ProcessEnv) {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}) };
}

export const pushCommand: Command = async (argv, io) => {
  const { values, positionals } = parseCommandLine(argv, FLAGS);
  if (values.help) {
    io.stdout(PUSH_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0 && !values["print-policy"]) {
    throw new UsageError("name at least one directory or file to push");
  }
  const options = validateOptions(Options, values);
  const { bucket, prefix } = destinationOf(options.to);
  const host = options.host ?? hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(host)) {
    throw new UsageError(`this host's name '${host}' cannot be used in a key; name it with --host`);
  }

  if (values["print-policy"]) {
    const policy = pushRolePolicy({ bucket, prefix, host, allowDelete: values.delete === true });
    io.stdout(`${JSON.stringify(policy, null, 2)}\n`);
    return EXIT.ok;
  }

  const roots = positionals.map((path) => resolve(io.cwd, path));
  const pathRoot = resolve(io.cwd, values["path-root"] ?? "/");
  const hostPath = (path: string) => `/${relative(pathRoot, path)}`.replace(/\/+$/, "") || "/";
  for (const root of roots) {
    if (relative(pathRoot, root).startsWith("..")) {
      throw new UsageError(`${root} is outside --path-root ${pathRoot}`);
    }
  }
  const metricsFile = values["metrics-file"] ? resolve(io.cwd, values["metrics-file"]) : undefined;
  if (metricsFile && !(await stat(dirname(metricsFile)).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`--metrics-file: the directory ${dirname(metricsFile)} does not exist`);
  }
  const keystorePassword = metricsFile ? await keystorePasswordForCli(io.env) : undefined;
  const walked = await walkPushRoots(roots, { followSymlinks: values["follow-symlinks"] === true });
  const credentials = environmentCredentials(io.env);
  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const client = certificateStoreS3Client({
    maxAttempts: 3,
    requestTimeoutMs: options["timeout-ms"],
    socketTimeoutMs: options["timeout-ms"],
    bufferBodiesUpToBytes: 0,
    ...(options["endpoint-url"] ? { endpoint: options["endpoint-url"] } : {}),
    ...(region ? { region } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const clock = io.clock ?? Date.now;
  const certificates = new Map<string, readonly ParsedCertificate[]>();
  try {
    const report = await push(
      {
        files: walked.files.map((file) => ({
          path: hostPath(file.path),
          load: () => loadHostFile(file, options["max-bytes"]),
        })),
        walkErrors: walked.errors.map((e) => ({ ...e, path: hostPath(e.path) })),
        walkSkipped: walked.skipped.map((s) => ({ ...s, path: hostPath(s.path) })),
        roots: roots.map(hostPath),
        prefix,
        host,
        ...(options.service ? { service: options.service } : {}),
        ...(options.role ? { role: options.role } : {}),
        delete: values.delete === true,
        dryRun: values["dry-run"] === true,
        force: values.force === true,
        now: new Date(clock()),
        presence: (path) => presenceOf(join(pathRoot, path)),
        ...(keystorePassword !== undefined ? { keystorePassword } : {}),
        ...(metricsFile ? { onCertificates: (path, found) => certificates.set(path, found) } : {}),
        heartbeat: {
          agent: `watchpost ${VERSION}`,
          ...(options.every ? { everySeconds: options.every } : {}),
        },
      },
      s3PushTarget({ client, bucket, clock }),
    );
    io.stdout(options.format === "json" ? `${terminalSafeJson(report)}\n` : renderPushTable(report, io));
    if (metricsFile) {
      const failed = await writeMetricsFile(metricsFile, pushMetrics(report, certificates));
      if (failed) {
        io.stderr(`watchpost push: ${visibleText(failed)}\n`);
        return EXIT.majorOrWorse;
      }
    }
    return pushExitCode(report);
  } finally {
    client.destroy();
  }
};

/** The certificates the run carried (or found unchanged), judged as the scan judges them without a CA, and the run itself. */
function pushMetrics(report: PushReport, found: ReadonlyMap<string, readonly ParsedCertificate[]>): string {
  const now = new Date(report.pushedAt);
  // Files are pushed four at a time: their certificates arrive in any order, and are listed by path.
  const all = [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([, certs]) => certs);
  const findings = evaluateCertificates(all, { ...DEFAULT_POLICY, now });
  const labels = { host: report.host };
  const run: MetricFamily[] = [
    {
      name: "watchpost_push_files",
      help: "Files of the last push, by outcome (uploaded, unchanged, skipped, failed, gone, deleted).",
      samples: PUSH_OUTCOMES.map((outcome) => ({
        labels: { ...labels, outcome },
        value: report.counts[outcome],
      })),
    },
    {
      name: "watchpost_push_success",
      help: "1 when the last push put every file in the bucket as on the host (exit status 0), else 0.",
      samples: [{ labels, value: pushExitCode(report) === 0 && !report.error ? 1 : 0 }],
    },
    {
      name: "watchpost_push_timestamp_seconds",
      help: "When the last push ran, on this host's clock, in seconds since the Unix epoch.",
      samples: [{ labels, value: now.getTime() / 1000 }],
    },
    ...(report.clock
      ? [
          {
            name: "watchpost_host_clock_offset_seconds",
            help: "This host's clock minus S3's (its Date header) at the last push; positive: ahead.",
            samples: [{ labels, value: report.clock.offsetSeconds }],
          },
          {
            name: "watchpost_host_clock_uncertainty_seconds",
            help: "How far the true clock offset may lie from the measured one, either way.",
            samples: [{ labels, value: report.clock.uncertaintySeconds }],
          },
        ]
      : []),
  ];
  return renderOpenMetrics([...certificateFamilies(buildScanReport(now, all, findings), labels), ...run]);
}

/**
 * Written to a temporary file in the same directory, then renamed over PATH: node_exporter's
 * textfile collector never reads half a file (its documentation asks for exactly this).
 */
async function writeMetricsFile(path: string, text: string): Promise<string | undefined> {
  const partial = join(dirname(path), `.${randomBytes(6).toString("hex")}.watchpost.tmp`);
  try {
    await writeFile(partial, text, { mode: 0o644 });
    await rename(partial, path);
    return undefined;
  } catch (error) {
    await rm(partial, { force: true });
    return `the metrics file ${path} cannot be written: ${ioDetail(error)}`;
  }
}

const SHOWN: Record<PushEntry["outcome"], boolean> = {
  uploaded: true,
  failed: true,
  deleted: true,
  gone: true,
  skipped: true,
  unchanged: false,
};

const NOT_MATERIAL = /^not certificate material|^(PEM|DER-encoded|a PKCS#7|a JCEKS|a JKS)/;

export function renderPushTable(report: PushReport, io: Pick<CliIo, "isTTY">): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    io.isTTY ? styleText(style, text) : text;
  const colour = { failed: "red", uploaded: "green", deleted: "yellow", gone: "yellow" } as const;
  const lines = [`watchpost push ${report.dryRun ? "(dry run) " : ""}to ${visibleText(report.to)}`];
  if (report.error) {
    // Nothing was compared or uploaded: one line says why, instead of one per file.
    lines.push(`  ${paint("red", "error")}     ${visibleText(report.error)}`, "");
    lines.push(`${report.counts.failed} files not pushed`);
    return `${lines.join("\n")}\n`;
  }
  // Files that are simply not certificates (READMEs, scripts) are counted, not listed.
  const quiet = report.files.filter((f) => f.outcome === "skipped" && NOT_MATERIAL.test(f.reason ?? ""));
  for (const file of report.files) {
    if (!SHOWN[file.outcome] || quiet.includes(file)) continue;
    const outcome = file.outcome.padEnd(9);
    const style = colour[file.outcome as keyof typeof colour];
    lines.push(
      `  ${style ? paint(style, outcome) : outcome} ${visibleText(file.path)}${file.reason ? `  (${visibleText(file.reason)})` : ""}`,
    );
  }
  if (report.heartbeat?.error) {
    lines.push(`  ${paint("red", "failed   ")} ${visibleText(report.heartbeat.error)}`);
  }
  const clock = report.clock;
  if (clock && Math.abs(clock.offsetSeconds) - clock.uncertaintySeconds > DEFAULT_POLICY.skewSeconds) {
    // The stack raises its own alarm from the heartbeat; the operator at the console hears it first.
    lines.push(
      `  ${paint("yellow", "clock    ")} this host's clock is ${describeOffset(clock.offsetSeconds)} of S3's (±${clock.uncertaintySeconds} s): fix its time synchronisation (timedatectl, chronyc tracking)`,
    );
  }
  const c = report.counts;
  const others = quiet.length > 0 ? ` (${quiet.length} not certificate material)` : "";
  const goneNote = c.gone > 0 ? `; ${c.gone} gone from the host, kept in the bucket` : "";
  const deletedNote = c.deleted > 0 ? `; ${c.deleted} deleted from the bucket` : "";
  lines.push(
    "",
    `${c.uploaded} uploaded, ${c.unchanged} unchanged, ${c.skipped} skipped${others}, ${c.failed} failed${goneNote}${deletedNote}`,
  );
  return `${lines.join("\n")}\n`;
}
