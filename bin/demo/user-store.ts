/**
 * `npm start -- --certs DIR [--config FILE]`: the user's own files and configuration in place of
 * the sample store.
 *
 * Placement rule: every regular file under DIR (recursively, symbolic links followed) becomes one
 * object whose key is its path relative to DIR, with '/' separators. A key the configuration would
 * not read — under no source's prefix and not named as a CA bundle, peer certificate or trust store — is put
 * under the first source's prefix instead, so a flat folder of certificates is scanned as well as
 * a folder laid out like the bucket. Every placement is printed before the scan.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import {
  parseConfig,
  parseConfigText,
  readablePrefixes,
  type WatchpostConfig,
} from "../../functions/core/config";
import { UsageError } from "../cli/io";

/** Enough for any real certificate folder; more means DIR probably points at the wrong place. */
export const MAX_FILES = 5000;
/** The bucket's name when the configuration does not name an existing one. */
export const DEFAULT_LOCAL_BUCKET = "watchpost-certificates";

export interface PlacedFile {
  /** Path relative to DIR, '/'-separated. */
  file: string;
  key: string;
  body: Buffer;
  /** true when the key is not the relative path (moved under the first source's prefix). */
  moved: boolean;
}

export interface UserStore {
  directory: string;
  configOrigin: string;
  configGiven: boolean;
  config: WatchpostConfig;
  bucket: string;
  files: PlacedFile[];
}

/** Throws UsageError for paths that cannot be used and ConfigError for an invalid configuration. */
export async function loadUserStore(options: {
  certs: string;
  config?: string;
  cwd: string;
}): Promise<UserStore> {
  const directory = resolve(options.cwd, options.certs);
  const config = options.config
    ? parseConfigText(await readText(resolve(options.cwd, options.config), "--config"), options.config)
    : parseConfig({ certificates: { sources: [{ prefix: "" }] } }, "the default configuration");
  const relativePaths = await listFiles(directory);
  if (relativePaths.length === 0) throw new UsageError(`--certs: ${options.certs} holds no files`);
  const files = await Promise.all(
    relativePaths.map(async (file) => {
      const key = placeKey(file, config.certificates);
      return { file, key, body: await readFile(join(directory, ...file.split("/"))), moved: key !== file };
    }),
  );
  return {
    directory,
    configOrigin: options.config
      ? `${options.config} (valid: checked with the schema 'npx cdk deploy' uses)`
      : "none given, so the default: one source, the whole bucket, no CA bundle, no host names",
    configGiven: options.config !== undefined,
    config,
    bucket: config.certificates.bucket.existingBucketName ?? DEFAULT_LOCAL_BUCKET,
    files,
  };
}

/** The placement rule (see the module comment). */
export function placeKey(relativePath: string, certificates: WatchpostConfig["certificates"]): string {
  // CA bundles, peer certificates and peers' trust stores: every key the scan reads by name.
  const named = new Set(readablePrefixes(certificates).keys);
  const seen = named.has(relativePath) || certificates.sources.some((s) => relativePath.startsWith(s.prefix));
  return seen ? relativePath : `${certificates.sources[0]?.prefix ?? ""}${relativePath}`;
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

async function listFiles(directory: string): Promise<string[]> {
  try {
    if (!(await stat(directory)).isDirectory())
      throw new UsageError(`--certs: ${directory} is not a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `--certs: cannot read ${directory} (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  const found: string[] = [];
  async function walk(dir: string, depth: number): Promise<void> {
    if (depth > 32) return; // a symbolic-link loop
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const info = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
      if (info?.isDirectory()) await walk(path, depth + 1);
      else if (info?.isFile()) {
        found.push(relative(directory, path).split(sep).join("/"));
        if (found.length > MAX_FILES) {
          throw new UsageError(
            `--certs: more than ${MAX_FILES} files under ${directory}; point it at the certificates`,
          );
        }
      }
    }
  }
  await walk(directory, 0);
  return found.sort();
}
