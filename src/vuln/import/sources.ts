import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { text as readStreamText } from "node:stream/consumers";
import { VouchError } from "../../core/errors.js";

/**
 * Where OSV records come from: JSON files, directories of them (recursive), and zips in the layout of OSV's
 * per-ecosystem all.zip exports (one record per `.json` entry). Everything is read one record at a time, so an import
 * of the full export holds one record in memory, not the export.
 *
 * A problem with one record (not JSON, not a record) is the importer's to skip; a problem with a container (a zip
 * whose directory or entry data is damaged, an unreadable directory) throws here, part-way, and the importer's one
 * transaction rolls the whole import back.
 */

/** One record's text and where it came from: `file`, or `zip!entry` for a zip entry. */
export interface OsvSourceText {
  origin: string;
  text: string;
}

/** The largest record read: the largest osv.dev record is a few MB; a bigger entry is skipped, not loaded. */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;

/** Why a source text could not be read, for a skip warning (the reader goes on with the next one). */
export interface OsvSourceSkip {
  origin: string;
  message: string;
}

/** A zip entry read in full, with its fingerprint for the next import (AdvisoryImport.entries). */
export interface OsvSourceEntry {
  name: string;
  fingerprint: string;
}

export type OsvSourceItem =
  | ({ kind: "record"; entry?: OsvSourceEntry } & OsvSourceText)
  | ({ kind: "skip" } & OsvSourceSkip)
  /** A zip entry whose fingerprint equals the one stored at the last import: not read. */
  | { kind: "unchanged"; origin: string };

export interface ReadOsvSourcesOptions {
  /** Entry name → fingerprint from the last import (AdvisoryStore.entryFingerprints): those entries are not read. */
  known?: ReadonlyMap<string, string>;
}

/** The records under each path, in order; within a directory, entries in code-unit order of their names. */
export async function* readOsvSources(paths: readonly string[], options: ReadOsvSourcesOptions = {}): AsyncGenerator<OsvSourceItem> {
  for (const path of paths) {
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new VouchError(err.code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", err.code === "ENOENT" ? "no such file or directory" : `cannot read (${err.code ?? "error"})`, {
        file: path,
        cause: err,
      });
    });
    if (info.isDirectory()) yield* readDirectory(path, options.known ?? new Map());
    else if (await isZip(path)) yield* readZip(path, options.known ?? new Map());
    else yield* readJsonFile(path, info.size);
  }
}

async function* readDirectory(dir: string, known: ReadonlyMap<string, string>): AsyncGenerator<OsvSourceItem> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw new VouchError("INPUT_UNREADABLE", `cannot list the directory (${(err as NodeJS.ErrnoException).code ?? "error"})`, { file: dir, cause: err });
  }
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new VouchError("INPUT_UNREADABLE", `cannot read (${err.code ?? "error"})`, { file: path, cause: err });
    });
    if (info.isDirectory()) yield* readDirectory(path, known);
    else if (!info.isFile()) continue;
    else if (name.endsWith(".json")) yield* readJsonFile(path, info.size);
    else if (name.endsWith(".zip")) yield* readZip(path, known);
  }
}

async function* readJsonFile(path: string, size: number): AsyncGenerator<OsvSourceItem> {
  if (size > MAX_RECORD_BYTES) {
    yield { kind: "skip", origin: path, message: `larger than ${MAX_RECORD_BYTES} bytes` };
    return;
  }
  try {
    yield { kind: "record", origin: path, text: await readStreamText(createReadStream(path)) };
  } catch (err) {
    throw new VouchError("INPUT_UNREADABLE", `cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`, { file: path, cause: err });
  }
}

/** "PK\x03\x04" (a local file header) or "PK\x05\x06" (the end record of an empty zip). */
async function isZip(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer[0] === 0x50 && buffer[1] === 0x4b && ((buffer[2] === 3 && buffer[3] === 4) || (buffer[2] === 5 && buffer[3] === 6));
  } finally {
    await handle.close();
  }
}

/** The slice of yauzl 3's API read here (it ships no types). */
interface ZipEntry {
  fileName: string;
  uncompressedSize: number;
  compressedSize: number;
  crc32: number;
}
interface ZipFile {
  eachEntry(): AsyncIterableIterator<ZipEntry>;
  openReadStreamPromise(entry: ZipEntry): Promise<NodeJS.ReadableStream>;
  close(): void;
}
interface Yauzl {
  openPromise(path: string, options: { lazyEntries: true; autoClose: boolean; validateEntrySizes: boolean; strictFileNames: boolean }): Promise<ZipFile>;
}

// yauzl is CommonJS, loaded only when a zip is read.
const requireCjs = createRequire(import.meta.url);

/**
 * The `.json` entries of a zip, one at a time. yauzl reads the central directory and then each entry from the file
 * descriptor (random access, no temporary files); it checks each entry's CRC-32 and declared size as it inflates, so a
 * damaged entry throws here instead of yielding wrong bytes.
 */
async function* readZip(path: string, known: ReadonlyMap<string, string>): AsyncGenerator<OsvSourceItem> {
  const yauzl = requireCjs("yauzl") as Yauzl;
  const corrupt = (err: unknown, where: string) =>
    new VouchError("INPUT_MALFORMED", `not a readable zip (${where}: ${err instanceof Error ? err.message : String(err)})`, { file: path, cause: err });
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false });
  } catch (err) {
    throw corrupt(err, "central directory");
  }
  const entries = zip.eachEntry();
  try {
    for (;;) {
      let next: IteratorResult<ZipEntry>;
      try {
        next = await entries.next();
      } catch (err) {
        throw corrupt(err, "central directory");
      }
      if (next.done === true) break;
      const entry = next.value;
      const origin = `${path}!${entry.fileName}`;
      if (entry.fileName.endsWith("/") || !entry.fileName.endsWith(".json")) continue;
      // The central directory's CRC-32 and sizes say whether an entry changed since the last import without
      // inflating it: a daily refresh of osv.dev's export re-reads only the records that changed. (yauzl checks the
      // CRC of every entry it does inflate, so a fingerprint always describes the bytes that were imported.)
      const fingerprint = `crc32:${entry.crc32.toString(16).padStart(8, "0")}:${entry.compressedSize}:${entry.uncompressedSize}`;
      if (known.get(entry.fileName) === fingerprint) {
        yield { kind: "unchanged", origin };
        continue;
      }
      if (entry.uncompressedSize > MAX_RECORD_BYTES) {
        yield { kind: "skip", origin, message: `larger than ${MAX_RECORD_BYTES} bytes` };
        continue;
      }
      let text: string;
      try {
        text = await readStreamText(await zip.openReadStreamPromise(entry));
      } catch (err) {
        throw corrupt(err, entry.fileName);
      }
      yield { kind: "record", origin, text, entry: { name: entry.fileName, fingerprint } };
    }
  } finally {
    // Stopped early (an error, or the consumer gave up): close the descriptor.
    await entries.return?.();
    zip.close();
  }
}
