import { closeSync, createReadStream, fchmodSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, type FileHandle } from "node:fs/promises";
import { VouchError } from "../core/errors.js";

/** Read a user-named text file; a missing or unreadable file is an input error naming it (exit 2, one line). */
export function readTextFile(file: string): string {
  return Buffer.from(readBytesFile(file)).toString("utf8");
}

/** Read a user-named file's bytes (a document pushed as sent: its digest is its id); errors as readTextFile. */
export function readBytesFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file });
  }
}

/** `work`'s input errors (a server refusing the document) name the file the document came from; usage errors stay as they are. */
export async function namingFile<T>(file: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof VouchError && err.code.startsWith("INPUT_") && err.code !== "INPUT_USAGE") throw new VouchError(err.code, err.message, { file, cause: err });
    throw err;
  }
}

/**
 * Replace `path` with `data` whole or not at all: a temporary file beside it (created with `mode`), flushed, then
 * renamed over the target. A failure leaves the previous file (or none) in place and no temporary file behind.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode);
    fchmodSync(fd, mode);
    if (typeof data === "string") writeSync(fd, data);
    else writeSync(fd, data);
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

/**
 * Streams written one after another into `path`, whole or not at all (as writeFileAtomic): a stream that errors
 * (a digest mismatch found at its end, a dropped connection) leaves the previous file (or none) and no temp file.
 */
export async function writeStreamsAtomic(path: string, streams: AsyncIterable<ReadableStream<Uint8Array>>, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, "wx", mode);
    for await (const stream of streams) {
      for await (const chunk of stream) await handle.write(chunk);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    renameSync(tmp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    rmSync(tmp, { force: true });
    if (err instanceof VouchError) throw err;
    throw new VouchError("INPUT_UNREADABLE", `cannot write (${(err as NodeJS.ErrnoException).code ?? "error"})`, { file: path, cause: err });
  }
}

/**
 * Streams written one after another to `sink` (stdout), only once all of them arrived whole: they go to a temporary
 * file first, so a stream that fails its digest check at the end puts nothing on stdout (a pipeline that ignores the
 * exit code must not get half a document, or a corrupted one).
 */
export async function writeStreams(sink: NodeJS.WritableStream, streams: AsyncIterable<ReadableStream<Uint8Array>>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vouch-download-"));
  try {
    const staged = join(dir, "content");
    await writeStreamsAtomic(staged, streams, 0o600);
    for await (const chunk of createReadStream(staged)) {
      if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once("drain", resolve));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
