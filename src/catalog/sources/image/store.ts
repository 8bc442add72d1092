import { createReadStream, realpathSync, type ReadStream } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { join, posix, sep } from "node:path";
import { Readable } from "node:stream";
import { VouchError } from "../../../core/errors.js";
import { indexTarFile, normalizeEntryPath, type TarMember } from "./tar.js";

/**
 * Where the files of an image layout live: a directory (oci-dir:) or an uncompressed tar read in place
 * (oci-archive:, docker-archive:), never extracted. Paths are layout-relative POSIX paths; a path that
 * leaves the layout (a symlink out of the directory, ".." in the archive) is absent.
 */
export interface LayoutStore {
  readonly description: string;
  /** The file whole, or undefined when absent. INPUT_TOO_LARGE over maxBytes. */
  readFile(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** The file's size, or undefined when absent. */
  size(path: string): Promise<number | undefined>;
  /** The file as a stream, or undefined when absent. */
  openStream(path: string): Promise<ReadableStream<Uint8Array> | undefined>;
  close(): Promise<void>;
}

function toWeb(stream: ReadStream): ReadableStream<Uint8Array> {
  return Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
}

export class DirectoryStore implements LayoutStore {
  readonly description: string;
  private readonly root: string;

  constructor(dir: string) {
    this.description = dir;
    try {
      this.root = realpathSync(dir);
    } catch {
      throw new VouchError("INPUT_NOT_FOUND", `${dir}: no such directory`);
    }
  }

  private resolve(path: string): string | undefined {
    const normal = normalizeEntryPath(path);
    if (normal.path === undefined || normal.note) return undefined;
    try {
      const real = realpathSync(join(this.root, normal.path));
      return real.startsWith(this.root + sep) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  async readFile(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const abs = this.resolve(path);
    if (!abs) return undefined;
    const st = await stat(abs);
    if (!st.isFile()) return undefined;
    if (st.size > maxBytes) throw new VouchError("INPUT_TOO_LARGE", `${path} in ${this.description} is ${st.size} bytes (limit ${maxBytes})`);
    const handle = await open(abs, "r");
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async size(path: string): Promise<number | undefined> {
    const abs = this.resolve(path);
    if (!abs) return undefined;
    const st = await stat(abs);
    return st.isFile() ? st.size : undefined;
  }

  async openStream(path: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const abs = this.resolve(path);
    if (!abs) return undefined;
    const st = await stat(abs);
    return st.isFile() ? toWeb(createReadStream(abs, { highWaterMark: 1024 * 1024 })) : undefined;
  }

  async close(): Promise<void> {}
}

/** How many links one archive path may go through (docker save links duplicate layers to one copy). */
const MAX_ARCHIVE_LINKS = 16;

export class TarArchiveStore implements LayoutStore {
  readonly description: string;
  private constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly members: Map<string, TarMember>,
  ) {
    this.description = file;
  }

  /** Index the archive's members (headers only). Compressed archives are refused: they cannot be read in place. */
  static async open(file: string, maxEntries: number): Promise<TarArchiveStore> {
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", `${file}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`, { cause: err });
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new VouchError("INPUT_USAGE", `${file}: not a file (an archive is a .tar file)`);
      const magic = new Uint8Array(4);
      await handle.read(magic, 0, 4, 0);
      if (magic[0] === 0x1f && magic[1] === 0x8b) throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${file} is gzip-compressed: decompress it first (gunzip), vouch reads archives in place`);
      if (magic[0] === 0x28 && magic[1] === 0xb5 && magic[2] === 0x2f && magic[3] === 0xfd) throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${file} is zstd-compressed: decompress it first (unzstd)`);
      const read = async (buffer: Uint8Array, position: number) => (await handle.read(buffer, 0, buffer.length, position)).bytesRead;
      let members: Map<string, TarMember>;
      try {
        members = await indexTarFile(read, st.size, maxEntries);
      } catch (err) {
        if (err instanceof VouchError) throw new VouchError(err.code, `${file}: ${err.message}`, { cause: err });
        throw err;
      }
      return new TarArchiveStore(file, handle, members);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** The regular-file member a path names, following links inside the archive. */
  private member(path: string): TarMember | undefined {
    let current = normalizeEntryPath(path).path;
    for (let hops = 0; current !== undefined && hops <= MAX_ARCHIVE_LINKS; hops++) {
      const m = this.members.get(current);
      if (!m) return undefined;
      if (m.header.type === "file") return m;
      if (m.header.type === "symlink") {
        const target = m.header.linkName.startsWith("/") ? m.header.linkName : posix.join(posix.dirname(current), m.header.linkName);
        current = normalizeEntryPath(target).path;
      } else if (m.header.type === "hardlink") {
        current = normalizeEntryPath(m.header.linkName).path;
      } else {
        return undefined;
      }
    }
    return undefined;
  }

  async readFile(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const m = this.member(path);
    if (!m) return undefined;
    if (m.header.size > maxBytes) throw new VouchError("INPUT_TOO_LARGE", `${path} in ${this.description} is ${m.header.size} bytes (limit ${maxBytes})`);
    const buf = Buffer.alloc(m.header.size);
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, m.offset);
    if (bytesRead < buf.length) throw new VouchError("INPUT_MALFORMED", `${this.description}: ${path} is cut short`);
    return buf;
  }

  async size(path: string): Promise<number | undefined> {
    return this.member(path)?.header.size;
  }

  async openStream(path: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const m = this.member(path);
    if (!m) return undefined;
    if (m.header.size === 0) return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    return toWeb(createReadStream(this.file, { start: m.offset, end: m.offset + m.header.size - 1, highWaterMark: 1024 * 1024 }));
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
