/**
 * Local file system access for `watchpost scan PATH...`: expanding directories, loading a file
 * within a size cap, and reading the keystore password from the environment.
 */
import type { Stats } from "node:fs";
import { constants } from "node:fs";
import { open, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

const CHUNK_BYTES = 64 * 1024;
const SKIPPED_DIRECTORIES = new Set([".git", "node_modules"]);

/** Why an entry met in a directory was not read. */
export type WalkSkipReason = "not-regular-file" | "directory-already-walked";

export interface ListedFiles {
  files: string[];
  errors: { path: string; detail: string }[];
  /** Entries met in a walk and left alone, so a summary can account for them. */
  skipped: { path: string; reason: WalkSkipReason }[];
}

/**
 * Expands files and directories: directories recursively, each argument's files sorted by path,
 * duplicates dropped. Symbolic links are followed, but a directory already visited (a link loop or
 * a second link to it) is not walked again. `.git` and `node_modules` are left out; sockets, FIFOs
 * and devices found inside directories are not read (reading a FIFO would block the scan) and,
 * like links back to a directory already walked, are listed in `skipped`.
 */
export async function listFiles(paths: string[]): Promise<ListedFiles> {
  const files: string[] = [];
  const seenFiles = new Set<string>();
  const errors: ListedFiles["errors"] = [];
  const skipped: ListedFiles["skipped"] = [];
  const visitedDirectories = new Set<string>();

  for (const path of paths) {
    const found: string[] = [];
    let stats: Stats;
    try {
      stats = await stat(path);
    } catch (error) {
      errors.push({ path, detail: ioDetail(error) });
      continue;
    }
    if (stats.isDirectory()) await walk(path, stats, { found, errors, skipped }, visitedDirectories);
    else if (stats.isFile()) found.push(path);
    else errors.push({ path, detail: "not a regular file or directory" });

    for (const file of found.sort(comparePaths)) {
      if (seenFiles.has(file)) continue;
      seenFiles.add(file);
      files.push(file);
    }
  }
  return { files, errors, skipped };
}

const identityOf = (stats: Stats) => `${stats.dev}:${stats.ino}`;

async function walk(
  directory: string,
  stats: Stats,
  into: { found: string[]; errors: ListedFiles["errors"]; skipped: ListedFiles["skipped"] },
  visited: Set<string>,
): Promise<void> {
  const { found, errors, skipped } = into;
  if (visited.has(identityOf(stats))) return;
  visited.add(identityOf(stats));

  let entries: Buffer[];
  try {
    // As bytes: a name that is not UTF-8 would come back with U+FFFD in it, a path that does
    // not exist, and the file would be reported as missing.
    entries = await readdir(directory, { encoding: "buffer" });
  } catch (error) {
    errors.push({ path: directory, detail: ioDetail(error) });
    return;
  }
  const names: string[] = [];
  for (const entry of entries) {
    const name = utf8Name(entry);
    if (name !== undefined) {
      names.push(name);
      continue;
    }
    errors.push({
      path: join(directory, escapedName(entry)),
      detail:
        "the name is not valid UTF-8 (written in a legacy encoding such as Latin-1?), so it cannot be " +
        "opened by name here; rename it with UTF-8 characters",
    });
  }
  for (const name of names.sort(comparePaths)) {
    if (SKIPPED_DIRECTORIES.has(name)) continue;
    const path = join(directory, name);
    let entry: Stats;
    try {
      entry = await stat(path); // follows links; loops are cut by `visited`
    } catch (error) {
      errors.push({ path, detail: ioDetail(error) });
      continue;
    }
    if (entry.isDirectory()) {
      if (visited.has(identityOf(entry))) skipped.push({ path, reason: "directory-already-walked" });
      else await walk(path, entry, into, visited);
    } else if (entry.isFile()) found.push(path);
    else skipped.push({ path, reason: "not-regular-file" });
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function utf8Name(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The name for messages: valid UTF-8 sequences as text, every other byte as \xNN. */
function escapedName(bytes: Buffer): string {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    const length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    const text = length > 0 ? utf8Name(bytes.subarray(i, i + length)) : undefined;
    if (text !== undefined && (length > 1 || lead >= 0x20)) {
      out += text;
      i += length;
    } else {
      out += `\\x${lead.toString(16).padStart(2, "0")}`;
      i += 1;
    }
  }
  return out;
}

/** Code-point order: stable across locales, unlike localeCompare. */
function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type LoadedFile =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "too-large" | "io-error"; detail: string };

/** A file as the walk saw it: reading it must find the same file. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * Reads a file of at most `maxBytes`. The size is checked before anything is read, so a huge file
 * never enters memory; a file that grows past the cap while being read is refused too (reported
 * with the bytes read so far). With `identity` (watchpost push), a link in the last component is
 * not followed and the file opened must be the one the walk saw (same device and inode): a file
 * swapped for a link or another file after the walk is not read.
 */
export async function loadFile(
  path: string,
  maxBytes: number,
  options: { identity?: FileIdentity } = {},
): Promise<LoadedFile> {
  const { identity } = options;
  try {
    if (!identity) {
      const before = await stat(path);
      if (!before.isFile()) return { ok: false, reason: "io-error", detail: "not a regular file" };
      if (before.size > maxBytes) return tooLarge(before.size, maxBytes);
    }
    // O_NONBLOCK: should the path be swapped for a FIFO after the stat, open must not wait for a writer.
    const flags = constants.O_RDONLY | constants.O_NONBLOCK | (identity ? constants.O_NOFOLLOW : 0);
    const handle = await open(path, flags);
    try {
      if (identity) {
        const opened = await handle.stat();
        if (opened.dev !== identity.dev || opened.ino !== identity.ino || !opened.isFile()) {
          return {
            ok: false,
            reason: "io-error",
            detail:
              "the file was replaced while being pushed (it is no longer the file the walk found); not read",
          };
        }
        if (opened.size > maxBytes) return tooLarge(opened.size, maxBytes);
      }
      const chunks: Buffer[] = [];
      let length = 0;
      while (length <= maxBytes) {
        const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, maxBytes + 1 - length));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, length);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        length += bytesRead;
      }
      if (length > maxBytes) return tooLarge(length, maxBytes);
      const bytes = Buffer.concat(chunks, length);
      return { ok: true, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, length) };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (identity && (error as NodeJS.ErrnoException).code === "ELOOP") {
      return {
        ok: false,
        reason: "io-error",
        detail: "the file was replaced by a symbolic link while being pushed; not read",
      };
    }
    return { ok: false, reason: "io-error", detail: ioDetail(error) };
  }
}

