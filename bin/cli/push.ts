/**
 * `watchpost push DIR... --to s3://BUCKET/PREFIX/`: the command for cluster hosts. Carries the
 * certificate material under DIR to PREFIX/<host>/<absolute path>, only what changed, and exits
 * non-zero when anything could not be pushed, so cron or systemd notices. The work is in
 * functions/core/push/; this module parses, wires the S3 client and prints.
 */
import { hostname } from "node:os";
import { relative, resolve } from "node:path";
import { styleText } from "node:util";
import * as z from "zod";
import { certificateStoreS3Client } from "../../functions/adapters/clients/s3";
import { listFiles, loadFile } from "../../functions/adapters/local-files";
import { s3PushTarget } from "../../functions/adapters/push-target";
import { DEFAULT_MAX_BYTES } from "../../functions/core/certificates/reader";
import { EXIT } from "../../functions/core/contracts";
import { pushRolePolicy } from "../../functions/core/push/iam-policy";
import { type PushEntry, type PushReport, push, pushExitCode } from "../../functions/core/push/push";
import { terminalSafeJson, visibleText } from "../../functions/core/visible-text";
import { type CliIo, type Command, UsageError } from "./io";
import { OutputFormat, parseCommandLine, validateOptions } from "./options";

export const PUSH_USAGE = `usage: watchpost push DIR... --to s3://BUCKET/PREFIX/ [options]

Uploads the certificate material found under each DIR (certificate files, PKCS#12 files, Java
keystores and truststores; never a private key in clear) to PREFIX/<host>/<absolute path>, with
the host, service, path and SHA-256 as object metadata, and only what changed since the bucket's
copy. Safe to run every few minutes; each upload is re-checked by the watchpost stack within
seconds. Credentials: the AWS SDK's standard chain (the instance profile on a host).

options:
  --to s3://BUCKET/PREFIX/  where to push (required)
  --host NAME               the host's name in keys and metadata (default: this host's name)
  --service NAME            the service these files belong to (object metadata, alarm ServiceName)
  --delete                  delete the bucket copies of files gone from DIR (default: report them)
  --dry-run                 say what would be uploaded or deleted, change nothing
  --force                   upload every file again, metadata included, changed or not
  --path-root DIR           take paths relative to DIR, as if it were / (a host's filesystem
                            mounted into a container, say); default /
  --max-bytes N             larger files are skipped (default 1048576, the scan's limit)
  --region R                the bucket's region (default: the SDK's, e.g. AWS_REGION)
  --endpoint-url URL        an S3-compatible endpoint instead of AWS (path-style addressing)
  --timeout-ms N            timeout of each S3 request (default 10000)
  --format table|json       output format (default table)
  --print-policy            print the IAM policy this host's role needs for these options
                            (with --delete: s3:DeleteObject too), and push nothing

exit status: 0 every file is in the bucket as on the host (or skipped on purpose, or gone and
reported), 2 anything could not be read, compared, uploaded or deleted, 3 usage error
`;

const FLAGS = {
  to: { type: "string" },
  host: { type: "string" },
  service: { type: "string" },
  delete: { type: "boolean" },
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
  "max-bytes": whole("--max-bytes").default(DEFAULT_MAX_BYTES),
  "timeout-ms": whole("--timeout-ms").default(10_000),
  "endpoint-url": z.url({ message: "--endpoint-url takes an http:// or https:// URL" }).optional(),
  format: OutputFormat.default("table"),
});

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
  const listed = await listFiles(roots);
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
  try {
    const report = await push(
      {
        files: listed.files.map((path) => ({
          path: hostPath(path),
          load: () => loadFile(path, options["max-bytes"]),
        })),
        walkErrors: listed.errors.map((e) => ({ ...e, path: hostPath(e.path) })),
        roots: roots.map(hostPath),
        prefix,
        host,
        ...(options.service ? { service: options.service } : {}),
        delete: values.delete === true,
        dryRun: values["dry-run"] === true,
        force: values.force === true,
        now: new Date(),
      },
      s3PushTarget({ client, bucket }),
    );
    io.stdout(options.format === "json" ? `${terminalSafeJson(report)}\n` : renderPushTable(report, io));
    return pushExitCode(report);
  } finally {
    client.destroy();
  }
};

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
