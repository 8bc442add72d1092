import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { VouchError } from "../index.js";

/**
 * Write a file whole or not at all: the bytes go to a temporary file beside the target, are flushed, and
 * the temporary file is renamed over the target. A failure leaves the old file (or none) in place.
 */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o644);
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new VouchError("INPUT_UNREADABLE", `cannot write (${(err as NodeJS.ErrnoException).code ?? "error"})`, { file: path, cause: err });
  }
}

export function readTextFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file: path });
  }
}

/** Results go to stdout; progress and warnings to stderr. */
export const out = (text: string): void => void process.stdout.write(text);
export const err = (text: string): void => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
