/**
 * `watchpost check-credentials`: assume a role (or take the ambient credentials), prove the
 * temporary credentials reach a bucket, and say which step broke and why. Exit 0 healthy, 2 not,
 * 3 usage error.
 */
import { type ParseArgsConfig, styleText } from "node:util";
import * as z from "zod";
import {
  type AwsCredentialProbeOptions,
  awsCredentialProbe,
} from "../../functions/adapters/credential-probe";
import { EXIT } from "../../functions/core/contracts";
import { type CredentialCheckResult, checkCredentialTarget } from "../../functions/core/credentials/check";
import { describeCredentialSearch } from "../../functions/core/credentials/search";
import { CredentialTarget } from "../../functions/core/credentials/target";
import { terminalSafeJson, visibleText } from "../../functions/core/visible-text";
import { type CliIo, type Command, UsageError } from "./io";
import { OutputFormat, parseCommandLine, validateOptions } from "./options";

const FLAGS = {
  bucket: { type: "string" },
  "role-arn": { type: "string" },
  "external-id": { type: "string" },
  "session-duration": { type: "string" },
  prefix: { type: "string" },
  "write-probe": { type: "boolean" },
  region: { type: "string" },
  "s3-endpoint": { type: "string" },
  "sts-endpoint": { type: "string" },
  "path-style": { type: "boolean" },
  "timeout-ms": { type: "string" },
  "min-remaining-seconds": { type: "string" },
  name: { type: "string" },
  format: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

export const CHECK_CREDENTIALS_USAGE = `usage: watchpost check-credentials --bucket B [options]

Obtains temporary credentials by assuming a role, then proves they work against a bucket:
assume-role → expiration → head-bucket → list-objects [→ probe put/get/compare/delete].

options:
  --bucket B                 bucket the credentials must reach (required)
  --role-arn ARN             role to assume; without it the ambient credentials are checked
  --external-id ID           external ID the role's trust policy requires
  --session-duration S       requested session duration in seconds (900..43200)
  --prefix P                 prefix to list under; the probe writes under P.watchpost-probe/
  --write-probe              also put, read back, compare and delete a small probe object
  --region R                 region of the bucket and STS (default: AWS_REGION)
  --s3-endpoint URL          S3-compatible endpoint
  --sts-endpoint URL         STS endpoint
  --path-style               address buckets as URL/bucket (most S3-compatible stores)
  --timeout-ms N             timeout of each step (default 5000)
  --min-remaining-seconds S  the credentials must stay valid this long (default 900)
  --name NAME                target name used in findings (default: the bucket)
  --format table|json        output format (default table)
`;

const integer = (flag: string) =>
  z.string().regex(/^\d+$/, `${flag} takes a whole number`).transform(Number).optional();

const Flags = z.object({
  format: OutputFormat.default("table"),
  "timeout-ms": integer("--timeout-ms"),
  "session-duration": integer("--session-duration"),
  "min-remaining-seconds": integer("--min-remaining-seconds"),
});

const TARGET_FLAG: Record<string, string> = {
  name: "--name",
  roleArn: "--role-arn",
  externalId: "--external-id",
  sessionDurationSeconds: "--session-duration",
  bucket: "--bucket",
  prefix: "--prefix",
  region: "--region",
  s3Endpoint: "--s3-endpoint",
  stsEndpoint: "--sts-endpoint",
  timeoutMs: "--timeout-ms",
  minRemainingSeconds: "--min-remaining-seconds",
};

/** Keys from the environment of this invocation; otherwise the SDK's default provider chain. */
function environmentCredentials(env: NodeJS.ProcessEnv) {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}) };
}

export function renderCredentialTable(result: CredentialCheckResult, color: boolean): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    color ? styleText(style, text) : text;
  const width = Math.max(...result.steps.map((s) => s.step.length), 4);
  const lines = [`credentials check: ${visibleText(result.target)}`];
  for (const step of result.steps) {
    const mark = step.ok ? paint("green", "✓") : paint("red", "✗");
    const ms = `${step.ms} ms`.padStart(9);
    lines.push(
      `  ${mark} ${step.step.padEnd(width)} ${ms}${step.error ? `  ${visibleText(step.error)}` : ""}`,
    );
  }
  if (result.findings.length === 0) {
    lines.push("", paint("green", "healthy: the credentials were obtained and reach the bucket"));
  } else {
    lines.push("", `FINDINGS (${result.findings.length})`);
    for (const finding of result.findings) {
      lines.push(
        paint("red", `  ${finding.severity.toUpperCase()} ${finding.alarmId} ${finding.check}`),
        `    ${visibleText(finding.message)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

export function createCheckCredentialsCommand(probeOptions: AwsCredentialProbeOptions = {}): Command {
  return async (argv: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseCommandLine(argv, FLAGS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.help) {
      io.stdout(CHECK_CREDENTIALS_USAGE);
      return EXIT.ok;
    }
    const flags = validateOptions(Flags, values);
    if (!values.bucket) throw new UsageError("--bucket is required");
    const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError("--region is required (or set AWS_REGION)");

    const target = validateOptions(
      CredentialTarget,
      {
        name: values.name ?? values.bucket,
        bucket: values.bucket,
        region,
        ...(values["role-arn"] ? { roleArn: values["role-arn"] } : {}),
        ...(values["external-id"] ? { externalId: values["external-id"] } : {}),
        ...(flags["session-duration"] !== undefined
          ? { sessionDurationSeconds: flags["session-duration"] }
          : {}),
        ...(values.prefix ? { prefix: values.prefix } : {}),
        ...(values["s3-endpoint"] ? { s3Endpoint: values["s3-endpoint"] } : {}),
        ...(values["sts-endpoint"] ? { stsEndpoint: values["sts-endpoint"] } : {}),
        ...(values["path-style"] ? { forcePathStyle: true } : {}),
        ...(values["write-probe"] ? { writeProbe: true } : {}),
        ...(flags["timeout-ms"] !== undefined ? { timeoutMs: flags["timeout-ms"] } : {}),
        ...(flags["min-remaining-seconds"] !== undefined
          ? { minRemainingSeconds: flags["min-remaining-seconds"] }
          : {}),
      },
      (path) => TARGET_FLAG[path] ?? path,
    );

    const ambient = environmentCredentials(io.env);
    const probe = awsCredentialProbe({
      ...(ambient ? { ambientCredentials: ambient, sts: { credentials: ambient } } : {}),
      credentialSearch: describeCredentialSearch(io.env),
      ...probeOptions,
    });
    try {
      const result = await checkCredentialTarget(target, probe);
      io.stdout(
        flags.format === "json" ? `${terminalSafeJson(result)}\n` : renderCredentialTable(result, io.isTTY),
      );
      return result.findings.length === 0 ? EXIT.ok : EXIT.majorOrWorse;
    } finally {
      probe.close();
    }
  };
}

export const checkCredentialsCommand: Command = createCheckCredentialsCommand();