function tooLarge(size: number, maxBytes: number): LoadedFile {
  return {
    ok: false,
    reason: "too-large",
    detail: `the file has ${size} bytes, more than the limit of ${maxBytes} bytes`,
  };
}

const IO_MESSAGES: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ELOOP: "too many levels of symbolic links",
  ENOTDIR: "a component of the path is not a directory",
  EMFILE: "too many open files",
  ENAMETOOLONG:
    "the path is longer than the operating system allows; scan from a directory closer to the file",
};

export function ioDetail(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code) return `${IO_MESSAGES[code] ?? "input/output error"} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** The password file named by the environment cannot be read; the message names the file, never its content. */
export class PasswordFileError extends Error {
  override readonly name = "PasswordFileError";
}

export const KEYSTORE_PASSWORD_ENV = "WATCHPOST_KEYSTORE_PASSWORD";
export const KEYSTORE_PASSWORD_FILE_ENV = "WATCHPOST_KEYSTORE_PASSWORD_FILE";
/** The names before keystores were read; still honoured when the new ones are not set. */
export const PKCS12_PASSWORD_ENV = "WATCHPOST_PKCS12_PASSWORD";
export const PKCS12_PASSWORD_FILE_ENV = "WATCHPOST_PKCS12_PASSWORD_FILE";

const PASSWORD_VARIABLES = [
  [KEYSTORE_PASSWORD_ENV, KEYSTORE_PASSWORD_FILE_ENV],
  [PKCS12_PASSWORD_ENV, PKCS12_PASSWORD_FILE_ENV],
] as const;

/**
 * The password of PKCS#12 files and Java keystores from WATCHPOST_KEYSTORE_PASSWORD, or from the
 * file named by WATCHPOST_KEYSTORE_PASSWORD_FILE with trailing line breaks removed; the old
 * WATCHPOST_PKCS12_PASSWORD[_FILE] when neither is set. A variable wins over a file of the same
 * name. Never from a CLI flag: flags show in `ps` and shell history. Throws when the named file
 * cannot be read; the message names the file, never its content.
 */
export async function keystorePasswordFrom(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const [variable, fileVariable] of PASSWORD_VARIABLES) {
    const direct = env[variable];
    if (direct !== undefined) return direct;
    const file = env[fileVariable];
    if (file) return readPasswordFile(file, fileVariable);
  }
  return undefined;
}

/** A password kept in a file, without its trailing line breaks; `what` names it in the error. */
export async function readPasswordFile(file: string, what: string): Promise<string> {
  let content: string;
  try {
    content = await readFile(file, "utf8");
  } catch (error) {
    throw new PasswordFileError(`cannot read ${what} (${file}): ${ioDetail(error)}`);
  }
  return content.replace(/[\r\n]+$/, "");
}
