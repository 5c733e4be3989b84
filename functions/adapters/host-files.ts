/**
 * The host's file system as `watchpost push` sees it: the walk of the pushed directories, each
 * file's load, and whether a path still exists. Unlike the scan's walk (local-files.ts), this one
 * must not be led anywhere by whoever can write into a pushed directory, since what it reads ends
 * up in a bucket:
 *
 * - A symbolic link is followed only when it resolves inside the pushed directory it was found in;
 *   with `followSymlinks`, inside any of the pushed directories. Never outside them all: a link to
 *   `/etc/shadow` named `server.crt` is reported as a skipped link, not read. The directories named
 *   on the command line may themselves be links (`/var/snap/microk8s/current`): the operator chose them.
 * - Each file is opened without following a link in its last component, and must be the very file
 *   (device and inode) the walk saw: a file swapped for a link or another file in between is not read.
 * - "Gone" means the path answers ENOENT, nothing else (`presenceOf`): a file that exists but
 *   cannot be read keeps its bucket copy.
 */
import type { Stats } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { type FileIdentity, ioDetail, type LoadedFile, loadFile } from "./local-files";

export interface HostFile {
  /** The path as walked (under the directory named on the command line). */
  path: string;
  /** The file read: the path itself, or where the link that was followed resolves. */
  real: string;
  identity: FileIdentity;
}

export interface HostWalk {
  files: HostFile[];
  /** Paths that could not be walked (unreadable directories), with why. */
  errors: { path: string; detail: string }[];
  /** Entries left alone on purpose, with why: links out of the pushed directories, FIFOs, devices. */
  skipped: { path: string; reason: string }[];
}

const SKIPPED_DIRECTORIES = new Set([".git", "node_modules"]);

const identityOf = (stats: Stats): FileIdentity => ({ dev: stats.dev, ino: stats.ino });
const key = (identity: FileIdentity) => `${identity.dev}:${identity.ino}`;

function inside(path: string, directory: string): boolean {
  const rel = relative(directory, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
}

export async function walkPushRoots(
  roots: readonly string[],
  options: { followSymlinks: boolean },
): Promise<HostWalk> {
  const walk: HostWalk = { files: [], errors: [], skipped: [] };
  const realRoots: string[] = [];
  for (const root of roots) {
    try {
      realRoots.push(await realpath(root));
    } catch (error) {
      realRoots.push(root);
      walk.errors.push({ path: root, detail: ioDetail(error) });
    }
  }
  const visited = new Set<string>();
  const seenFiles = new Set<string>();
  const addFile = (file: HostFile) => {
    if (seenFiles.has(file.path)) return;
    seenFiles.add(file.path);
    walk.files.push(file);
  };

  for (const [index, root] of roots.entries()) {
    const realRoot = realRoots[index]!;
    if (walk.errors.some((e) => e.path === root)) continue;
    const allowed = (target: string) =>
      inside(target, realRoot) || (options.followSymlinks && realRoots.some((r) => inside(target, r)));
    const outsideWhat = options.followSymlinks
      ? "the pushed directories"
      : `${root} (--follow-symlinks follows links into the other pushed directories)`;

    const visit = async (path: string, entry: Stats, real: string): Promise<void> => {
      if (entry.isDirectory()) {
        if (visited.has(key(identityOf(entry)))) {
          walk.skipped.push({ path, reason: "a directory already walked (a link back to it)" });
          return;
        }
        visited.add(key(identityOf(entry)));
        let names: string[];
        try {
          names = (await readdir(path)).sort();
        } catch (error) {
          walk.errors.push({ path, detail: ioDetail(error) });
          return;
        }
        for (const name of names) {
          if (SKIPPED_DIRECTORIES.has(name)) continue;
          await child(join(path, name), join(real, name));
        }
      } else if (entry.isFile()) {
        addFile({ path, real, identity: identityOf(entry) });
      } else {
        walk.skipped.push({ path, reason: "not a regular file (a FIFO, socket or device)" });
      }
    };

    const child = async (path: string, real: string): Promise<void> => {
      let entry: Stats;
      try {
        entry = await lstat(path);
      } catch (error) {
        walk.errors.push({ path, detail: ioDetail(error) });
        return;
      }
      if (!entry.isSymbolicLink()) return visit(path, entry, real);
      let target: string;
      try {
        target = await realpath(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        walk.skipped.push({
          path,
          reason:
            code === "ENOENT"
              ? "a symbolic link to nothing (dangling)"
              : `a symbolic link that cannot be resolved: ${ioDetail(error)}`,
        });
        return;
      }
      if (!allowed(target)) {
        walk.skipped.push({
          path,
          reason: `a symbolic link to ${target}, outside ${outsideWhat}: not followed`,
        });
        return;
      }
      let resolved: Stats;
      try {
        resolved = await stat(target);
      } catch (error) {
        walk.errors.push({ path, detail: ioDetail(error) });
        return;
      }
      return visit(path, resolved, target);
    };

    let top: Stats;
    try {
      top = await stat(realRoot);
    } catch (error) {
      walk.errors.push({ path: root, detail: ioDetail(error) });
      continue;
    }
    if (!top.isDirectory() && !top.isFile()) {
      walk.errors.push({ path: root, detail: "not a regular file or directory" });
      continue;
    }
    await visit(root, top, realRoot);
  }
  return walk;
}

/** Loads a walked file: no link followed in its last component, and only if it is still the file the walk saw. */
export function loadHostFile(file: HostFile, maxBytes: number): Promise<LoadedFile> {
  return loadFile(file.real, maxBytes, { identity: file.identity });
}

export type Presence = "absent" | "present" | { error: string };

/** Whether a path exists, without following a link in its last component; only ENOENT is absent. */
export async function presenceOf(path: string): Promise<Presence> {
  try {
    await lstat(path);
    return "present";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    return { error: ioDetail(error) };
  }
}
