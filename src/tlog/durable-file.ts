import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Replaces `path` with `text` so that a crash at any point leaves the old file or the new one, and the new one
 * survives power loss once this resolves: temporary file beside it, fsync, rename(2), fsync of the directory (the
 * rename is a change to the directory; unflushed, a crash can bring the old file back). For the small state files
 * the witness and the monitor keep. On failure the temporary file is removed and the error rethrown for the caller
 * to describe.
 */
export async function replaceFileDurably(path: string, text: string, mode: number): Promise<void> {
  const directory = dirname(path);
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const handle = await open(tmp, "wx", mode);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    const dir = await open(directory, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
