/**
 * Argument parsing shared by the commands: node:util parseArgs for the syntax, zod for the
 * meaning, and every mistake surfaced as a UsageError (exit 3) that names the option.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import * as z from "zod";
import { keystorePasswordFrom, PasswordFileError } from "../../functions/adapters/local-files";
import { DEFAULT_POLICY } from "../../functions/core/certificates/evaluate";
import { UsageError } from "./io";

export function parseCommandLine<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Validates parsed values with a zod schema; the first problem becomes the usage message, named by
 * the flag the operator typed (`flagFor` maps a schema path to it when the names differ).
 */
export function validateOptions<S extends z.ZodType>(
  schema: S,
  values: unknown,
  flagFor: (path: string) => string = (path) => `--${path}`,
): z.infer<S> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${flagFor(issue.path.join("."))}: ` : "";
  throw new UsageError(`${where}${issue?.message ?? "invalid options"}`);
}

const numberFrom = (name: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `${name} takes a non-negative number`)
    .transform(Number);

export const OutputFormat = z.enum(["table", "json"], {
  error: (issue) => `--format takes 'table' or 'json', not '${String(issue.input)}'`,
});

/** Options every certificate-judging command shares (scan, probe). */
export const JudgingOptions = z
  .object({
    "warn-days": numberFrom("--warn-days").default(DEFAULT_POLICY.warnDays),
    "major-days": numberFrom("--major-days").default(DEFAULT_POLICY.majorDays),
    skew: numberFrom("--skew").default(DEFAULT_POLICY.skewSeconds),
    now: z.iso
      .datetime({ offset: true, message: "--now takes an ISO 8601 instant such as 2026-01-31T00:00:00Z" })
      .optional(),
    format: OutputFormat.default("table"),
    "expect-host": z.array(z.string().min(1)).default([]),
    ca: z.array(z.string().min(1)).default([]),
    purpose: z
      .enum(["server", "client", "any"], {
        error: (issue) => `--purpose takes 'server', 'client' or 'any', not '${String(issue.input)}'`,
      })
      .optional(),
  })
  .refine((o) => o["major-days"] <= o["warn-days"], {
    message: "--major-days must not exceed --warn-days",
    path: ["major-days"],
  });
export type JudgingOptions = z.infer<typeof JudgingOptions>;

export const JUDGING_FLAGS = {
  ca: { type: "string", multiple: true },
  "expect-host": { type: "string", multiple: true },
  purpose: { type: "string" },
  "warn-days": { type: "string" },
  "major-days": { type: "string" },
  skew: { type: "string" },
  now: { type: "string" },
  format: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** The keystore password from the environment; a password file that cannot be read is a usage error. */
export async function keystorePasswordForCli(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    return await keystorePasswordFrom(env);
  } catch (error) {
    if (error instanceof PasswordFileError) throw new UsageError(error.message);
    throw error;
  }
}
