import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";

/**
 * Whole-file writes that survive a crash or power loss at any point: the new version goes to a temporary file,
 * is flushed (fsync), and replaces the old one by rename(2), which POSIX makes atomic: a reader sees the old file or
 * the new one, never a torn one. The rename itself is durable only once its directory is flushed, so callers
 * collect the directories returned here and flush them (`syncDirectories`) before their commit point.
 */

/** The directory under the store root where temporary files live until renamed (same filesystem as the targets). */
export const TEMP_DIR = "tmp";

/**
 * Writes `data` to `root/target` atomically and returns the directories whose entries changed (the target's, and
 * those of any directory created for it), which must be flushed before the write counts as durable.
 */
export async function replaceFile(root: string, target: string, data: Uint8Array | string): Promise<string[]> {
  const temp = join(root, TEMP_DIR, randomBytes(12).toString("hex"));
  const file = await open(temp, "wx", 0o644);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  const destination = join(root, target);
  const changed = await makeDirectories(dirname(destination));
  await rename(temp, destination);
  changed.push(dirname(destination));
  return changed;
}

/** mkdir -p; returns the parents of every directory it created (their entries changed). */
async function makeDirectories(dir: string): Promise<string[]> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return [];
  const changed = [dirname(first)];
  // Every directory from the first created one down to `dir` gained an entry.
  const below = relative(first, dir);
  let current = first;
  for (const part of below === "" ? [] : below.split(sep)) {
    changed.push(current);
    current = join(current, part);
  }
  return changed;
}

/** Flushes directories so that renames and creations in them survive power loss. */
export async function syncDirectories(dirs: Iterable<string>): Promise<void> {
  await Promise.all([...new Set(dirs)].map(syncDirectory));
}

export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
  } catch (err) {
    // Windows cannot open a directory; it has no directory fsync to do either.
    if (isCode(err, "EISDIR") || isCode(err, "EPERM")) return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (!isCode(err, "EINVAL")) throw err; // some filesystems refuse fsync on directories
  } finally {
    await handle.close();
  }
}

/** Empties the temporary directory: files left by an append that died before renaming them. */
export async function clearTemporaryFiles(root: string): Promise<void> {
  const dir = join(root, TEMP_DIR);
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) await rm(join(dir, name), { force: true });
}

export function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}
