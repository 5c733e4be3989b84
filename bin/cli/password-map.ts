/**
 * `--password-map FILE`: which password opens which PKCS#12 file or keystore, for directories
 * where they differ. One line per rule, the first matching line wins, `#` starts a comment:
 *
 *   # path pattern                  where the password is
 *   /opt/flink/ha/local/cert/*      file:/etc/watchpost/flink-ha.pass
 *   ssl/kafka.keystore.jks          env:KAFKA_SSL_KEYSTORE_PASSWORD
 *
 * Patterns are matched against the file's absolute path: `*` within one path segment, `**` across
 * segments, `?` one character; a pattern not starting with `/` matches at any depth. The map names
 * where passwords are, never a password: a password on a command line or in a world-readable map
 * would leak through `ps` and shell history. Files no line matches use WATCHPOST_KEYSTORE_PASSWORD.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { PasswordFileError, readPasswordFile } from "../../functions/adapters/local-files";
import { keyPatternToRegExp } from "../../functions/core/certificates/checks/expected-hosts";
import type { FilePassword } from "../../functions/core/scan/read-files";
import { UsageError } from "./io";

interface Rule {
  line: number;
  matches: RegExp;
  password: string;
}

export interface PasswordMap {
  /** The password for `file` (as the scan names it), or undefined when no line matches. */
  forFile(file: string): FilePassword | undefined;
}

const MAX_RULES = 1000;

/** Reads the map and every password it names now, so that a mistake is a usage error (exit 3) before any scan. */
export async function loadPasswordMap(
  path: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<PasswordMap> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `--password-map ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const rules: Rule[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `--password-map ${path} line ${index + 1}`;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) {
      throw new UsageError(`${where}: expected 'PATTERN file:PATH' or 'PATTERN env:NAME'`);
    }
    const [pattern, source] = parts as [string, string];
    if (rules.length >= MAX_RULES) throw new UsageError(`${where}: more than ${MAX_RULES} rules`);
    rules.push({
      line: index + 1,
      matches: keyPatternToRegExp(pattern.startsWith("/") ? pattern : `**/${pattern}`),
      password: await passwordOf(source, where, env, cwd),
    });
  }
  return {
    forFile(file) {
      const absolute = resolve(cwd, file);
      const rule = rules.find((r) => r.matches.test(absolute));
      return rule ? { value: rule.password, hint: `${path} line ${rule.line}` } : undefined;
    },
  };
}

async function passwordOf(
  source: string,
  where: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<string> {
  if (source.startsWith("env:")) {
    const name = source.slice("env:".length);
    const value = env[name];
    if (value === undefined) throw new UsageError(`${where}: the environment variable ${name} is not set`);
    return value;
  }
  if (source.startsWith("file:")) {
    const file = resolve(cwd, source.slice("file:".length));
    try {
      return await readPasswordFile(file, "the password file");
    } catch (error) {
      if (error instanceof PasswordFileError) throw new UsageError(`${where}: ${error.message}`);
      throw error;
    }
  }
  throw new UsageError(`${where}: expected 'file:PATH' or 'env:NAME' after the pattern, never a password`);
}
